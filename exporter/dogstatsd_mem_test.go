package exporter

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/wire"
)

// TestDogStatsDClientMemory: the client holds little memory of its own, and
// a burst of more payloads than its buffer pool holds still arrives whole.
// (datadog-go preallocates 2,048 payload buffers by default: 16 MiB, most
// of the process's heap at 100 nodes.)
func TestDogStatsDClientMemory(t *testing.T) {
	clearDDEnv(t)
	srv := dsdtest.Listen(t)
	m := NewSelfMetrics("test", "abc")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := NewDogStatsD(t.Context(), srv.Addr(), "crdb", nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("client heap: %.1f MB", float64(grew)/(1<<20))
	if grew > 4<<20 {
		t.Errorf("creating the client took %d bytes of heap", grew)
	}

	// More full payloads than the pool has buffers, at once.
	n := 20 * bufferPool(wire.PayloadLimit(srv.Addr()))
	for i := range n {
		d.Gauge(fmt.Sprintf("burst.metric_%04d_%s", i, "padding_to_fill_payloads_quickly"), float64(i), []string{"node_id:1", "store:1"})
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	snap := srv.WaitFor(t, 5*time.Second, func(s dsdtest.Snapshot) bool { return len(s.Metrics) >= n })
	got := map[string]bool{}
	for _, m := range snap.Metrics {
		got[m.Name] = true
	}
	if len(got) != n {
		t.Errorf("received %d of %d gauges", len(got), n)
	}
}

// TestDogStatsDAllocations: what a sample costs in allocations through
// WithTags and the DogStatsD sink, per kind: none for a gauge or a count;
// for a distribution, its groups and values (wire.Rates) and the tags
// joined once.
func TestDogStatsDAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	clearDDEnv(t)
	u := listenCycle(t, false)
	d, err := NewDogStatsD(t.Context(), u.addr(), "crdb", []string{"env:ci"}, NewSelfMetrics("test", "abc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := WithTags(d, "cluster:test")
	tags := []string{"instance:10.0.0.1:8080", "node_id:1", "region:us-east1", "zone:us-east1-b", "store:1"}
	samples := []emit.Sample{{Value: 0.001, Weight: 3}, {Value: 0.002, Weight: 5}, {Value: 0.004, Weight: 9}}
	for _, tc := range []struct {
		kind string
		send func()
		want float64
	}{
		{kindGauge, func() { s.Gauge("capacity.used", 12345.5, tags) }, 0},
		{kindCount, func() { s.Count("sql.queries", 42, tags) }, 0},
		{kindDistribution, func() { s.Distribution("sql.latency", samples, tags) }, 4},
	} {
		if n := testing.AllocsPerRun(1000, tc.send); n != tc.want {
			t.Errorf("%s: %v allocations per call, want %v", tc.kind, n, tc.want)
		}
	}
}
