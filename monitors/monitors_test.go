package monitors_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/assets"
	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/monitors"
)

// monitor is the part of a monitor body these tests look at.
type monitor struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Query    string   `json:"query"`
	Message  string   `json:"message"`
	Tags     []string `json:"tags"`
	Priority *int     `json:"priority"`
	Options  struct {
		Thresholds       map[string]float64 `json:"thresholds"`
		NotifyNoData     bool               `json:"notify_no_data"`
		NoDataTimeframe  *int               `json:"no_data_timeframe"`
		NewGroupDelay    *int               `json:"new_group_delay"`
		RenotifyInterval int                `json:"renotify_interval"`
		IncludeTags      bool               `json:"include_tags"`
	} `json:"options"`
}

// load returns every embedded monitor file by name.
func load(t *testing.T) map[string][]byte {
	t.Helper()
	names, err := fs.Glob(monitors.FS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no monitor embedded")
	}
	files := map[string][]byte{}
	for _, n := range names {
		data, err := fs.ReadFile(monitors.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = data
	}
	return files
}

func decode(t *testing.T, name string, data []byte) monitor {
	t.Helper()
	var m monitor
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// TestValidate runs every shipped monitor through the validator that
// `roachdog validate` uses: shape, metrics and tags in the catalog, query,
// thresholds and template, and names unique across files.
func TestValidate(t *testing.T) {
	res, err := assets.ValidateAll(nil, monitors.FS, checks.Catalog(), "crdb")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(load(t)) {
		t.Errorf("validated %d files, %d embedded", len(res), len(load(t)))
	}
	for _, r := range res {
		for _, e := range r.Errs {
			t.Errorf("%v", e)
		}
	}
}

// TestValidateCatchesBreakage makes sure TestValidate can fail: a shipped
// monitor broken in the ways an edit typically breaks one is rejected.
func TestValidateCatchesBreakage(t *testing.T) {
	files := load(t)
	for _, tc := range []struct {
		file, old, new, want string
	}{
		{"node_dead.json", "crdb.node.liveness{", "crdb.node.livenes{", "not in roachdog's catalog"},
		{"store_disk_low.json", `"critical": 0.85`, `"critical": 0.9`, "must be equal"},
		{"store_disk_low.json", `"warning": 0.7`, `"warning": 0.95`, "warning threshold must be below critical"},
		{"ttl_lag.json", "{{/is_warning}}", "", "never closed"},
		{"changefeed_lag.json", "by {cluster,job_id}", "by {cluster}", "does not group by job_id"},
		{"backup_stale.json", "@roachdog-notify", "@oncall-team", "hard-coded notification handle"},
		{"sql_latency_anomaly.json", `"trigger_window": "last_15m"`, `"trigger_window": "last_5m"`, "must be equal"},
	} {
		t.Run(tc.file+"/"+tc.want, func(t *testing.T) {
			data, ok := files[tc.file]
			if !ok {
				t.Fatalf("%s is not shipped", tc.file)
			}
			broken := strings.Replace(string(data), tc.old, tc.new, 1)
			if broken == string(data) {
				t.Fatalf("%q is not in %s", tc.old, tc.file)
			}
			errs := assets.ValidateMonitor(tc.file, []byte(broken), checks.Catalog(), "crdb")
			for _, e := range errs {
				if strings.Contains(e.Error(), tc.want) {
					return
				}
			}
			t.Errorf("want an error containing %q, got %v", tc.want, errs)
		})
	}
}

// TestConventions checks what this pack promises beyond a valid monitor
// (docs/monitors.md, "Conventions").
func TestConventions(t *testing.T) {
	required := []string{"managed-by:roachdog", "service:cockroachdb", "integration:roachdog"}
	for name, data := range load(t) {
		m := decode(t, name, data)
		t.Run(name, func(t *testing.T) {
			for _, tag := range required {
				if !slices.Contains(m.Tags, tag) {
					t.Errorf("tags %v lack %s (apply finds its monitors by them)", m.Tags, tag)
				}
			}
			if !strings.HasPrefix(m.Name, "[CockroachDB] ") {
				t.Errorf("name %q does not start with [CockroachDB]", m.Name)
			}
			if m.Priority == nil || *m.Priority < 1 || *m.Priority > 5 {
				t.Errorf("priority %v, want 1 to 5", m.Priority)
			}
			for _, s := range []string{"{{#is_alert}}", "{{#is_recovery}}"} {
				if !strings.Contains(m.Message, s) {
					t.Errorf("message has no %s section", s)
				}
			}
			if !strings.HasSuffix(strings.TrimSpace(m.Message), assets.NotifyPlaceholder) {
				t.Errorf("message does not end with %s", assets.NotifyPlaceholder)
			}
			if !strings.Contains(m.Message, "**First steps:**") {
				t.Error("message says nothing about what to do")
			}
			if _, ok := m.Options.Thresholds["critical"]; !ok {
				t.Error("options.thresholds has no critical threshold")
			}
			if m.Options.NewGroupDelay == nil || *m.Options.NewGroupDelay <= 0 {
				t.Error("options.new_group_delay is not set: a starting node or table would alert")
			}
			if !m.Options.IncludeTags {
				t.Error("options.include_tags is false: notifications would not name the group")
			}
			if m.Options.NotifyNoData && (m.Options.NoDataTimeframe == nil || *m.Options.NoDataTimeframe <= 0) {
				t.Error("notify_no_data without no_data_timeframe")
			}
			if m.Priority != nil && *m.Priority == 1 && m.Options.RenotifyInterval == 0 {
				t.Error("a P1 monitor must renotify while it alerts")
			}
		})
	}
}

// TestCoverage pins the monitors the pack must contain (issue: "at least")
// to the signal each one watches, so that none is dropped or renamed away.
func TestCoverage(t *testing.T) {
	files := map[string]monitor{}
	for name, data := range load(t) {
		files[name] = decode(t, name, data)
	}
	for _, tc := range []struct {
		file string
		// in must all appear in the query.
		in []string
	}{
		{"nodes_live_below_expected.json", []string{"crdb.nodes.expected", "crdb.nodes.live"}},
		{"node_suspect.json", []string{"crdb.node.liveness{state:suspect}", "by {cluster,node_id}"}},
		{"node_dead.json", []string{"crdb.node.liveness{state:dead}", "by {cluster,node_id}"}},
		{"node_unreachable.json", []string{"crdb.node.up"}},
		{"live_nodes_disagreement.json", []string{"crdb.cluster.live_nodes.spread"}},
		{"ranges_underreplicated.json", []string{"min(last_1h)", "crdb.cluster.ranges.underreplicated"}},
		{"ranges_unavailable.json", []string{"min(last_10m)", "crdb.cluster.ranges.unavailable"}},
		{"constraint_violations.json", []string{"crdb.replication.constraint_violations", "by {cluster,zone}"}},
		{"ttl_lag.json", []string{"crdb.ttl.lag_seconds", "by {cluster,database,table}"}},
		{"ttl_job_failed.json", []string{"crdb.ttl.last_job_failed"}},
		{"ttl_job_stale.json", []string{"crdb.ttl.job_age_seconds", "crdb.ttl.job_period_seconds", "> 3"}},
		{"jobs_failed.json", []string{"crdb.jobs.failed", "by {cluster,job_type}"}},
		{"changefeed_lag.json", []string{"crdb.changefeed.high_water_lag", "> 900"}},
		{"backup_stale.json", []string{"crdb.backup.last_success_age", "> 172800"}},
		{"store_disk_low.json", []string{"crdb.capacity.used_ratio", "by {cluster,node_id,store}", "> 0.85"}},
		{"clock_offset_near_max.json", []string{"crdb.clock.offset.mean", "> 0.3"}},
		{"certificate_ca_expiring.json", []string{"crdb.security.certificate.expires_in", "certificate"}},
		{"certificate_node_expiring.json", []string{"crdb.security.certificate.expires_in", "certificate"}},
		{"version_mismatch.json", []string{"min(last_4h)", "crdb.cluster.versions", "> 1"}},
		{"node_restarting.json", []string{"sum(last_10m)", "crdb.node.restarts", ".as_count()", "> 1"}},
		{"lsm_l0_sublevels.json", []string{"crdb.storage.l0_sublevels"}},
		{"lsm_read_amplification.json", []string{"crdb.storage.read_amplification"}},
		{"sql_latency_anomaly.json", []string{"anomalies(", "p99:crdb.sql.service_latency{", "alert_window='last_15m'"}},
		{"txn_retry_storm.json", []string{"crdb.txn.restarts{reason:serializable}", "by {cluster}"}},
		{"hot_range_sustained.json", []string{"min(last_30m)", "crdb.hot_ranges.max_range_qps", "by {cluster,database,table,index}"}},
		{"contention_rising.json", []string{"sum(last_15m)", "crdb.contention.wait_time", "by {cluster,database,table}"}},
		{"roachdog_not_reporting.json", []string{"crdb.cluster.nodes.scraped"}},
		{"sql_can_query.json", []string{`"crdb.sql.can_query"`, `.by("cluster","check")`}},
		{"statement_latency_jump.json", []string{"pct_change(avg(last_15m),last_1h)", "crdb.statements.latency.mean", "by {cluster,query_signature,app}"}},
	} {
		m, ok := files[tc.file]
		if !ok {
			t.Errorf("%s is missing", tc.file)
			continue
		}
		for _, s := range tc.in {
			if !strings.Contains(m.Query, s) {
				t.Errorf("%s: query %q lacks %q", tc.file, m.Query, s)
			}
		}
	}
	if m := files["roachdog_not_reporting.json"]; !m.Options.NotifyNoData {
		t.Error("roachdog_not_reporting.json must notify on no data: that is how a dead roachdog shows")
	}
}
