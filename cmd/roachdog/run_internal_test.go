package main

import (
	"testing"
	"time"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
)

// TestStatementTimeout: the server-side statement bound follows the longest
// enabled SQL check timeout, so a check's own timeout (schema: 60 s by
// default) is what limits its queries, never the 10 s default alone.
func TestStatementTimeout(t *testing.T) {
	on := func(d time.Duration) config.CheckCommon { return config.CheckCommon{Enabled: true, Timeout: d} }
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
		{"custom queries run within the instance interval", config.Instance{MinCollectionInterval: 30 * time.Second,
			CustomQueries: []config.CustomQuery{{MetricPrefix: "x"}}}, 30 * time.Second},
	} {
		if got := statementTimeout(tc.in); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
