package checks_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/testenv"
)

// v23SizedPayload joins the v23.2 subsystem captures into one payload of
// about 790 kB and 1,400 families: the size of a real v23 node's
// /_status/vars, which the design's cost budget is written for.
func v23SizedPayload(b *testing.B) []byte {
	b.Helper()
	dir := filepath.Join(testenv.Fixtures(b), "cockroach-vars")
	files, err := filepath.Glob(filepath.Join(dir, "v23.2_*.txt"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no v23.2 captures in %s: %v", dir, err)
	}
	var buf bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		buf.Write(data)
		buf.WriteByte('\n') // some captures lack a trailing newline
	}
	return buf.Bytes()
}

// BenchmarkVarsRun100Nodes is one steady-state vars cycle over 100 nodes of
// v23 size, each its own HTTP server on loopback (gzip, as CockroachDB
// answers). It reports the CPU time of a cycle (ns/op, which includes the
// fake servers' side of loopback HTTP: an upper bound for roachdog) and the
// peak live heap a cycle adds (the fake servers' own memory excluded), the
// figures behind the design's budget of
// 5 % of a core and 60 MB at 100 nodes every 10 s.
func BenchmarkVarsRun100Nodes(b *testing.B) {
	payload := v23SizedPayload(b)
	clock := newTestClock(v20T0)
	v, err := checks.NewVars(checks.VarsOptions{Now: clock.Now, Timeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	nodes := make([]cluster.Node, 0, 100)
	for range 100 {
		nodes = append(nodes, newVarsFake(b, payload).node())
	}
	tgt := &checks.Target{Nodes: nodes, HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}}
	ctx := context.Background()
	if err := v.Run(ctx, tgt, varsNopSink{}); err != nil { // baseline cycle
		b.Fatal(err)
	}

	// The fake servers hold their payloads on the same heap: measure from
	// the live heap after set-up, so the figure is roachdog's cycle alone.
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // sample the live heap while cycles run
		defer close(done)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)) * int64(len(nodes)))
	for b.Loop() {
		clock.Add(10 * time.Second)
		if err := v.Run(ctx, tgt, varsNopSink{}); err != nil {
			b.Fatal(err)
		}
	}
	close(stop)
	<-done
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "cycle-peak-heap-MB")
}
