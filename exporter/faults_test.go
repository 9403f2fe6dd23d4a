package exporter

import (
	"context"
	"strings"
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
	r := NewRunner([]Instance{{Cluster: "c", Sink: WithTags(rec, "cluster:c"),
		Jobs: []Job{{Check: partial, Interval: time.Hour}, {Check: fine, Interval: time.Hour}}}}, m, nil)
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
