// Package deadline is the one rule for how long a check may take: one run
// (a cycle), a part of it (one node's scrape) and one SQL statement, given
// how often the check runs. config normalises the configured timeouts with
// it, the command line builds the jobs and the SQL pool with it, and the
// runner defaults a job's timeout with it, so the rule has one home.
package deadline

import "time"

// Share is the part of its interval a cycle may use: a cycle that uses its
// whole interval ends just after the next tick, which is then skipped, and
// the check runs at half its rate whenever a node is slow.
const Share = 0.8

// Cycle is how long one run of a check scheduled every interval may take
// when it is configured with timeout: the timeout, never more than Share of
// the interval. A timeout that is not positive takes the whole share. A
// zero interval leaves the timeout as it is. Cycle of its own result is
// that result, so every layer may apply it.
func Cycle(interval, timeout time.Duration) time.Duration {
	limit := time.Duration(float64(interval) * Share)
	if limit <= 0 {
		return timeout
	}
	if timeout <= 0 || timeout > limit {
		return limit
	}
	return timeout
}

// Statement is the server-side bound on one SQL statement of a cluster:
// the longest cycle of the checks that issue statements there, never below
// floor. Each statement is also bounded client side by its own check's
// cycle, so this only keeps a statement from outliving every check that
// could have issued it.
func Statement(floor time.Duration, cycles ...time.Duration) time.Duration {
	d := floor
	for _, c := range cycles {
		d = max(d, c)
	}
	return d
}
