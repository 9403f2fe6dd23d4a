package promtext

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/roachdog/roachdog/internal/testenv"
)

// sameFamilies reports how two parses differ, "" when they are identical.
func sameFamilies(got, want map[string]*dto.MetricFamily) string {
	gk, wk := slices.Sorted(mapKeys(got)), slices.Sorted(mapKeys(want))
	if !slices.Equal(gk, wk) {
		return "families differ: got " + strings.Join(gk, ",") + "; want " + strings.Join(wk, ",")
	}
	for _, k := range wk {
		if !proto.Equal(got[k], want[k]) {
			return "family " + k + " differs:\ngot  " + got[k].String() + "\nwant " + want[k].String()
		}
	}
	return ""
}

func mapKeys(m map[string]*dto.MetricFamily) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestFastParseCaptures: on every real capture, selected whole, the fast
// parser accepts the lines (no fallback) and builds exactly expfmt's
// families.
func TestFastParseCaptures(t *testing.T) {
	t.Parallel()
	dir := testenv.Fixtures(t)
	files, _ := filepath.Glob(filepath.Join(dir, "cockroach-vars", "*.txt"))
	v20, _ := filepath.Glob(filepath.Join(dir, "cockroach-v20.2", "healthy", "*status_vars*.txt"))
	files = append(files, v20...)
	if len(files) < 10 {
		t.Fatalf("only %d captures found", len(files))
	}
	for _, f := range files {
		payload, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sel, err := Select(payload, func(string) bool { return true })
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, ok := fastParse(sel)
		if !ok {
			t.Errorf("%s: fast parser fell back to expfmt", filepath.Base(f))
			continue
		}
		want, err := expfmtParse(sel)
		if err != nil {
			t.Fatalf("%s: expfmt: %v", f, err)
		}
		if d := sameFamilies(got, want); d != "" {
			t.Errorf("%s: %s", filepath.Base(f), d)
		}
		t.Logf("%s: %d families", filepath.Base(f), len(got))
	}
}

// TestFastParseShapes: the text format's corners, each either parsed as
// expfmt does or left to expfmt (never accepted when expfmt refuses).
func TestFastParseShapes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		fast bool // the fast parser takes it
	}{
		{"# HELP a The \\\\ help \\n with \\\" escapes\n# TYPE a counter\na 1\n", true},
		{"# TYPE g gauge\ng{node=\"1\",s=\"a\\\\b\\\"c\\nd\"} 2.5e+06\ng{node=\"2\"} NaN\ng{node=\"3\"} -Inf 1700000000000\n", true},
		{"# TYPE h histogram\nh_bucket{store=\"1\",le=\"1\"} 1\nh_bucket{le=\"+Inf\",store=\"1\"} 2\nh_sum{store=\"1\"} 3\nh_count{store=\"1\"} 2\nh_bucket{le=\"+Inf\",store=\"2\"} 0\nh_sum{store=\"2\"} 0\nh_count{store=\"2\"} 0\n", true},
		{"# TYPE h histogram\nh_bucket{le=\"1\"} 1.5\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n", true}, // float counts: normalized
		{"# TYPE s summary\ns{quantile=\"0.5\"} 1\ns{quantile=\"0.99\"} 2\ns_sum 2\ns_count 3\n", true},
		{"# TYPE s summary\ns_bucket 1\n", true}, // not part of a summary: its own family
		{"a 1\nb{x=\"y\",} 2\nc{} 3\n", true},
		{"# TYPE h histogram\nh_bucket{le=\"12638.482029342978\"} 1\nh_bucket{le=\"+Inf\"} 9007199254740993\nh_sum 0.1915154535926174\nh_count 9007199254740993\n", true},
		{"a 18446744073709551616\nb 1844674407370955161.5 17\nc -0\nd 1e-22 -5\ne -Inf\nf NaN\ng +Inf\n", true}, // past the decimal fast path: ParseFloat's
		{"# HELP a h\n# TYPE a gauge\na 1\n# TYPE c counter\n# HELP c h\nc{x=\"1\"} 3\n# TYPE x summary\n# HELP x_count n\nx_count 3\n", true},
		{"# TYPE h histogram\nh_bucket{le=\"1e3\"} 1\nh_bucket{le=\"0x1p3\"} 1\n", false},
		{"# TYPE h histogram\nh_bucket{le=\"1\\\\\"} 1\n", false},
		{"# TYPE h histogram\nh_bucket{s=\"1\",le=\"1\"} 1\nh_bucket{s=\"1\",le=\"2\"} 2\nh_bucket{s=\"1\",le=\"3\"} 2.5\nh_bucket{s=\"1\",le=\"5\"} 3 17\nh_bucket{s=\"1\",le=\"6\",t=\"\"} 3\nh_bucket{s=\"1\",le=\"+Inf\"} 3\nh_bucket{s=\"1\",le=\"8\"} 3\nh_bucket{s=\"2\",le=\"8\"} 3\nh_bucket{s=\"2\",le=\"8\"} 3\nh_sum{s=\"1\"} 3\nh_bucket{s=\"1\",le=\"9\"} 4\n", true},
		{"# TYPE h histogram\nh_bucket{s=\"1\",le=\"1\"} 1\nh_bucket{s=\"1\",le=\"2\"} -1\n", false},
		{"# TYPE h histogram\nh_bucket{s=\"1\",le=\"1\"} 1\nh_bucket{s=\"1\",le=\"2\"}  1\n", false},
		{"# TYPE h histogram\nh_bucket{s=\"1\",le=\"1\"} 1\nh_bucket{s=\"1\",le=\"2\",le=\"3\"} 1\n", false},
		// Labels shared with the metric before, or not: escaped values,
		// no labels, other values, another order.
		{"# TYPE a gauge\na{store=\"1\"} 1\n# TYPE b gauge\nb{store=\"1\"} 2\nc{store=\"a\\\\b\"} 3\nd{store=\"a\\\\b\"} 4\ne{store=\"1\"} 5\nf 6\ng 7\nh{store=\"2\"} 8\ni{x=\"1\",store=\"2\"} 9\nj{store=\"2\",x=\"1\"} 10\n", true},
		{"a 1.5x\n", false},
		{"a 1e1234\n", false}, // out of range
		{"a 1\t2\n", false},
		{"x_count 1\n# TYPE x histogram\nx_bucket{le=\"+Inf\"} 1\n", true},
		{"# HELP a one\n# HELP a two\na 1\n", false},       // expfmt: second HELP
		{"# TYPE a counter\n# TYPE a gauge\na 1\n", false}, // second TYPE
		{"a 1\n# TYPE a counter\n", false},                 // TYPE after samples
		{"# TYPE a Counter\na 1\n", false},                 // expfmt tolerates the case: it decides
		{"a{x=\"1\",x=\"2\"} 1\n", false},                  // duplicate label
		{"a{__name__=\"b\"} 1\n", false},
		{"a{x=\"\\t\"} 1\n", false}, // invalid escape
		{"a{x=\"\xff\"} 1\n", false},
		{"a 0x1p3\n", false},
		{"a 1_000\n", false},
		{"a 1 \n", false},
		{"a  1\n", false},
		{"a\t1\n", false},
		{"a 1 12x\n", false},
		{"a 1", false},
		{"\n", false},
		{" a 1\n", false},
		{"# other comment\na 1\n", false},
		{"# HELP a\na 1\n", false},
		{"{\"a.b\"} 1\n", false},
		{"# TYPE h histogram\nh_bucket{le=\"1\"} -1.5\n", false}, // expfmt: negative bucket
		{"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", false},
		{"# TYPE h histogram\nh_bucket{le=\"1\",le=\"2\"} 1\n", false},
	} {
		got, ok := fastParse([]byte(c.in))
		want, err := expfmtParse([]byte(c.in))
		if ok != c.fast {
			t.Errorf("%q: fast parser took it: %v, want %v (expfmt error: %v)", c.in, ok, c.fast, err)
		}
		if !ok {
			continue
		}
		if err != nil {
			t.Errorf("%q: fast parser accepted what expfmt refuses: %v", c.in, err)
			continue
		}
		if d := sameFamilies(got, want); d != "" {
			t.Errorf("%q: %s", c.in, d)
		}
	}
}

// FuzzFastParse: whatever the input, the fast parser either leaves it to
// expfmt or builds exactly expfmt's families; it never accepts what expfmt
// refuses.
func FuzzFastParse(f *testing.F) {
	for _, s := range []string{
		"# HELP a The \\\\ help\n# TYPE a counter\na 1\n",
		"# TYPE g gauge\ng{node=\"1\",s=\"a\\\"c\\nd\"} 2.5e+06\ng{node=\"2\"} NaN 17\n",
		"# TYPE h histogram\nh_bucket{store=\"1\",le=\"1\"} 1\nh_bucket{le=\"+Inf\",store=\"1\"} 2\nh_sum{store=\"1\"} 3\nh_count{store=\"1\"} 2\n",
		"# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n",
		"a 1\nb{x=\"y\",} 2\nc{} 3\n",
		"# TYPE h histogram\nh_bucket{le=\"12638.482029342978\"} 1\nh_bucket{le=\"1.0811807510766068e+06\"} 2\nh_bucket{le=\"+Inf\"} 9007199254740993\nh_sum 0.1915154535926174\nh_count 9007199254740993\n",
		"a 18446744073709551616\nb 1844674407370955161.5 17\nc 1e1234\nd 1.5x\ne -0\nf 7\t1\ng -Inf\nh NaN 1\n",
		"# TYPE x summary\n# HELP x_count c\nx_count 3\nx_sum 1\n# HELP x_sum s\n",
		"# TYPE h histogram\nh_bucket{s=\"1\",le=\"1\"} 1\nh_bucket{s=\"1\",le=\"2\"} 2\nh_bucket{s=\"1\",le=\"3\"} 2.5\nh_bucket{s=\"1\",le=\"4\"} -1\nh_bucket{s=\"1\",le=\"5\"} 3 17\nh_bucket{s=\"1\",le=\"6\",t=\"\"} 3\nh_bucket{s=\"1\",le=\"+Inf\"} 3\nh_bucket{s=\"1\",le=\"1e1\"}  3\nh_bucket{s=\"1\",le=\"7\"}\n",
		"# TYPE h histogram\nh_bucket{s=\"\\n\",le=\"1\"} 1\nh_bucket{s=\"\\n\",le=\"2\"} 2\nh_bucket{s=\"2\",le=\"2\"} 2\nh_bucket{s=\"2\",le=\"2\"} 2\nh_sum{s=\"2\"} 1\nh_bucket{s=\"2\",le=\"3\"} 4\n",
		"# HELP a h\n# TYPE a gauge\na 1\n# HELP b h\nb 2\n# TYPE b counter\n# TYPE c counter\n# HELP c h\nc{x=\"1\"} 3\n",
		"# TYPE h histogram\n# HELP h_bucket b\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"1\\\"\"} 1\nh_bucket{le=\"2\",le=\"3\"} 1\nh_bucket{le=\"+Inf\"} 2\n",
	} {
		f.Add([]byte(s), byte(0))
	}
	fuzzSeedsFromCaptures(f)
	f.Fuzz(func(t *testing.T, in []byte, _ byte) {
		got, ok := fastParse(in)
		if !ok {
			return
		}
		want, err := expfmtParse(in)
		if err != nil {
			t.Fatalf("fast parser accepted what expfmt refuses (%v): %q", err, in)
		}
		if d := sameFamilies(got, want); d != "" {
			t.Fatalf("%q: %s", in, d)
		}
	})
}

// BenchmarkParseSelected compares the fast parser with expfmt on the lines
// a vars cycle keeps of a v20.2 capture (every family: an upper bound).
func BenchmarkParseSelected(b *testing.B) {
	payload := v20(b, "node1_status_vars.txt")
	sel, err := Select(payload, func(string) bool { return true })
	if err != nil {
		b.Fatal(err)
	}
	reused := newFastParser()
	for _, c := range []struct {
		name  string
		parse func([]byte) (map[string]*dto.MetricFamily, error)
	}{
		{"expfmt", expfmtParse},
		{"fast", func(in []byte) (map[string]*dto.MetricFamily, error) {
			fams, ok := fastParse(in)
			if !ok {
				b.Fatal("fell back")
			}
			return fams, nil
		}},
		{"fast-reused", func(in []byte) (map[string]*dto.MetricFamily, error) {
			// As ReadParsed parses: one parser, reset once done with.
			reused.reset()
			fams, ok := reused.parse(in)
			if !ok {
				b.Fatal("fell back")
			}
			return fams, nil
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(sel)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.parse(sel); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestParseReusedBuffersDoNotAlias: Parse reuses its selection buffers, so
// families returned earlier must not point into them: after parsing other
// payloads, the first result still equals a fresh expfmt parse.
func TestParseReusedBuffersDoNotAlias(t *testing.T) {
	t.Parallel()
	all := func(string) bool { return true }
	first := "# HELP a Help of a \\\\ x\n# TYPE a gauge\na{store=\"1\",v=\"esc\\\"aped\"} 1\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"
	got, err := Parse([]byte(first), all)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		other := strings.Repeat("# HELP zzzzzz Something else entirely\n# TYPE zzzzzz counter\nzzzzzz{store=\"9999\",v=\"overwritten\"} 7\n", 1+i%3)
		if _, err := Parse([]byte(other), all); err != nil {
			t.Fatal(err)
		}
	}
	want, err := expfmtParse([]byte(first))
	if err != nil {
		t.Fatal(err)
	}
	if d := sameFamilies(got, want); d != "" {
		t.Error(d)
	}
}

// TestFastParserReuse: one parser parsing payload after payload, reset in
// between as a released Parsed is, builds each time exactly what a fresh
// one does, and reset leaves nothing of the previous payload behind.
func TestFastParserReuse(t *testing.T) {
	t.Parallel()
	dir := testenv.Fixtures(t)
	files, _ := filepath.Glob(filepath.Join(dir, "cockroach-vars", "*.txt"))
	v20, _ := filepath.Glob(filepath.Join(dir, "cockroach-v20.2", "healthy", "node*_status_vars_t*.txt"))
	files = append(files, v20...)
	var sels [][]byte
	for _, f := range files {
		payload, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sel, err := Select(payload, func(string) bool { return true })
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sels = append(sels, sel)
	}
	// Shapes the captures lack: summaries, float counts, timestamps,
	// interleaved series, escapes, and a line the fast parser leaves to
	// expfmt halfway through.
	sels = append(sels,
		[]byte("# TYPE s summary\ns{quantile=\"0.5\",a=\"x\"} 1\ns{quantile=\"0.9\",a=\"x\"} 2\ns_sum{a=\"x\"} 2\ns_count{a=\"x\"} 3\n"),
		[]byte("# TYPE h histogram\nh_bucket{a=\"1\",le=\"1\"} 1.5\nh_bucket{a=\"2\",le=\"1\"} 1\nh_bucket{a=\"1\",le=\"+Inf\"} 2\nh_bucket{a=\"2\",le=\"+Inf\"} 1\nh_sum{a=\"1\"} 3\nh_count{a=\"1\"} 2\nh_sum{a=\"2\"} 3\nh_count{a=\"2\"} 1\n"),
		[]byte("# HELP g a \\\\ b\n# TYPE g gauge\ng{v=\"q\\\"x\"} 1 1700000000000\n"),
		[]byte("# TYPE a counter\na 1\na{x=\"1\"}  2\n"),
		// One family's help changing, then gone, between parses: the
		// help remembered with its name is compared, never assumed.
		[]byte("# HELP g one\n# TYPE g gauge\ng 1\n"),
		[]byte("# HELP g two\n# TYPE g gauge\ng 1\n"),
		[]byte("# TYPE g gauge\ng 1\n# HELP s_count n\n# TYPE s summary\ns_count 1\n"),
	)
	p := newFastParser()
	for round := range 3 {
		for i, sel := range sels {
			if round == 1 {
				i = len(sels) - 1 - i // another order: other chunk layouts
				sel = sels[i]
			}
			want, wantOK := fastParse(sel)
			got, ok := p.parse(sel)
			if ok != wantOK {
				t.Fatalf("round %d, payload %d: reused parser ok=%v, fresh ok=%v", round, i, ok, wantOK)
			}
			if ok {
				if d := sameFamilies(got, want); d != "" {
					t.Fatalf("round %d, payload %d: %s", round, i, d)
				}
			}
			var kept *dto.MetricFamily
			for _, mf := range got {
				kept = mf
				break
			}
			p.reset()
			if len(got) != 0 {
				t.Fatalf("round %d, payload %d: %d families left after reset", round, i, len(got))
			}
			if kept != nil && (kept.Name != nil || kept.Metric != nil || kept.Type != nil) {
				t.Fatalf("round %d, payload %d: a family survives reset: %v", round, i, kept)
			}
		}
	}
}

// TestReadParsedRelease: ReadParsed's families equal parseReader's; after
// Release they are gone (the map empty, the messages zeroed), a second
// Release does nothing, and the arena's next parse is right.
//
// Not parallel: it looks at the arena after Release, when a parallel
// test's parse could already own it again.
func TestReadParsedRelease(t *testing.T) {
	payload := v20(t, "node1_status_vars_t0.txt")
	other := v20(t, "node2_status_vars_t1.txt")
	all := func(string) bool { return true }
	for i, in := range [][]byte{payload, other, payload, other} {
		want, _, err := parseReader(bytes.NewReader(in), all, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := ReadParsed(bytes.NewReader(in), all, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d := sameFamilies(p.Families, want); d != "" {
			t.Fatalf("parse %d: %s", i, d)
		}
		fams := p.Families
		mf := fams["sys_uptime"]
		if mf == nil || len(mf.Metric) == 0 {
			t.Fatalf("parse %d: no sys_uptime", i)
		}
		m := mf.Metric[0]
		p.Release()
		p.Release()
		if p.Families != nil || len(fams) != 0 {
			t.Fatalf("parse %d: %d families after Release", i, len(fams))
		}
		if mf.Name != nil || mf.Metric != nil || m.Gauge != nil || m.Label != nil {
			t.Fatalf("parse %d: messages not zeroed by Release: %v %v", i, mf, m)
		}
	}
	if _, err := ReadParsed(bytes.NewReader([]byte("a{ 1\n")), all, ReadOptions{}); err == nil {
		t.Fatal("bad payload parsed")
	}
}

// TestFastParserAllocs: once warm, a parser parsing a v20.2 capture's
// selection allocates nothing (parseReader's allocates per family and
// per histogram series).
func TestFastParserAllocs(t *testing.T) {
	if testing.Short() || RaceEnabled {
		t.Skip("allocation counts: without -short and -race")
	}
	payload := v20(t, "node1_status_vars_t0.txt")
	sel, err := Select(payload, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	p := newFastParser()
	parse := func() {
		if _, ok := p.parse(sel); !ok {
			t.Fatal("fell back to expfmt")
		}
		p.reset()
	}
	parse()
	if n := testing.AllocsPerRun(10, parse); n > 0 {
		t.Errorf("%.0f allocations per parse once warm, want none", n)
	}
	fresh := testing.AllocsPerRun(3, func() { fastParse(sel) })
	t.Logf("a fresh parser: %.0f allocations", fresh)
}

// TestLists: slices handed out by lists hold what plain appends would,
// however their appends interleave, none overwriting another, and
// interleaved appends take amortized constant room, before and after a
// reset.
func TestLists(t *testing.T) {
	t.Parallel()
	var ls lists[int]
	rnd := rand.New(rand.NewPCG(1, 2))
	for round := range 3 {
		const k = 7
		got, want := make([][]int, k), make([][]int, k)
		next := 0
		for range 20000 {
			i := rnd.IntN(k)
			if rnd.IntN(50) == 0 {
				// A copied slice, as a metric's labels are.
				s := []int{next, next + 1, next + 2}
				next += 3
				c := ls.slice(s)
				if !slices.Equal(c, s) || cap(c) != len(c) {
					t.Fatalf("slice %v: %v (cap %d)", s, c, cap(c))
				}
				continue
			}
			got[i] = ls.append(got[i], next)
			want[i] = append(want[i], next)
			next++
		}
		for i := range k {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("round %d, list %d: %d elements differ from plain appends", round, i, len(got[i]))
			}
		}
		if b, most := ls.bytes(), 8*8*(next+listChunk); b > most {
			t.Errorf("round %d: %d bytes of chunks for %d elements", round, b, next)
		}
		ls.reset()
	}
}

// FuzzFastParserReuse: a parser reused after another parse (reset in
// between, as a released Parsed is) parses the input as a fresh one
// does, and the input leaves nothing behind for the next parse.
func FuzzFastParserReuse(f *testing.F) {
	other := []byte("# HELP h A histogram\n# TYPE h histogram\nh_bucket{a=\"1\",le=\"1\"} 1\nh_bucket{a=\"2\",le=\"1\"} 1\nh_bucket{a=\"1\",le=\"+Inf\"} 2\nh_bucket{a=\"2\",le=\"+Inf\"} 1\nh_sum{a=\"1\"} 3\nh_count{a=\"1\"} 2\nh_sum{a=\"2\"} 3\nh_count{a=\"2\"} 1\n# TYPE g gauge\ng{x=\"q\\\"x\"} 1\ng{x=\"b\"} 2\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n")
	f.Add([]byte("# TYPE a counter\na{x=\"1\"} 1\n"), byte(0))
	f.Add([]byte("# TYPE h histogram\nh_bucket{a=\"1\",le=\"1\"} 1\nh_bucket{a=\"1\",le=\"+Inf\"} 2\nh_sum{a=\"1\"} 3\nh_count{a=\"1\"} 2\n"), byte(1))
	f.Add(other, byte(0))
	fuzzSeedsFromCaptures(f)
	want, ok := fastParse(other)
	if !ok {
		f.Fatal("other fell back")
	}
	f.Fuzz(func(t *testing.T, in []byte, _ byte) {
		fresh, freshOK := fastParse(in)
		p := newFastParser()
		if _, ok := p.parse(other); !ok {
			t.Fatal("other fell back")
		}
		p.reset()
		got, ok := p.parse(in)
		if ok != freshOK {
			t.Fatalf("%q: reused parser ok=%v, fresh ok=%v", in, ok, freshOK)
		}
		if ok {
			if d := sameFamilies(got, fresh); d != "" {
				t.Fatalf("%q: reused parser: %s", in, d)
			}
		}
		p.reset()
		again, ok := p.parse(other)
		if !ok {
			t.Fatal("other fell back after the input")
		}
		if d := sameFamilies(again, want); d != "" {
			t.Fatalf("after %q: %s", in, d)
		}
	})
}

// TestParseFloatLikeExpfmt: the decimal fast path gives ParseFloat's bits
// exactly, and what it does not read is left to ParseFloat.
func TestParseFloatLikeExpfmt(t *testing.T) {
	t.Parallel()
	in := []string{"0", "-0", "1", "1.", ".5", "-.5", ".", "-", "+1", "1e5", "1E5", "1e+05", "1e-05", "1e", "1e+",
		"1.2.3", "1_0", "0x1p3", "1p3", "Inf", "+Inf", "-Inf", "NaN", "0e99", "0e999", "1e22", "1e23", "1e-22", "1e-23",
		"123456789012345", "1234567890123456", "0.000000000000001", "9007199254740993", "4.35", "0.1", "2.5e-07",
		"1.8446744073709552e+19", "999999999999999e22", "999999999999999e-22", "00000000000000000001", "1e0001", " 1", "1 "}
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 50000 {
		f := math.Float64frombits(rnd.Uint64())
		if rnd.IntN(2) == 0 {
			f = float64(rnd.IntN(1e9)) / math.Pow(10, float64(rnd.IntN(12)))
		}
		for _, fmtc := range []byte{'g', 'e', 'f'} {
			prec := -1
			if rnd.IntN(2) == 0 {
				prec = rnd.IntN(17)
			}
			in = append(in, strconv.FormatFloat(f, fmtc, prec, 64))
		}
	}
	for _, s := range in {
		got, ok := parseFloatLikeExpfmt([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		wantOK := err == nil && !strings.ContainsAny(s, "pP_")
		if ok != wantOK || ok && math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("%q: (%v, %v), ParseFloat (%v, %v)", s, got, ok, want, err)
		}
	}
}

// TestNameLen: the table-driven name scanners accept exactly the legacy
// name alphabets.
func TestNameLen(t *testing.T) {
	t.Parallel()
	metric := func(c byte, first bool) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || !first && c >= '0' && c <= '9'
	}
	label := func(c byte, first bool) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || !first && c >= '0' && c <= '9'
	}
	for c := range 256 {
		for _, d := range []byte{'a', '0', ':', ' '} {
			b := []byte{byte(c), d, '{'}
			want := 0
			for want < len(b) && metric(b[want], want == 0) {
				want++
			}
			if got := metricNameLen(b); got != want {
				t.Errorf("metricNameLen(%q) = %d, want %d", b, got, want)
			}
			want = 0
			for want < len(b) && label(b[want], want == 0) {
				want++
			}
			if got := labelNameLen(b); got != want {
				t.Errorf("labelNameLen(%q) = %d, want %d", b, got, want)
			}
		}
	}
	if metricNameLen(nil) != 0 || labelNameLen(nil) != 0 || metricNameLen([]byte("abc")) != 3 {
		t.Error("empty or whole input")
	}
}

// readParsedMatches reports how ReadParsed, read in pieces, differs from
// ParseLimited on payload ("" when it does not), then releases it.
func readParsedMatches(payload []byte, want func(string) bool, lim Limits, piece int) string {
	ref, refCapped, refErr := ParseLimited(payload, want, lim)
	p, err := ReadParsed(&chunkReader{payload, piece}, want, ReadOptions{Limits: lim})
	if fmt.Sprint(err) != fmt.Sprint(refErr) {
		return fmt.Sprintf("error %v, ParseLimited's %v", err, refErr)
	}
	if err != nil {
		return ""
	}
	defer p.Release()
	if fmt.Sprint(p.Capped) != fmt.Sprint(refCapped) {
		return fmt.Sprintf("capped %v, ParseLimited's %v", p.Capped, refCapped)
	}
	return sameFamilies(p.Families, ref)
}

// TestReadParsedMatchesParse: on every capture, read in pieces with a
// series limit, ReadParsed gives ParseLimited's families and cuts, parse
// after parse through the pooled arenas.
func TestReadParsedMatchesParse(t *testing.T) {
	t.Parallel()
	for range 2 {
		for _, f := range fixtures(t) {
			for pick := range byte(4) {
				if d := readParsedMatches(f.payload, fuzzWant(pick), Limits{MaxSeriesPerFamily: int(pick) * 3}, 1000+int(pick)); d != "" {
					t.Fatalf("%s, pick %d: %s", f.name, pick, d)
				}
			}
		}
	}
}

// FuzzReadParsed: whatever the input, ReadParsed (its arena reused from
// one input to the next) gives ParseLimited's result or error.
func FuzzReadParsed(f *testing.F) {
	f.Add([]byte("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n# TYPE c counter\nc 4\n"), byte(1))
	f.Add([]byte("# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"), byte(0))
	f.Add([]byte("x{a=\"b\"} 1\ny{a=\"b"), byte(2))
	fuzzSeedsFromCaptures(f)
	f.Fuzz(func(t *testing.T, payload []byte, pick byte) {
		if d := readParsedMatches(payload, fuzzWant(pick), Limits{MaxSeriesPerFamily: int(pick % 4)}, 1+int(pick)%13); d != "" {
			t.Fatalf("%q, pick %d: %s", payload, pick, d)
		}
	})
}
