package promtext

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/testenv"
)

func readFixture(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{testenv.Fixtures(t)}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func v20(t testing.TB, name string) []byte {
	return readFixture(t, "cockroach-v20.2", "healthy", name)
}

func set(names ...string) func(string) bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return func(n string) bool { return m[n] }
}

// lineOf returns the 1-based number of the first line starting with prefix.
func lineOf(t testing.TB, payload []byte, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(string(payload), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}

// replaceLine swaps line n (1-based) for repl.
func replaceLine(payload []byte, n int, repl string) []byte {
	lines := strings.Split(string(payload), "\n")
	lines[n-1] = repl
	return []byte(strings.Join(lines, "\n"))
}

func TestParseFixtureQuirks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []string // families that must come out, with their sample count
		n    []int
	}{
		// The same 231-line block twice: the histogram keeps 1 series of
		// 61 buckets, not 122.
		{"v23.2_physical_metrics.txt", []string{"physical_replication_commit_latency", "physical_replication_running"}, []int{1, 1}},
		{"v23.2_queue_metrics.txt", []string{"queue_gc_pending"}, []int{1}},
		// HELP without TYPE or samples (txn_condensed_intent_spans_rejected),
		// asked for along with its neighbours.
		{"v23.2_kv_metrics.txt", []string{"txn_condensed_intent_spans_rejected", "kv_tenant_rate_limit_num_tenants"}, []int{0, 1}},
		// HELP texts with literal TABs and \n escapes.
		{"v23.2_distsender_metrics.txt", []string{"distsender_batch_requests_cross_zone_bytes"}, []int{1}},
		// No trailing newline; the last line is a histogram's _count.
		{"v23.2_admission_metrics.txt", []string{"admission_wait_durations_kv_stores_locking_normal_pri"}, []int{1}},
		{"v22.2.8_security_metrics.txt", []string{"security_certificate_expiration_ca"}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			fams, err := Parse(readFixture(t, "cockroach-vars", tt.file), set(tt.want...))
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range tt.want {
				if got := len(fams[name].GetMetric()); got != tt.n[i] {
					t.Errorf("%s: %d series, want %d", name, got, tt.n[i])
				}
			}
			if h := fams["physical_replication_commit_latency"]; h != nil {
				if got := len(h.GetMetric()[0].GetHistogram().GetBucket()); got != 61 {
					t.Errorf("commit_latency: %d buckets, want 61 (the repeat must not add its own)", got)
				}
			}
			if d := fams["distsender_batch_requests_cross_zone_bytes"]; d != nil && !strings.Contains(d.GetHelp(), "cross\n\t\tzone") {
				t.Errorf("HELP escapes not decoded: %q", d.GetHelp())
			}
		})
	}
}

// TestParseErrorLines checks that errors name the line of the original
// payload, not of the selected lines handed to expfmt.
func TestParseErrorLines(t *testing.T) {
	t.Parallel()
	p := v20(t, "node1_status_vars.txt")
	want := set("sql_conns", "liveness_livenodes", "sys_uptime", "liveness_heartbeatlatency")

	if _, err := Parse(p, want); err != nil {
		t.Fatalf("clean payload: %v", err)
	}
	tests := []struct {
		name, prefix, repl string
		err                string // %d is the line
	}{
		{"bad value", "sql_conns ", "sql_conns 12x", `line %d: expected float as value, got "12x"`},
		{"bad bucket value", `liveness_heartbeatlatency_bucket{le="3.014655e+06"}`, `liveness_heartbeatlatency_bucket{le="3.014655e+06"} 4y`, `line %d: expected float as value, got "4y"`},
		{"bad bound", `liveness_heartbeatlatency_bucket{le="3.014655e+06"}`, `liveness_heartbeatlatency_bucket{le="fast"} 4`, `line %d: expected float as value for 'le' label, got "fast"`},
		{"unknown type", "# TYPE sql_conns ", "# TYPE sql_conns gauge extra", `line %d: unknown metric type "gauge extra"`},
		{"bad label", "liveness_livenodes ", `liveness_livenodes{a=b} 3`, `line %d: expected '"' at start of label value, found 'b'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := lineOf(t, p, tt.prefix)
			if n < 100 {
				t.Fatalf("line %d: pick a line deep in the payload so the mapping matters", n)
			}
			_, err := Parse(replaceLine(p, n, tt.repl), want)
			if err == nil {
				t.Fatal("no error")
			}
			if w := fmt.Sprintf(tt.err, n); !strings.Contains(err.Error(), w) {
				t.Errorf("got %q, want it to contain %q", err, w)
			}
		})
	}

	// A broken line in a family nobody asked for is never parsed: selection
	// is what makes Parse cheap. (Select still rejects lines that cannot be
	// Prometheus text at all, see TestSelectErrors.)
	n := lineOf(t, p, "sys_goroutines ")
	if _, err := Parse(replaceLine(p, n, "sys_goroutines 12x"), want); err != nil {
		t.Errorf("unwanted family's bad value: %v", err)
	}
}

// TestParseTruncated cuts real payloads at every byte inside a histogram:
// each cut must fail, whether it falls mid-line or on a line boundary. Only
// a cut inside the digits of the final _count value cannot be told from a
// smaller count.
func TestParseTruncated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload []byte
		family  string
	}{
		{"v20.2 sparse histogram", v20(t, "node1_status_vars_t1.txt"), "liveness_heartbeatlatency"},
		{"v23.2 histogram with labels", readFixture(t, "cockroach-vars", "v23.2_changefeed_metrics.txt"), "changefeed_message_size_hist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.payload
			first := bytes.Index(p, []byte("\n"+tt.family+"_bucket")) + 1
			countLine := bytes.Index(p[first:], []byte("\n"+tt.family+"_count")) + first + 1
			countValue := countLine + bytes.IndexByte(p[countLine:], ' ') + 1
			if first <= 0 || countLine <= first {
				t.Fatalf("%s not found", tt.family)
			}
			if _, err := Parse(p, set(tt.family)); err != nil {
				t.Fatalf("whole payload: %v", err)
			}
			for cut := first + 1; cut <= countValue; cut++ {
				if _, err := Parse(p[:cut], set(tt.family)); err == nil {
					t.Fatalf("cut at byte %d (%q...) parsed without error", cut, p[max(first, cut-40):cut])
				}
			}
			// The cut is seen even when the histogram is not wanted: it is the
			// payload's last family.
			if _, err := Parse(p[:first+(countLine-first)/2], set("sys_uptime")); err == nil {
				t.Error("cut inside an unwanted histogram parsed without error")
			}
		})
	}
}

func TestParseIncompleteHistogram(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, payload, err string
	}{
		{"no _count", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\n# TYPE g gauge\ng 1\n", "lines 1-3: histogram h: series {} has no _count"},
		{"no _sum", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n# TYPE g gauge\ng 1\n", "has no _sum"},
		{"no +Inf", "# TYPE h histogram\nh_bucket{x=\"a\",le=\"1\"} 1\nh_sum{x=\"a\"} 2\nh_count{x=\"a\"} 1\n# TYPE g gauge\ng 1\n", `series {x="a"} has no le="+Inf" bucket`},
		// A series cut off between two series of one histogram: the second
		// one has buckets only, and the next family starts.
		{"second series cut", "# TYPE h histogram\nh_bucket{s=\"1\",le=\"+Inf\"} 1\nh_sum{s=\"1\"} 2\nh_count{s=\"1\"} 1\nh_bucket{s=\"2\",le=\"1\"} 1\n# TYPE g gauge\ng 1\n", `series {s="2"} has no _count`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.payload), set("h", "g"))
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("got %v, want an error containing %q", err, tt.err)
			}
			if _, err := Parse([]byte(tt.payload), set("g")); err != nil {
				t.Errorf("with the histogram unwanted: %v", err)
			}
		})
	}
}
