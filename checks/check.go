// Package checks holds roachdog's checks: each one reads a CockroachDB surface
// (Prometheus endpoint, crdb_internal tables, status API) and reports what it
// found to a Sink. Checks know CockroachDB; they never import a Datadog client.
package checks

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/roachdog/roachdog/cluster"
)

// Check is one source of metrics. Run does one collection cycle and must
// return when ctx is done. A Check keeps whatever state it needs between
// cycles (counter baselines, previous liveness states), so one Check value
// serves exactly one cluster; Run is never called concurrently on one Check.
type Check interface {
	// Name is the check's configuration key, e.g. "vars".
	Name() string
	// Run collects once. An error means the cycle failed as a whole; partial
	// failures (one node down) are reported through the Sink and the logger
	// and do not make Run fail.
	Run(ctx context.Context, t *Target, s Sink) error
}

// Target is what a check needs to know about the cluster in this cycle.
type Target struct {
	// Cluster is the configured cluster name (also sent as the cluster tag by
	// the sink, so checks need not add it).
	Cluster string
	// Nodes is the current node list, static or discovered.
	Nodes []cluster.Node
	// HTTP is the client for the nodes' HTTP endpoints (TLS configured).
	HTTP *http.Client
	// SQL is the cluster's connection pool; nil when the instance has no
	// sql_url (SQL checks then report that they cannot run).
	SQL *cluster.DB
	// API is the client for HTTP endpoints that need a login session
	// (/_status/critical_nodes); nil when not configured.
	API *cluster.API
	// Logger is scoped to the instance and check.
	Logger *slog.Logger
	// NodeErrors, when set, is told of every per-node failure (the runner
	// counts them per check and node in its self-metrics).
	NodeErrors func(node string, err error)
	// NodesReached, when set, is told once per cycle by checks that read
	// every node (vars) how many of the total listed nodes they got metrics
	// from: the runner counts a cycle that reached none as its own outcome
	// and judges readiness by it.
	NodesReached func(reached, total int)

	// SeriesDropped, when set, is told of series a check read but did not
	// send because of a series cap (reason: family_cap, cycle_cap).
	SeriesDropped func(reason string, n int)
}

// Log returns the target's logger, or one that discards everything when
// none is set, so that checks can log unconditionally. Safe on a nil Target.
func (t *Target) Log() *slog.Logger {
	if t == nil || t.Logger == nil {
		return discardLogger
	}
	return t.Logger
}

// discardLogger is shared: a slog.Logger is immutable and safe for
// concurrent use.
var discardLogger = slog.New(slog.DiscardHandler)

// ReportNodeError records that one node failed for this check (for roachdog's
// own error counters). Safe on a Target without a reporter.
func (t *Target) ReportNodeError(node string, err error) {
	if t != nil && t.NodeErrors != nil {
		t.NodeErrors(node, err)
	}
}

// ReportNodesReached records how many of the listed nodes a cycle reached.
// Safe on a Target without a reporter.
func (t *Target) ReportNodesReached(reached, total int) {
	if t != nil && t.NodesReached != nil {
		t.NodesReached(reached, total)
	}
}

// ReportSeriesDropped records n series not sent for reason (for roachdog's
// own counters). Safe on a Target without a reporter.
func (t *Target) ReportSeriesDropped(reason string, n int) {
	if t != nil && t.SeriesDropped != nil && n > 0 {
		t.SeriesDropped(reason, n)
	}
}
