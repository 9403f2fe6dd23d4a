package exporter

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// testInstance is an Instance with the cluster its checks are bound to, as
// cmd builds them: the tests write a cluster's checks and its node list in
// one literal.
type testInstance struct {
	Cluster string
	Source  cluster.Source
	HTTP    *http.Client
	SQL     *cluster.DB
	API     *cluster.API
	Sink    emit.Sink
	Jobs    []testJob
	Logger  *slog.Logger
}

// testJob is a Job whose check is bound to its testInstance's cluster.
type testJob struct {
	Check    checks.Check
	Interval time.Duration
	Timeout  time.Duration
}

func bindInstances(tis []testInstance) []Instance {
	out := make([]Instance, len(tis))
	for i, ti := range tis {
		ci := &checks.Instance{Cluster: ti.Cluster, Source: ti.Source, HTTP: ti.HTTP, SQL: ti.SQL, API: ti.API}
		in := Instance{Cluster: ti.Cluster, Sink: ti.Sink, Logger: ti.Logger}
		for _, j := range ti.Jobs {
			in.Jobs = append(in.Jobs, Job{Check: ci.Bind(j.Check), Interval: j.Interval, Timeout: j.Timeout})
		}
		out[i] = in
	}
	return out
}

// newRunner is NewRunner on bound test instances.
func newRunner(tis []testInstance, m *SelfMetrics, logger *slog.Logger) *Runner {
	return NewRunner(bindInstances(tis), m, logger)
}

// successor is r.Successor on bound test instances.
func successor(r *Runner, tis []testInstance, logger *slog.Logger) *Runner {
	return r.Successor(bindInstances(tis), logger)
}

// sliceCheck is a Check of a type that cannot be a map key.
type sliceCheck struct{ names []string }

func (c sliceCheck) Name() string                                    { return c.names[0] }
func (sliceCheck) Run(context.Context, *emit.Cycle, emit.Sink) error { return nil }

// TestSuccessorUncomparableCheck: a Check whose value cannot be a map key
// is run by the successor, not used as a key (which would panic).
func TestSuccessorUncomparableCheck(t *testing.T) {
	t.Parallel()
	inst := []Instance{{Cluster: "c", Sink: &sinktest.Recorder{}, Jobs: []Job{{Check: sliceCheck{[]string{"s"}}}}}}
	r := NewRunner(inst, NewSelfMetrics("test", "abc"), nil)
	next := r.Successor(inst, nil)
	if len(next.jobs) != 1 || next.jobs[0].name != "s" {
		t.Fatalf("successor jobs = %+v", next.jobs)
	}
}
