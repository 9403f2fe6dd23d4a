package checks

import (
	"testing"
	"time"
)

func TestLivenessParseHLC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		// Real values from the v20.2 fixture's gossip_liveness.
		{in: "1795315514.749737273,0", want: time.Unix(1795315514, 749737273)},
		{in: "1795315515.951614679,0", want: time.Unix(1795315515, 951614679)},
		// The form the surfaces reference describes: wall nanoseconds.
		{in: "1795315514749737273,0", want: time.Unix(1795315514, 749737273)},
		{in: "1795315514.749737273,3?", want: time.Unix(1795315514, 749737273)}, // synthetic
		{in: "1795315514.5,0", want: time.Unix(1795315514, 500000000)},
		{in: "1795315514,0", want: time.Unix(1795315514, 0)},
		{in: "1795315514.749737273", want: time.Unix(1795315514, 749737273)},
		{in: "0,0", want: time.Unix(0, 0)},
		{in: "", bad: true},
		{in: "soon,0", bad: true},
		{in: "-5.1,0", bad: true},
		{in: "1795315514.,0", bad: true},
		{in: "1795315514.1234567890,0", bad: true},
		{in: "1795315514.12x,0", bad: true},
	} {
		got, err := parseHLC(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseHLC(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseHLC(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestLivenessState(t *testing.T) {
	t.Parallel()
	now := time.Unix(1795315500, 0)
	dead := 75 * time.Second
	for _, tc := range []struct {
		name string
		rec  livenessRecord
		want string
	}{
		{"live", livenessRecord{Expiration: now.Add(9 * time.Second), Membership: "active"}, livenessLive},
		{"expiring exactly now is not live", livenessRecord{Expiration: now, Membership: "active"}, livenessSuspect},
		{"draining and live", livenessRecord{Expiration: now.Add(time.Second), Draining: true, Membership: "active"}, livenessDraining},
		{"draining but expired", livenessRecord{Expiration: now.Add(-time.Second), Draining: true, Membership: "active"}, livenessSuspect},
		{"suspect just before dead", livenessRecord{Expiration: now.Add(-dead + time.Nanosecond), Membership: "active"}, livenessSuspect},
		{"dead at time_until_store_dead", livenessRecord{Expiration: now.Add(-dead), Membership: "active"}, livenessDead},
		// CockroachDB's order: health first, then membership.
		{"dead while decommissioning is decommissioned", livenessRecord{Expiration: now.Add(-time.Hour), Membership: "decommissioning"}, livenessDecommissioned},
		{"dead and decommissioned", livenessRecord{Expiration: now.Add(-time.Hour), Membership: "decommissioned"}, livenessDecommissioned},
		{"crashed mid-decommission is suspect", livenessRecord{Expiration: now.Add(-time.Second), Membership: "decommissioning"}, livenessSuspect},
		{"live and decommissioning", livenessRecord{Expiration: now.Add(time.Second), Membership: "decommissioning"}, livenessDecommissioning},
		{"decommissioning wins over draining", livenessRecord{Expiration: now.Add(time.Second), Draining: true, Membership: "decommissioning"}, livenessDecommissioning},
		{"still heartbeating after decommission finished", livenessRecord{Expiration: now.Add(time.Second), Membership: "decommissioned"}, livenessDecommissioning},
		// The one difference from CockroachDB: a planned removal must not
		// page "suspect" while the stopped node waits to be declared dead.
		{"stopped after decommission is decommissioned", livenessRecord{Expiration: now.Add(-time.Second), Membership: "decommissioned"}, livenessDecommissioned},
	} {
		if got := livenessState(tc.rec, now, dead); got != tc.want {
			t.Errorf("%s: state %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestLivenessCatalog(t *testing.T) {
	t.Parallel()
	want := map[string]Kind{
		"nodes.live": KindGauge, "nodes.suspect": KindGauge, "nodes.dead": KindGauge,
		"nodes.draining": KindGauge, "nodes.decommissioning": KindGauge, "nodes.decommissioned": KindGauge,
		"nodes.expected": KindGauge, "node.liveness": KindGauge, "cluster.nodes_live": KindServiceCheck,
	}
	for name, kind := range want {
		m, ok := Lookup(name)
		if !ok || m.Kind != kind || m.Check != "liveness" {
			t.Errorf("catalog %s = %+v, %v; want a %s of the liveness check", name, m, ok, kind)
		}
	}
}
