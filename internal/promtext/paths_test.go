package promtext

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The selector reads the samples of the open block (block.sampleIn) and
// the HELP and TYPE lines as exporters write them (selector.headerFast) on
// fast paths; everything else takes the general path, which alone is the
// rules as written (checkSample, belongs, parseComment). The tests
// here check that turning the fast path off changes nothing: the same
// lines, line numbers, family spans, caps and errors.

// selectPath selects a payload held whole, with or without the fast path.
func selectPath(payload []byte, want func(string) bool, lim Limits, slow bool) (selection, error) {
	s := newSelector(want, lim, nil)
	s.slow = slow
	if err := s.feed(payload, true); err != nil {
		return selection{}, err
	}
	return s.end()
}

// samePaths fails t when the fast and the slow path select differently.
func samePaths(t *testing.T, name string, payload []byte, want func(string) bool, lim Limits) {
	t.Helper()
	fast, ferr := selectPath(payload, want, lim, false)
	slow, serr := selectPath(payload, want, lim, true)
	if fmt.Sprint(ferr) != fmt.Sprint(serr) {
		t.Fatalf("%s %+v: fast path error %v, slow path %v", name, lim, ferr, serr)
	}
	if !bytes.Equal(fast.out, slow.out) {
		t.Fatalf("%s %+v: fast path selected\n%q\nslow path\n%q", name, lim, fast.out, slow.out)
	}
	if !reflect.DeepEqual(fast.lines, slow.lines) || !reflect.DeepEqual(fast.fams, slow.fams) ||
		!reflect.DeepEqual(fast.capped, slow.capped) {
		t.Fatalf("%s %+v: fast path lines %v fams %v capped %v; slow path %v %v %v",
			name, lim, fast.lines, fast.fams, fast.capped, slow.lines, slow.fams, slow.capped)
	}
}

// adversarial are payloads made to tell the paths apart: names that are
// prefixes of others, histogram and summary suffixes in and out of their
// families, a family without a header inside a block, blanks of every
// kind, cut and junk lines.
var adversarial = []string{
	"# HELP a A.\n# TYPE a counter\na 1\nab 2\na_sum 3\na 4\n",
	"# HELP ab A.\n# TYPE ab gauge\nab 1\na 2\nabc 3\nab{x=\"1\"} 4\n",
	"# HELP a A.\n# TYPE ab gauge\nab 1\n# TYPE a gauge\na 2\n",
	"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_bucketx 3\nh_sum 3\nh_count 2\nh_countx 1\nh_sum{a=\"b\"} 1\nh_count{a=\"b\"} 1\n",
	"# TYPE h histogram\nh_bucket 1\nh_bucket_bucket{le=\"1\"} 1\nh_sum_sum 2\nh_count_count 3\nh 4\nh_sum 5\nh_count 6\n",
	"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n# TYPE h_bucket counter\nh_bucket 1\n# TYPE h_sum gauge\nh_sum 2\n",
	"# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_bucket{le=\"1\"} 1\ns_sum 1\ns_count 1\n",
	"# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\ns_bucket 7\ns_bucket_sum 8\n",
	"# TYPE c counter\nc 1\nc_count 5\nc_sum 6\nc 7\n",
	"# TYPE a gauge\na 1\nb 2\na 3\n# TYPE b gauge\nb 4\n",
	"# TYPE a gauge\na 1\nloose{x=\"y\"} 4\nloose 5\na 6\n",
	"a\t1\na{x=\"1\"}\t2\n\ta 3\n \t a{x=\"2\"} \t 4\na{x=\"3\"}\t\t5\t1700000000000\n",
	"a 1  \na{x=\"1\"} 2 \t\nb 3\t \n",
	"# TYPE a gauge\na{x=\"}\"} 1\na{x=\"}\",y=\"{\"} 2\na{x=\"\\\"}\"} 3\n",
	"# TYPE a gauge\na{} 1\na{}1\n",
	"# TYPE a gauge\na 1\na{x=\"1\" 1\n",
	"# TYPE a gauge\na 1\na-b 1\n",
	"# TYPE a gauge\na 1\na\x00 1\n",
	"# TYPE a gauge\na 1\na \n",
	"# TYPE a gauge\na 1\na\n",
	"# TYPE a gauge\na 1\na{x=\"1\"}\n",
	"# TYPE a gauge\na 1\na{x=\"1\"} x\n",
	"# TYPE a gauge\na 1\na{x=\"1\"} 1\r\na 2\r\n",
	"# TYPE a gauge\na 1\nA 2\n:a 3\na: 4\n",
	"# TYPE a gauge\na 1\na 1.5e",
	"# TYPE a gauge\na 1\na 1",
	"# TYPE a gauge\na 1\na{x=\"1",
	"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1",
	"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1",
	"#TYPE a gauge\na 1\n#HELP a A.\n",
	"# TYPE  a gauge\na 1\n# HELP\ta A.\n",
	"# TYPE a\tgauge\na 1\n# TYPE a\n",
	"# HELP h H.\n# TYPE h  histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
	"# HELP h H.\n# TYPE h \thistogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
	"# HELP h H.\n# TYPE h\thistogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
	"# HELP h H.\n# TYPE h \n# TYPE h summary\nh_sum 1\nh_count 1\n",
	"# HELP h H.\n# TYPE h HISTOGRAM\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
	"# HELP h H.\n# TYPE h histogram \nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
	"# HELP h H.\n# TYPE h histogram extra\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
	"# HELP h H.\n# TYPE h gauge_histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
	"# HELP h H.\n# TYPE h histogramx\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
	"# HELP s S.\n# TYPE s summary\t\ns_sum 1\ns_count 1\ns_bucket 1\n",
	"# HELP c C.\n# TYPE c counterx\nc 1\nc_sum 1\n",
	"# HELP h\tH.\n# HELP h  H.\n# HELP h\n# TYPE h summary\nh_sum 1\nh_count 1\n",
	"# HELP a A.\n# HELP a again\n# TYPE a counter\n# TYPE a gauge\na 1\n",
	"# HELP a A.\n# TYPE a counter\na 1\n# TYPE a counter\na 2\n",
	"# HELP a A.\n# HELP a B.\n# TYPE a counter\na 1\n",
	"# HELP a A.\n# TYPE a counter\n# HELP a B.\na 1\n",
	"# HELP a A.\n# TYPE a counter\n# TYPE a gauge\na 1\n",
	"# HELP a A.\na 1\n# TYPE a counter\na 2\n",
	"# HELP a A.\na 1\n# HELP a B.\na 2\n",
	"# TYPE a counter\na 1\n# HELP a B.\na 2\n",
	"a 1\n# HELP a B.\na 2\n# TYPE a counter\na 3\n",
	"# HELP a A.\n# TYPE a counter\na 1\n# HELP a A.\n# TYPE a counter\na 2\n",
	"# HELP a A.\n# TYPE a counter\na 1\n# HELP a A.\na 2\n",
	"# HELP a A.\n# TYPE a-b counter\n",
	"# HELP a-b x\n",
	"# TYPE a HISTOGRAM\na_bucket{le=\"+Inf\"} 1\na_sum 1\na_count 1\n# TYPE b Summary\nb_sum 1\nb_count 1\n",
	"# TYPE a gauge_histogram\na_bucket{le=\"+Inf\"} 1\na_sum 1\na_count 1\n",
	"# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 1\na_count 1\na_sum 1\n",
	"# TYPE a untyped\na 1\n# TYPE a_total counter\na_total 2\n",
	"# HELP a A.\n\n\n# TYPE a counter\n\na 1\n\n",
	"# HELP a\n# TYPE a\na 1\n",
	"# HELP a A.\n# TYPE a counter\n# just a comment\na 1\n",
	"<html><body>503</body></html>\n",
	"{\"quoted.name\"} 1\n",
	"# TYPE a gauge\na 1\n{\"quoted.name\"} 1\n",
}

// TestFastPathMatchesSlow: with and without the fast path, the same
// selection of every real capture and every adversarial payload, for
// several wanted sets and limits.
func TestFastPathMatchesSlow(t *testing.T) {
	t.Parallel()
	limits := []Limits{{}, {MaxSeriesPerFamily: 1}, {MaxSeriesPerFamily: 2}}
	for _, f := range fixtures(t) {
		for _, pick := range []byte{0, 3, 7} {
			for _, lim := range limits {
				samePaths(t, f.name, f.payload, fuzzWant(pick), lim)
			}
		}
	}
	for i, p := range adversarial {
		for _, pick := range []byte{0, 1, 2, 3, 7} {
			for _, lim := range limits {
				samePaths(t, fmt.Sprintf("adversarial %d (pick %d)", i, pick), []byte(p), fuzzWant(pick), lim)
			}
		}
	}
}

// FuzzSelectPaths: with and without the fast path, the same selection of
// any payload.
func FuzzSelectPaths(f *testing.F) {
	for _, p := range adversarial {
		f.Add([]byte(p), byte(0))
		f.Add([]byte(p), byte(5))
	}
	fuzzSeedsFromCaptures(f)
	f.Fuzz(func(t *testing.T, payload []byte, pick byte) {
		samePaths(t, "fuzz", payload, fuzzWant(pick), Limits{MaxSeriesPerFamily: int(pick % 4)})
	})
}

// refParseComment is parseComment as it was written first, with the
// rules alone: the keyword and the name each a token.
func refParseComment(line []byte) (kw byte, name, typ []byte, err error) {
	tok := func(b []byte) (tok, rest []byte) {
		i := bytes.IndexAny(b, " \t")
		if i < 0 {
			return b, nil
		}
		return b[:i], b[i:]
	}
	rest := trimBlank(line[1:])
	var word []byte
	word, rest = tok(rest)
	switch string(word) {
	case "HELP":
		kw = 'H'
	case "TYPE":
		kw = 'T'
	default:
		return 0, nil, nil, nil
	}
	rest = trimBlank(rest)
	n := metricName(rest)
	name, rest = rest[:n], rest[n:]
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
		return 0, nil, nil, fmt.Errorf("invalid metric name in %s comment: %s", word, quote(line))
	}
	if kw == 'T' {
		typ, _ = tok(trimBlank(rest))
	}
	return kw, name, typ, nil
}

// TestParseCommentMatchesReference: parseComment reads every comment line
// of the captures and of the adversarial payloads as the reference does.
func TestParseCommentMatchesReference(t *testing.T) {
	t.Parallel()
	var lines [][]byte
	for _, f := range fixtures(t) {
		for _, l := range bytes.Split(f.payload, []byte("\n")) {
			if l = trimBlank(l); len(l) > 0 && l[0] == '#' {
				lines = append(lines, l)
			}
		}
	}
	for _, p := range append(adversarial,
		"#", "# ", "#HELP", "# HELP", "# HELP ", "# HELPa b", "# TYPEa b", "#\tTYPE a gauge", "# TYPE a", "# TYPE a ",
		"# TYPE ab", "# TYPE a:b counter", "# TYPE a{} gauge", "# TYPE 1a gauge", "# HELP a\x00 x", "# HELP é x",
		"#  HELP  a  A.", "# help a A.", "# TYPE a gauge extra words",
	) {
		for _, l := range strings.Split(p, "\n") {
			if l = strings.TrimLeft(l, " \t"); strings.HasPrefix(l, "#") {
				lines = append(lines, []byte(l))
			}
		}
	}
	for _, line := range lines {
		kw, name, typ, err := refParseComment(line)
		gkw, gname, gtyp, gerr := parseComment(line)
		if gkw != kw || !bytes.Equal(gname, name) || !bytes.Equal(gtyp, typ) || fmt.Sprint(gerr) != fmt.Sprint(err) {
			t.Errorf("parseComment(%q) = %c %q %q %v; reference %c %q %q %v",
				line, gkw, gname, gtyp, gerr, kw, name, typ, err)
		}
	}
}

// TestMetricNameEightAtATime: metricName, which tests eight bytes at a
// time, stops where a byte-by-byte reading does, for every byte at every
// position of names around the eight-byte steps.
func TestMetricNameEightAtATime(t *testing.T) {
	t.Parallel()
	ref := func(b []byte) int {
		if len(b) == 0 || nameByte[b[0]] != 1 {
			return 0
		}
		for i := 1; i < len(b); i++ {
			if nameByte[b[i]] == 0 {
				return i
			}
		}
		return len(b)
	}
	for n := range 26 {
		for pos := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("a_Z:9", 6)[:n])
				b[pos] = byte(c)
				if got, want := metricName(b), ref(b); got != want {
					t.Fatalf("metricName(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}
