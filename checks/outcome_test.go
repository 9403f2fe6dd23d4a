package checks_test

import (
	"strings"
	"testing"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// TestOutcome: what makes a cycle failed for `run --once`, beyond an error
// returned by the check, and that everything still reaches the sink.
func TestOutcome(t *testing.T) {
	t.Parallel()
	type report func(s checks.Sink)
	sc := func(name string, st checks.Status, msg string) report {
		return func(s checks.Sink) { s.ServiceCheck(name, st, msg, []string{"check:x"}) }
	}
	gauge := func(name string, v float64) report {
		return func(s checks.Sink) { s.Gauge(name, v, nil) }
	}
	for _, tc := range []struct {
		name    string
		reports []report
		want    []string // substrings of the error; none: no failure
	}{
		{"nothing reported", nil, nil},
		{"queries ok", []report{sc("sql.can_query", checks.OK, "")}, nil},
		{"query failed in part", []report{sc("sql.can_query", checks.Critical, "schema: database shop: permission denied")},
			[]string{"sql.can_query CRITICAL: schema: database shop: permission denied"}},
		{"a warning is not a failure", []report{sc("sql.can_query", checks.Warning, "jobs: not admin")}, nil},
		{"one node of two down", []report{
			sc("node.can_scrape", checks.Critical, "node 2: connection refused"), sc("node.can_scrape", checks.OK, ""),
			gauge("cluster.nodes.targets", 2)}, nil},
		{"every node down", []report{
			sc("node.can_scrape", checks.Critical, "node 1: connection refused"),
			sc("node.can_scrape", checks.Critical, "node 2: timeout"),
			gauge("cluster.nodes.targets", 2)},
			[]string{"no node could be scraped", "all 2", "node 1: connection refused", "node 2: timeout"}},
		{"many nodes down: the first few named", []report{
			sc("node.can_scrape", checks.Critical, "n1"), sc("node.can_scrape", checks.Critical, "n2"),
			sc("node.can_scrape", checks.Critical, "n3"), sc("node.can_scrape", checks.Critical, "n4"),
			sc("node.can_scrape", checks.Critical, "n5")},
			[]string{"all 5", "n1; n2; n3; and 2 more"}},
		{"no node to scrape", []report{gauge("cluster.nodes.targets", 0)}, []string{"no node to scrape"}},
		{"bad cluster news is not a failure to collect", []report{
			sc("cluster.nodes_live", checks.Critical, "node 3 is dead"), sc("sql.can_query", checks.OK, "")}, nil},
		{"hostile message made one bounded line", []report{
			sc("sql.can_query", checks.Critical, "custom_queries: ERROR\n\x1b[31m"+strings.Repeat("é", 1<<20))},
			[]string{"sql.can_query CRITICAL: custom_queries: ERROR  [31méé"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &sinktest.Recorder{}
			o := checks.NewOutcome(rec)
			for _, r := range tc.reports {
				r(o)
			}
			if len(rec.Points) != len(tc.reports) {
				t.Errorf("%d points reached the sink, want %d", len(rec.Points), len(tc.reports))
			}
			err := o.Err()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Err() = nil, want %q", tc.want)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Err() = %.300q, want it to contain %q", msg, w)
				}
			}
			if len(msg) > 2000 || strings.ContainsAny(msg, "\n\x1b") && len(tc.reports) == 1 {
				t.Errorf("Err() is not one bounded line: %d bytes %.200q", len(msg), msg)
			}
		})
	}
}
