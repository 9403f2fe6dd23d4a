package emit

import "log/slog"

// Cycle is what the runner gives a check for one run besides the Sink: the
// logger scoped to the cluster and check, and the reports that feed
// roachdog's own metrics and readiness. Every field may be nil; the
// methods are safe then, and on a nil *Cycle.
type Cycle struct {
	// Logger is scoped to the instance and check.
	Logger *slog.Logger
	// NodeErrors is told of every per-node failure (counted per check and
	// node).
	NodeErrors func(node string, err error)
	// NodesReached is told once per cycle, by checks that read every node,
	// how many of the listed nodes they got metrics from: a cycle that
	// reached none is an outcome of its own, and readiness depends on it.
	NodesReached func(reached, total int)
	// SeriesDropped is told of series read but not sent because of a
	// series cap (reason: family_cap, cycle_cap).
	SeriesDropped func(reason string, n int)
}

// Log returns the cycle's logger, or one that discards everything.
func (c *Cycle) Log() *slog.Logger {
	if c == nil || c.Logger == nil {
		return discardLogger
	}
	return c.Logger
}

var discardLogger = slog.New(slog.DiscardHandler)
