package main

import (
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
)

// TestStatementTimeout: the server-side statement bound follows the longest
// enabled SQL check timeout, so a check's own timeout (schema: 60 s by
// default) is what limits its queries, never the 10 s default alone.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	sqlCheck := func(name string, on bool, d time.Duration) checks.Config {
		return checks.Config{Name: name, Enabled: on, Interval: time.Hour, Timeout: d}
	}
	for _, tc := range []struct {
		name string
		in   config.Instance
		want time.Duration
	}{
		{"no SQL checks", config.Instance{}, cluster.DefaultQueryTimeout},
		{"short timeouts keep the default", config.Instance{Checks: checks.Configs{sqlCheck("liveness", true, 5*time.Second)}}, cluster.DefaultQueryTimeout},
		{"schema's 60s", config.Instance{Checks: checks.Configs{
			sqlCheck("liveness", true, 10*time.Second), sqlCheck("schema", true, time.Minute)}}, time.Minute},
		{"disabled checks do not count", config.Instance{Checks: checks.Configs{sqlCheck("schema", false, time.Minute)}}, cluster.DefaultQueryTimeout},
		{"vars is no SQL check", config.Instance{Checks: checks.Configs{{Name: "vars", Enabled: true, Interval: time.Hour, Timeout: time.Hour}}}, cluster.DefaultQueryTimeout},
		{"custom queries run within 80% of the instance interval", config.Instance{Checks: checks.Configs{
			{Name: "custom_queries", Enabled: true, Interval: 30 * time.Second, Timeout: 30 * time.Second}}}, 24 * time.Second},
		{"a timeout above 80% of its interval counts as capped", config.Instance{Checks: checks.Configs{
			{Name: "schema", Enabled: true, Interval: 20 * time.Second, Timeout: 20 * time.Second}}}, 16 * time.Second},
	} {
		if got := statementTimeout(tc.in); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestCheckSettings: the reload finds every check's settings by its name,
// and none for a check it does not know (which it then always rebuilds).
func TestCheckSettings(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("c", []byte(`instances:
  - cluster: c
    status_urls: ["http://roach1:8080"]
    sql_url: postgresql://u@h/db
    checks: {statements: {enabled: true}} # off by default
    custom_queries: [{metric_prefix: app, query: SELECT 1, columns: [{name: one, type: gauge}]}]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := cfg.Instances[0]
	for _, e := range checks.Registered() {
		if checkSettings(in, e.Name) == nil {
			t.Errorf("%s: no settings for the reload", e.Name)
		}
	}
	if checkSettings(in, "no_such_check") != nil {
		t.Error("an unknown check has settings: the reload would keep a check it cannot compare")
	}
	jobs, err := buildJobs(in, &checks.Instance{Cluster: in.Cluster})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != len(checks.Registered()) {
		t.Errorf("%d jobs for %d registered checks, all enabled", len(jobs), len(checks.Registered()))
	}
}
