// Package exporter is roachdog's Datadog side: the scheduler that runs
// each check on its interval with a deadline (Runner), the sinks checks
// report to (DogStatsD for the Agent, Text for --dry-run, WithTags for the
// instance's tags), and roachdog's own observability (SelfMetrics served by
// NewHTTPServer on /metrics, /healthz and /readyz). It knows nothing of
// CockroachDB: that is the checks' business. Checks reach it as Checks
// bound to their cluster (checks.Bound) that send to an emit.Sink; it
// imports emit, never checks, cluster or a SQL driver.
package exporter
