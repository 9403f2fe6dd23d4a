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

// checkEntry is how one check is scheduled and built from an instance's
// configuration. buildJobs, statementTimeout and the reload's checkSettings
// all read checkEntries, so that adding a check here is one entry.
type checkEntry struct {
	name string
	// sql: the check issues SQL statements, which its timeout must bound.
	sql bool
	// schedule says whether the check runs, how often, and how long one
	// run may take before deadline.Cycle caps it.
	schedule func(in config.Instance) (enabled bool, interval, timeout time.Duration)
	// build makes the check; cycle is the deadline of one of its runs.
	build func(in config.Instance, cycle time.Duration) (checks.Check, error)
	// settings is everything build reads from the check's own settings: a
	// reload keeps the running check (and its state) when they are equal.
	settings func(in config.Instance) any
}

// checkEntries, in the order the jobs are built.
var checkEntries = []checkEntry{
	{
		name: "vars",
		// The vars check bounds each node by its own timeout, never longer
		// than the cycle (a node scrape started with the cycle must be able
		// to time out within it); the cycle itself gets what the deadline
		// rule allows.
		schedule: func(in config.Instance) (bool, time.Duration, time.Duration) {
			v := in.Checks.Vars
			return v.Enabled, v.Interval, v.Interval
		},
		build: func(in config.Instance, _ time.Duration) (checks.Check, error) {
			return checks.NewVars(varsOptions(in.Checks.Vars))
		},
		settings: func(in config.Instance) any { return in.Checks.Vars },
	},
	{
		name: "liveness", sql: true,
		schedule: func(in config.Instance) (bool, time.Duration, time.Duration) {
			return common(in.Checks.Liveness.CheckCommon)
		},
		build: func(in config.Instance, _ time.Duration) (checks.Check, error) {
			return checks.NewLiveness(checks.LivenessOptions{ExpectedNodes: in.Checks.Liveness.ExpectedNodes})
		},
		settings: func(in config.Instance) any { return in.Checks.Liveness },
	},
	{
		name: "ranges", sql: true,
		schedule: func(in config.Instance) (bool, time.Duration, time.Duration) {
			return common(in.Checks.Ranges.CheckCommon)
		},
		build: func(config.Instance, time.Duration) (checks.Check, error) {
			return checks.NewRanges(checks.RangesOptions{})
		},
		settings: func(in config.Instance) any { return in.Checks.Ranges },
	},
	{
		name: "jobs", sql: true,
		schedule: func(in config.Instance) (bool, time.Duration, time.Duration) {
			return common(in.Checks.Jobs.CheckCommon)
		},
		build: func(in config.Instance, _ time.Duration) (checks.Check, error) {
			j := in.Checks.Jobs
			return checks.NewJobs(checks.JobsOptions{Window: j.Window, EventExcludeTypes: j.EventExcludeTypes})
		},
		settings: func(in config.Instance) any { return in.Checks.Jobs },
	},
	{
		name: "ttl", sql: true,
		schedule: func(in config.Instance) (bool, time.Duration, time.Duration) {
			return common(in.Checks.TTL.CheckCommon)
		},
		build: func(in config.Instance, _ time.Duration) (checks.Check, error) {
			tt := in.Checks.TTL
			return checks.NewTTL(checks.TTLOptions{RowQueries: tt.RowQueries, RowLimit: tt.RowLimit,
				RowQueryTimeout: tt.RowQueryTimeout, Rediscover: tt.RediscoverInterval, NoSchedules: !tt.Schedules})
		},
		settings: func(in config.Instance) any { return in.Checks.TTL },
	},
	{
		name: "schema", sql: true,
		schedule: func(in config.Instance) (bool, time.Duration, time.Duration) {
			return common(in.Checks.Schema.CheckCommon)
		},
		build: func(in config.Instance, _ time.Duration) (checks.Check, error) {
			sc := in.Checks.Schema
			return checks.NewSchema(checks.SchemaOptions{
				Databases: sc.Databases, Tables: sc.Tables, MinRows: sc.MinRows, MaxEvents: sc.MaxEvents,
			})
		},
		settings: func(in config.Instance) any { return in.Checks.Schema },
	},
	{
		// Custom queries keep their own collection_interval; the check runs
		// at the instance's interval and skips the queries that are not due.
		name: "custom_queries", sql: true,
		schedule: func(in config.Instance) (bool, time.Duration, time.Duration) {
			return len(in.CustomQueries) > 0, in.MinCollectionInterval, in.MinCollectionInterval
		},
		build: func(in config.Instance, _ time.Duration) (checks.Check, error) {
			qs := make([]checks.CustomQuery, 0, len(in.CustomQueries))
			for _, q := range in.CustomQueries {
				cols := make([]checks.CustomQueryColumn, 0, len(q.Columns))
				for _, c := range q.Columns {
					cols = append(cols, checks.CustomQueryColumn{Name: c.Name, Type: c.Type})
				}
				qs = append(qs, checks.CustomQuery{
					Name: q.Name, MetricPrefix: q.MetricPrefix, Query: q.Query, Columns: cols,
					Tags: q.Tags, CollectionInterval: q.CollectionInterval, MaxRows: q.MaxRows,
				})
			}
			return checks.NewCustomQueries(checks.CustomQueriesOptions{Queries: qs})
		},
		settings: func(in config.Instance) any {
			return struct {
				Queries  []config.CustomQuery
				Interval any
			}{in.CustomQueries, in.MinCollectionInterval}
		},
	},
}

// common is the schedule of a check with the settings every SQL check has.
func common(c config.CheckCommon) (bool, time.Duration, time.Duration) {
	return c.Enabled, c.Interval, c.Timeout
}

// buildJobs turns the instance's check settings into scheduled checks.
// Each check gets its own interval and a cycle deadline (deadline.Cycle): a
// cycle never outlives its slot, and leaves a fifth of it free.
func buildJobs(in config.Instance) ([]exporter.Job, error) {
	var jobs []exporter.Job
	for _, e := range checkEntries {
		enabled, interval, timeout := e.schedule(in)
		if !enabled {
			continue
		}
		cycle := deadline.Cycle(interval, timeout)
		c, err := e.build(in, cycle)
		if err != nil {
			return nil, fmt.Errorf("%s check: %w", e.name, err)
		}
		jobs = append(jobs, exporter.Job{Check: c, Interval: interval, Timeout: cycle})
	}
	return jobs, nil
}

// statementTimeout is the server-side bound on one SQL statement
// (deadline.Statement over the cycles of the instance's SQL checks).
func statementTimeout(in config.Instance) time.Duration {
	var cycles []time.Duration
	for _, e := range checkEntries {
		if enabled, interval, timeout := e.schedule(in); e.sql && enabled {
			cycles = append(cycles, deadline.Cycle(interval, timeout))
		}
	}
	return deadline.Statement(cluster.DefaultQueryTimeout, cycles...)
}

// checkSettings is what a check is built from: the cluster it reads (a
// check's state belongs to one cluster) and its own settings. nil for a
// check it does not know, which is then always built anew.
func checkSettings(in config.Instance, check string) any {
	i := slices.IndexFunc(checkEntries, func(e checkEntry) bool { return e.name == check })
	if i < 0 {
		return nil
	}
	where := struct {
		StatusURLs []string
		SQL        string
		Discover   bool
	}{slices.Clone(in.StatusURLs), in.RedactedSQLURL, in.Discover}
	return []any{where, checkEntries[i].settings(in)}
}
