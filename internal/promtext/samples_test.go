package promtext

import (
	"cmp"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func TestWindowSamples(t *testing.T) {
	t.Parallel()
	inf := math.Inf(+1)
	for _, tt := range []struct {
		name    string
		buckets []Bucket // cumulative
		want    []float64
	}{
		{"one bucket", []Bucket{{1, 0}, {2, 1000}, {4, 1000}, {inf, 1000}}, []float64{0, 1000, 0, 0}},
		{"counts of every size", []Bucket{{1e3, 1}, {2e3, 8}, {4e3, 1031}, {8e3, 1 << 20}, {inf, 1 << 20}}, []float64{1, 7, 1023, 1<<20 - 1031, 0}},
		{"float noise rounds", []Bucket{{1, 2.9999999}, {inf, 3.0000001}}, []float64{3, 0}},
		{"non-monotonic raised", []Bucket{{1, 5}, {2, 4}, {3, 6}, {inf, 6}}, []float64{5, 0, 1, 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := Window{Buckets: tt.buckets}
			s := w.Samples(1)
			got := make([]float64, len(tt.buckets))
			for _, x := range s {
				if bits.OnesCount64(x.Weight) != 1 {
					t.Errorf("weight %d is not a power of two", x.Weight)
				}
				// The bucket the value falls in: (previous bound, bound],
				// the +Inf bucket's values sit at the highest finite bound.
				i := 0
				for i < len(tt.buckets)-1 && x.Value > tt.buckets[i].UpperBound {
					i++
				}
				got[i] += float64(x.Weight)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("bucket %d (le %v): weight %v, want %v (samples %v)", i, tt.buckets[i].UpperBound, got[i], tt.want[i], s)
				}
			}
		})
	}
}

// TestSpreadShape: values are spread across the bucket, at least
// SamplesPerBucket of them when the count allows, never more than
// max(SamplesPerBucket, popcount), and their weighted mean is the
// bucket's middle.
func TestSpreadShape(t *testing.T) {
	t.Parallel()
	for _, n := range []uint64{1, 2, 3, 7, 8, 9, 100, 1000, 1023, 1 << 20, 1<<40 + 12345} {
		s := spread(nil, n, 10, 20, 1)
		var total uint64
		var mean float64
		for _, x := range s {
			if x.Value <= 10 || x.Value > 20 {
				t.Errorf("n=%d: value %v outside (10, 20]", n, x.Value)
			}
			total += x.Weight
			mean += x.Value * float64(x.Weight)
		}
		mean /= float64(total)
		if total != n {
			t.Errorf("n=%d: weights add up to %d", n, total)
		}
		if want := min(uint64(SamplesPerBucket), n); uint64(len(s)) < want || len(s) > max(SamplesPerBucket, bits.OnesCount64(n)) {
			t.Errorf("n=%d: %d values", n, len(s))
		}
		if math.Abs(mean-15) > 1e-4 {
			t.Errorf("n=%d: weighted mean %v, want 15", n, mean)
		}
	}
}

// TestSamplesInfBucket: observations above the highest finite bound are
// placed at it, as Quantile answers; a window without any finite bound has
// no samples; a bucket at or below 0 holds its bound.
func TestSamplesInfBucket(t *testing.T) {
	t.Parallel()
	s := Window{Buckets: []Bucket{{0, 2}, {5, 2}, {math.Inf(1), 6}}}.Samples(2)
	var at0, at10 uint64
	for _, x := range s {
		switch x.Value {
		case 0:
			at0 += x.Weight
		case 10:
			at10 += x.Weight
		default:
			t.Errorf("unexpected value %v", x.Value)
		}
	}
	if at0 != 2 || at10 != 4 {
		t.Errorf("weights at 0: %d, at 10 (5 s scaled): %d; want 2 and 4", at0, at10)
	}
	if s := (Window{Buckets: []Bucket{{math.Inf(1), 6}}}).Samples(1); s != nil {
		t.Errorf("only +Inf: %v", s)
	}
}

// TestSamplesManyBuckets: a window with far more buckets than any real
// layout is merged down to MaxSampleBuckets, its total weight exact.
func TestSamplesManyBuckets(t *testing.T) {
	t.Parallel()
	for _, n := range []int{MaxSampleBuckets - 1, MaxSampleBuckets, MaxSampleBuckets + 1, 100_000} {
		bs := make([]Bucket, 0, n)
		for i := range n - 1 {
			bs = append(bs, Bucket{UpperBound: float64(i + 1), Count: float64(3 * (i + 1))})
		}
		bs = append(bs, Bucket{UpperBound: math.Inf(1), Count: float64(3*(n-1) + 5)})
		s := Window{Buckets: bs}.Samples(1)
		var total uint64
		for _, x := range s {
			total += x.Weight
		}
		if want := uint64(3*(n-1) + 5); total != want {
			t.Errorf("%d buckets: weight %d, want %d", n, total, want)
		}
		if len(s) > MaxSampleBuckets*SamplesPerBucket {
			t.Errorf("%d buckets: %d values", n, len(s))
		}
		if got := len(thin(bs)); n > MaxSampleBuckets && got > MaxSampleBuckets {
			t.Errorf("%d buckets thinned to %d", n, got)
		}
	}
}

// TestSpreadLen: spreadLen is the number of values spread gives, so that
// Samples allocates its values once.
func TestSpreadLen(t *testing.T) {
	t.Parallel()
	for n := uint64(1); n < 5000; n++ {
		if got, want := spreadLen(n), len(spread(nil, n, 1, 2, 1)); got != want {
			t.Fatalf("n=%d: spreadLen %d, spread gives %d", n, got, want)
		}
	}
	for _, n := range []uint64{1<<63 - 1, 1 << 62, 1<<40 + 12345, 0xaaaaaaaaaaaa} {
		if got, want := spreadLen(n), len(spread(nil, n, 1, 2, 1)); got != want {
			t.Fatalf("n=%d: spreadLen %d, spread gives %d", n, got, want)
		}
	}
}

// spreadBefore is spread as first written (a growing slice of parts,
// inserted and sorted with the slices package): the reference the
// allocation-free spread must give exactly.
func spreadBefore(out []Sample, n uint64, lo, hi, scale float64) []Sample {
	var parts []uint64
	for n != 0 {
		k := 63 - bits.LeadingZeros64(n)
		parts = append(parts, 1<<k)
		n &^= 1 << k
	}
	total := uint64(0)
	for _, p := range parts {
		total += p
	}
	for len(parts) < SamplesPerBucket {
		if parts[0] == 1 {
			break
		}
		half := parts[0] / 2
		parts[0] = half
		parts = slices.Insert(parts, 1, half)
		slices.SortFunc(parts, func(a, b uint64) int { return cmp.Compare(b, a) })
	}
	done := uint64(0)
	for _, p := range parts {
		mid := (float64(done) + float64(p)/2) / float64(total)
		v := (lo + (hi-lo)*mid) * scale
		if r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64); err == nil && (r > lo*scale || lo == hi) {
			v = r
		}
		out = append(out, Sample{Value: v, Weight: p})
		done += p
	}
	return out
}

func TestSpreadAsBefore(t *testing.T) {
	t.Parallel()
	ns := []uint64{1<<63 - 1, 1 << 62, 1<<40 + 12345, 0xaaaaaaaaaaaa}
	for n := uint64(1); n < 3000; n++ {
		ns = append(ns, n)
	}
	for _, n := range ns {
		for _, b := range [][3]float64{{0, 1, 1}, {1e3, 2e3, 1e-9}, {5, 5, 1}, {0.001, 1234567, 1}, {-3, 7.5, 1}} {
			got, want := spread(nil, n, b[0], b[1], b[2]), spreadBefore(nil, n, b[0], b[1], b[2])
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d %v: %v, want %v", n, b, got, want)
			}
		}
	}
}

// TestRound6: as ParseFloat(FormatFloat(x, 'g', 6)), bit for bit.
func TestRound6(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(5, 6))
	xs := []float64{0, math.Copysign(0, -1), 1, 1e-300, 1e300, math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64, 123456.5, 0.0001234565}
	for range 50000 {
		xs = append(xs, math.Float64frombits(rnd.Uint64()), rnd.Float64()*math.Pow(10, float64(rnd.IntN(40)-20)))
	}
	// Where arithmetic could go wrong: decimal ties (exact or not), the
	// ends of a decade and powers of ten, with their neighbours.
	for e := -30; e <= 30; e++ {
		p := math.Pow(10, float64(e))
		for _, m := range []float64{1, 1.000005, 1.000015, 1.234565, 1.234575, 9.999995, 9.999985, 5.000005, 2.5, 9.99999, 9.999999} {
			for range 3 {
				m += float64(rnd.IntN(1000)) * 1e-6
				x := m * p
				xs = append(xs, x, -x, math.Nextafter(x, 0), math.Nextafter(x, math.Inf(1)))
			}
		}
	}
	// Binade ends, where round6Fast's table changes entry.
	for e := round6MinExp - 2; e <= round6MaxExp+2; e++ {
		x := math.Ldexp(1, e)
		xs = append(xs, x, math.Nextafter(x, 0), math.Nextafter(x, math.Inf(1)), -x)
	}
	// Spread's values: bucket bounds in ns scaled to seconds.
	for range 50000 {
		lo := float64(rnd.IntN(1 << 30))
		xs = append(xs, (lo+lo*0.1*float64(rnd.IntN(16)+1)/16)*1e-9)
	}
	fast := 0
	for _, x := range xs {
		want := round6Text(x)
		if ref, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 6, 64), 64); err == nil && math.Float64bits(ref) != math.Float64bits(want) ||
			err != nil && math.Float64bits(x) != math.Float64bits(want) && !math.IsNaN(x) {
			t.Fatalf("round6Text(%v) = %v, want %v", x, want, ref)
		}
		if got := round6(x); math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("round6(%v) = %v, want %v", x, got, want)
		}
		if got, ok := round6Fast(x); ok {
			fast++
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("round6Fast(%v) = %v, want %v", x, got, want)
			}
		}
	}
	if fast == 0 {
		t.Error("round6Fast never answered")
	}
}

// TestRound6FastSpread: the arithmetic answers for nearly every value
// spread writes for real layouts, so that no text is written per value.
func TestRound6FastSpread(t *testing.T) {
	t.Parallel()
	n, fast := 0, 0
	for _, scale := range []float64{1, 1e-9} {
		// CockroachDB's v23 latency bounds and HDR-like bounds.
		for lo := 1000.0; lo < 1e12; lo *= 1.18 {
			hi := math.Round(lo * 1.18)
			for c := uint64(1); c < 300; c += 7 {
				for _, s := range spread(nil, c, math.Round(lo), hi, scale) {
					n++
					if _, ok := round6Fast(s.Value); ok {
						fast++
					}
				}
			}
		}
	}
	if fast < n*99/100 {
		t.Errorf("round6Fast answered %d of %d values", fast, n)
	}
}

// BenchmarkWindowSamples is one histogram's window spread into samples, on
// a v23-like latency layout (exponential bounds in nanoseconds, scaled to
// seconds): with few observations per bucket, as in a 10 s window, and
// with many, as after a restart.
func BenchmarkWindowSamples(b *testing.B) {
	var bounds []float64
	for x := 1e4; x < 1e11; x *= 1.3 {
		bounds = append(bounds, math.Round(x))
	}
	for _, tc := range []struct {
		name string
		per  float64
	}{{"sparse", 3}, {"full", 12345}} {
		w := Window{Count: tc.per * float64(len(bounds)/2)}
		for i, ub := range bounds {
			c := 0.0
			if i >= len(bounds)/4 && i < len(bounds)*3/4 {
				c = tc.per * float64(i-len(bounds)/4+1)
			}
			if i >= len(bounds)*3/4 {
				c = tc.per * float64(len(bounds)/2)
			}
			w.Buckets = append(w.Buckets, Bucket{UpperBound: ub, Count: c})
		}
		w.Buckets = append(w.Buckets, Bucket{UpperBound: math.Inf(1), Count: w.Count})
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(w.Samples(1e-9)) == 0 {
					b.Fatal("no samples")
				}
			}
		})
	}
}
