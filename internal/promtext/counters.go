package promtext

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	dto "github.com/prometheus/client_model/go"
)

// Counters keeps the previous value of cumulative counters per series key, to
// turn them into the increments a DogStatsD count wants. It is safe for
// concurrent use (nodes may be scraped in parallel).
type Counters struct {
	mu sync.Mutex
	m  map[string]*counterState
}

type counterState struct {
	prev  float64   // last value seen
	carry float64   // fractional increase not sent yet, in [0, 1)
	seen  time.Time // last observation, for Forget
}

// NewCounters returns an empty Counters.
func NewCounters() *Counters {
	return &Counters{m: make(map[string]*counterState)}
}

// Delta returns the increase since the previous observation of key, rounded
// down to an integer with the fractional remainder carried to the next call
// (so the sum of the deltas stays within 1 of the true increase).
//
// ok=false on the first observation (baseline only, nothing to send). A
// decrease means the process restarted: the delta is then cur itself (the
// increments since the restart), never negative, never a giant spike. NaN,
// ±Inf and negative values (no counter holds one): ok=false and the baseline
// is not updated.
func (c *Counters) Delta(key string, cur float64, now time.Time) (delta int64, ok bool) {
	return c.DeltaKey(bytesOf(key), cur, now)
}

// DeltaKey is Delta for a key given as bytes, copied only for a new
// series: once a series is known, it allocates nothing.
func (c *Counters) DeltaKey(key []byte, cur float64, now time.Time) (delta int64, ok bool) {
	if math.IsNaN(cur) || math.IsInf(cur, 0) || cur < 0 {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[string(key)]
	if st == nil {
		c.m[string(key)] = &counterState{prev: cur, seen: now}
		return 0, false
	}
	return st.delta(cur, now)
}

func (st *counterState) delta(cur float64, now time.Time) (int64, bool) {
	inc := cur - st.prev
	if inc < 0 {
		inc = cur // restarted from zero and counted up to cur since
	}
	total := inc + st.carry
	d := math.Floor(total)
	st.carry = total - d
	st.prev, st.seen = cur, now
	if d >= 1<<63 { // only a broken exporter gets here; int64(d) would wrap
		st.carry = 0
		return math.MaxInt64, true
	}
	return int64(d), true
}

// Reset records that the process exporting the series whose key starts with
// prefix ("" for every series) restarted since their last observation: their
// next Delta is the value itself (everything counted since the restart).
// Delta alone only sees a restart when a value went down, and misses one
// after which a counter climbed past its old value before the next scrape.
// It returns how many series were reset.
func (c *Counters) Reset(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, st := range c.m {
		if strings.HasPrefix(k, prefix) {
			st.prev, st.carry = 0, 0
			n++
		}
	}
	return n
}

// Forget drops series last seen before the given time (removed nodes, dropped
// series) and returns how many were dropped.
func (c *Counters) Forget(before time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, st := range c.m {
		if st.seen.Before(before) {
			delete(c.m, k)
			n++
		}
	}
	return n
}

// Len returns the number of series tracked.
func (c *Counters) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Key builds a stable series key from a metric name and label pairs (name1,
// value1, name2, value2, ...): name{l1="v1",l2="v2"} with the pairs sorted by
// label name, so the order in which they are given does not matter. A missing
// last value counts as "".
func Key(name string, labels ...string) string {
	if len(labels)%2 == 1 {
		labels = append(labels[:len(labels):len(labels)], "")
	}
	pairs := make([][2]string, 0, len(labels)/2)
	for i := 0; i < len(labels); i += 2 {
		pairs = append(pairs, [2]string{labels[i], labels[i+1]})
	}
	return keyOf(name, pairs)
}

// MetricKey is Key for a parsed sample: family name, the sample's labels and
// extra pairs (e.g. the node the payload came from, for versions whose
// samples carry no node_id).
func MetricKey(family string, m *dto.Metric, extra ...string) string {
	if len(extra)%2 == 1 {
		extra = append(extra[:len(extra):len(extra)], "")
	}
	pairs := make([][2]string, 0, len(m.GetLabel())+len(extra)/2)
	for _, l := range m.GetLabel() {
		pairs = append(pairs, [2]string{l.GetName(), l.GetValue()})
	}
	for i := 0; i < len(extra); i += 2 {
		pairs = append(pairs, [2]string{extra[i], extra[i+1]})
	}
	return keyOf(family, pairs)
}

// AppendMetricKey appends MetricKey(family, m) to dst: with a reused dst
// and DeltaKey, a known series costs no allocation.
func AppendMetricKey(dst []byte, family string, m *dto.Metric) []byte {
	labels := m.GetLabel()
	if len(labels) == 0 {
		return append(dst, family...)
	}
	var buf [maxStackLabels]*dto.LabelPair
	if !slices.IsSortedFunc(labels, cmpLabel) {
		// Not in name order (the text format's parsers keep the
		// payload's): sorted stably as keyOf does, on the stack for the
		// few labels a series has.
		if len(labels) > maxStackLabels {
			return append(dst, MetricKey(family, m)...)
		}
		labels = append(buf[:0], labels...)
		slices.SortStableFunc(labels, cmpLabel)
	}
	dst = append(dst, family...)
	dst = append(dst, '{')
	for i, l := range labels {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendPair(dst, l.GetName(), l.GetValue())
	}
	return append(dst, '}')
}

// maxStackLabels bounds the labels AppendMetricKey sorts on the stack.
const maxStackLabels = 16

func cmpLabel(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) }

func keyOf(name string, pairs [][2]string) string {
	if len(pairs) == 0 {
		return name
	}
	// Parsed labels come sorted already; SortStableFunc, unlike
	// sort.SliceStable, costs no allocation per key to find that out.
	slices.SortStableFunc(pairs, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	n := len(name) + 2
	for _, p := range pairs {
		n += len(p[0]) + len(p[1]) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, name...)
	b = append(b, '{')
	for i, p := range pairs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPair(b, p[0], p[1])
	}
	return string(append(b, '}'))
}

// appendPair writes name="value" with the text format's escapes, so distinct
// label sets never give the same key.
func appendPair(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=', '"')
	for i := 0; i < len(value); i++ {
		switch c := value[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// bytesOf views s as bytes without copying, for the DeltaKey methods,
// which only read their key (and copy it for a new series).
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
