package promtext

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Bucket is one cumulative histogram bucket: Count observations were ≤
// UpperBound.
type Bucket struct{ UpperBound, Count float64 }

// Window is what a histogram observed between two scrapes: cumulative bucket
// deltas (sorted by bound, +Inf last), count and sum deltas.
type Window struct {
	Buckets    []Bucket
	Count, Sum float64
	// zero: every bucket delta is 0, as Histograms found (a static
	// series), so that Samples need not look.
	zero bool
}

// Histograms keeps the previous cumulative buckets per series key. It is safe
// for concurrent use.
type Histograms struct {
	mu sync.Mutex
	m  map[string]*histState
	// recent are the series whose baseline was last given bounds, newest
	// first: the series of a family, and families of a payload, share a
	// few layouts, which their baselines then hold once. (Series, not
	// layouts: their bounds are in use, so the sharing keeps nothing
	// alive that no baseline uses.)
	recent [histLayouts]*histState
}

// histLayouts bounds the series whose bounds a new baseline may share:
// CockroachDB's histograms use a handful of bucket schemes.
const histLayouts = 8

// histState is a series' baseline: cumulative counts at bounds (sorted,
// +Inf last; shared between series, never written once set).
type histState struct {
	bounds     []float64
	counts     []float64
	count, sum float64
	seen       time.Time
	// reset: the series restarted (Reset); bounds and counts are only
	// kept for the next baseline.
	reset bool
}

// NewHistograms returns an empty Histograms.
func NewHistograms() *Histograms {
	return &Histograms{m: make(map[string]*histState)}
}

// Delta returns the window since the previous observation of key; ok=false on
// the first observation. buckets need not be sorted nor end with +Inf (a +Inf
// bucket holding count is added); they are copied.
//
// A decrease of the count or of any bucket is a restart: the window is then
// the current cumulative values.
//
// Bucket layouts: CockroachDB before v22 (HDR histograms) writes only the
// buckets that hold observations, so a bucket appears once it gets its first
// one. When the new bounds include every previous bound, a bound missing
// before had the cumulative count of the bound below it, exactly, and the
// window is computed on the new layout. Any other layout change (bounds
// removed without a restart, a different bucket scheme) rebaselines and
// returns ok=false. Non-finite counts, or a NaN bound, are ignored like a
// missing scrape: ok=false and the baseline is kept.
func (h *Histograms) Delta(key string, buckets []Bucket, count, sum float64, now time.Time) (Window, bool) {
	return h.DeltaKey(bytesOf(key), buckets, count, sum, now, nil)
}

// DeltaKey is Delta for a key given as bytes, copied only for a new
// series, with the window's buckets written to dst's array when it has
// room: the window is then valid until dst is written again. dst must not
// overlap buckets. Once a series is known, and while its layout stays
// the same, it allocates nothing.
func (h *Histograms) DeltaKey(key []byte, buckets []Bucket, count, sum float64, now time.Time, dst []Bucket) (Window, bool) {
	cur, valid := normalize(buckets, count, sum)
	if !valid {
		return Window{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.m[string(key)]
	if st == nil {
		st = &histState{}
		h.set(st, cur, count, sum, now, false)
		h.m[string(key)] = st
		return Window{}, false
	}
	w, ok, same := st.window(cur, count, sum, dst)
	h.set(st, cur, count, sum, now, same)
	return w, ok
}

// window computes the window from st to cur into dst's array; same
// reports that cur has st's bounds, when the window found out.
func (st *histState) window(cur []Bucket, count, sum float64, dst []Bucket) (w Window, ok, same bool) {
	// The window after a restart is everything counted since: the current
	// values (copied: cur becomes the baseline).
	restart := func() (Window, bool, bool) {
		return Window{Buckets: append(dst[:0], cur...), Count: count, Sum: sum}, true, same
	}
	if count < st.count {
		return restart()
	}
	// The previous cumulative counts at the current bounds: a bound the
	// previous scrape lacked held the count of the previous bound below
	// it (sparse export: its bucket was empty). A previous bound missing
	// now, which sparse export cannot explain without a restart, is a
	// layout change.
	bounds, counts := st.bounds, st.counts
	if st.reset {
		// No bounds: every current bound was empty before.
		bounds, counts = nil, nil
	}
	// The counts are made cur's as they are read: with the same bounds,
	// they are then the new baseline's (else set rewrites them all).
	out := dst[:0]
	j, below, decreased, nonzero := 0, 0.0, false, false
	for _, b := range cur {
		if j < len(bounds) && bounds[j] < b.UpperBound {
			return Window{}, false, false // bounds[j] vanished
		}
		if j < len(bounds) && bounds[j] == b.UpperBound {
			below = counts[j]
			counts[j] = b.Count
			j++
		}
		d := b.Count - below
		decreased = decreased || d < 0
		nonzero = nonzero || d != 0
		out = append(out, Bucket{UpperBound: b.UpperBound, Count: d})
	}
	if j != len(bounds) {
		return Window{}, false, false
	}
	// Every bound matched, in order: the same bounds if as many.
	same = len(cur) == len(bounds)
	if decreased {
		return restart()
	}
	return Window{Buckets: out, Count: count - st.count, Sum: sum - st.sum, zero: !nonzero}, true, same
}

// set makes cur st's baseline. same: window found cur's bounds to be
// st's, and wrote cur's counts. Else the bounds are st's previous ones
// when the same, else those of one of the recent series, else new.
func (h *Histograms) set(st *histState, cur []Bucket, count, sum float64, now time.Time, same bool) {
	if !same {
		if !sameBounds(st.bounds, cur) {
			h.layout(st, cur)
		}
		// In place: the counts' array is the series' own, never handed
		// out.
		if cap(st.counts) < len(cur) {
			st.counts = make([]float64, 0, len(cur))
		}
		st.counts = st.counts[:0]
		for _, b := range cur {
			st.counts = append(st.counts, b.Count)
		}
	}
	st.count, st.sum, st.seen, st.reset = count, sum, now, false
}

// layout gives st the bounds of cur: those of one of the recent series
// when the same, else new ones (never written once made: series share
// them). st becomes the most recent.
func (h *Histograms) layout(st *histState, cur []Bucket) {
	st.bounds = nil
	for _, r := range h.recent {
		if r != nil && r != st && sameBounds(r.bounds, cur) {
			st.bounds = r.bounds
			break
		}
	}
	if st.bounds == nil {
		st.bounds = make([]float64, len(cur))
		for i, b := range cur {
			st.bounds[i] = b.UpperBound
		}
	}
	i := slices.Index(h.recent[:], st)
	if i < 0 {
		i = len(h.recent) - 1
	}
	copy(h.recent[1:i+1], h.recent[:i])
	h.recent[0] = st
}

// sameBounds reports whether cur's bounds are bounds.
func sameBounds(bounds []float64, cur []Bucket) bool {
	if len(bounds) != len(cur) {
		return false
	}
	for i, b := range cur {
		if bounds[i] != b.UpperBound {
			return false
		}
	}
	return true
}

// normalize returns buckets sorted by bound with a final +Inf bucket (a
// copy when buckets are not already so), and reports whether every number
// is usable.
func normalize(buckets []Bucket, count, sum float64) ([]Bucket, bool) {
	if !finite(count) || count < 0 || math.IsNaN(sum) {
		return nil, false
	}
	// One pass: usable numbers, and sorted (as slices.IsSortedFunc
	// with cmpBound).
	sorted := true
	for i, b := range buckets {
		if math.IsNaN(b.UpperBound) || !finite(b.Count) {
			return nil, false
		}
		if i > 0 && b.UpperBound < buckets[i-1].UpperBound {
			sorted = false
		}
	}
	n := len(buckets)
	if n > 0 && math.IsInf(buckets[n-1].UpperBound, +1) && sorted {
		return buckets, true
	}
	out := make([]Bucket, n, n+1)
	copy(out, buckets)
	if !sorted {
		slices.SortStableFunc(out, cmpBound)
	}
	if n == 0 || !math.IsInf(out[n-1].UpperBound, +1) {
		out = append(out, Bucket{UpperBound: math.Inf(+1), Count: count})
	}
	return out, true
}

func cmpBound(a, b Bucket) int {
	switch {
	case a.UpperBound < b.UpperBound:
		return -1
	case a.UpperBound > b.UpperBound:
		return 1
	}
	return 0
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Reset records that the process exporting the series whose key starts with
// prefix ("" for every series) restarted since their last observation: their
// next window is the current cumulative values (everything observed since
// the restart), whatever the bucket layout then. See Counters.Reset for why
// a decrease alone does not catch every restart. It returns how many series
// were reset.
func (h *Histograms) Reset(prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for k, st := range h.m {
		if strings.HasPrefix(k, prefix) {
			st.count, st.sum, st.reset = 0, 0, true
			n++
		}
	}
	return n
}

// Forget drops series last seen before the given time and returns how many
// were dropped.
func (h *Histograms) Forget(before time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for k, st := range h.m {
		if st.seen.Before(before) {
			delete(h.m, k)
			n++
		}
	}
	// The recent series forgotten go too (and with them, bounds no
	// baseline uses).
	for i, r := range h.recent {
		if r != nil && r.seen.Before(before) {
			h.recent[i] = nil
		}
	}
	return n
}

// Len returns the number of series tracked.
func (h *Histograms) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}

// Quantile follows Prometheus histogram_quantile: the rank q×N (N = the +Inf
// bucket's count) is found in the first bucket whose cumulative count reaches
// it, and the value interpolated linearly inside that bucket. The lower bound
// of the first bucket is 0 (CockroachDB's values are non-negative); a rank in
// the +Inf bucket returns the highest finite bound. Non-monotonic counts are
// raised to the running maximum, as Prometheus does. ok=false when the window
// has no observations, no finite bucket, or q is outside [0,1].
func (w Window) Quantile(q float64) (float64, bool) {
	n := len(w.Buckets)
	if !(q >= 0 && q <= 1) || n == 0 {
		return 0, false
	}
	total := 0.0
	for _, b := range w.Buckets {
		total = max(total, b.Count)
	}
	if !(total > 0) {
		return 0, false
	}
	rank := q * total
	var lower, below, cum float64
	for i, b := range w.Buckets {
		cum = max(cum, b.Count)
		// q=0 asks for the smallest observation: the first non-empty bucket.
		if cum < rank || cum == 0 {
			lower, below = b.UpperBound, cum
			continue
		}
		if math.IsInf(b.UpperBound, +1) {
			if i == 0 {
				return 0, false
			}
			return lower, true
		}
		if i == 0 && b.UpperBound <= 0 {
			return b.UpperBound, true
		}
		return lower + (b.UpperBound-lower)*((rank-below)/(cum-below)), true
	}
	// Only reached without a +Inf bucket and rank above the last count, which
	// the running maximum rules out; answer the highest bound all the same.
	return w.Buckets[n-1].UpperBound, true
}

// Max is the upper bound of the highest bucket that received observations in
// the window (the highest finite bound when only +Inf did). ok=false when the
// window has no observations or no finite bucket.
func (w Window) Max() (float64, bool) {
	hi, cum := -1, 0.0
	for i, b := range w.Buckets {
		if b.Count > cum {
			hi, cum = i, b.Count
		}
	}
	switch {
	case hi < 0:
		return 0, false
	case !math.IsInf(w.Buckets[hi].UpperBound, +1):
		return w.Buckets[hi].UpperBound, true
	case hi == 0:
		return 0, false
	}
	return w.Buckets[hi-1].UpperBound, true
}

// Mean is Sum/Count; ok=false when Count is 0.
func (w Window) Mean() (float64, bool) {
	if !(w.Count > 0) {
		return 0, false
	}
	return w.Sum / w.Count, true
}

// HistogramBuckets extracts (buckets, count, sum) from a dto.Metric of type
// histogram: cumulative buckets sorted by bound, ending with +Inf (added with
// the sample count when the exposition lacks it). Float and integer counts are
// both read. A metric without histogram data gives (nil, 0, 0).
func HistogramBuckets(m *dto.Metric) ([]Bucket, float64, float64) {
	if m.GetHistogram() == nil {
		return nil, 0, 0
	}
	return AppendHistogramBuckets(make([]Bucket, 0, len(m.GetHistogram().GetBucket())+1), m)
}

// AppendHistogramBuckets is HistogramBuckets appending the buckets to dst
// (returned unchanged for a metric without histogram data), so that a
// buffer can be reused.
func AppendHistogramBuckets(dst []Bucket, m *dto.Metric) ([]Bucket, float64, float64) {
	h := m.GetHistogram()
	if h == nil {
		return dst, 0, 0
	}
	count := float64(h.GetSampleCount())
	if h.SampleCountFloat != nil {
		count = h.GetSampleCountFloat()
	}
	start := len(dst)
	out := dst
	// Sorted as slices.IsSortedFunc with cmpBound finds, as they come.
	sorted := true
	for _, b := range h.GetBucket() {
		c := float64(b.GetCumulativeCount())
		if b.CumulativeCountFloat != nil {
			c = b.GetCumulativeCountFloat()
		}
		ub := b.GetUpperBound()
		if len(out) > start && ub < out[len(out)-1].UpperBound {
			sorted = false
		}
		out = append(out, Bucket{UpperBound: ub, Count: c})
	}
	if !sorted {
		slices.SortStableFunc(out[start:], cmpBound)
	}
	if n := len(out); n == start || !math.IsInf(out[n-1].UpperBound, +1) {
		out = append(out, Bucket{UpperBound: math.Inf(+1), Count: count})
	}
	return out, count, h.GetSampleSum()
}
