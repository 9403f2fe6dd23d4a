package checks_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// runFunc is a check that runs f.
type runFunc func(ctx context.Context, t *checks.Target, s checks.Sink) error

func (runFunc) Name() string { return "probe" }

func (f runFunc) Run(ctx context.Context, t *checks.Target, s checks.Sink) error { return f(ctx, t, s) }

// TestBoundTarget: a bound check gets its cluster's connections, the nodes
// listed for this cycle, and the cycle's logger and reports.
func TestBoundTarget(t *testing.T) {
	t.Parallel()
	client := &http.Client{}
	in := &checks.Instance{Cluster: "prod", HTTP: client, Source: cluster.Static{{ID: 1, StatusURL: "https://a"}, {ID: 2, StatusURL: "https://b"}}}
	var got *checks.Target
	b := in.Bind(runFunc(func(_ context.Context, tg *checks.Target, _ checks.Sink) error {
		got = tg
		tg.ReportNodesReached(1, 2)
		return nil
	}))
	reached := 0
	cyc := &emit.Cycle{NodesReached: func(r, _ int) { reached = r }}
	if err := b.Run(context.Background(), cyc, &sinktest.Recorder{}); err != nil {
		t.Fatal(err)
	}
	if got.Cluster != "prod" || got.HTTP != client || len(got.Nodes) != 2 || got.Logger == nil || reached != 1 {
		t.Errorf("target %+v, reached %d", got, reached)
	}
	if b.Name() != "probe" || b.Instance() != in {
		t.Errorf("Name %q, Instance %p", b.Name(), b.Instance())
	}
	if _, ok := b.Identity().(runFunc); !ok {
		t.Errorf("Identity is %T, want the check", b.Identity())
	}
}

// TestBoundNoTimeLeft: a source that uses up the cycle's deadline leaves
// the check unrun, with an error saying so, rather than run it to report
// every node down for want of time.
func TestBoundNoTimeLeft(t *testing.T) {
	t.Parallel()
	ran := false
	slow := sourceFunc(func(ctx context.Context) ([]cluster.Node, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	b := (&checks.Instance{Source: slow}).Bind(runFunc(func(context.Context, *checks.Target, checks.Sink) error {
		ran = true
		return nil
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := b.Run(ctx, nil, &sinktest.Recorder{})
	if ran || err == nil || !strings.Contains(err.Error(), "no time left") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ran %v, err %v", ran, err)
	}
}

type sourceFunc func(ctx context.Context) ([]cluster.Node, error)

func (f sourceFunc) Nodes(ctx context.Context) ([]cluster.Node, error) { return f(ctx) }

// TestBoundWatchOutcome: a one-shot run watches what the check reports
// (checks.Outcome) and fails on a failed query.
func TestBoundWatchOutcome(t *testing.T) {
	t.Parallel()
	b := (&checks.Instance{}).Bind(runFunc(func(_ context.Context, _ *checks.Target, s checks.Sink) error {
		s.ServiceCheck("sql.can_query", checks.Critical, "jobs: permission denied", []string{"check:jobs"})
		return nil
	}))
	rec := &sinktest.Recorder{}
	s, outcome := b.WatchOutcome(rec)
	if err := b.Run(context.Background(), nil, s); err != nil {
		t.Fatal(err)
	}
	if err := outcome(); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("outcome %v, want the failed query", err)
	}
	if len(rec.Find("sql.can_query")) != 1 {
		t.Errorf("the service check was not passed on: %+v", rec.Points)
	}
}
