package checks

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
)

// Instance is one cluster as its checks reach it: the node list, the HTTP
// client, the SQL pool and the status API, shared by every check bound to
// it. Build one per cluster (and per configuration generation: a reload
// opens new connections) and bind each check with Bind.
type Instance struct {
	// Cluster is the configured cluster name.
	Cluster string
	// Source gives the node list; asked before each cycle of each check,
	// so it must answer at once (discovery serves its cache and refreshes
	// in the background). Nil means no nodes. A failed listing does not
	// stop the checks: they run on whatever list came back, possibly empty
	// (SQL checks need no node; vars then reports zero targets).
	Source cluster.Source
	HTTP   *http.Client
	// SQL is the cluster's pool, nil when no sql_url is set.
	SQL *cluster.DB
	// API reaches the status endpoints that need a session; nil when none.
	API *cluster.API

	// listFailing is set while the node list cannot be refreshed, so that
	// the failure is logged once per streak, not by every check every
	// cycle.
	listFailing atomic.Bool
}

// Bind makes c a check the runner schedules against in.
func (in *Instance) Bind(c Check) *Bound { return &Bound{Check: c, inst: in} }

// Bound is a Check bound to its cluster: what the exporter's runner runs.
// Each cycle it lists the nodes and gives the check a Target.
type Bound struct {
	// Check carries the check's state (baselines, last states); a reload
	// that keeps the check with new connections binds the same Check to
	// the new Instance.
	Check Check
	inst  *Instance
}

// Name is the check's name.
func (b *Bound) Name() string { return b.Check.Name() }

// Identity is the check, which carries the state: the runner keeps a
// check's schedule across a reload that keeps the check.
func (b *Bound) Identity() any { return b.Check }

// Instance is the cluster the check is bound to.
func (b *Bound) Instance() *Instance { return b.inst }

// Run lists the nodes and runs the check once.
func (b *Bound) Run(ctx context.Context, cyc *emit.Cycle, s Sink) error {
	log := cyc.Log()
	var nodes []cluster.Node
	if b.inst.Source != nil {
		nodes = b.inst.listNodes(ctx, log)
	}
	if err := ctx.Err(); err != nil {
		// A check run with a context already done would report every node
		// down (vars) for want of time, not because of the cluster.
		return fmt.Errorf("no time left to run after listing nodes: %w", context.Cause(ctx))
	}
	t := &Target{
		Cluster: b.inst.Cluster,
		Nodes:   nodes,
		HTTP:    b.inst.HTTP,
		SQL:     b.inst.SQL,
		API:     b.inst.API,
		Logger:  log,
	}
	if cyc != nil {
		t.NodeErrors, t.NodesReached, t.SeriesDropped = cyc.NodeErrors, cyc.NodesReached, cyc.SeriesDropped
	}
	return b.Check.Run(ctx, t, s)
}

// WatchOutcome wraps s in an Outcome for a one-shot run (run --once): the
// runner fails the run on what it returns (see Outcome).
func (b *Bound) WatchOutcome(s Sink) (Sink, func() error) {
	o := NewOutcome(s)
	return o, o.Err
}

// listNodes asks the source for the node list. A failure is not the
// check's: it runs on the list that came back (the last known one, the
// seeds, or none), and the failure is logged once per streak per instance
// (the source logs its own details).
func (in *Instance) listNodes(ctx context.Context, log *slog.Logger) []cluster.Node {
	nodes, err := in.Source.Nodes(ctx)
	switch {
	case err == nil:
		if in.listFailing.CompareAndSwap(true, false) {
			log.Info("node list available again", "nodes", len(nodes))
		}
	case in.listFailing.CompareAndSwap(false, true):
		log.Warn("node list refresh failed; checks run on the last known list until it recovers",
			"nodes", len(nodes), "err", err)
	default:
		log.Debug("node list refresh still failing", "nodes", len(nodes), "err", err)
	}
	return nodes
}
