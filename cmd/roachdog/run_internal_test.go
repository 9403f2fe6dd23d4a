package main

import (
	"testing"
	"time"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
)

// TestStatementTimeout: the server-side statement bound follows the longest
// cycle of the enabled SQL checks, so a check's own timeout (schema: 60 s by
// default) is what limits its queries, never the 10 s default alone.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	on := func(d time.Duration) config.CheckCommon {
		return config.CheckCommon{Enabled: true, Interval: time.Hour, Timeout: d}
	}
	off := func(d time.Duration) config.CheckCommon { return config.CheckCommon{Timeout: d} }
	for _, tc := range []struct {
		name string
		in   config.Instance
		want time.Duration
	}{
		{"no SQL checks", config.Instance{}, cluster.DefaultQueryTimeout},
		{"short timeouts keep the default", config.Instance{Checks: config.Checks{Liveness: config.Liveness{CheckCommon: on(5 * time.Second)}}}, cluster.DefaultQueryTimeout},
		{"schema's 60s", config.Instance{Checks: config.Checks{
			Liveness: config.Liveness{CheckCommon: on(10 * time.Second)},
			Schema:   config.Schema{CheckCommon: on(time.Minute)}}}, time.Minute},
		{"disabled checks do not count", config.Instance{Checks: config.Checks{Schema: config.Schema{CheckCommon: off(time.Minute)}}}, cluster.DefaultQueryTimeout},
		{"custom queries run within 80% of the instance interval", config.Instance{MinCollectionInterval: 30 * time.Second,
			CustomQueries: []config.CustomQuery{{MetricPrefix: "x"}}}, 24 * time.Second},
		{"a timeout above 80% of its interval counts as capped", config.Instance{Checks: config.Checks{
			Schema: config.Schema{CheckCommon: config.CheckCommon{Enabled: true, Interval: 20 * time.Second, Timeout: 20 * time.Second}}}}, 16 * time.Second},
	} {
		if got := statementTimeout(tc.in); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestCheckEntriesNames: every entry builds the check of its own name, once:
// the reload finds a running check's settings by that name, and a mismatch
// would rebuild the check (losing its state) on every SIGHUP.
func TestCheckEntriesNames(t *testing.T) {
	t.Parallel()
	on := config.CheckCommon{Enabled: true, Interval: time.Minute, Timeout: 10 * time.Second}
	in := config.Instance{
		MinCollectionInterval: 15 * time.Second,
		Checks: config.Checks{
			Vars:     config.Vars{Enabled: true, Interval: 15 * time.Second, Timeout: 5 * time.Second},
			Liveness: config.Liveness{CheckCommon: on},
			Ranges:   config.Ranges{CheckCommon: on},
			TTL:      config.TTL{CheckCommon: on, RowLimit: 10, RowQueryTimeout: time.Second, RediscoverInterval: time.Hour},
			Jobs:     config.Jobs{CheckCommon: on, Window: time.Hour},
			Schema:   config.Schema{CheckCommon: on, MaxEvents: 1},
		},
		CustomQueries: []config.CustomQuery{{MetricPrefix: "app", Query: "SELECT 1",
			Columns: []config.CustomColumn{{Name: "one", Type: "gauge"}}, CollectionInterval: 15 * time.Second, MaxRows: 10}},
	}
	seen := map[string]bool{}
	for _, e := range checkEntries {
		if seen[e.name] {
			t.Errorf("%s: two entries", e.name)
		}
		seen[e.name] = true
		c, err := e.build(in, time.Second)
		if err != nil {
			t.Errorf("%s: %v", e.name, err)
			continue
		}
		if c.Name() != e.name {
			t.Errorf("entry %q builds the check %q", e.name, c.Name())
		}
		if checkSettings(in, e.name) == nil {
			t.Errorf("%s: no settings for the reload", e.name)
		}
	}
	if checkSettings(in, "no_such_check") != nil {
		t.Error("an unknown check has settings: the reload would keep a check it cannot compare")
	}
}
