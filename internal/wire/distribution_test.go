package wire

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/roachdog/roachdog/internal/promtext"
)

// TestRatesAreExact: for every power-of-two weight the Agent reads back
// the same weight from the rate as written on the wire, both as a float
// (sketch count and sum) and truncated (sketch bins). Plain integer weights
// would not: of the weights 1 to 999,999 sent at rate 1/w, 157,174 come
// back as another float and 78,346 truncate to w-1 (the first is 93).
func TestRatesAreExact(t *testing.T) {
	t.Parallel()
	w93 := 93.0
	if n := 1 / (1 / w93); uint64(n) != 92 {
		t.Errorf("1/(1/93) truncates to %d: the reason for powers of two is gone", uint64(n))
	}
	for k := range 63 {
		w := uint64(1) << k
		g := Rates([]promtext.Sample{{Value: 1, Weight: w}})
		if len(g) != 1 || g[0].Weight != w {
			t.Fatalf("weight %d: groups %+v", w, g)
		}
		wireRate, err := strconv.ParseFloat(strconv.FormatFloat(g[0].Rate, 'f', -1, 64), 64)
		if err != nil || wireRate != g[0].Rate {
			t.Fatalf("weight %d: rate %v does not survive the wire (%v, %v)", w, g[0].Rate, wireRate, err)
		}
		n := 1 / wireRate
		if n != float64(w) || uint64(n) != w {
			t.Errorf("weight %d: the Agent reads %v (truncated %d)", w, n, uint64(n))
		}
	}
}

// TestRatesSplitsWeights: any weight is split into powers of two, values
// are kept in order per group, and unusable samples are left out.
func TestRatesSplitsWeights(t *testing.T) {
	t.Parallel()
	got := Rates([]promtext.Sample{
		{Value: 0.5, Weight: 5}, {Value: 0.25, Weight: 1}, {Value: math.NaN(), Weight: 4},
		{Value: math.Inf(1), Weight: 1}, {Value: 2, Weight: 0}, {Value: 3, Weight: 4},
	})
	want := []RateGroup{
		{Rate: 1, Weight: 1, Values: []float64{0.5, 0.25}},
		{Rate: 0.25, Weight: 4, Values: []float64{0.5, 3}},
	}
	if !slices.EqualFunc(got, want, func(a, b RateGroup) bool {
		return a.Rate == b.Rate && a.Weight == b.Weight && slices.Equal(a.Values, b.Values)
	}) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestUsable: the shortcut agrees with formatting the value, around every
// bound and across the exponents.
func TestUsable(t *testing.T) {
	t.Parallel()
	check := func(v float64) {
		t.Helper()
		want := !math.IsNaN(v) && !math.IsInf(v, 0) && len(strconv.FormatFloat(v, 'f', -1, 64)) <= maxFloatLen
		if got := usable(v); got != want {
			t.Errorf("usable(%v) = %v, want %v", v, got, want)
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 1e-6, math.Nextafter(1e-6, 0), 1e15, math.Nextafter(1e15, 0),
		math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64, 1.2345678901234567e-6,
		-1.2345678901234567e-6, 999999999999999.9, 1e31, 1e32, 1.2345678901234567e-15} {
		check(v)
		check(-v)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		v := math.Float64frombits(r.Uint64())
		check(v)
		check((r.Float64() + 0.5) * math.Pow(10, float64(r.IntN(60)-30)))
	}
}

// TestRatesMatchesOneSlicePerBit: Rates gives the groups the direct
// algorithm (one slice per weight bit, grown value by value) gives.
func TestRatesMatchesOneSlicePerBit(t *testing.T) {
	t.Parallel()
	reference := func(samples []promtext.Sample) []RateGroup {
		var byBit [64][]float64
		for _, s := range samples {
			if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) || len(strconv.FormatFloat(s.Value, 'f', -1, 64)) > maxFloatLen {
				continue
			}
			for w := s.Weight; w != 0; w &= w - 1 {
				k := bits.TrailingZeros64(w)
				byBit[k] = append(byBit[k], s.Value)
			}
		}
		var out []RateGroup
		for k, vs := range byBit {
			if len(vs) > 0 {
				out = append(out, RateGroup{Rate: math.Ldexp(1, -k), Weight: 1 << k, Values: vs})
			}
		}
		return out
	}
	r := rand.New(rand.NewPCG(3, 4))
	values := []float64{0, 1e-9, 0.000004, 0.5, 3, 1e20, 1e40, math.NaN(), math.Inf(1)}
	for range 2000 {
		samples := make([]promtext.Sample, r.IntN(40))
		for i := range samples {
			samples[i] = promtext.Sample{Value: values[r.IntN(len(values))] * float64(1+r.IntN(9)), Weight: r.Uint64() >> r.IntN(64)}
		}
		got, want := Rates(samples), reference(samples)
		if !slices.EqualFunc(got, want, func(a, b RateGroup) bool {
			return a.Rate == b.Rate && a.Weight == b.Weight && slices.Equal(a.Values, b.Values)
		}) {
			t.Fatalf("samples %v:\ngot  %+v\nwant %+v", samples, got, want)
		}
	}
}

// TestRatesAllocations: two allocations, the groups and their values.
func TestRatesAllocations(t *testing.T) {
	samples := make([]promtext.Sample, 30)
	for i := range samples {
		samples[i] = promtext.Sample{Value: float64(i) * 0.000004, Weight: uint64(1 + i*7)}
	}
	if n := testing.AllocsPerRun(100, func() { Rates(samples) }); n != 2 {
		t.Errorf("%v allocations", n)
	}
}

func TestAppendDistribution(t *testing.T) {
	t.Parallel()
	g := RateGroup{Rate: 0.125, Weight: 8, Values: []float64{0.001, 2.5}}
	got := string(AppendDistribution(nil, "crdb.", "sql.service_latency", g, []string{"cluster:a"}, []string{"node_id:1"}, "low"))
	if want := "crdb.sql.service_latency:0.001:2.5|d|@0.125|#cluster:a,node_id:1|card:low"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	g = RateGroup{Rate: 1, Weight: 1, Values: []float64{3}}
	if got, want := string(AppendDistribution(nil, "crdb.", "x", g, nil, nil, "")), "crdb.x:3|d"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestLayerDistribution: hostile tags are made safe as for gauges, and a
// metric whose single value cannot fit is refused and counted.
func TestLayerDistribution(t *testing.T) {
	t.Parallel()
	var refused []string
	l := New(Config{Namespace: "crdb.", MaxPayload: 200, Unsendable: func(k string) { refused = append(refused, k) }})
	name, tags, ok := l.Distribution("sql.service_latency", []string{"region:us|#evil", "host:x"})
	if !ok || name != "sql.service_latency" || !slices.Equal(tags, []string{"region:us__evil", "crdb_host:x"}) {
		t.Errorf("got %q %q %v", name, tags, ok)
	}
	long := make([]string, 20)
	for i := range long {
		long[i] = "k" + strconv.Itoa(i) + ":0123456789"
	}
	if _, _, ok := l.Distribution("x", long); ok || !slices.Equal(refused, []string{KindDistribution}) {
		t.Errorf("oversized distribution accepted (%v), refused %v", ok, refused)
	}
}
