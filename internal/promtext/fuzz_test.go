package promtext

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"

	"github.com/roachdog/roachdog/internal/testenv"
)

// fuzzWant turns a fuzzed byte into a family filter: 0 wants everything,
// anything else a pseudo-random share of the names (decided by a hash, so
// that the same name is always wanted or not within one run).
func fuzzWant(pick byte) func(string) bool {
	if pick == 0 {
		return func(string) bool { return true }
	}
	return func(name string) bool {
		h := fnv.New32a()
		h.Write([]byte{pick})
		h.Write([]byte(name))
		return h.Sum32()%3 != 0
	}
}

// fuzzSeedsFromCaptures adds windows of the real captures as seeds: a few
// hundred lines from the start of each, and a histogram's block, small
// enough for the fuzzer to mutate quickly. The captures stay outside the
// repository; the committed corpus holds hand-written seeds only.
func fuzzSeedsFromCaptures(f *testing.F) {
	dir := filepath.Join(testenv.RepoRoot(f), "..", "shared", "fixtures")
	files, _ := filepath.Glob(filepath.Join(dir, "cockroach-vars", "*.txt"))
	v20, _ := filepath.Glob(filepath.Join(dir, "cockroach-v20.2", "healthy", "node1_status_vars.txt"))
	for _, name := range append(files, v20...) {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		lines := bytes.SplitAfter(b, []byte("\n"))
		f.Add(bytes.Join(lines[:min(len(lines), 120)], nil), byte(0))
		// The first histogram's block, with the family before it.
		if i := bytes.Index(b, []byte(" histogram\n")); i > 0 {
			from := bytes.LastIndex(b[:max(0, i-200)], []byte("\n# HELP")) + 1
			rest := lines[bytes.Count(b[:from], []byte("\n")):]
			f.Add(bytes.Join(rest[:min(len(rest), 60)], nil), byte(7))
		}
	}
}

// FuzzSelect checks the byte scan that picks families before expfmt, and
// Parse on its result:
//   - neither panics, whatever the input;
//   - SelectReader, reading the payload in pieces, selects the same;
//   - every line Select returns is a line of the input (leading blanks
//     trimmed), in input order: it never invents or reorders bytes;
//   - Select's output is always valid input to Select again, and selecting
//     everything from it gives it back unchanged;
//   - when expfmt parses the whole payload, Parse either fails for one of
//     its documented stricter reasons (a cut histogram) or returns exactly
//     the wanted families of the full parse, each identical (for payloads
//     whose families are each in one group, as the text format requires).
func FuzzSelect(f *testing.F) {
	for _, s := range []string{
		"",
		"\n\n",
		"# HELP a help\n# TYPE a counter\na 1\n",
		"# TYPE g gauge\ng{node=\"1\"} 2.5e+06\ng{node=\"2\"} NaN\ng{node=\"3\"} -Inf 1700000000000\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n# TYPE c counter\nc 4\n",
		"# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n",
		"a 1\nb 2\na 3\n",
		"# HELP only_help no samples\n# TYPE x untyped\nx 1",
		"# TYPE x counter\nx 1\n# TYPE x counter\nx 1\n",
		"x{a=\"}\\\" {\"} 1\n",
		"x{a=\"b\"} 1\ny{a=\"b",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\n",
		"<html><body>503</body></html>\n",
		"\t  x 1\n# comment\n#\n# HELP\n# TYPE\n",
		"{\"quoted.name\"} 1\n",
		"x\x00 1\n",
		"# TYPE h HISTOGRAM\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n",
		// Two series of a histogram, the later one first in SeriesOrder:
		// with pick 1 (a limit of one series) the second is kept.
		"# HELP h x\n# TYPE h histogram\nh_bucket{s=\"2\",le=\"+Inf\"} 1\nh_sum{s=\"2\"} 1\nh_count{s=\"2\"} 1\n" +
			"h_bucket{s=\"1\",le=\"+Inf\"} 1\nh_sum{s=\"1\"} 1\nh_count{s=\"1\"} 1\n# TYPE c counter\nc 1\n",
	} {
		f.Add([]byte(s), byte(0))
		f.Add([]byte(s), byte(1))
	}
	fuzzSeedsFromCaptures(f)

	f.Fuzz(func(t *testing.T, payload []byte, pick byte) {
		want := fuzzWant(pick)
		sel, err := Select(payload, want)
		fams, perr := Parse(payload, want)
		// Read in pieces that cut lines anywhere, the selection is the same.
		streamed, _, serr := SelectReader(&chunkReader{payload, 1 + int(pick)%13}, want, ReadOptions{})
		if fmt.Sprint(serr) != fmt.Sprint(err) || !bytes.Equal(streamed, sel) {
			t.Fatalf("SelectReader: %q, %v; Select: %q, %v", streamed, serr, sel, err)
		}
		lim := Limits{MaxSeriesPerFamily: int(pick % 4)}
		lsel, lcapped, lerr := SelectLimited(payload, want, lim)
		streamed, scapped, serr := SelectReader(&chunkReader{payload, 1 + int(pick)%7}, want, ReadOptions{Limits: lim})
		if fmt.Sprint(serr) != fmt.Sprint(lerr) || !bytes.Equal(streamed, lsel) || fmt.Sprint(scapped) != fmt.Sprint(lcapped) {
			t.Fatalf("SelectReader %+v: %q, %v, %v; SelectLimited: %q, %v, %v", lim, streamed, scapped, serr, lsel, lcapped, lerr)
		}
		if err != nil {
			if perr == nil {
				t.Fatalf("Select failed (%v) but Parse did not", err)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("Select error does not name a line: %v", err)
			}
			return
		}

		// Only input lines, in input order.
		in := inputLines(payload)
		i := 0
		for _, line := range strings.SplitAfter(string(sel), "\n") {
			if line == "" {
				continue
			}
			if !strings.HasSuffix(line, "\n") {
				t.Fatalf("selected output does not end with a newline: %q", line)
			}
			for i < len(in) && in[i] != line {
				i++
			}
			if i == len(in) {
				t.Fatalf("selected line %q is not an input line (in order)", line)
			}
			i++
		}

		// Idempotent: the selection is a payload Select takes back whole. A
		// sentinel family ends it, since the end-of-payload truncation rule
		// applies to the original's last family only (an unwanted family
		// may have followed a histogram that ended without _sum/_count).
		const sentinel = "fuzz_sentinel_end 1\n"
		if !bytes.Contains(sel, []byte("fuzz_sentinel_end")) {
			in2 := append(bytes.Clone(sel), sentinel...)
			again, err := Select(in2, func(string) bool { return true })
			if err != nil {
				t.Fatalf("Select of its own output failed: %v\noutput: %q", err, sel)
			}
			if !bytes.Equal(again, in2) {
				t.Fatalf("Select(all) of its own output changed it:\n got %q\nwant %q", again, in2)
			}
		}

		full, ferr := fuzzFullParse(payload)
		if ferr != nil {
			return // not a payload expfmt accepts: nothing to compare with
		}
		if perr != nil {
			if !strings.Contains(perr.Error(), "truncated") {
				t.Fatalf("expfmt parses the whole payload but Parse fails: %v", perr)
			}
			return
		}
		// The text format wants each family's lines in one group. expfmt
		// merges scattered ones (typing a later bare sample by an earlier
		// TYPE), Select keeps the first group (real captures repeat whole
		// blocks): such payloads are not valid input, nothing to compare.
		for _, n := range sampleRuns(payload, full) {
			if n > 1 {
				return
			}
		}
		for name, mf := range fams {
			if !want(name) {
				t.Errorf("Parse returned unwanted family %q", name)
			}
			ref := full[name]
			if !proto.Equal(mf, ref) {
				t.Errorf("family %q differs from the full parse:\n got %v\nwant %v", name, mf, ref)
			}
		}
		for name := range full {
			if _, ok := fams[name]; !ok && want(name) {
				t.Errorf("Parse lost wanted family %q", name)
			}
		}
	})
}

// inputLines splits a payload as Select reads it: lines with leading blanks
// trimmed, each ending with '\n' (added to a last line without one).
func inputLines(payload []byte) []string {
	var out []string
	for _, l := range strings.SplitAfter(string(payload), "\n") {
		l = strings.TrimLeft(l, " \t")
		if l == "" {
			continue
		}
		if !strings.HasSuffix(l, "\n") {
			l += "\n"
		}
		out = append(out, l)
	}
	return out
}

// fuzzFullParse is what Select exists to avoid: expfmt over the whole payload.
func fuzzFullParse(payload []byte) (map[string]*dto.MetricFamily, error) {
	p := payload
	if len(p) > 0 && p[len(p)-1] != '\n' {
		p = append(bytes.Clone(p), '\n')
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	return parser.TextToMetricFamilies(bytes.NewReader(p))
}

// sampleRuns counts, per family of the full parse, the separate runs of
// sample lines it has in the payload: 1 for a family written in one block.
// A sample line's family is its name, or the name less _bucket/_sum/_count
// when the full parse typed that as a histogram or summary.
func sampleRuns(payload []byte, full map[string]*dto.MetricFamily) map[string]int {
	runs := map[string]int{}
	prev := ""
	sampled := false // the current block has had samples
	for _, l := range inputLines(payload) {
		if strings.HasPrefix(l, "#") {
			// A header opens its family's block; one after the family's
			// samples ("x 0", then "# HELP x") opens another, as Select
			// reads it: headers come before samples in the text format.
			if n := fuzzHeaderName(l); n != "" && (n != prev || sampled) {
				runs[n]++
				prev, sampled = n, false
			}
			continue
		}
		sampled = true
		name := l[:metricName([]byte(l))]
		fam := name
		for _, sfx := range []string{"_bucket", "_sum", "_count"} {
			base, ok := strings.CutSuffix(name, sfx)
			if !ok || full[base] == nil {
				continue
			}
			switch full[base].GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				fam = base
			case dto.MetricType_SUMMARY:
				if sfx != "_bucket" {
					fam = base
				}
			}
		}
		if fam != prev {
			runs[fam]++
		}
		prev = fam
	}
	return runs
}

// fuzzHeaderName returns the family a HELP/TYPE line names, with or without
// blanks after '#' (expfmt takes "#TYPE x gauge" as a TYPE line).
func fuzzHeaderName(line string) string {
	f := strings.Fields(line[1:])
	if len(f) >= 2 && (f[0] == "HELP" || f[0] == "TYPE") {
		return f[1][:metricName([]byte(f[1]))]
	}
	return ""
}
