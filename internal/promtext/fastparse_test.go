package promtext

import (
	"os"
	"path/filepath"
	"slices"
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
	payload, err := os.ReadFile(filepath.Join(testenv.Fixtures(b), "cockroach-v20.2", "healthy", "node1_status_vars.txt"))
	if err != nil {
		b.Fatal(err)
	}
	sel, err := Select(payload, func(string) bool { return true })
	if err != nil {
		b.Fatal(err)
	}
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
