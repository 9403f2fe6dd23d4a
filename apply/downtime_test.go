package apply

import (
	"slices"
	"testing"
	"time"
)

func TestDowntime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 12, 30, 0, 0, time.UTC)
	later := time.Date(2026, 5, 4, 23, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		m          Maintenance
		scope, msg string
		start, end time.Time
	}{
		{
			// Tag values as roachdog sends them: lower-cased.
			name:  "node now",
			m:     Maintenance{Cluster: "Prod-EU", NodeID: 4, Duration: time.Hour},
			scope: "cluster:prod-eu AND node_id:4",
			msg:   "Planned maintenance of CockroachDB node 4 of cluster Prod-EU (scheduled with roachdog downtime).",
			end:   now.Add(time.Hour),
		},
		{
			name:  "cluster later",
			m:     Maintenance{Cluster: "prod", Duration: 90 * time.Minute, Start: later, Message: "  rolling upgrade  "},
			scope: "cluster:prod",
			msg:   "rolling upgrade",
			start: later,
			end:   later.Add(90 * time.Minute),
		},
		{
			name:  "blank message",
			m:     Maintenance{Cluster: "a b", Duration: time.Minute, Message: " \n"},
			scope: "cluster:a_b",
			msg:   "Planned maintenance of CockroachDB cluster a b (scheduled with roachdog downtime).",
			end:   now.Add(time.Minute),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Downtime(tc.m, now)
			if d.Scope != tc.scope || d.Message != tc.msg || !d.Start.Equal(tc.start) || !d.End.Equal(tc.end) {
				t.Errorf("got scope %q, message %q, %v to %v\nwant scope %q, message %q, %v to %v", d.Scope, d.Message, d.Start, d.End, tc.scope, tc.msg, tc.start, tc.end)
			}
			if !slices.Equal(d.MonitorTags, []string{ManagedTag}) {
				t.Errorf("monitor tags %v, want only %s", d.MonitorTags, ManagedTag)
			}
		})
	}
}
