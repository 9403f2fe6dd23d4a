package promtext

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

var inf = math.Inf(+1)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestWindowQuantile(t *testing.T) {
	t.Parallel()
	// Cumulative: 2 obs ≤1, 3 in (1,2], 4 in (2,4], 1 in (4,8], none above.
	w := Window{Buckets: []Bucket{{1, 2}, {2, 5}, {4, 9}, {8, 10}, {inf, 10}}, Count: 10, Sum: 30}
	// Only +Inf beyond 2: 1 obs ≤1, 1 in (1,2], 2 above 2.
	tail := Window{Buckets: []Bucket{{1, 1}, {2, 2}, {inf, 4}}, Count: 4}
	// First bucket empty: 3 obs in (1,2].
	late := Window{Buckets: []Bucket{{1, 0}, {2, 3}, {4, 3}, {inf, 3}}, Count: 3}
	tests := []struct {
		name string
		w    Window
		q    float64
		want float64
		ok   bool
	}{
		// rank = q × 10 observations.
		{"p10 in the first bucket, lower bound 0", w, 0.1, 0.5, true},      // rank 1 in (0,1] holding 2: 0 + 1×(1/2)
		{"p50 at a bucket's top", w, 0.5, 2, true},                         // rank 5 in (1,2], 2 below, holding 3: 1 + 1×(5-2)/3
		{"p60 inside a bucket", w, 0.6, 2.5, true},                         // rank 6 in (2,4], 5 below, holding 4: 2 + 2×(6-5)/4
		{"p95", w, 0.95, 6, true},                                          // rank 9.5 in (4,8], 9 below, holding 1: 4 + 4×(0.5/1)
		{"p100 is the top of the highest non-empty bucket", w, 1, 8, true}, // rank 10 in (4,8]: 4 + 4×(1/1)
		{"p0 is the lower bound of the first non-empty bucket", w, 0, 0, true},
		{"p0 with empty first bucket", late, 0, 1, true},
		{"p33 with empty first bucket", late, 1.0 / 3, 1 + 1.0/3, true}, // rank 1 in (1,2], 0 below, holding 3
		{"p50 before +Inf", tail, 0.5, 2, true},                         // rank 2 in (1,2], 1 below, holding 1: 1 + 1×(1/1)
		{"p90 in +Inf gives the highest finite bound", tail, 0.9, 2, true},
		{"non-monotonic counts are raised", Window{Buckets: []Bucket{{1, 2}, {2, 1}, {4, 4}, {inf, 4}}}, 0.5, 1, true}, // 2,2,4,4: rank 2 in (0,1]
		{"q below 0", w, -0.1, 0, false},
		{"q above 1", w, 1.1, 0, false},
		{"q NaN", w, math.NaN(), 0, false},
		{"no observations", Window{Buckets: []Bucket{{1, 0}, {inf, 0}}}, 0.5, 0, false},
		{"no buckets", Window{}, 0.5, 0, false},
		{"only +Inf", Window{Buckets: []Bucket{{inf, 3}}, Count: 3}, 0.5, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.w.Quantile(tt.q)
			if ok != tt.ok || (ok && !near(got, tt.want)) {
				t.Errorf("Quantile(%v) = (%v, %v), want (%v, %v)", tt.q, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestWindowMaxMean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		w      Window
		max    float64
		maxOK  bool
		mean   float64
		meanOK bool
	}{
		{name: "highest bucket that grew", w: Window{Buckets: []Bucket{{1, 2}, {2, 5}, {4, 9}, {8, 10}, {16, 10}, {inf, 10}}, Count: 10, Sum: 30},
			max: 8, maxOK: true, mean: 3, meanOK: true},
		{name: "only +Inf grew: highest finite bound", w: Window{Buckets: []Bucket{{1, 0}, {2, 0}, {inf, 2}}, Count: 2, Sum: 9},
			max: 2, maxOK: true, mean: 4.5, meanOK: true},
		{name: "empty window", w: Window{Buckets: []Bucket{{1, 0}, {2, 0}, {inf, 0}}}},
		{name: "no buckets", w: Window{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.w.Max(); ok != tt.maxOK || got != tt.max {
				t.Errorf("Max = (%v, %v), want (%v, %v)", got, ok, tt.max, tt.maxOK)
			}
			if got, ok := tt.w.Mean(); ok != tt.meanOK || got != tt.mean {
				t.Errorf("Mean = (%v, %v), want (%v, %v)", got, ok, tt.mean, tt.meanOK)
			}
		})
	}
}

func TestHistogramsDelta(t *testing.T) {
	t.Parallel()
	type obs struct {
		buckets    []Bucket
		count, sum float64
		want       Window
		ok         bool
	}
	b := func(pairs ...float64) []Bucket {
		var out []Bucket
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, Bucket{pairs[i], pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		obs  []obs
	}{
		{"first observation is a baseline", []obs{
			{b(1, 1, inf, 2), 2, 3, Window{}, false},
		}},
		{"window between two scrapes", []obs{
			{b(1, 1, 2, 3, inf, 4), 4, 10, Window{}, false},
			{b(1, 3, 2, 6, inf, 8), 8, 25, Window{b(1, 2, 2, 3, inf, 4), 4, 15, false}, true},
			{b(1, 3, 2, 6, inf, 8), 8, 25, Window{b(1, 0, 2, 0, inf, 0), 0, 0, true}, true},
		}},
		{"count decrease is a restart: the window is the current values", []obs{
			{b(1, 5, inf, 10), 10, 50, Window{}, false},
			{b(1, 1, inf, 2), 2, 3, Window{b(1, 1, inf, 2), 2, 3, false}, true},
			{b(1, 2, inf, 3), 3, 4, Window{b(1, 1, inf, 1), 1, 1, false}, true},
		}},
		{"bucket decrease is a restart", []obs{
			{b(1, 5, inf, 10), 10, 50, Window{}, false},
			{b(1, 2, inf, 12), 12, 80, Window{b(1, 2, inf, 12), 12, 80, false}, true},
			{b(1, 3, inf, 14), 14, 90, Window{b(1, 1, inf, 2), 2, 10, false}, true},
		}},
		{"different bounds rebaseline", []obs{
			{b(1, 1, 2, 2, inf, 2), 2, 3, Window{}, false},
			{b(1.5, 2, 3, 3, inf, 3), 3, 5, Window{}, false},
			{b(1.5, 2, 3, 4, inf, 4), 4, 9, Window{b(1.5, 0, 3, 1, inf, 1), 1, 4, false}, true},
		}},
		{"a bound vanishing without restart rebaselines", []obs{
			{b(1, 1, 2, 2, inf, 2), 2, 3, Window{}, false},
			{b(1, 1, inf, 3), 3, 5, Window{}, false},
			{b(1, 2, inf, 5), 5, 8, Window{b(1, 1, inf, 2), 2, 3, false}, true},
		}},
		// Sparse (v20.2) export: le=2 appears with its first observation. Its
		// cumulative count before was that of le=1 (1); now 3, so 2 landed in
		// (1,2]. le=4 went 2 → 4 (2 more, both ≤2), +Inf 2 → 4.
		{"sparse buckets appearing", []obs{
			{b(1, 1, 4, 2, inf, 2), 2, 3, Window{}, false},
			{b(1, 1, 2, 3, 4, 4, inf, 4), 4, 6, Window{b(1, 0, 2, 2, 4, 2, inf, 2), 2, 3, false}, true},
		}},
		{"unsorted input without +Inf is normalized", []obs{
			{b(2, 3, 1, 1), 4, 10, Window{}, false},
			{b(2, 5, 1, 2), 7, 16, Window{b(1, 1, 2, 2, inf, 3), 3, 6, false}, true},
		}},
		{"NaN is skipped and keeps the baseline", []obs{
			{b(1, 1, inf, 2), 2, 3, Window{}, false},
			{b(1, math.NaN(), inf, 2), 2, 3, Window{}, false},
			{b(1, 1, inf, 2), math.NaN(), 3, Window{}, false},
			{b(1, 2, inf, 4), 4, 7, Window{b(1, 1, inf, 2), 2, 4, false}, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Delta, and DeltaKey with one window buffer reused.
			h, hk := NewHistograms(), NewHistograms()
			dst := make([]Bucket, 0, 8)
			now := time.Unix(0, 0)
			for i, o := range tt.obs {
				got, ok := h.Delta("k", o.buckets, o.count, o.sum, now)
				if ok != o.ok || !reflect.DeepEqual(got, o.want) {
					t.Errorf("observation %d: got (%v, %v), want (%v, %v)", i, got, ok, o.want, o.ok)
				}
				got, ok = hk.DeltaKey([]byte("k"), o.buckets, o.count, o.sum, now, dst)
				if ok != o.ok || !reflect.DeepEqual(got, o.want) {
					t.Errorf("observation %d: DeltaKey got (%v, %v), want (%v, %v)", i, got, ok, o.want, o.ok)
				}
			}
		})
	}
}

// TestHistogramsDeltaKeyAllocs: a known series with the same layout, its
// buckets read into a reused buffer and its window into another, costs
// no allocation.
func TestHistogramsDeltaKeyAllocs(t *testing.T) {
	if RaceEnabled {
		t.Skip("allocation counts: without -race")
	}
	h := NewHistograms()
	m := &dto.Metric{Histogram: &dto.Histogram{SampleCount: proto.Uint64(0), SampleSum: proto.Float64(0)}}
	for _, ub := range []float64{1, 2, 4, 8, math.Inf(+1)} {
		m.Histogram.Bucket = append(m.Histogram.Bucket, &dto.Bucket{UpperBound: proto.Float64(ub), CumulativeCount: proto.Uint64(0)})
	}
	var key []byte
	var buckets, win []Bucket
	n := uint64(0)
	now := time.Unix(0, 0)
	reset := false // the window is then everything counted
	observe := func() {
		n++
		for i, b := range m.Histogram.Bucket {
			*b.CumulativeCount = n * uint64(i+1)
		}
		*m.Histogram.SampleCount, *m.Histogram.SampleSum = n*5, float64(n)
		key = AppendMetricKey(key[:0], "lat", m)
		var count, sum float64
		buckets, count, sum = AppendHistogramBuckets(buckets[:0], m)
		now = now.Add(10 * time.Second)
		w, ok := h.DeltaKey(key, buckets, count, sum, now, win)
		if reset && (!ok || w.Count != float64(n*5)) || !reset && n > 1 && (!ok || w.Count != 5 || w.Buckets[4].Count != 5) {
			t.Fatalf("window %v, %v", w, ok)
		}
		win = w.Buckets
	}
	observe()
	observe()
	if a := testing.AllocsPerRun(100, observe); a != 0 {
		t.Errorf("%v allocations per observation, want none", a)
	}
	// A restart (Reset) keeps the baseline's array for the next one.
	reset = true
	if a := testing.AllocsPerRun(100, func() { h.Reset(""); observe() }); a != 0 {
		t.Errorf("%v allocations per observation after Reset, want none", a)
	}
}

// TestAppendHistogramBuckets: as HistogramBuckets, after what dst holds.
func TestAppendHistogramBuckets(t *testing.T) {
	t.Parallel()
	m := &dto.Metric{Histogram: &dto.Histogram{SampleCount: proto.Uint64(9), SampleSum: proto.Float64(3),
		Bucket: []*dto.Bucket{
			{UpperBound: proto.Float64(4), CumulativeCount: proto.Uint64(7)},
			{UpperBound: proto.Float64(1), CumulativeCountFloat: proto.Float64(2.5)},
		}}}
	want, wc, ws := HistogramBuckets(m)
	pre := []Bucket{{9, 9}}
	got, c, s := AppendHistogramBuckets(pre, m)
	if c != wc || s != ws || !reflect.DeepEqual(got[1:], want) || got[0] != pre[0] {
		t.Errorf("got %v %v %v, want %v after %v (%v %v)", got, c, s, want, pre, wc, ws)
	}
	if got, _, _ := AppendHistogramBuckets(pre, &dto.Metric{}); len(got) != 1 {
		t.Errorf("no histogram: %v", got)
	}
}

func TestHistogramsDeltaDoesNotAlias(t *testing.T) {
	t.Parallel()
	h := NewHistograms()
	in := []Bucket{{1, 1}, {inf, 2}}
	h.Delta("k", in, 2, 1, time.Unix(0, 0))
	in[0].Count = 100 // the caller reuses its slice
	w, ok := h.Delta("k", []Bucket{{1, 1}, {inf, 2}}, 2, 1, time.Unix(10, 0))
	if !ok || w.Buckets[0].Count != 0 {
		t.Errorf("baseline changed with the caller's slice: %v %v", w, ok)
	}
	// A restart window must not share memory with the new baseline.
	w, _ = h.Delta("k", []Bucket{{1, 1}, {inf, 1}}, 1, 1, time.Unix(20, 0))
	w.Buckets[0].Count = 100
	if w2, _ := h.Delta("k", []Bucket{{1, 1}, {inf, 1}}, 1, 1, time.Unix(30, 0)); w2.Buckets[0].Count != 0 {
		t.Errorf("restart window aliases the baseline: %v", w2)
	}
}

func TestHistogramsForget(t *testing.T) {
	t.Parallel()
	h := NewHistograms()
	t0 := time.Unix(1000, 0)
	h.Delta("old", []Bucket{{inf, 1}}, 1, 1, t0)
	h.Delta("new", []Bucket{{inf, 1}}, 1, 1, t0.Add(time.Minute))
	h.Delta("nan", []Bucket{{inf, 1}}, math.NaN(), 1, t0) // never tracked
	if n := h.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
	if n := h.Forget(t0.Add(time.Second)); n != 1 {
		t.Errorf("Forget dropped %d, want 1", n)
	}
	if _, ok := h.Delta("old", []Bucket{{inf, 2}}, 2, 2, t0.Add(2*time.Minute)); ok {
		t.Error("forgotten series did not rebaseline")
	}
	if _, ok := h.Delta("new", []Bucket{{inf, 2}}, 2, 2, t0.Add(2*time.Minute)); !ok {
		t.Error("kept series lost its baseline")
	}
}

func TestHistogramBuckets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		m          *dto.Metric
		want       []Bucket
		count, sum float64
	}{
		{"integer counts, +Inf present", &dto.Metric{Histogram: &dto.Histogram{
			SampleCount: ptr[uint64](3), SampleSum: ptr(4.5),
			Bucket: []*dto.Bucket{
				{UpperBound: ptr(1.0), CumulativeCount: ptr[uint64](1)},
				{UpperBound: ptr(inf), CumulativeCount: ptr[uint64](3)},
			}}}, []Bucket{{1, 1}, {inf, 3}}, 3, 4.5},
		{"float counts, unsorted, +Inf missing", &dto.Metric{Histogram: &dto.Histogram{
			SampleCountFloat: ptr(2.5), SampleSum: ptr(1.0),
			Bucket: []*dto.Bucket{
				{UpperBound: ptr(2.0), CumulativeCountFloat: ptr(2.5)},
				{UpperBound: ptr(1.0), CumulativeCountFloat: ptr(0.5)},
			}}}, []Bucket{{1, 0.5}, {2, 2.5}, {inf, 2.5}}, 2.5, 1},
		{"no buckets", &dto.Metric{Histogram: &dto.Histogram{SampleCount: ptr[uint64](0), SampleSum: ptr(0.0)}},
			[]Bucket{{inf, 0}}, 0, 0},
		{"not a histogram", &dto.Metric{Gauge: &dto.Gauge{Value: ptr(1.0)}}, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, count, sum := HistogramBuckets(tt.m)
			if !reflect.DeepEqual(got, tt.want) || count != tt.count || sum != tt.sum {
				t.Errorf("got (%v, %v, %v), want (%v, %v, %v)", got, count, sum, tt.want, tt.count, tt.sum)
			}
		})
	}
}

// TestRealHistogramWindow runs the whole path on node 1's v20.2 captures, 20 s
// apart: Parse → HistogramBuckets → Delta → Quantile/Max/Mean.
//
// liveness_heartbeatlatency (ns), cumulative counts at t0 → t1. v20.2 writes
// only non-empty buckets: 4.718591e+06 and 5.505023e+06 are new at t1, so
// their t0 count is that of the bound below (16 and 27).
//
//	le              t0   t1   window
//	1.507327e+06     1    1    0
//	… (every bound up to 4.456447e+06: unchanged, window 0)
//	4.456447e+06    16   16    0
//	4.718591e+06   (16)  18    2
//	4.980735e+06    19   21    2
//	5.242879e+06    27   30    3
//	5.505023e+06   (27)  31    4
//	5.767167e+06    28   32    4
//	6.291455e+06    30   34    4
//	… (every bound up to 3.3554431e+07: t1 = t0 + 4, window 4)
//	+Inf            50   54    4
//	_sum    4.48004046e+08 → 4.6818913e+08: 20185084
//	_count  50 → 54: 4
//
// p99: rank = 0.99 × 4 = 3.96. The first bucket reaching it is 5.505023e+06
// (window 4); the one below, 5.242879e+06, holds 3. So
// p99 = 5.242879e6 + (5.505023e6 − 5.242879e6) × (3.96 − 3)/(4 − 3)
//
//	= 5.242879e6 + 262144 × 0.96 = 5.242879e6 + 251658.24 = 5494537.24 ns.
//
// p50: rank 2, reached at 4.718591e+06 (window 2, 0 below, lower bound
// 4.456447e+06): 4.456447e6 + 262144 × 2/2 = 4.718591e6.
// Max: the highest bucket that grew is 5.505023e+06 (3 → 4). Mean: 20185084/4
// = 5046271 ns.
func TestRealHistogramWindow(t *testing.T) {
	t.Parallel()
	want := set("liveness_heartbeatlatency")
	t0 := time.Date(2026, 11, 22, 2, 45, 20, 0, time.UTC)
	h := NewHistograms()
	for i, file := range []string{"node1_status_vars_t0.txt", "node1_status_vars_t1.txt"} {
		fams, err := Parse(v20(t, file), want)
		if err != nil {
			t.Fatal(err)
		}
		m := fams["liveness_heartbeatlatency"].GetMetric()[0]
		buckets, count, sum := HistogramBuckets(m)
		w, ok := h.Delta(MetricKey("liveness_heartbeatlatency", m, "node", "1"), buckets, count, sum, t0.Add(time.Duration(i)*20*time.Second))
		if i == 0 {
			if ok {
				t.Fatal("first scrape gave a window")
			}
			continue
		}
		if !ok {
			t.Fatal("no window at t1 (sparse buckets must not rebaseline)")
		}
		if w.Count != 4 || w.Sum != 20185084 || w.Buckets[len(w.Buckets)-1].Count != 4 {
			t.Errorf("window count %v sum %v +Inf %v, want 4, 20185084, 4", w.Count, w.Sum, w.Buckets[len(w.Buckets)-1].Count)
		}
		checks := []struct {
			name string
			f    func() (float64, bool)
			want float64
		}{
			{"p99", func() (float64, bool) { return w.Quantile(0.99) }, 5494537.24},
			{"p50", func() (float64, bool) { return w.Quantile(0.5) }, 4.718591e6},
			{"max", w.Max, 5.505023e6},
			{"mean", w.Mean, 5046271},
		}
		for _, c := range checks {
			if got, ok := c.f(); !ok || !near(got, c.want) {
				t.Errorf("%s = (%v, %v), want %v", c.name, got, ok, c.want)
			}
		}
	}
}

// TestRealHistogramWindowsAllNodes takes every histogram series of the three
// v20.2 nodes from t0 to t1: none may rebaseline or look like a restart
// (the cluster ran throughout), and each window must be a consistent
// cumulative histogram whose +Inf bucket equals its count.
func TestRealHistogramWindowsAllNodes(t *testing.T) {
	t.Parallel()
	isHist := func(f map[string]*dto.MetricFamily) func(string) bool {
		return func(n string) bool { return f[n] != nil }
	}
	for _, node := range []string{"node1", "node2", "node3"} {
		t.Run(node, func(t *testing.T) {
			p0, p1 := v20(t, node+"_status_vars_t0.txt"), v20(t, node+"_status_vars_t1.txt")
			all, err := Parse(p0, func(string) bool { return true })
			if err != nil {
				t.Fatal(err)
			}
			hists := map[string]*dto.MetricFamily{}
			for n, f := range all {
				if f.GetType() == dto.MetricType_HISTOGRAM {
					hists[n] = f
				}
			}
			if len(hists) < 30 {
				t.Fatalf("only %d histograms in %s", len(hists), node)
			}
			h := NewHistograms()
			windows := 0
			for i, p := range [][]byte{p0, p1} {
				fams, err := Parse(p, isHist(hists))
				if err != nil {
					t.Fatal(err)
				}
				for name, f := range fams {
					for _, m := range f.GetMetric() {
						b, count, sum := HistogramBuckets(m)
						w, ok := h.Delta(MetricKey(name, m), b, count, sum, time.Unix(int64(i)*20, 0))
						if i == 0 {
							continue
						}
						if !ok {
							t.Errorf("%s: no window", name)
							continue
						}
						windows++
						prev := 0.0
						for _, bk := range w.Buckets {
							if bk.Count < prev {
								t.Errorf("%s: window not cumulative at le=%v", name, bk.UpperBound)
							}
							prev = bk.Count
						}
						if last := w.Buckets[len(w.Buckets)-1]; !math.IsInf(last.UpperBound, 1) || last.Count != w.Count {
							t.Errorf("%s: +Inf bucket %v, count %v", name, last, w.Count)
						}
						if q, ok := w.Quantile(0.99); ok && !(q > 0) {
							t.Errorf("%s: p99 %v", name, q)
						}
					}
				}
			}
			if windows < len(hists) {
				t.Errorf("%d windows for %d histograms", windows, len(hists))
			}
		})
	}
}

// TestRealQuantileProperties checks sql_service_latency on node 1 (138 sparse
// bounds at t1, 750 statements in the window): quantiles never decrease with
// q, stay within the bucket holding their rank, and never exceed Max.
func TestRealQuantileProperties(t *testing.T) {
	t.Parallel()
	name := "sql_service_latency"
	h := NewHistograms()
	var w Window
	for i, file := range []string{"node1_status_vars_t0.txt", "node1_status_vars_t1.txt"} {
		fams, err := Parse(v20(t, file), set(name))
		if err != nil {
			t.Fatal(err)
		}
		b, count, sum := HistogramBuckets(fams[name].GetMetric()[0])
		w, _ = h.Delta(name, b, count, sum, time.Unix(int64(i)*20, 0))
	}
	if w.Count != 6053-5303 || w.Sum != 6.1423118427e+10-5.5801899849e+10 {
		t.Fatalf("window count %v sum %v, want 750 and 5621218578", w.Count, w.Sum)
	}
	maxV, ok := w.Max()
	if !ok {
		t.Fatal("no Max")
	}
	prev := 0.0
	for q := 0.0; q <= 1.0; q += 0.01 {
		v, ok := w.Quantile(q)
		if !ok || v < prev || v > maxV {
			t.Fatalf("Quantile(%.2f) = (%v, %v): previous %v, max %v", q, v, ok, prev, maxV)
		}
		// The value lies in the bucket where the cumulative count reaches the rank.
		rank, lower := q*w.Count, 0.0
		for _, b := range w.Buckets {
			if b.Count >= rank && b.Count > 0 {
				if v < lower || v > b.UpperBound {
					t.Fatalf("Quantile(%.2f) = %v outside its bucket (%v, %v]", q, v, lower, b.UpperBound)
				}
				break
			}
			lower = b.UpperBound
		}
		prev = v
	}
}

// TestHistogramsReset: after a known restart the window is everything since
// it, even when every bucket climbed past its old value, and even when the
// layout changed (sparse export starting again with fewer buckets).
func TestHistogramsReset(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	h := NewHistograms()
	h.Delta(`lat{node="1"}`, []Bucket{{1, 5}, {2, 8}, {inf, 10}}, 10, 12, now)
	h.Delta(`other`, []Bucket{{1, 5}, {inf, 10}}, 10, 12, now)
	if n := h.Reset(`lat{`); n != 1 {
		t.Fatalf("Reset reset %d series, want 1", n)
	}
	w, ok := h.Delta(`lat{node="1"}`, []Bucket{{1, 6}, {inf, 11}}, 11, 20, now)
	want := Window{Buckets: []Bucket{{1, 6}, {inf, 11}}, Count: 11, Sum: 20}
	if !ok || !reflect.DeepEqual(w, want) {
		t.Errorf("after Reset: (%v, %v), want (%v, true)", w, ok, want)
	}
	w, ok = h.Delta(`lat{node="1"}`, []Bucket{{1, 7}, {inf, 12}}, 12, 21, now)
	want = Window{Buckets: []Bucket{{1, 1}, {inf, 1}}, Count: 1, Sum: 1}
	if !ok || !reflect.DeepEqual(w, want) {
		t.Errorf("next window: (%v, %v), want (%v, true)", w, ok, want)
	}
	w, ok = h.Delta(`other`, []Bucket{{1, 6}, {inf, 11}}, 11, 13, now)
	want = Window{Buckets: []Bucket{{1, 1}, {inf, 1}}, Count: 1, Sum: 1}
	if !ok || !reflect.DeepEqual(w, want) {
		t.Errorf("series outside the prefix: (%v, %v), want (%v, true)", w, ok, want)
	}
}

// TestHistogramsShareLayouts: baselines with the same bounds hold them
// once, across series and interleaved layouts; a series whose layout
// changes gets its own without touching the others', whose windows stay
// right.
func TestHistogramsShareLayouts(t *testing.T) {
	t.Parallel()
	h := NewHistograms()
	now := time.Unix(0, 0)
	layout := func(n int, scale float64) []Bucket {
		var bs []Bucket
		for i := 1; i <= n; i++ {
			bs = append(bs, Bucket{UpperBound: float64(i) * scale})
		}
		return append(bs, Bucket{UpperBound: inf})
	}
	filled := func(l []Bucket, per float64) ([]Bucket, float64) {
		out := make([]Bucket, len(l))
		for i, b := range l {
			out[i] = Bucket{UpperBound: b.UpperBound, Count: per * float64(min(i+1, len(l)-1))}
		}
		return out, out[len(out)-1].Count
	}
	bounds := func(key string) []float64 { return h.m[key].bounds }
	// histLayouts schemes, interleaved as families sorted by name are.
	for round := range 2 {
		for s := range 3 {
			for l := range histLayouts {
				bs, count := filled(layout(5+l, 1+float64(l)), float64(round+1))
				now = now.Add(time.Second)
				w, ok := h.Delta(fmt.Sprint(l, "/", s), bs, count, 0, now)
				if round == 1 && (!ok || w.Count != float64(len(bs)-1)) {
					t.Fatalf("layout %d series %d: %v %v", l, s, w, ok)
				}
			}
		}
	}
	for l := range histLayouts {
		first := bounds(fmt.Sprint(l, "/0"))
		for s := 1; s < 3; s++ {
			if b := bounds(fmt.Sprint(l, "/", s)); &b[0] != &first[0] {
				t.Errorf("layout %d: series %d holds its own bounds", l, s)
			}
		}
	}

	// Series 0/0's export grows a bucket (sparse export): a layout of
	// its own; 0/1 keeps the shared one, unchanged.
	shared := bounds("0/1")
	before := slices.Clone(shared)
	grown := append(layout(5, 1), Bucket{})
	copy(grown[5:], []Bucket{{UpperBound: 5.5}, {UpperBound: inf}})
	bs, count := filled(grown, 3)
	if _, ok := h.Delta("0/0", bs, count, 0, now); !ok {
		t.Fatal("a new bound rebaselined")
	}
	if !slices.Equal(bounds("0/0"), []float64{1, 2, 3, 4, 5, 5.5, inf}) || !slices.Equal(shared, before) || &bounds("0/1")[0] != &shared[0] {
		t.Errorf("0/0 %v, 0/1 %v (was %v)", bounds("0/0"), shared, before)
	}
	bs, count = filled(layout(5, 1), 3)
	if w, ok := h.Delta("0/1", bs, count, 0, now); !ok || w.Count != 5 || w.Buckets[0].Count != 1 {
		t.Errorf("0/1 after 0/0 changed: %v %v", w, ok)
	}

	// Forgotten series hold no bounds through the sharing.
	h.Forget(now.Add(time.Second))
	if h.Len() != 0 || h.recent != [histLayouts]*histState{} {
		t.Errorf("after Forget: %d series, recent %v", h.Len(), h.recent)
	}
}

// TestHistogramsResetKeepsLayouts: after a Reset, the next baselines
// reuse the series' bounds and counts, with more layouts than are
// shared; the windows are then the cumulative values.
func TestHistogramsResetKeepsLayouts(t *testing.T) {
	if RaceEnabled {
		return
	}
	h := NewHistograms()
	now := time.Unix(0, 0)
	type series struct {
		key     []byte
		buckets []Bucket
	}
	var all []series
	for l := range 2 * histLayouts {
		s := series{key: fmt.Appendf(nil, "s%d", l)}
		for i := 1; i <= 10; i++ {
			s.buckets = append(s.buckets, Bucket{UpperBound: float64(i) + float64(l)/100, Count: float64(i)})
		}
		all = append(all, series{s.key, append(s.buckets, Bucket{UpperBound: inf, Count: 10})})
	}
	var win []Bucket
	observe := func(reset bool) {
		now = now.Add(time.Second)
		for _, s := range all {
			w, ok := h.DeltaKey(s.key, s.buckets, 10, 1, now, win)
			if reset && (!ok || w.Count != 10 || w.Buckets[3].Count != 4) || !reset && ok && w.Count != 0 {
				t.Fatalf("%s: %v %v", s.key, w, ok)
			}
			win = w.Buckets
		}
	}
	observe(false)
	observe(false)
	if a := testing.AllocsPerRun(10, func() { h.Reset(""); observe(true) }); a != 0 {
		t.Errorf("%v allocations per Reset and observation, want none", a)
	}
}
