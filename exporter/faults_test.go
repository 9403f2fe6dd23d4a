package exporter

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// TestRunOnceFailsOnReportedFailure: a check that reports sql.can_query
// CRITICAL for part of its work but returns nil fails RunOnce (the --once
// exit status), naming cluster, check and message; the scheduled loop keeps
// counting such a cycle as completed (the service check is the signal).
func TestRunOnceFailsOnReportedFailure(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("test", "abc")
	rec := &sinktest.Recorder{}
	partial := check("schema", func(_ context.Context, _ *checks.Target, s checks.Sink) error {
		s.Gauge("schema.fk_without_index", 0, nil)
		s.ServiceCheck("sql.can_query", checks.Critical, "schema: database shop: permission denied", []string{"check:schema"})
		return nil
	})
	fine := check("jobs", func(_ context.Context, _ *checks.Target, s checks.Sink) error {
		s.ServiceCheck("sql.can_query", checks.OK, "", []string{"check:jobs"})
		return nil
	})
	r := newRunner([]testInstance{{Cluster: "c", Sink: WithTags(rec, "cluster:c"),
		Jobs: []testJob{{Check: partial, Interval: time.Hour}, {Check: fine, Interval: time.Hour}}}}, m, nil)
	err := r.RunOnce(t.Context())
	if err == nil || !strings.Contains(err.Error(), `cluster "c" check "schema": sql.can_query CRITICAL: schema: database shop: permission denied`) {
		t.Fatalf("RunOnce error = %v, want the CRITICAL service check named", err)
	}
	if strings.Contains(err.Error(), `"jobs"`) {
		t.Errorf("the check that succeeded is named: %v", err)
	}
	if got := rec.Find("sql.can_query", "cluster:c", "check:schema"); len(got) != 1 {
		t.Errorf("the service check did not reach the sink with the instance tags: %+v", got)
	}
	if got := rec.Find("schema.fk_without_index"); len(got) != 1 {
		t.Errorf("the gauge did not reach the sink: %+v", got)
	}
	checkCounter(t, testutil.ToFloat64(m.checkRuns.WithLabelValues("c", "schema", "ok")), 1, "runs c/schema ok")
}

// TestSuccessorSharesBusyAndForgetsGoneJobs: after a reload, a check kept
// from the old runner that is still running (abandoned: it ignores its
// context) is never run a second time at once by the new runner, a kept
// check stays ready, and the series of a job that is gone are dropped.
func TestSuccessorSharesBusyAndForgetsGoneJobs(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("test", "abc")
	release := make(chan struct{})
	var once sync.Once
	stuck := check("stuck", func(ctx context.Context, _ *checks.Target, _ checks.Sink) error {
		once.Do(func() { <-release }) // the first run ignores its context
		return nil
	})
	kept := check("kept", nil)
	gone := check("gone", nil)
	old := newRunner([]testInstance{{Cluster: "c", Sink: &sinktest.Recorder{},
		Jobs: []testJob{{Check: stuck, Timeout: 10 * time.Millisecond}, {Check: kept}, {Check: gone}}}}, m, nil)
	old.abandonAfter = 10 * time.Millisecond
	if err := old.RunOnce(t.Context()); err == nil || !strings.Contains(err.Error(), "abandoned") {
		t.Fatalf("RunOnce = %v, want the stuck check abandoned", err)
	}
	if n, _ := testutil.GatherAndCount(m.Registry(), "roachdog_check_runs_total"); n != 6 {
		t.Fatalf("%d check_runs series before the reload, want 6", n)
	}

	next := successor(old, []testInstance{{Cluster: "c", Sink: &sinktest.Recorder{},
		Jobs: []testJob{{Check: stuck, Timeout: 10 * time.Millisecond}, {Check: kept}}}}, nil)
	next.abandonAfter = 10 * time.Millisecond
	if !next.jobs[1].done.Load() {
		t.Error("a kept check that completed a cycle is not ready after the reload")
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		// The new runner waits for the abandoned run's token; give it
		// back by letting that run return.
		time.Sleep(50 * time.Millisecond)
		close(release)
	}()
	runBounded(t, 10*time.Second, "RunOnce after the reload", func() { _ = next.RunOnce(ctx) })
	cancel()
	if got := stuck.maxActive.Load(); got != 1 {
		t.Errorf("the kept check ran %d times at once across the reload, want 1", got)
	}
	if got := stuck.calls.Load(); got != 2 {
		t.Errorf("the kept check ran %d times, want 2 (once per runner)", got)
	}
	for _, name := range []string{"roachdog_check_runs_total", "roachdog_check_errors_total", "roachdog_check_skipped_total", "roachdog_last_success_timestamp_seconds"} {
		if !hasSeries(t, m, name, "kept") {
			t.Errorf("%s lost the kept check's series", name)
		}
		if hasSeries(t, m, name, "gone") {
			t.Errorf("%s still has a series for the removed check", name)
		}
	}
}

func hasSeries(t *testing.T, m *SelfMetrics, name, check string) bool {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "check" && l.GetValue() == check {
					return true
				}
			}
		}
	}
	return false
}

// TestRunSurvivesPanicsAndOverruns: on its schedule, a check that panics
// every cycle and one that overruns its deadline (returning late, or never
// within the grace period) are logged and counted each time, keep being
// scheduled, and never stop or delay a well-behaved check beside them.
func TestRunSurvivesPanicsAndOverruns(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	m := NewSelfMetrics("test", "abc")
	boom := check("boom", func(context.Context, *checks.Target, checks.Sink) error { panic("kaboom") })
	late := check("late", func(ctx context.Context, _ *checks.Target, _ checks.Sink) error {
		<-ctx.Done()
		time.Sleep(5 * time.Millisecond) // returns nil, but after its deadline
		return nil
	})
	stuck := check("stuck", func(context.Context, *checks.Target, checks.Sink) error {
		time.Sleep(200 * time.Millisecond) // ignores its context past the grace period
		return nil
	})
	fine := check("fine", nil)
	r := newRunner([]testInstance{{Cluster: "c", Sink: &sinktest.Recorder{}, Logger: newTextLogger(logs), Jobs: []testJob{
		{Check: boom, Interval: 20 * time.Millisecond},
		{Check: late, Interval: 20 * time.Millisecond, Timeout: 10 * time.Millisecond},
		{Check: stuck, Interval: 20 * time.Millisecond, Timeout: 10 * time.Millisecond},
		{Check: fine, Interval: 20 * time.Millisecond},
	}}}, m, nil)
	r.abandonAfter = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	errorsOf := func(name string) float64 { return testutil.ToFloat64(m.checkErrors.WithLabelValues("c", name)) }
	eventually(t, 20*time.Second, "every misbehaving check counted several times, the fine one running", func() bool {
		return errorsOf("boom") >= 3 && errorsOf("late") >= 3 && errorsOf("stuck") >= 2 &&
			testutil.ToFloat64(m.checkRuns.WithLabelValues("c", "fine", "ok")) >= 5
	})
	cancel()
	runBounded(t, 10*time.Second, "Run after cancel", func() { <-done })
	if got := stuck.maxActive.Load(); got != 1 {
		t.Errorf("the stuck check ran %d times at once", got)
	}
	if errorsOf("fine") != 0 {
		t.Errorf("the well-behaved check counted %v errors", errorsOf("fine"))
	}
	if testutil.ToFloat64(m.checkSkipped.WithLabelValues("c", "stuck")) == 0 {
		t.Error("ticks that found the stuck check still running were not counted as skipped")
	}
	out := logs.String()
	for _, w := range []string{"check panicked", "kaboom", `check=late`, "timed out after 10ms", "abandoned"} {
		if !strings.Contains(out, w) {
			t.Errorf("logs lack %q", w)
		}
	}
}
