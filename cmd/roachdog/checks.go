package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/exporter"
)

// cycleShare is the part of its interval a cycle may use: a cycle that uses
// its whole interval ends just after the next tick, which is then skipped,
// and the check runs at half its rate whenever a node is slow.
const cycleShare = 0.8

// cycleDeadline is the one place the deadline rule lives: a cycle run every
// interval may take its check's timeout, but never more than cycleShare of
// the interval. A zero interval leaves the timeout as it is (the runner
// then applies its own defaults).
func cycleDeadline(interval, timeout time.Duration) time.Duration {
	if limit := time.Duration(float64(interval) * cycleShare); limit > 0 && timeout > limit {
		return limit
	}
	return timeout
}

// buildJobs turns the instance's checks (every registered check, as the
// configuration set it) into scheduled checks, bound to the cluster ci.
// Each check gets its own interval and a cycle deadline (cycleDeadline): a
// cycle never outlives its slot, and leaves a fifth of it free.
func buildJobs(in config.Instance, ci *checks.Instance) ([]exporter.Job, error) {
	var jobs []exporter.Job
	for _, c := range in.Checks {
		if !c.Enabled {
			continue
		}
		cycle := cycleDeadline(c.Interval, c.RunTimeout())
		check, err := c.New(cycle)
		if err != nil {
			return nil, fmt.Errorf("%s check: %w", c.Name, err)
		}
		jobs = append(jobs, exporter.Job{Check: ci.Bind(check), Interval: c.Interval, Timeout: cycle})
	}
	return jobs, nil
}

// statementTimeout is the server-side bound on one SQL statement: the
// longest timeout of the instance's SQL checks (never below the default).
// Each statement is also bounded client side by its check's own deadline,
// so a check's configured timeout is what limits its queries; this only
// keeps a statement from outliving every check that could issue it.
func statementTimeout(in config.Instance) time.Duration {
	d := cluster.DefaultQueryTimeout
	for _, c := range in.Checks {
		if c.SQL() && c.Enabled {
			d = max(d, c.RunTimeout())
		}
	}
	return d
}

// checkSettings is what a check is built from: the cluster it reads (a
// check's state belongs to one cluster) and its own configuration, schedule
// and options. nil for a check it does not know, which is then always built
// anew.
func checkSettings(in config.Instance, check string) any {
	c, ok := in.Checks.Get(check)
	if !ok {
		return nil
	}
	where := struct {
		StatusURLs []string
		SQL        string
		Discover   bool
	}{slices.Clone(in.StatusURLs), in.RedactedSQLURL, in.Discover}
	return []any{where, c}
}
