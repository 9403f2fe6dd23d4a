package promtext

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

func TestCountersDelta(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 22, 2, 45, 20, 0, time.UTC)
	type obs struct {
		cur   float64
		delta int64
		ok    bool
	}
	tests := []struct {
		name string
		obs  []obs
	}{
		{"first observation is a baseline", []obs{{10, 0, false}}},
		{"increase", []obs{{10, 0, false}, {15, 5, true}, {15, 0, true}, {1015, 1000, true}}},
		// +0.75 a scrape (exact in binary): 0.75 → 0 (carry .75); 0.75+.75 = 1.5
		// → 1 (carry .5); .5+.75 = 1.25 → 1 (carry .25); .25+.75 = 1 → 1
		// (carry 0): 3 sent for 3.0 counted.
		{"fractional carry", []obs{{0, 0, false}, {0.75, 0, true}, {1.5, 1, true}, {2.25, 1, true}, {3, 1, true}}},
		// Restart: 100 → 7 means 7 increments since the restart, not -93.
		{"reset", []obs{{100, 0, false}, {120, 20, true}, {7, 7, true}, {9, 2, true}}},
		{"reset to zero", []obs{{100, 0, false}, {0, 0, true}, {3, 3, true}}},
		// NaN and Inf are skipped and leave the baseline alone: 10 → 14 is 4.
		{"NaN", []obs{{math.NaN(), 0, false}, {10, 0, false}, {math.NaN(), 0, false}, {14, 4, true}}},
		{"Inf", []obs{{10, 0, false}, {math.Inf(1), 0, false}, {math.Inf(-1), 0, false}, {12, 2, true}}},
		{"negative", []obs{{10, 0, false}, {-5, 0, false}, {11, 1, true}}},
		{"huge values stay exact", []obs{{1 << 52, 0, false}, {1<<52 + 3, 3, true}}},
		{"absurd jump is clamped, not wrapped", []obs{{0, 0, false}, {1e30, math.MaxInt64, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ck := NewCounters(), NewCounters()
			for i, o := range tt.obs {
				d, ok := c.Delta("k", o.cur, t0.Add(time.Duration(i)*10*time.Second))
				if d != o.delta || ok != o.ok {
					t.Errorf("observation %d (%v): got (%d, %v), want (%d, %v)", i, o.cur, d, ok, o.delta, o.ok)
				}
				d, ok = ck.DeltaKey([]byte("k"), o.cur, t0.Add(time.Duration(i)*10*time.Second))
				if d != o.delta || ok != o.ok {
					t.Errorf("observation %d (%v): DeltaKey got (%d, %v), want (%d, %v)", i, o.cur, d, ok, o.delta, o.ok)
				}
			}
		})
	}
}

func TestCountersCarrySumsExactly(t *testing.T) {
	t.Parallel()
	// 1000 scrapes of +0.37: 370 in total, whatever the rounding of each.
	c := NewCounters()
	now := time.Unix(0, 0)
	c.Delta("k", 0, now)
	var sum int64
	for i := 1; i <= 1000; i++ {
		d, ok := c.Delta("k", float64(i)*0.37, now)
		if !ok || d < 0 {
			t.Fatalf("scrape %d: (%d, %v)", i, d, ok)
		}
		sum += d
	}
	if sum != 370 && sum != 369 { // 369.99999… in floating point is fine
		t.Errorf("sum of deltas = %d, want 370", sum)
	}
}

func TestCountersKeysAndForget(t *testing.T) {
	t.Parallel()
	c := NewCounters()
	t0 := time.Unix(1000, 0)
	c.Delta("a", 1, t0)
	c.Delta("b", 1, t0)
	if d, ok := c.Delta("a", 3, t0.Add(time.Minute)); d != 2 || !ok {
		t.Fatalf("a: (%d, %v)", d, ok)
	}
	if d, ok := c.Delta("b", 10, t0.Add(time.Minute)); d != 9 || !ok {
		t.Fatalf("b is independent of a: (%d, %v)", d, ok)
	}
	c.Delta("c", 5, t0.Add(2*time.Minute))
	c.Delta("nan", math.NaN(), t0) // never tracked
	if n := c.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	if n := c.Forget(t0.Add(2 * time.Minute)); n != 2 {
		t.Errorf("Forget dropped %d, want 2 (a and b, last seen 1m)", n)
	}
	if n := c.Forget(t0.Add(2 * time.Minute)); n != 0 {
		t.Errorf("second Forget dropped %d, want 0", n)
	}
	// A forgotten series starts over with a baseline.
	if _, ok := c.Delta("a", 100, t0.Add(3*time.Minute)); ok {
		t.Error("forgotten series did not rebaseline")
	}
	if d, ok := c.Delta("c", 6, t0.Add(3*time.Minute)); d != 1 || !ok {
		t.Errorf("kept series: (%d, %v)", d, ok)
	}
}

func TestCountersConcurrent(t *testing.T) {
	t.Parallel()
	c := NewCounters()
	now := time.Unix(0, 0)
	var wg sync.WaitGroup
	sums := make([]int64, 8)
	for g := range sums {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := Key("requests", "node", string(rune('0'+g)))
			for i := range 1000 {
				d, _ := c.Delta(key, float64(i), now)
				sums[g] += d
			}
		}()
	}
	wg.Wait()
	for g, s := range sums {
		if s != 999 {
			t.Errorf("goroutine %d: sum %d, want 999", g, s)
		}
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"no labels", Key("sql_conns"), "sql_conns"},
		{"sorted by label name", Key("capacity", "store", "1", "node_id", "2"), `capacity{node_id="2",store="1"}`},
		{"order does not matter", Key("capacity", "node_id", "2", "store", "1"), `capacity{node_id="2",store="1"}`},
		{"escapes keep keys distinct", Key("m", "a", `x",b="y`), `m{a="x\",b=\"y"}`},
		{"newline escaped", Key("m", "a", "x\ny"), `m{a="x\ny"}`},
		{"odd pairs", Key("m", "a"), `m{a=""}`},
		{"metric labels plus extra", MetricKey("capacity", &dto.Metric{Label: []*dto.LabelPair{
			{Name: ptr("store"), Value: ptr("1")},
		}}, "instance", "n1:8080"), `capacity{instance="n1:8080",store="1"}`},
		{"metric without labels", MetricKey("sys_uptime", &dto.Metric{}), "sys_uptime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
	if Key("m", "a", "1", "b", "2") == Key("m", "a", "1,b=2") {
		t.Error("different label sets share a key")
	}
}

func ptr[T any](v T) *T { return &v }

// TestCountersReset: a restart after which the counter climbed past its old
// value (100 → restart → 130) looks like +30 to Delta alone; once the
// restart is known, the whole 130 counted since is the delta.
func TestCountersReset(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	c := NewCounters()
	for _, k := range []string{`a{store="1"}`, `a{store="2"}`, `b`} {
		c.Delta(k, 100.5, now) // carry .5 pending on each
	}
	if n := c.Reset("a{"); n != 2 {
		t.Fatalf("Reset(a{) reset %d series, want 2", n)
	}
	if d, ok := c.Delta(`a{store="1"}`, 130, now); !ok || d != 130 {
		t.Errorf("after Reset: delta (%d, %v), want (130, true)", d, ok)
	}
	if d, ok := c.Delta(`a{store="1"}`, 131, now); !ok || d != 1 {
		t.Errorf("the reset is one-off: next delta (%d, %v), want (1, true)", d, ok)
	}
	if d, ok := c.Delta(`b`, 130.5, now); !ok || d != 30 {
		t.Errorf("a series outside the prefix kept its baseline: (%d, %v), want (30, true)", d, ok)
	}
	if n := c.Reset(""); n != 3 {
		t.Errorf(`Reset("") reset %d series, want 3`, n)
	}
	if d, ok := c.Delta(`a{store="2"}`, 0, now); !ok || d != 0 {
		t.Errorf("reset then 0: (%d, %v), want (0, true)", d, ok)
	}
	if d, ok := c.Delta(`new`, 5, now); ok || d != 0 {
		t.Errorf("a series first seen after Reset is still a baseline: (%d, %v)", d, ok)
	}
}

// TestMetricKeyAllocs: a key costs the pairs it sorts and the string, the
// same every cycle for every series of every node (the sort used to add
// three allocations per key).
func TestMetricKeyAllocs(t *testing.T) {
	store, one, node, two := "store", "1", "node_id", "2"
	m := &dto.Metric{Label: []*dto.LabelPair{{Name: &node, Value: &two}, {Name: &store, Value: &one}}}
	if got := MetricKey("capacity", m); got != `capacity{node_id="2",store="1"}` {
		t.Fatalf("MetricKey = %s", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = MetricKey("capacity", m) }); n > 2 {
		t.Errorf("MetricKey allocates %v times, want at most 2", n)
	}
}

// TestAppendMetricKey: the bytes of MetricKey, whatever the label order,
// after what dst holds; and with DeltaKey a known series costs nothing.
func TestAppendMetricKey(t *testing.T) {
	lp := func(n, v string) *dto.LabelPair { return &dto.LabelPair{Name: &n, Value: &v} }
	for _, m := range []*dto.Metric{
		{},
		{Label: []*dto.LabelPair{lp("store", "1")}},
		{Label: []*dto.LabelPair{lp("a", "x"), lp("b", `q"\
z`)}},
		{Label: []*dto.LabelPair{lp("z", "1"), lp("a", "2"), lp("m", "3")}},
		{Label: []*dto.LabelPair{lp("a", "1"), lp("a", "0")}},
		{Label: []*dto.LabelPair{lp("b", "1"), lp("a", "0"), lp("b", "0"), lp("a", "1")}},
		{Label: manyLabels(maxStackLabels)},
		{Label: manyLabels(maxStackLabels + 1)},
	} {
		want := MetricKey("fam", m)
		if got := string(AppendMetricKey([]byte("pre"), "fam", m)); got != "pre"+want {
			t.Errorf("%v: %q, want %q", m, got, "pre"+want)
		}
	}
	if RaceEnabled {
		return
	}
	c := NewCounters()
	now := time.Unix(0, 0)
	for _, m := range []*dto.Metric{
		{Label: []*dto.LabelPair{lp("node_id", "1"), lp("store", "1")}},
		// Out of name order, as the payload may write them.
		{Label: []*dto.LabelPair{lp("store", "1"), lp("node_id", "1"), lp("b", "2")}},
		{Label: manyLabels(maxStackLabels)},
	} {
		var key []byte
		x := 0.0
		allocs := testing.AllocsPerRun(100, func() {
			key = AppendMetricKey(key[:0], "fam", m)
			x++
			c.DeltaKey(key, x, now)
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per known series, want none", m, allocs)
		}
	}
}

// manyLabels is n labels in reverse name order.
func manyLabels(n int) []*dto.LabelPair {
	var out []*dto.LabelPair
	for i := n; i > 0; i-- {
		name, value := fmt.Sprintf("l%02d", i), strconv.Itoa(i)
		out = append(out, &dto.LabelPair{Name: &name, Value: &value})
	}
	return out
}
