package checks_test

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// varsStoresBlock is a family with one series per store, stores written
// from the last to the first (CockroachDB writes them in map order).
func varsStoresBlock(family, typ string, stores int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# HELP %s test family\n# TYPE %s %s\n", family, family, typ)
	for s := stores; s >= 1; s-- {
		fmt.Fprintf(&b, "%s{store=\"%d\"} %d\n", family, s, s)
	}
	return b.Bytes()
}

func varsWithBlocks(base []byte, blocks ...[]byte) []byte {
	p := slices.Clone(base)
	if !bytes.HasSuffix(p, []byte("\n")) {
		p = append(p, '\n')
	}
	for _, b := range blocks {
		p = append(p, b...)
	}
	return p
}

// storeTags returns the store tags of the points named name.
func storeTags(rec *sinktest.Recorder, name string) []string {
	var out []string
	for _, p := range rec.Find(name) {
		for _, tag := range p.Tags {
			if strings.HasPrefix(tag, "store:") {
				out = append(out, tag)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestVarsFamilyCap: one payload with 100,001 store values of a family
// sends at most max_series_per_family of them (the first stores, the same
// every cycle), warns once, and counts the series dropped every cycle.
func TestVarsFamilyCap(t *testing.T) {
	if checks.RaceEnabled {
		t.Skip("measures memory and volume: run without -race (make unit does)")
	}
	t.Parallel()
	const stores = 100_001
	f := newVarsFake(t, varsWithBlocks(v20Payload(t, 1, "t0"), varsStoresBlock("admission_io_overload", "gauge", stores)))
	r := newVarsRun(t, checks.VarsOptions{}) // the default cap: 1,000
	var want []string
	for s := 1; s <= 1000; s++ {
		want = append(want, fmt.Sprintf("store:%d", s))
	}
	slices.Sort(want)
	for cycle := 1; cycle <= 3; cycle++ {
		rec := r.cycle(f.node())
		if got := storeTags(rec, "admission.io_overload"); !slices.Equal(got, want) {
			t.Fatalf("cycle %d: %d admission.io_overload series sent (%v ...), want stores 1 to 1000", cycle, len(got), got[:min(len(got), 5)])
		}
		if up := rec.Find("node.up"); len(up) != 1 || up[0].Value != 1 {
			t.Fatalf("cycle %d: node.up %v", cycle, up)
		}
		if len(rec.Find("ranges")) != 1 {
			t.Errorf("cycle %d: the other families are not sent:\n%s", cycle, rec.String())
		}
		if got, want := r.dropped["family_cap"], cycle*(stores-1000); got != want {
			t.Errorf("cycle %d: family_cap drops counted %d, want %d", cycle, got, want)
		}
	}
	logs := r.logs.String()
	if n := strings.Count(logs, "more series than max_series_per_family"); n != 1 || !strings.Contains(logs, "family=admission_io_overload") || !strings.Contains(logs, "series=100001") {
		t.Errorf("want one warning naming the family and its series, got %d:\n%s", n, logs)
	}
}

// TestVarsCycleCap: over max_series_per_cycle, every node keeps its even
// share, the same series every cycle (families in name order), and the
// drops are counted and logged once per streak.
func TestVarsCycleCap(t *testing.T) {
	t.Parallel()
	var nodes []cluster.Node
	for n := 1; n <= 3; n++ {
		nodes = append(nodes, newVarsFake(t, v20Payload(t, n, "t0")).node())
	}
	full := newVarsRun(t, checks.VarsOptions{}).cycle(nodes...)
	const share = 20
	r := newVarsRun(t, checks.VarsOptions{MaxSeriesPerCycle: 3 * share})
	var first map[string]bool
	for cycle := 1; cycle <= 3; cycle++ {
		rec := r.cycle(nodes...)
		got := map[string]bool{}
		perNode := map[string]int{}
		for _, p := range rec.Points {
			if p.Name == "node.up" || p.Name == "node.restarts" || p.Name == "capacity.used_ratio" {
				continue // computed, not read
			}
			got[p.Key()] = true
			for _, tag := range p.Tags {
				if strings.HasPrefix(tag, "instance:") || strings.HasPrefix(tag, "node_id:") {
					perNode[tag]++
				}
			}
		}
		if len(rec.Find("node.up")) != 3 {
			t.Fatalf("cycle %d: node.up %v", cycle, rec.Find("node.up"))
		}
		for node, n := range perNode {
			// A histogram series is several points: at most 7 each.
			if n == 0 || n > 7*share {
				t.Errorf("cycle %d: %s sent %d points for at most %d series", cycle, node, n, share)
			}
		}
		if len(got) == 0 || len(got) >= len(full.Points) {
			t.Fatalf("cycle %d: %d points sent, %d without the cap", cycle, len(got), len(full.Points))
		}
		// Families in name order: build_timestamp (node.build) comes first,
		// txn_* and valbytes never make it.
		if len(rec.Find("node.build")) != 3 || len(rec.Find("txn.aborts")) != 0 {
			t.Errorf("cycle %d: not the first families by name:\n%s", cycle, rec.String())
		}
		if cycle == 1 {
			first = got
			continue
		}
		// Counts start on the second cycle; gauges are the same every cycle.
		for k := range first {
			if !got[k] {
				t.Errorf("cycle %d: %s sent in cycle 1 but not now", cycle, k)
			}
		}
		if r.dropped["cycle_cap"] == 0 {
			t.Errorf("cycle %d: no cycle_cap drops counted", cycle)
		}
	}
	if n := strings.Count(r.logs.String(), "share of max_series_per_cycle"); n != 1 {
		t.Errorf("want one warning for the streak, got %d:\n%s", n, r.logs.String())
	}
}

// TestVarsMemoryFallsBack: after cycles with payloads at the payload cap,
// a minute of cycles with small payloads leaves no large buffer behind:
// the live heap falls back to what small payloads need, not
// max_concurrent_scrapes × max_payload_bytes. While big payloads keep
// coming, their buffers are reused: the heap then holds one per slot.
func TestVarsMemoryFallsBack(t *testing.T) {
	if checks.RaceEnabled {
		t.Skip("measures memory and volume: run without -race (make unit does)")
	}
	const (
		nodes    = 4
		capBytes = 8 << 20
	)
	small := v20Payload(t, 1, "t0")
	// The real payload padded with families roachdog does not want, up to
	// just under the cap.
	var pad bytes.Buffer
	for i := 0; len(small)+pad.Len() < capBytes-256; i++ {
		fmt.Fprintf(&pad, "# TYPE padding_%d gauge\npadding_%d{store=\"1\"} %d\n", i, i, i)
	}
	big := varsWithBlocks(small, pad.Bytes())
	pad = bytes.Buffer{}
	var fakes []*varsFake
	var list []cluster.Node
	for range nodes {
		f := newVarsFake(t, small)
		fakes = append(fakes, f)
		list = append(list, f.node())
	}
	clock := newTestClock(v20T0)
	r := newVarsRun(t, checks.VarsOptions{MaxPayloadBytes: capBytes, MaxConcurrent: nodes, Now: clock.Now})
	heapInUse := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	r.cycle(list...) // state, caches and connections of small payloads
	base := heapInUse()

	for _, f := range fakes {
		f.set(big)
	}
	fakesBig := heapInUse() // the fakes hold the big payloads too
	for range 3 {
		clock.Add(10 * time.Second)
		rec := r.cycle(list...)
		if up := rec.Find("node.up"); len(up) != nodes || up[0].Value != 1 {
			t.Fatalf("big payloads not read: %v\n%s", up, r.logs.String())
		}
	}
	// Between cycles of big payloads, one body per scrape slot is kept for
	// the next cycle, plus its gzip form: in flight × max_payload_bytes.
	bigHeap := heapInUse()
	if limit := fakesBig + uint64(nodes)*(capBytes+capBytes/4) + 8<<20; bigHeap > limit {
		t.Errorf("heap in use between big payloads: %.1f MiB, want under %.1f MiB", float64(bigHeap)/(1<<20), float64(limit)/(1<<20))
	}
	for _, f := range fakes {
		f.set(small)
	}
	big = nil
	for range 7 {
		clock.Add(10 * time.Second)
		r.cycle(list...)
	}
	// What may stay on top of the small-payload heap: one reusable buffer
	// per scrape slot for a small payload and its gzip form, and some
	// slack for the allocator. Keeping the buffers of the big payloads
	// would be at least nodes × capBytes (32 MiB) more.
	after := heapInUse()
	if limit := base + uint64(nodes*2*len(small)) + 4<<20; after > limit {
		t.Errorf("heap in use after small payloads: %.1f MiB, before the big ones %.1f MiB; want under %.1f MiB (buffers of the big payloads kept?)",
			float64(after)/(1<<20), float64(base)/(1<<20), float64(limit)/(1<<20))
	}
	runtime.KeepAlive(r) // the check's own buffers count
	t.Logf("heap in use: %.1f MiB before the big payloads, %.1f MiB between them, %.1f MiB after",
		float64(base)/(1<<20), float64(bigHeap)/(1<<20), float64(after)/(1<<20))
}
