package exporter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// TestUnreachableCycles: a check that reads every node and reached none is
// counted as result="unreachable", not ok, and leaves the last success
// where it was; the reach gauges say how many of how many; the start and
// end of such a run are logged once each; readiness follows the rule of
// Runner.Readiness.
func TestUnreachableCycles(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("v", "c")
	var reached atomic.Int32
	vars := check("vars", func(_ context.Context, tg *checks.Target, _ checks.Sink) error {
		tg.ReportNodesReached(int(reached.Load()), 3)
		return nil
	})
	var logs syncBuffer
	r := newRunner([]testInstance{{Cluster: "c", Sink: &sinktest.Recorder{}, Jobs: []testJob{{Check: vars}}}}, m, newTextLogger(&logs))
	runs := func(result string) float64 {
		return testutil.ToFloat64(m.checkRuns.WithLabelValues("c", "vars", result))
	}
	count := func(s string) int { return strings.Count(logs.String(), s) }

	steps := []struct {
		reached           int32
		ok, unreachable   float64
		ready             bool
		why               string
		warnings, recover int
	}{
		// Never reached a node: not ready from the first cycle.
		{0, 0, 1, false, `check "vars" of cluster "c" reached none of its 3 node(s) in its last 1 cycle(s)`, 1, 0},
		{2, 1, 1, true, "", 1, 1},
		// Reached before: two cycles without a node are a blip...
		{0, 1, 2, true, "", 2, 1},
		{0, 1, 3, true, "", 2, 1},
		// ...the third is not.
		{0, 1, 4, false, `check "vars" of cluster "c" reached none of its 3 node(s) in its last 3 cycle(s)`, 2, 1},
		{0, 1, 5, false, "in its last 4 cycle(s)", 2, 1},
		{1, 2, 5, true, "", 2, 2},
	}
	var lastOK float64
	for i, s := range steps {
		reached.Store(s.reached)
		if err := r.RunOnce(t.Context()); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got, got2 := runs("ok"), runs("unreachable"); got != s.ok || got2 != s.unreachable {
			t.Errorf("step %d: runs ok %v unreachable %v, want %v and %v", i, got, got2, s.ok, s.unreachable)
		}
		last := testutil.ToFloat64(m.lastSuccess.WithLabelValues("c", "vars"))
		if (s.reached > 0) != (last > lastOK) {
			t.Errorf("step %d: last success %v after %v with %d nodes reached", i, last, lastOK, s.reached)
		}
		lastOK = last
		if got := testutil.ToFloat64(m.nodesReached.WithLabelValues("c", "vars")); got != float64(s.reached) {
			t.Errorf("step %d: nodes_reached %v", i, got)
		}
		if got := testutil.ToFloat64(m.checkNodes.WithLabelValues("c", "vars")); got != 3 {
			t.Errorf("step %d: nodes %v", i, got)
		}
		ready, why := r.Readiness()
		if ready != s.ready || !strings.Contains(why, s.why) || (s.ready && why != "") {
			t.Errorf("step %d: Readiness = %v %q, want %v %q", i, ready, why, s.ready, s.why)
		}
		if got, got2 := count("level=WARN msg=\"no node reachable"), count("reachable again")+count("first node reached"); got != s.warnings || got2 != s.recover {
			t.Errorf("step %d: %d warnings and %d recoveries logged, want %d and %d:\n%s", i, got, got2, s.warnings, s.recover, logs.String())
		}
	}
	checkCounter(t, testutil.ToFloat64(m.checkErrors.WithLabelValues("c", "vars")), 0, "errors")
}

// TestUnreachableVarsIsVisible: the real vars check with every node
// refusing: the run is unreachable, and /readyz says so with the reason.
func TestUnreachableVarsIsVisible(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	v, err := checks.NewVars(checks.VarsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewSelfMetrics("v", "c")
	r := newRunner([]testInstance{{Cluster: "c", Source: cluster.Static{{ID: 1, StatusURL: dead.URL}, {ID: 2, StatusURL: dead.URL + "/2"}},
		HTTP: &http.Client{}, Sink: &sinktest.Recorder{}, Jobs: []testJob{{Check: v}}}}, m, nil)
	// --once fails when no node could be scraped; the run still counts as
	// unreachable, not as an error of the check.
	if err := r.RunOnce(t.Context()); err == nil || !strings.Contains(err.Error(), "no node could be scraped") {
		t.Fatalf("RunOnce = %v, want the no-node failure", err)
	}
	checkCounter(t, testutil.ToFloat64(m.checkRuns.WithLabelValues("c", "vars", "unreachable")), 1, "unreachable runs")
	checkCounter(t, testutil.ToFloat64(m.checkRuns.WithLabelValues("c", "vars", "ok")), 0, "ok runs")
	if got := testutil.ToFloat64(m.nodesReached.WithLabelValues("c", "vars")); got != 0 {
		t.Errorf("nodes reached %v", got)
	}
	if got := testutil.ToFloat64(m.checkNodes.WithLabelValues("c", "vars")); got != 2 {
		t.Errorf("nodes %v", got)
	}

	ts := httptest.NewServer(NewHTTPServer("", m, r.Ready, nil, ReadyReason(func() string { _, why := r.Readiness(); return why })).Handler)
	defer ts.Close()
	code, body := get(t, "GET", ts.URL+"/readyz")
	if code != 503 || body != "not ready: check \"vars\" of cluster \"c\" reached none of its 2 node(s) in its last 1 cycle(s)\n" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	_, metrics := get(t, "GET", ts.URL+"/metrics")
	for _, want := range []string{`roachdog_check_nodes_reached{check="vars",cluster="c"} 0`, `roachdog_check_nodes{check="vars",cluster="c"} 2`,
		`roachdog_check_runs_total{check="vars",cluster="c",result="unreachable"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
