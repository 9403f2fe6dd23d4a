package exporter

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/deadline"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// fakeCheck runs fn and tracks how many runs overlap.
type fakeCheck struct {
	name      string
	fn        func(ctx context.Context, t *checks.Target, s checks.Sink) error
	calls     atomic.Int32
	active    atomic.Int32
	maxActive atomic.Int32
}

func (f *fakeCheck) Name() string { return f.name }

func (f *fakeCheck) Run(ctx context.Context, t *checks.Target, s checks.Sink) error {
	f.calls.Add(1)
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for {
		m := f.maxActive.Load()
		if n <= m || f.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	if f.fn == nil {
		return nil
	}
	return f.fn(ctx, t, s)
}

func check(name string, fn func(ctx context.Context, t *checks.Target, s checks.Sink) error) *fakeCheck {
	return &fakeCheck{name: name, fn: fn}
}

// blockUntilDone is a well-behaved slow check: it returns when its context
// ends.
func blockUntilDone(ctx context.Context, _ *checks.Target, _ checks.Sink) error {
	<-ctx.Done()
	return ctx.Err()
}

type sourceFunc func(ctx context.Context) ([]cluster.Node, error)

func (f sourceFunc) Nodes(ctx context.Context) ([]cluster.Node, error) { return f(ctx) }

var twoNodes = cluster.Static{{ID: 1, StatusURL: "http://n1:8080"}, {ID: 2, StatusURL: "http://n2:8080"}}

// eventually polls cond (bounded by timeout) instead of sleeping blindly.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runBounded runs f and fails the test if it has not returned within
// timeout (a hang detector, not a speed assertion).
func runBounded(t *testing.T, timeout time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("%s did not return within %s", what, timeout)
	}
}

func TestRunOnce(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("test", "abc")
	recA, recB := &sinktest.Recorder{}, &sinktest.Recorder{}
	var seen checks.Target
	ok := check("ok", func(_ context.Context, tg *checks.Target, s checks.Sink) error {
		seen = *tg
		tg.ReportNodeError("2", errors.New("connection refused"))
		s.Gauge("node.up", 1, []string{"node_id:1"})
		return nil
	})
	bad := check("bad", func(context.Context, *checks.Target, checks.Sink) error {
		return errors.New("query failed")
	})
	other := check("ok", nil)
	r := newRunner([]testInstance{
		{Cluster: "a", Source: twoNodes, Sink: WithTags(recA, "cluster:a"), Jobs: []testJob{{Check: ok, Interval: time.Minute}}},
		{Cluster: "b", Source: twoNodes, Sink: WithTags(recB, "cluster:b"), Jobs: []testJob{{Check: bad}, {Check: other}}},
	}, m, nil)

	if r.Ready() {
		t.Fatal("Ready before any cycle")
	}
	err := r.RunOnce(t.Context())
	if err == nil || !strings.Contains(err.Error(), `cluster "b" check "bad": query failed`) {
		t.Fatalf("RunOnce error = %v, want the failure naming cluster b and check bad", err)
	}
	if strings.Contains(err.Error(), `check "ok"`) {
		t.Errorf("successful checks reported as failed: %v", err)
	}
	for _, c := range []*fakeCheck{ok, bad, other} {
		if c.calls.Load() != 1 {
			t.Errorf("check %s ran %d times, want 1", c.name, c.calls.Load())
		}
	}
	if p := recA.One(t, "node.up"); p.Tags[0] != "cluster:a" {
		t.Errorf("tags = %q", p.Tags)
	}
	if seen.Cluster != "a" || len(seen.Nodes) != 2 || seen.Logger == nil {
		t.Errorf("target = %+v", seen)
	}
	if !r.Ready() {
		t.Error("not Ready after every job ran once")
	}

	checkCounter(t, testutil.ToFloat64(m.checkRuns.WithLabelValues("a", "ok", "ok")), 1, "runs a/ok ok")
	checkCounter(t, testutil.ToFloat64(m.checkRuns.WithLabelValues("b", "bad", "error")), 1, "runs b/bad error")
	checkCounter(t, testutil.ToFloat64(m.checkErrors.WithLabelValues("b", "bad")), 1, "errors b/bad")
	checkCounter(t, testutil.ToFloat64(m.checkErrors.WithLabelValues("a", "ok")), 0, "errors a/ok")
	checkCounter(t, testutil.ToFloat64(m.nodeErrors.WithLabelValues("a", "ok", "2")), 1, "node errors a/ok/2")
	if ts := testutil.ToFloat64(m.lastSuccess.WithLabelValues("a", "ok")); ts < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last success timestamp = %v", ts)
	}
	if n, _ := testutil.GatherAndCount(m.Registry(), "roachdog_last_success_timestamp_seconds"); n != 2 {
		t.Errorf("last success series = %d, want 2 (a/ok, b/ok; not b/bad)", n)
	}
}

func checkCounter(t *testing.T, got, want float64, what string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestRunOnceTimeout(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("test", "abc")
	slow := check("slow", blockUntilDone)
	fast := check("fast", nil)
	r := newRunner([]testInstance{{Cluster: "c", Source: twoNodes, Sink: &sinktest.Recorder{},
		Jobs: []testJob{{Check: slow, Interval: time.Hour, Timeout: 50 * time.Millisecond}, {Check: fast, Interval: time.Hour}}}}, m, nil)
	var err error
	runBounded(t, 10*time.Second, "RunOnce", func() { err = r.RunOnce(t.Context()) })
	if err == nil || !strings.Contains(err.Error(), `cluster "c" check "slow": timed out after 50ms`) {
		t.Errorf("RunOnce error = %v, want a timeout naming the check", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if fast.calls.Load() != 1 {
		t.Error("the fast check did not run")
	}
	checkCounter(t, testutil.ToFloat64(m.checkErrors.WithLabelValues("c", "slow")), 1, "errors c/slow")
	checkCounter(t, testutil.ToFloat64(m.checkRuns.WithLabelValues("c", "fast", "ok")), 1, "runs c/fast ok")
}

// TestStuckCheckIsAbandoned: a check that ignores its context must not hold
// RunOnce forever, and must never run twice at once.
func TestStuckCheckIsAbandoned(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	stuck := check("stuck", func(context.Context, *checks.Target, checks.Sink) error {
		<-release
		return nil
	})
	r := newRunner([]testInstance{{Cluster: "c", Sink: &sinktest.Recorder{},
		Jobs: []testJob{{Check: stuck, Interval: time.Hour, Timeout: 20 * time.Millisecond}}}}, nil, nil)
	r.abandonAfter = 20 * time.Millisecond

	var err error
	runBounded(t, 10*time.Second, "RunOnce", func() { err = r.RunOnce(t.Context()) })
	if err == nil || !strings.Contains(err.Error(), "abandoned") {
		t.Fatalf("RunOnce error = %v, want the check abandoned", err)
	}
	// Still stuck: a second cycle must wait for it rather than overlap.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	err = r.RunOnce(ctx)
	cancel()
	if err == nil || stuck.calls.Load() != 1 {
		t.Fatalf("second RunOnce: err %v, %d calls; want it to wait for the stuck run", err, stuck.calls.Load())
	}
	close(release)
	runBounded(t, 10*time.Second, "RunOnce after release", func() { err = r.RunOnce(t.Context()) })
	if err != nil || stuck.calls.Load() != 2 || stuck.maxActive.Load() != 1 {
		t.Errorf("after release: err %v, calls %d, max concurrent %d", err, stuck.calls.Load(), stuck.maxActive.Load())
	}
}

func TestRunOnceSourceErrors(t *testing.T) {
	t.Parallel()
	var got []cluster.Node
	c := check("vars", func(_ context.Context, tg *checks.Target, _ checks.Sink) error {
		got = tg.Nodes
		return nil
	})
	stale := sourceFunc(func(context.Context) ([]cluster.Node, error) {
		return twoNodes, errors.New("refresh failed")
	})
	r := newRunner([]testInstance{{Cluster: "c", Source: stale, Sink: &sinktest.Recorder{}, Jobs: []testJob{{Check: c}}}}, nil, nil)
	if err := r.RunOnce(t.Context()); err != nil || len(got) != 2 {
		t.Errorf("with a stale list: err %v, nodes %v; want the check to run on the last known list", err, got)
	}
}

// TestRunOnceWithoutNodes: a node list that cannot be read, with no list
// known at all (discovery with SQL down at start-up), does not stop the
// checks: SQL checks need no node and must report that SQL is down, and
// vars reports zero targets.
func TestRunOnceWithoutNodes(t *testing.T) {
	t.Parallel()
	none := sourceFunc(func(context.Context) ([]cluster.Node, error) { return nil, errors.New("no sql") })
	var ran atomic.Bool
	sqlCheck := check("liveness", func(_ context.Context, tg *checks.Target, s checks.Sink) error {
		ran.Store(true)
		if len(tg.Nodes) != 0 {
			t.Errorf("nodes %v, want none", tg.Nodes)
		}
		s.ServiceCheck("sql.can_query", checks.Critical, "down", nil)
		return nil
	})
	rec := &sinktest.Recorder{}
	r := newRunner([]testInstance{{Cluster: "c", Source: none, Sink: rec, Jobs: []testJob{{Check: sqlCheck}}}}, nil, nil)
	// RunOnce fails on the CRITICAL it reported (the --once exit status),
	// not on the node list.
	if err := r.RunOnce(t.Context()); err == nil || !strings.Contains(err.Error(), "sql.can_query CRITICAL: down") || !ran.Load() {
		t.Fatalf("RunOnce: err %v, check ran %v; want the check run without nodes, failing on its CRITICAL", err, ran.Load())
	}
	if p := rec.One(t, "sql.can_query"); p.Status != checks.Critical {
		t.Errorf("sql.can_query %v", p.Status)
	}
	if !r.Ready() {
		t.Error("not ready after the cycle")
	}
}

// TestNodeListFailureLoggedOncePerStreak: every job of every cycle asks for
// the node list; while it fails, the failure is logged at warn once, not by
// every job every cycle (the source logs its own details), and its recovery
// once.
func TestNodeListFailureLoggedOncePerStreak(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	failing.Store(true)
	src := sourceFunc(func(context.Context) ([]cluster.Node, error) {
		if failing.Load() {
			return twoNodes, errors.New("SQL down")
		}
		return twoNodes, nil
	})
	logs := &syncBuffer{}
	r := newRunner([]testInstance{{Cluster: "c", Source: src, Sink: &sinktest.Recorder{}, Logger: newTextLogger(logs),
		Jobs: []testJob{{Check: check("vars", nil)}, {Check: check("liveness", nil)}}}}, nil, nil)
	for range 3 {
		if err := r.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"node list refresh failed"); n != 1 {
		t.Errorf("%d warnings over 3 cycles of 2 jobs, want 1:\n%s", n, logs)
	}
	failing.Store(false)
	r.RunOnce(t.Context())
	if n := strings.Count(logs.String(), "node list available again"); n != 1 {
		t.Errorf("recovery logged %d times, want 1:\n%s", n, logs)
	}
	failing.Store(true)
	r.RunOnce(t.Context())
	if n := strings.Count(logs.String(), "level=WARN msg=\"node list refresh failed"); n != 2 {
		t.Errorf("a new failure streak should warn again: %d warnings", n)
	}
}

// TestNoCheckWithoutTime: a source that used the whole cycle budget leaves
// no time to run the check; running it anyway would report every node down
// for want of time.
func TestNoCheckWithoutTime(t *testing.T) {
	t.Parallel()
	slowSource := sourceFunc(func(ctx context.Context) ([]cluster.Node, error) {
		<-ctx.Done()
		return twoNodes, ctx.Err()
	})
	c := check("vars", nil)
	r := newRunner([]testInstance{{Cluster: "c", Source: slowSource, Sink: &sinktest.Recorder{},
		Jobs: []testJob{{Check: c, Interval: time.Hour, Timeout: 50 * time.Millisecond}}}}, nil, nil)
	var err error
	runBounded(t, 10*time.Second, "RunOnce", func() { err = r.RunOnce(t.Context()) })
	if c.calls.Load() != 0 {
		t.Error("the check ran with its context already done")
	}
	if err == nil || !strings.Contains(err.Error(), "no time left") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RunOnce = %v, want a timeout saying no time was left", err)
	}
}

// TestLogsNameClusterOnce: the instance's logger is scoped by the runner;
// every line names the cluster and the check exactly once.
func TestLogsNameClusterOnce(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	c := check("vars", func(_ context.Context, tg *checks.Target, _ checks.Sink) error {
		tg.Log().Info("hello")
		return nil
	})
	r := newRunner([]testInstance{{Cluster: "prod", Sink: &sinktest.Recorder{}, Logger: newTextLogger(logs),
		Jobs: []testJob{{Check: c}}}}, nil, nil)
	if err := r.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Count(line, "cluster=prod") != 1 || strings.Count(line, "check=vars") != 1 {
			t.Errorf("log line should name cluster and check once: %s", line)
		}
	}
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	m := NewSelfMetrics("test", "abc")
	boom := check("boom", func(context.Context, *checks.Target, checks.Sink) error { panic("kaboom") })
	fine := check("fine", nil)
	r := newRunner([]testInstance{{Cluster: "c", Sink: &sinktest.Recorder{}, Logger: newTextLogger(logs),
		Jobs: []testJob{{Check: boom}, {Check: fine}}}}, m, nil)
	err := r.RunOnce(t.Context())
	if err == nil || !strings.Contains(err.Error(), `cluster "c" check "boom": panic: kaboom`) {
		t.Errorf("RunOnce error = %v", err)
	}
	if fine.calls.Load() != 1 {
		t.Error("a panicking check stopped the others")
	}
	checkCounter(t, testutil.ToFloat64(m.checkErrors.WithLabelValues("c", "boom")), 1, "errors c/boom")
	out := logs.String()
	if !strings.Contains(out, "check panicked") || !strings.Contains(out, "runner_test.go") || !strings.Contains(out, "check=boom") {
		t.Errorf("panic log lacks message, stack or check attribute:\n%s", out)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Parallel()
	var started sync.WaitGroup
	started.Add(2)
	var once1, once2 sync.Once
	slow := check("slow", func(ctx context.Context, tg *checks.Target, s checks.Sink) error {
		once1.Do(started.Done)
		return blockUntilDone(ctx, tg, s)
	})
	fast := check("fast", func(context.Context, *checks.Target, checks.Sink) error {
		once2.Do(started.Done)
		return nil
	})
	r := newRunner([]testInstance{{Cluster: "c", Source: twoNodes, Sink: &sinktest.Recorder{},
		Jobs: []testJob{{Check: slow, Interval: 10 * time.Millisecond, Timeout: time.Hour}, {Check: fast, Interval: 10 * time.Millisecond}}}}, nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	var err error
	done := make(chan struct{})
	go func() { defer close(done); err = r.Run(ctx) }()
	runBounded(t, 10*time.Second, "first cycles", started.Wait)
	cancel()
	runBounded(t, 10*time.Second, "Run after cancel", func() { <-done })
	if err != nil {
		t.Errorf("Run = %v, want nil on cancel", err)
	}
	if slow.active.Load() != 0 || fast.active.Load() != 0 {
		t.Error("a cycle is still running after Run returned")
	}
}

func TestRunNoOverlap(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("test", "abc")
	release := make(chan struct{})
	slow := check("slow", func(ctx context.Context, _ *checks.Target, _ checks.Sink) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	r := newRunner([]testInstance{{Cluster: "c", Sink: &sinktest.Recorder{},
		Jobs: []testJob{{Check: slow, Interval: 5 * time.Millisecond, Timeout: time.Hour}}}}, m, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()

	skipped := func() float64 { return testutil.ToFloat64(m.checkSkipped.WithLabelValues("c", "slow")) }
	eventually(t, 10*time.Second, "ticks skipped while the cycle runs", func() bool { return skipped() >= 3 })
	if r.Ready() {
		t.Error("Ready while the only job's first cycle is still running")
	}
	close(release)
	eventually(t, 10*time.Second, "more cycles after release", func() bool { return slow.calls.Load() >= 3 })
	eventually(t, 10*time.Second, "Ready", r.Ready)
	cancel()
	runBounded(t, 10*time.Second, "Run after cancel", func() { <-done })
	if slow.maxActive.Load() != 1 {
		t.Errorf("%d cycles of one check ran at once", slow.maxActive.Load())
	}
}

func TestReadyTransitions(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	a := check("a", nil)
	b := check("b", func(ctx context.Context, _ *checks.Target, _ checks.Sink) error {
		select {
		case <-gate:
		case <-ctx.Done():
		}
		return errors.New("failed, but done")
	})
	r := newRunner([]testInstance{{Cluster: "c", Sink: &sinktest.Recorder{},
		Jobs: []testJob{{Check: a, Interval: time.Hour}, {Check: b, Interval: time.Hour}}}}, nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	eventually(t, 10*time.Second, "job a ran and b started", func() bool { return a.calls.Load() == 1 && b.calls.Load() == 1 })
	eventually(t, 10*time.Second, "job a's cycle recorded", func() bool { return r.jobs[0].done.Load() })
	if r.Ready() {
		t.Error("Ready while job b has not completed a cycle")
	}
	close(gate)
	eventually(t, 10*time.Second, "Ready after b's first (failed) cycle", r.Ready)
	cancel()
	runBounded(t, 10*time.Second, "Run after cancel", func() { <-done })
}

func TestNewRunnerDefaults(t *testing.T) {
	t.Parallel()
	r := newRunner([]testInstance{{Cluster: "c", Jobs: []testJob{{Check: check("a", nil)}, {Check: check("b", nil), Interval: time.Minute, Timeout: 5 * time.Second}}}}, nil, nil)
	if j := r.jobs[0]; j.interval != defaultInterval || j.timeout != deadline.Cycle(defaultInterval, 0) {
		t.Errorf("defaults: interval %s timeout %s", j.interval, j.timeout)
	}
	if j := r.jobs[1]; j.interval != time.Minute || j.timeout != 5*time.Second {
		t.Errorf("explicit: interval %s timeout %s", j.interval, j.timeout)
	}
	if (&Runner{}).Ready() != true {
		t.Error("a runner without jobs is trivially ready")
	}
}

// TestRunSeriesDropped: series a check drops because of a series cap are
// counted per cluster, check and reason.
func TestRunSeriesDropped(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("test", "abc")
	c := check("vars", func(_ context.Context, tg *checks.Target, _ checks.Sink) error {
		tg.ReportSeriesDropped("family_cap", 99001)
		tg.ReportSeriesDropped("cycle_cap", 7)
		tg.ReportSeriesDropped("cycle_cap", 0) // nothing dropped: no series made
		return nil
	})
	r := newRunner([]testInstance{{Cluster: "a", Source: twoNodes, Sink: &sinktest.Recorder{}, Jobs: []testJob{{Check: c}}}}, m, nil)
	if err := r.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP roachdog_series_dropped_total Series read but not sent because of a series cap, by reason (family_cap: max_series_per_family; cycle_cap: max_series_per_cycle).
# TYPE roachdog_series_dropped_total counter
roachdog_series_dropped_total{check="vars",cluster="a",reason="cycle_cap"} 7
roachdog_series_dropped_total{check="vars",cluster="a",reason="family_cap"} 99001
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "roachdog_series_dropped_total"); err != nil {
		t.Error(err)
	}
}
