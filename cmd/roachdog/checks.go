package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/deadline"
	"github.com/roachdog/roachdog/exporter"
)

// buildJobs turns the instance's checks (every registered check, as the
// configuration set it) into scheduled checks, bound to the cluster ci.
// Each check gets its own interval and a cycle deadline (deadline.Cycle): a
// cycle never outlives its slot, and leaves a fifth of it free.
func buildJobs(in config.Instance, ci *checks.Instance) ([]exporter.Job, error) {
	var jobs []exporter.Job
	for _, c := range in.Checks {
		if !c.Enabled {
			continue
		}
		cycle := cycleOf(c)
		check, err := c.New(cycle)
		if err != nil {
			return nil, fmt.Errorf("%s check: %w", c.Name, err)
		}
		jobs = append(jobs, exporter.Job{Check: ci.Bind(check), Interval: c.Interval, Timeout: cycle})
	}
	return jobs, nil
}

// cycleOf is the deadline of one run of check c: its run timeout (the
// interval for a check bounded per node) within its interval's share.
func cycleOf(c checks.Config) time.Duration {
	return deadline.Cycle(c.Interval, c.RunTimeout())
}

// statementTimeout is the server-side bound on one SQL statement
// (deadline.Statement): the longest cycle of the instance's SQL checks,
// never below the default.
func statementTimeout(in config.Instance) time.Duration {
	var cycles []time.Duration
	for _, c := range in.Checks {
		if c.SQL() && c.Enabled {
			cycles = append(cycles, cycleOf(c))
		}
	}
	return deadline.Statement(cluster.DefaultQueryTimeout, cycles...)
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
