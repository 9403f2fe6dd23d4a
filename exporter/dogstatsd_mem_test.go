package exporter

import (
	"fmt"
	"runtime"
	"testing"
	"time"

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
