package promtext

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/roachdog/roachdog/emit"
)

// Sample is one value standing for Weight observations of a histogram: the
// emit package's, so that a window's samples go to a Sink as they are.
type Sample = emit.Sample

// SamplesPerBucket is the least number of values a bucket is spread over
// (fewer when it counted fewer observations). A value stands for its share
// of the bucket, placed at the middle of that share: with 8 values a
// sketch's quantile inside the bucket is off by at most 1/16 of the
// bucket's width from the histogram's linear interpolation, well inside the
// bucket's own uncertainty (CockroachDB's buckets are 10-40% wide, the
// Agent's sketch keys about 1.6%).
const SamplesPerBucket = 8

// MaxSampleBuckets bounds the buckets a window is spread over. Real
// layouts stay below it (v23: 60 to 101 bounds; v20.2's HDR histograms
// write up to about 270 non-empty ones); a payload with more (garbage, or
// a hostile endpoint) has its buckets merged, every k-th bound kept, so
// that the counts stay exact and the datagrams bounded.
const MaxSampleBuckets = 512

// Samples turns the window's bucket deltas into weighted values that a
// DDSketch can take in, for a distribution metric: the weights of a
// bucket's values add up to the bucket's count exactly (counts are rounded
// to integers), and the values are spread evenly across the bucket, from
// the previous bound (0 below the first) to its own, like Prometheus's
// linear interpolation and the official check's InsertInterpolate. The
// +Inf bucket's observations are placed at the highest finite bound, as
// Quantile does. Values are rounded to 6 significant digits: the sketch
// keeps about 2 and every digit costs datagram bytes.
//
// Every weight is a power of two (see the exporter: the Agent derives a
// value's weight as int(1/rate), and only a power of two survives 1/rate
// exactly). A bucket's count c is split into its binary digits, and the
// largest parts halved until there are SamplesPerBucket of them (or all
// are 1): a bucket yields at most max(SamplesPerBucket, bits.OnesCount(c))
// values, so at most 64.
//
// scale multiplies values (nanoseconds to seconds). nil when the window
// has no observations or no finite bucket.
func (w Window) Samples(scale float64) []Sample {
	if w.zero {
		return nil
	}
	// The last finite bound, from the end: +Inf is the last bucket.
	finiteTop := math.NaN()
	for i := len(w.Buckets) - 1; i >= 0; i-- {
		if ub := w.Buckets[i].UpperBound; !math.IsInf(ub, 0) {
			finiteTop = ub
			break
		}
	}
	if math.IsNaN(finiteTop) {
		return nil
	}
	buckets := w.Buckets
	if len(buckets) > MaxSampleBuckets {
		buckets = thin(buckets)
	}
	// Exactly the window's values: one allocation, not a growing slice
	// (the loop below, counting).
	n, below, cum := 0, 0.0, 0.0
	for _, b := range buckets {
		cum = max(cum, b.Count)
		c := math.Round(cum) - math.Round(below)
		below = cum
		if c >= 1 && c < 1<<63 {
			n += spreadLen(uint64(c))
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Sample, 0, n)
	lower, below, cum := 0.0, 0.0, 0.0
	for i, b := range buckets {
		cum = max(cum, b.Count)
		c := math.Round(cum) - math.Round(below)
		lo, hi := lower, b.UpperBound
		if i == 0 && hi <= 0 {
			lo = hi // a first bucket at or below 0 holds its bound only
		}
		if math.IsInf(hi, +1) {
			lo, hi = finiteTop, finiteTop
		}
		lower, below = b.UpperBound, cum
		if !(c >= 1) || c >= 1<<63 {
			continue
		}
		out = spread(out, uint64(c), lo, hi, scale)
	}
	return out
}

// thin keeps every k-th bound (and the last two: the highest finite one
// and +Inf) so that at most MaxSampleBuckets remain: merging cumulative
// buckets is dropping bounds.
func thin(in []Bucket) []Bucket {
	k := (len(in) + MaxSampleBuckets - 3) / (MaxSampleBuckets - 2)
	out := make([]Bucket, 0, MaxSampleBuckets)
	last := len(in) - 2
	for i, b := range in {
		if (i+1)%k == 0 && i < last || i >= last {
			out = append(out, b)
		}
	}
	return out
}

// spread appends the values of one bucket of n observations in [lo, hi].
func spread(out []Sample, n uint64, lo, hi, scale float64) []Sample {
	// The parts are powers of two, counted per exponent: one per binary
	// digit of n, then the largest halved until there are
	// SamplesPerBucket (or all are 1). Equal parts are interchangeable,
	// so their counts are all the order (largest first) needs.
	var count [64]uint8
	for m := n; m != 0; m &= m - 1 {
		count[bits.TrailingZeros64(m)]++
	}
	parts, top := bits.OnesCount64(n), 63-bits.LeadingZeros64(n)
	for parts < SamplesPerBucket && top > 0 {
		count[top]--
		count[top-1] += 2
		parts++
		if count[top] == 0 {
			top--
		}
	}
	done := uint64(0)
	for k := top; k >= 0; k-- {
		p := uint64(1) << k
		for range count[k] {
			mid := (float64(done) + float64(p)/2) / float64(n)
			v := (lo + (hi-lo)*mid) * scale
			// Rounding must not move a value down to the bound below,
			// which belongs to the previous bucket.
			if r := round6(v); r > lo*scale || lo == hi {
				v = r
			}
			out = append(out, Sample{Value: v, Weight: p})
			done += p
		}
	}
	return out
}

// spreadLen is the number of values spread gives a bucket of n.
func spreadLen(n uint64) int {
	if n < SamplesPerBucket {
		return int(n)
	}
	return max(SamplesPerBucket, bits.OnesCount64(n))
}

// round6 rounds to 6 significant digits: the float64 that ParseFloat reads
// from x written by strconv with 'g' and precision 6 (the decimal nearest
// to x, ties to even). round6Fast gets it without the text for nearly
// every value; the text is the reference and the fallback.
func round6(x float64) float64 {
	if r, ok := round6Fast(x); ok {
		return r
	}
	return round6Text(x)
}

// round6Fast is round6 by arithmetic, ok=false when it cannot be sure.
// With m = |x|·10^k in [1e5, 1e6) and 10^k exact (|k| ≤ 22, pow10), m is
// off the exact product by at most half an ulp (under 6e-11), so its
// rounding to an integer M is the decimal rounding unless m is within
// that of a half (a tie, or too close to tell: the text decides). M/10^k,
// both exact, is then one correctly rounded division, as ParseFloat's
// result is. At the ends of the range, m rounding across 1e5 or 1e6 gives
// the same value as the digits counted at the next exponent would.
func round6Fast(x float64) (float64, bool) {
	b := math.Float64bits(x) &^ (1 << 63)
	i := int(b>>52) - 1023 - round6MinExp
	if uint(i) >= uint(len(round6Exps)) {
		return 0, false // zero, subnormal, too small or large, ±Inf, NaN
	}
	a := math.Float64frombits(b)
	e := &round6Exps[i]
	k := e.k
	if a >= e.next {
		k--
	}
	m, ok := scale10(a, k)
	if !ok || m < 1e5 || m >= 1e6 {
		return 0, false
	}
	// n is m rounded, halves up, with no branch on which way (half the
	// values go each): truncation is the floor of t > 0, and t = m+0.5
	// is exact but where it crosses a power of two, and then off by less
	// than 1e-10, which the tie window covers. A fraction of m within
	// 1e-9 of a half is one of t within 1e-9 of an integer.
	t := m + 0.5
	n := float64(int64(t))
	if f := t - n; f < 1e-9 || f > 1-1e-9 {
		return 0, false
	}
	var r float64
	if k >= 0 {
		r = float64(n / pow10[k])
	} else {
		r = float64(n * pow10[-k])
	}
	if x < 0 {
		r = -r
	}
	return r, true
}

// The binary exponents round6Fast takes: the values whose decimal
// exponent lets 10^k be exact.
const (
	round6MinExp = -60
	round6MaxExp = 96
)

// round6Exps holds, per binary exponent E, the k that brings a value of
// [2^E, 2^(E+1)) into [1e5, 1e6) below next, the power of ten in it
// (from there, k-1). next need not be exact: a value on the wrong side
// of it gets an m out of range, and the text.
var round6Exps = func() (t [round6MaxExp - round6MinExp + 1]struct {
	k    int
	next float64
}) {
	for i := range t {
		d := int(math.Floor(math.Log10(math.Ldexp(1, round6MinExp+i))))
		t[i].k, t[i].next = 5-d, math.Pow10(d+1)
	}
	return t
}()

// scale10 is a·10^k rounded once, ok=false when 10^k is not exact.
func scale10(a float64, k int) (float64, bool) {
	switch {
	case k >= 0 && k < len(pow10):
		return float64(a * pow10[k]), true
	case k < 0 && -k < len(pow10):
		return float64(a / pow10[-k]), true
	}
	return 0, false
}

// round6Text is round6 through the decimal text as strconv writes it (on
// the stack), read back exactly as ParseFloat would (parseDecimal's fast
// path takes nearly every value).
func round6Text(x float64) float64 {
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], x, 'g', 6, 64)
	if r, ok := parseDecimal(b); ok {
		return r
	}
	r, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return x
	}
	return r
}
