package promtext

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/roachdog/roachdog/internal/testenv"
)

// fixture is one real payload and whether it repeats its whole block (A+A).
type fixture struct {
	name    string
	payload []byte
	doubled bool
}

// fixtures loads every shared /_status/vars capture: the v22.2–v23.2 subsets
// and the full v20.2 payloads.
func fixtures(t testing.TB) []fixture {
	t.Helper()
	dir := testenv.Fixtures(t)
	var out []fixture
	for _, glob := range []string{
		filepath.Join(dir, "cockroach-vars", "*.txt"),
		filepath.Join(dir, "cockroach-v20.2", "healthy", "node*_status_vars*.txt"),
	} {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no fixtures match %s", glob)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(f)
			out = append(out, fixture{
				name:    name,
				payload: b,
				// SOURCES.md: these two files hold the same block twice.
				doubled: name == "v23.2_physical_metrics.txt" || name == "v23.2_queue_metrics.txt",
			})
		}
	}
	return out
}

// reference parses a payload with expfmt alone, the way a full parse would:
// the first half of a doubled file (expfmt rejects the repeat), and a newline
// added where the file lacks one (expfmt rejects that too).
func reference(t testing.TB, f fixture) ([]byte, map[string]*dto.MetricFamily) {
	t.Helper()
	p := f.payload
	if f.doubled {
		half := len(p) / 2
		if !bytes.Equal(p[:half], p[half:]) {
			t.Fatalf("%s: expected the same block twice", f.name)
		}
		p = p[:half]
	}
	if !bytes.HasSuffix(p, []byte("\n")) {
		p = append(slices.Clip(p), '\n')
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(p))
	if err != nil {
		t.Fatalf("%s: reference parse: %v", f.name, err)
	}
	return p, fams
}

func text(t testing.TB, mf *dto.MetricFamily) string {
	t.Helper()
	var b strings.Builder
	if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// headerName returns the family a HELP/TYPE line names ("" otherwise).
func headerName(line string) string {
	f := strings.Fields(line)
	if len(f) >= 3 && f[0] == "#" && (f[1] == "HELP" || f[1] == "TYPE") {
		return f[2]
	}
	return ""
}

// TestSelectFixtures checks Select and Parse against a plain expfmt parse on
// every real payload: with everything wanted, Select gives back the payload
// minus what expfmt also discards (blank lines, HELP lines of families
// without samples, the repeated block); with a subset wanted, exactly that subset comes out,
// each family identical to the full parse.
func TestSelectFixtures(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			ref, refFams := reference(t, f)
			names := make([]string, 0, len(refFams))
			for n := range refFams {
				names = append(names, n)
			}
			slices.Sort(names)

			// Everything: the lines of every family with samples, in order.
			var want strings.Builder
			for _, line := range strings.SplitAfter(string(ref), "\n") {
				if strings.TrimSpace(line) == "" {
					continue // blank lines (the admission file has two)
				}
				if n := headerName(line); n != "" && refFams[n] == nil {
					continue // HELP without TYPE or samples
				}
				want.WriteString(line)
			}
			all, err := Select(f.payload, func(string) bool { return true })
			if err != nil {
				t.Fatalf("Select(all): %v", err)
			}
			if string(all) != want.String() {
				t.Errorf("Select(all): got %d bytes, want %d (payload minus blank lines, empty families and repeats)", len(all), want.Len())
			}

			// A third of the families plus a name that is not there.
			subset := map[string]bool{"no_such_family": true}
			for i, n := range names {
				if i%3 == 1 {
					subset[n] = true
				}
			}
			asked := map[string]int{}
			got, err := Parse(f.payload, func(n string) bool { asked[n]++; return subset[n] })
			if err != nil {
				t.Fatalf("Parse(subset): %v", err)
			}
			for n, mf := range got {
				if !subset[n] {
					t.Errorf("Parse(subset) returned unwanted family %q", n)
					continue
				}
				if g, w := text(t, mf), text(t, refFams[n]); g != w {
					t.Errorf("family %s differs from the full parse:\n got: %.300s\nwant: %.300s", n, g, w)
				}
			}
			for n := range subset {
				if _, ok := got[n]; !ok && refFams[n] != nil {
					t.Errorf("Parse(subset) lost wanted family %q", n)
				}
			}
			for n, k := range asked {
				// A repeated block of a wanted family is dropped before asking.
				if limit := 1 + btoi(f.doubled && !subset[n]); k > limit {
					t.Errorf("want(%q) called %d times; once per block expected", n, k)
				}
			}

			// The selected lines are lines of the payload, in payload order.
			sel, err := Select(f.payload, func(n string) bool { return subset[n] })
			if err != nil {
				t.Fatal(err)
			}
			if !isSubsequence(strings.SplitAfter(string(ref), "\n"), strings.SplitAfter(string(sel), "\n")) {
				t.Error("Select(subset) output is not a subsequence of the payload's lines")
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isSubsequence(all, sub []string) bool {
	i := 0
	for _, s := range sub {
		for i < len(all) && all[i] != s {
			i++
		}
		if i == len(all) {
			return false
		}
		i++
	}
	return true
}

func TestSelect(t *testing.T) {
	t.Parallel()
	only := func(names ...string) func(string) bool {
		return func(n string) bool { return slices.Contains(names, n) }
	}
	tests := []struct {
		name    string
		payload string
		want    func(string) bool
		out     string
	}{{
		name: "keeps only the wanted family",
		payload: "# HELP a A.\n# TYPE a counter\na 1\n" +
			"# HELP b B.\n# TYPE b gauge\nb{x=\"1\"} 2\nb{x=\"2\"} 3\n",
		want: only("b"),
		out:  "# HELP b B.\n# TYPE b gauge\nb{x=\"1\"} 2\nb{x=\"2\"} 3\n",
	}, {
		name: "histogram suffixes belong to the family",
		payload: "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n" +
			"# TYPE g gauge\ng 1\n",
		want: only("h"),
		out:  "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n",
	}, {
		name:    "a summary has no _bucket: that sample starts its own family",
		payload: "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 3\ns_count 2\ns_bucket 7\n",
		want:    only("s_bucket"),
		out:     "s_bucket 7\n",
	}, {
		name:    "a counter's _count sample is another family",
		payload: "# TYPE c counter\nc 1\nc_count 5\n",
		want:    only("c"),
		out:     "# TYPE c counter\nc 1\n",
	}, {
		name:    "samples without HELP/TYPE are an untyped family of their own",
		payload: "# TYPE a gauge\na 1\nloose{x=\"y\"} 4\nloose 5\n",
		want:    only("loose"),
		out:     "loose{x=\"y\"} 4\nloose 5\n",
	}, {
		name: "a repeated block is dropped, first wins",
		payload: "# HELP a A.\n# TYPE a counter\na 1\n# TYPE b gauge\nb 2\n" +
			"# HELP a A.\n# TYPE a counter\na 99\n# TYPE b gauge\nb 98\n",
		want: only("a", "b"),
		out:  "# HELP a A.\n# TYPE a counter\na 1\n# TYPE b gauge\nb 2\n",
	}, {
		name:    "a family's samples resuming after another family are a repeat",
		payload: "x 1\n# TYPE y gauge\ny 2\nx 3\n",
		want:    only("x", "y"),
		out:     "x 1\n# TYPE y gauge\ny 2\n",
	}, {
		name:    "HELP without TYPE or samples is dropped",
		payload: "# HELP lonely Nothing follows.\n# HELP a A.\n# TYPE a gauge\na 1\n",
		want:    only("lonely", "a"),
		out:     "# HELP a A.\n# TYPE a gauge\na 1\n",
	}, {
		name:    "an empty block does not count as the first one",
		payload: "# HELP a Early.\n# TYPE b gauge\nb 1\n# HELP a A.\n# TYPE a gauge\na 1\n",
		want:    only("a"),
		out:     "# HELP a A.\n# TYPE a gauge\na 1\n",
	}, {
		name:    "missing trailing newline is added",
		payload: "# TYPE a gauge\na 1",
		want:    only("a"),
		out:     "# TYPE a gauge\na 1\n",
	}, {
		name:    "other comments, blank lines and leading blanks",
		payload: "# a free comment\n\n  # TYPE a gauge\n# another one\n\t a{x=\"1\"} 1\n   \na{x=\"2\"} 2\n",
		want:    only("a"),
		out:     "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2\"} 2\n",
	}, {
		name:    "label values may hold braces, blanks and escapes",
		payload: "# TYPE a gauge\na{x=\"} {\",y=\"q\\\"\\n\"} 1 1700000000000\n",
		want:    only("a"),
		out:     "# TYPE a gauge\na{x=\"} {\",y=\"q\\\"\\n\"} 1 1700000000000\n",
	}, {
		name:    "HELP with TABs and escaped newlines stays verbatim",
		payload: "# HELP a one\\n\t\ttwo\n# TYPE a counter\na 1\n",
		want:    only("a"),
		out:     "# HELP a one\\n\t\ttwo\n# TYPE a counter\na 1\n",
	}, {
		name:    "NaN and Inf values",
		payload: "a NaN\nb +Inf\nc -Inf\n",
		want:    only("a", "b", "c"),
		out:     "a NaN\nb +Inf\nc -Inf\n",
	}, {
		name:    "nothing wanted",
		payload: "# TYPE a gauge\na 1\n",
		want:    only(),
		out:     "",
	}, {
		name:    "empty payload",
		payload: "",
		want:    only("a"),
		out:     "",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select([]byte(tt.payload), tt.want)
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			if string(got) != tt.out {
				t.Errorf("Select:\n got %q\nwant %q", got, tt.out)
			}
			// Whatever Select keeps, expfmt must accept.
			if _, err := Parse([]byte(tt.payload), tt.want); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

func TestSelectErrors(t *testing.T) {
	t.Parallel()
	all := func(string) bool { return true }
	none := func(string) bool { return false }
	tests := []struct {
		name    string
		payload string
		want    func(string) bool
		err     string // substring, always with the line number
	}{
		{"HTML error page", "<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n", none, "line 1: not a Prometheus text line"},
		{"plain text error", "# TYPE a gauge\na 1\nInternal Server Error\n", none, "line 3: sample without a numeric value"},
		{"binary junk", "# TYPE a gauge\na 1\n\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\n", none, "line 3: not a Prometheus text line"},
		{"gzip body not decoded", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\xec\xbd", all, "line 1: not a Prometheus text line"},
		{"sample without value", "# TYPE a gauge\na{x=\"1\"}\n", none, "line 2: sample without a numeric value"},
		{"unterminated label set", "# TYPE a gauge\na{x=\"1\" 1\n", none, "line 2: unterminated label set"},
		{"bad character in name", "a-b 1\n", none, "line 1: invalid metric name"},
		{"quoted UTF-8 name", "{\"a.b\"} 1\n", all, "line 1: quoted (UTF-8) metric names are not supported"},
		{"bad name in TYPE", "# TYPE 1a gauge\n", none, "line 1: invalid metric name in TYPE comment"},
		{"cut inside a label value", "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2", none, "line 3: unterminated label set"},
		{"cut before the value", "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2\"} ", none, "line 3: sample without a numeric value"},
		{"cut inside an exponent", "# TYPE a gauge\na 1\nb 1.5e", none, "line 3: payload truncated mid-line"},
		{"cut inside a timestamp", "a 1 17000000000\nb 1 17x", none, "line 2: payload truncated mid-line"},
		{"cut after a bucket line", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n", none, `line 3: payload ends inside histogram "h"`},
		{"cut after quantiles", "# TYPE s summary\ns{quantile=\"0.5\"} 1\n", none, `line 2: payload ends inside summary "s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Select([]byte(tt.payload), tt.want)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Select: got error %v, want one containing %q", err, tt.err)
			}
			if _, perr := Parse([]byte(tt.payload), tt.want); perr == nil || perr.Error() != err.Error() {
				t.Errorf("Parse: got %v, want Select's error %v", perr, err)
			}
		})
	}
}
