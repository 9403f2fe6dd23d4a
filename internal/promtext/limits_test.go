package promtext

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// storesPayload writes a gauge family with one series per store, in the
// given store order, between two other families.
func storesPayload(stores []int) []byte {
	var b strings.Builder
	b.WriteString("# HELP before x\n# TYPE before gauge\nbefore 1\n")
	b.WriteString("# HELP ranges Ranges\n# TYPE ranges gauge\n")
	for _, s := range stores {
		fmt.Fprintf(&b, "ranges{store=\"%d\"} %d\n", s, s)
	}
	b.WriteString("# HELP after x\n# TYPE after counter\nafter 2\n")
	return []byte(b.String())
}

func storeValues(t *testing.T, mf *dto.MetricFamily) []string {
	t.Helper()
	var out []string
	for _, m := range mf.GetMetric() {
		out = append(out, labelString(m))
	}
	return out
}

// TestParseLimitedKeepsFirstSeries: over the limit, the series kept are the
// first in natural label order whatever the payload's order (CockroachDB
// writes stores in map order), the other families are untouched, and the
// cut is reported.
func TestParseLimitedKeepsFirstSeries(t *testing.T) {
	t.Parallel()
	all := func(string) bool { return true }
	stores := make([]int, 0, 30)
	for i := 1; i <= 30; i++ {
		stores = append(stores, i)
	}
	want := []string{`{store="1"}`, `{store="2"}`, `{store="3"}`, `{store="4"}`}
	for i := range 5 {
		shuffled := slices.Clone(stores)
		rand.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		fams, capped, err := ParseLimited(storesPayload(shuffled), all, Limits{MaxSeriesPerFamily: 4})
		if err != nil {
			t.Fatal(err)
		}
		got := storeValues(t, fams["ranges"])
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("shuffle %d: kept %v, want %v", i, got, want)
		}
		if len(fams["before"].GetMetric()) != 1 || len(fams["after"].GetMetric()) != 1 {
			t.Errorf("shuffle %d: other families changed: %v", i, fams)
		}
		if wantCap := []Capped{{Family: "ranges", Kept: 4, Dropped: 26}}; !slices.Equal(capped, wantCap) {
			t.Errorf("shuffle %d: capped %+v, want %+v", i, capped, wantCap)
		}
	}
}

// TestParseLimitedUnderLimit: a family at the limit is not cut, and the
// result is the same as without a limit.
func TestParseLimitedUnderLimit(t *testing.T) {
	t.Parallel()
	p := storesPayload([]int{3, 1, 2})
	all := func(string) bool { return true }
	out, capped, err := SelectLimited(p, all, Limits{MaxSeriesPerFamily: 3})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Select(p, all)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(ref) || len(capped) != 0 {
		t.Errorf("at the limit: capped %v, output\n%s\nwant\n%s", capped, out, ref)
	}
}

// TestParseLimitedHistogram: a histogram series is all its lines (buckets,
// _sum, _count); the series kept are whole, and their le label does not
// count in their order.
func TestParseLimitedHistogram(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("# TYPE lat histogram\n")
	for _, s := range []string{"b", "d", "a", "c", "e"} {
		for _, le := range []string{"0.1", "1", "+Inf"} {
			fmt.Fprintf(&b, "lat_bucket{queue=%q,le=%q} 1\n", s, le)
		}
		fmt.Fprintf(&b, "lat_sum{queue=%q} 0.5\nlat_count{queue=%q} 1\n", s, s)
	}
	fams, capped, err := ParseLimited([]byte(b.String()), func(string) bool { return true }, Limits{MaxSeriesPerFamily: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := storeValues(t, fams["lat"])
	slices.Sort(got)
	if want := []string{`{queue="a"}`, `{queue="b"}`}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
	for _, m := range fams["lat"].GetMetric() {
		if h := m.GetHistogram(); len(h.GetBucket()) != 3 || h.GetSampleCount() != 1 {
			t.Errorf("series %s not whole: %v", labelString(m), h)
		}
	}
	if want := []Capped{{Family: "lat", Kept: 2, Dropped: 3}}; !slices.Equal(capped, want) {
		t.Errorf("capped %+v, want %+v", capped, want)
	}
}

// TestParseLimitedAggregateFirst: with child series (more labels) written
// before the aggregate, the aggregate is still kept: fewer labels first.
func TestParseLimitedAggregateFirst(t *testing.T) {
	t.Parallel()
	p := []byte("# TYPE jobs gauge\njobs{node_id=\"1\",scope=\"a\"} 1\njobs{node_id=\"1\",scope=\"b\"} 2\njobs{node_id=\"1\"} 3\n")
	fams, _, err := ParseLimited(p, func(string) bool { return true }, Limits{MaxSeriesPerFamily: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := storeValues(t, fams["jobs"]); !slices.Equal(got, []string{`{node_id="1"}`}) {
		t.Errorf("kept %v, want the aggregate", got)
	}
}

// TestSelectLimitedCopiesLittle: a family of 100,000 series cut to 10 copies
// only the lines kept (plus at most one series more while scanning), not the
// family.
func TestSelectLimitedCopiesLittle(t *testing.T) {
	t.Parallel()
	stores := make([]int, 100000)
	for i := range stores {
		stores[i] = len(stores) - i
	}
	p := storesPayload(stores)
	out, capped, err := SelectLimited(p, func(string) bool { return true }, Limits{MaxSeriesPerFamily: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 1000 {
		t.Errorf("selected %d bytes of a %d-byte payload for 12 series", len(out), len(p))
	}
	if len(capped) != 1 || capped[0].Dropped != 99990 {
		t.Errorf("capped %+v", capped)
	}
	if !strings.Contains(string(out), "ranges{store=\"10\"} 10\n") || strings.Contains(string(out), "store=\"11\"") {
		t.Errorf("wrong series kept:\n%s", out)
	}
}

// TestSeriesKey reads label sets with commas, braces and escaped quotes in
// values, and leaves le and quantile out.
func TestSeriesKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		line   string
		k      kind
		labels int
		key    string
	}{
		{`x 1`, kindPlain, 0, ``},
		{`x{} 1`, kindPlain, 0, ``},
		{`x{a="1",b="2"} 1`, kindPlain, 2, `a="1",b="2"`},
		{`x{ a = "v,}\"q" , b="2",} 1`, kindPlain, 2, `a = "v,}\"q",b="2"`},
		{`x_bucket{store="1",le="0.5"} 1`, kindHistogram, 1, `store="1"`},
		{`x_bucket{le="+Inf",store="1"} 1`, kindHistogram, 1, `store="1"`},
		{`x{quantile="0.5",store="1"} 1`, kindSummary, 1, `store="1"`},
		{`x{le="1"} 1`, kindPlain, 1, `le="1"`},
		{`x{a=1} 1`, kindPlain, 1, `{a=1} 1`}, // unparsable: taken whole
	} {
		n, key := seriesKey([]byte(c.line), c.k, nil)
		if n != c.labels || string(key) != c.key {
			t.Errorf("seriesKey(%q) = %d, %q; want %d, %q", c.line, n, key, c.labels, c.key)
		}
	}
}

func TestNaturalOrder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		sign int
	}{
		{`store="2"`, `store="10"`, -1},
		{`store="10"`, `store="9"`, 1},
		{`store="007"`, `store="7"`, 0},
		{`a`, `b`, -1},
		{`a1b`, `a1`, 1},
		{``, `a`, -1},
	} {
		got := natural(c.a, c.b)
		if got < 0 && c.sign >= 0 || got > 0 && c.sign <= 0 || got == 0 && c.sign != 0 {
			t.Errorf("natural(%q, %q) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
	if SeriesOrder(1, 1, `store="007"`, `store="7"`) == 0 {
		t.Error("SeriesOrder: distinct label texts compare equal")
	}
}
