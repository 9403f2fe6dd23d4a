package assets

import (
	"strings"
	"testing"
)

const baseMonitor = `{
  "name": "[CockroachDB] L0 sublevels high on node {{node_id.name}} of {{cluster.name}}",
  "type": "query alert",
  "query": "min(last_15m):max:crdb.storage.l0_sublevels{*} by {cluster,node_id,store} > 20",
  "message": "{{#is_alert}}L0 sublevels of store {{store.name}} on node {{node_id.name}} are {{value}} (threshold {{threshold}}).{{/is_alert}}\n{{#is_warning}}L0 sublevels are {{value}} (warning at {{warn_threshold}}).{{/is_warning}}\n{{#is_recovery}}Back to normal.{{/is_recovery}}\n{{#is_no_data}}No data for {{last_triggered_at}}.{{/is_no_data}}\n{{^is_recovery}}Run ` + "`SHOW RANGES FROM TABLE <table>`" + ` then look at the node.{{/is_recovery}}\n{{#is_match \"node_id.name\" \"1\"}}node one{{else}}another node{{/is_match}}\n{{!-- a comment --}}\n@roachdog-notify",
  "tags": ["managed-by:roachdog", "service:cockroachdb"],
  "priority": 2,
  "options": {
    "thresholds": {"critical": 20, "warning": 10, "critical_recovery": 15, "warning_recovery": 5},
    "notify_no_data": true,
    "no_data_timeframe": 30,
    "new_group_delay": 300,
    "renotify_interval": 60,
    "renotify_statuses": ["alert"],
    "include_tags": true
  }
}`

const baseServiceCheck = `{
  "name": "[CockroachDB] roachdog cannot scrape node {{node_id.name}}",
  "type": "service check",
  "query": "\"crdb.node.can_scrape\".over(\"*\").by(\"cluster\",\"node_id\").last(4).count_by_status()",
  "message": "{{#is_alert}}{{check_message}}{{/is_alert}}{{#is_warning}}flapping{{/is_warning}}{{#is_recovery}}ok{{/is_recovery}} @roachdog-notify",
  "options": {"thresholds": {"critical": 3, "warning": 1, "ok": 2}}
}`

const baseAnomaly = `{
  "name": "[CockroachDB] SQL p99 anomaly on {{cluster.name}}",
  "type": "query alert",
  "query": "avg(last_4h):anomalies(avg:crdb.sql.service_latency.p99{*} by {cluster}, 'agile', 2, direction='above', alert_window='last_15m', interval=60, count_default_zero='true', seasonality='daily') >= 1",
  "message": "{{#is_alert}}anomalous: {{value}}{{/is_alert}} @roachdog-notify",
  "options": {"thresholds": {"critical": 1, "critical_recovery": 0},
              "threshold_windows": {"trigger_window": "last_15m", "recovery_window": "last_15m"}}
}`

const baseEventMonitor = `{
  "name": "[CockroachDB] node {{node_id.name}} changed state",
  "type": "event-v2 alert",
  "query": "events(\"new_state:dead\").rollup(\"count\").by(\"node_id\").last(\"5m\") > 0",
  "message": "{{#is_alert}}node {{node_id.name}} is dead{{/is_alert}} @roachdog-notify",
  "options": {"thresholds": {"critical": 0}}
}`

func TestBaseMonitorsAreValid(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{"metric": baseMonitor, "service check": baseServiceCheck,
		"anomaly": baseAnomaly, "event": baseEventMonitor,
		"recommended format": `{"version": 2, "title": "t", "description": "d", "tags": [], "definition": ` + baseMonitor + `}`,
		"composite":          `{"name": "both", "type": "composite", "query": "123 && 456", "message": "{{cluster.name}} {{#is_warning}}x{{/is_warning}} @roachdog-notify"}`,
	} {
		if errs := ValidateMonitor("monitors/m.json", []byte(doc), testCatalog, "crdb"); len(errs) > 0 {
			t.Errorf("%s monitor should be valid:\n%s", name, errText(errs))
		}
	}
}

func TestMonitorErrors(t *testing.T) {
	t.Parallel()
	const th = "monitors/m.json: options.thresholds."
	const msg = "monitors/m.json: message: "
	tests := []struct {
		name  string
		base  string
		pairs []string
		want  string
	}{
		{"warning above critical for >", baseMonitor,
			[]string{`"warning": 10,`, `"warning": 25,`},
			th + "warning: 25 is at or above critical 20: for a > alert the warning threshold must be below critical"},
		{"warning below critical for <", baseMonitor,
			[]string{"> 20", "< 20", `"critical": 20, "warning": 10, "critical_recovery": 15, "warning_recovery": 5`, `"critical": 20, "warning": 10`},
			th + "warning: 10 is at or below critical 20: for a < alert the warning threshold must be above critical"},
		{"critical differs from the query", baseMonitor,
			[]string{`"critical": 20,`, `"critical": 30,`},
			th + "critical: is 30 but the query alerts at > 20: they must be equal"},
		{"critical_recovery on the wrong side", baseMonitor,
			[]string{`"critical_recovery": 15`, `"critical_recovery": 25`},
			th + "critical_recovery: 25 must be below critical 20: a > alert recovers when the value goes back below it"},
		{"warning_recovery on the wrong side", baseMonitor,
			[]string{`"warning_recovery": 5`, `"warning_recovery": 12`},
			th + "warning_recovery: 12 must be below warning 10 for a > alert"},
		{"warning_recovery without warning", baseMonitor,
			[]string{`"warning": 10, `, ``, `{{#is_warning}}L0 sublevels are {{value}} (warning at {{warn_threshold}}).{{/is_warning}}`, ``},
			th + "warning_recovery: set without a warning threshold"},
		{"unknown threshold key", baseMonitor,
			[]string{`"warning_recovery"`, `"warn_recovery"`},
			th + `warn_recovery: unknown threshold field "warn_recovery" (did you mean "warning_recovery"?)`},
		{"unclosed section", baseMonitor,
			[]string{`{{#is_recovery}}Back to normal.{{/is_recovery}}`, `{{#is_recovery}}Back to normal.`},
			msg + "line 3: {{#is_recovery}} is never closed (add {{/is_recovery}})"},
		{"unclosed section at the end", baseMonitor,
			[]string{`\n@roachdog-notify"`, `\n{{#is_alert}}@roachdog-notify"`},
			msg + "line 8: {{#is_alert}} is never closed (add {{/is_alert}})"},
		{"section closed in the wrong order", baseMonitor,
			[]string{`{{/is_alert}}\n`, `{{/is_warning}}{{/is_alert}}\n`},
			msg + "line 1: {{/is_warning}} closes {{#is_alert}} opened on line 1 (sections must be closed in order)"},
		{"close without open", baseMonitor,
			[]string{`\n@roachdog-notify"`, `\n{{/is_alert}}@roachdog-notify"`},
			msg + "line 8: {{/is_alert}} closes a section that was never opened"},
		{"unknown section", baseMonitor,
			[]string{`{{#is_recovery}}Back to normal.{{/is_recovery}}`, `{{#is_recovered}}Back to normal.{{/is_recovered}}`},
			msg + "line 3: unknown section {{#is_recovered}} (did you mean {{#is_recovery}}?)"},
		{"unterminated tag", baseMonitor,
			[]string{`\n@roachdog-notify"`, `\n@roachdog-notify {{value"`},
			msg + `line 8: "{{value" is never closed with "}}"`},
		{"leftover angle placeholder", baseMonitor,
			[]string{`\n@roachdog-notify"`, `\n@roachdog-notify <TEAM_HANDLE>"`},
			msg + "leftover placeholder <TEAM_HANDLE>"},
		{"leftover TODO", baseMonitor,
			[]string{`Back to normal.`, `Back to normal. TODO: runbook`},
			msg + "leftover placeholder TODO"},
		{"leftover ${VAR}", baseMonitor,
			[]string{`Back to normal.`, `Back to normal, see ${RUNBOOK_URL}`},
			msg + "leftover placeholder ${RUNBOOK_URL}"},
		{"hard-coded handle", baseMonitor,
			[]string{`\n@roachdog-notify"`, `\n@roachdog-notify @slack-db-oncall"`},
			msg + "hard-coded notification handle @slack-db-oncall: write @roachdog-notify"},
		{"hard-coded handle right after a section", baseMonitor,
			[]string{`Back to normal.{{/is_recovery}}`, `Back to normal.{{/is_recovery}}@pagerduty-db`},
			msg + "hard-coded notification handle @pagerduty-db"},
		{"no handle", baseMonitor,
			[]string{`\n@roachdog-notify"`, `"`},
			msg + "notifies nobody: add @roachdog-notify"},
		{"tag variable not grouped", baseMonitor,
			[]string{`on node {{node_id.name}} are`, `in {{region.name}} are`},
			msg + "line 1: {{region.name}}: the query does not group by region (it groups by cluster, node_id, store), so Datadog renders it empty"},
		{"tag variable in the name", baseMonitor,
			[]string{`of {{cluster.name}}",`, `of {{zone.name}}",`},
			"monitors/m.json: name: line 1: {{zone.name}}: the query does not group by zone"},
		{"unknown variable", baseMonitor,
			[]string{`are {{value}} (threshold`, `are {{valeu}} (threshold`},
			msg + "line 1: unknown variable {{valeu}} (did you mean {{value}}?)"},
		{"is_match on an ungrouped tag", baseMonitor,
			[]string{`{{#is_match \"node_id.name\" \"1\"}}`, `{{#is_match \"region.name\" \"us\"}}`},
			msg + `line 6: {{#is_match "region.name" ...}}: the query does not group by region`},
		{"is_warning without a warning threshold", baseMonitor,
			[]string{`"warning": 10, "critical_recovery": 15, "warning_recovery": 5`, `"critical_recovery": 15`},
			msg + "has a {{#is_warning}} section but the monitor has no warning threshold, so it never renders"},
		{"is_no_data without notify_no_data", baseMonitor,
			[]string{`"notify_no_data": true,`, `"notify_no_data": false,`},
			msg + "has a {{#is_no_data}} section but options.notify_no_data is not true, so it never renders"},
		{"check_message outside service checks", baseMonitor,
			[]string{`Back to normal.`, `{{check_message}}`},
			msg + "line 3: {{check_message}} exists only in service check monitors"},
		{"unknown type", baseMonitor,
			[]string{`"type": "query alert"`, `"type": "metric alarm"`},
			`monitors/m.json: type: unknown monitor type "metric alarm" (did you mean "metric alert"?)`},
		{"unknown metric", baseMonitor,
			[]string{"crdb.storage.l0_sublevels", "crdb.storage.l0_sublevel"},
			"monitors/m.json: query: at column 19: metric crdb.storage.l0_sublevel is not in roachdog's catalog (did you mean crdb.storage.l0_sublevels?)"},
		{"unknown group-by tag", baseMonitor,
			[]string{"by {cluster,node_id,store}", "by {cluster,node,store}"},
			"monitors/m.json: query: at column 60: crdb.storage.l0_sublevels has no tag node (it carries cluster, node_id, the locality tiers"},
		{"template variable in a monitor", baseMonitor,
			[]string{"l0_sublevels{*}", "l0_sublevels{$cluster}"},
			"monitors/m.json: query: at column 45: $cluster: template variables exist only in dashboards"},
		{"missing comparator", baseMonitor,
			[]string{" > 20\"", "\""},
			"monitors/m.json: query: at column 74: expected a comparator (>, >=, <, <=) and a threshold, found end of query"},
		{"bad time window", baseMonitor,
			[]string{"min(last_15m)", "min(15m)"},
			"monitors/m.json: query: at column 5: malformed number \"15m\""},
		{"bad time window name", baseMonitor,
			[]string{"min(last_15m)", "min(past_15m)"},
			"monitors/m.json: query: at column 5: expected a time window such as last_5m, last_1h, last_1d"},
		{"unknown time aggregation", baseMonitor,
			[]string{"min(last_15m)", "median(last_15m)"},
			"monitors/m.json: query: at column 1: unknown time aggregation median()"},
		{"count without as_count", baseMonitor,
			[]string{"max:crdb.storage.l0_sublevels{*} by {cluster,node_id,store}", "sum:crdb.node.restarts{*} by {cluster,node_id,store}"},
			"monitors/m.json: query: at column 19: crdb.node.restarts is a count: add .as_count()"},
		{"mismatched groups in arithmetic", baseMonitor,
			[]string{"max:crdb.storage.l0_sublevels{*} by {cluster,node_id,store}", "max:crdb.storage.l0_sublevels{*} by {cluster,node_id,store} / max:crdb.sql.conns{*} by {cluster,node_id}"},
			"monitors/m.json: query: at column 77: crdb.sql.conns groups by {cluster,node_id} but another query groups by {cluster,node_id,store}"},
		{"deprecated option", baseMonitor,
			[]string{`"new_group_delay": 300`, `"new_host_delay": 300`},
			"monitors/m.json: options.new_host_delay: deprecated: use new_group_delay"},
		{"misspelt option", baseMonitor,
			[]string{`"renotify_interval"`, `"renotify_intervall"`},
			`monitors/m.json: options.renotify_intervall: unknown monitor option field "renotify_intervall" (did you mean "renotify_interval"?)`},
		{"bad priority", baseMonitor,
			[]string{`"priority": 2`, `"priority": 7`},
			"monitors/m.json: priority: must be 1 to 5 (or null)"},
		{"unknown service check", baseServiceCheck,
			[]string{`crdb.node.can_scrape`, `crdb.node.scrape`},
			"monitors/m.json: query: at column 1: service check crdb.node.scrape is not in roachdog's catalog (did you mean crdb.node.can_scrape?)"},
		{"service check grouped by a tag it lacks", baseServiceCheck,
			[]string{`by(\"cluster\",\"node_id\")`, `by(\"cluster\",\"store\")`},
			"monitors/m.json: query: at column 47: crdb.node.can_scrape has no tag store"},
		{"service check threshold beyond last(n)", baseServiceCheck,
			[]string{`"critical": 3`, `"critical": 5`},
			"monitors/m.json: options.thresholds.critical: 5 consecutive runs cannot be seen in .last(4): raise .last() to at least 5"},
		{"service check without count_by_status", baseServiceCheck,
			[]string{`.count_by_status()`, ``},
			"monitors/m.json: query: expected \"check\".over(...)[.exclude(...)][.by(...)].last(n).count_by_status()"},
		{"metric as a service check", baseServiceCheck,
			[]string{`crdb.node.can_scrape`, `crdb.sql.conns`},
			"monitors/m.json: query: at column 1: crdb.sql.conns is a metric, not a service check: use a metric alert"},
		{"anomaly trigger window differs", baseAnomaly,
			[]string{`"trigger_window": "last_15m"`, `"trigger_window": "last_30m"`},
			`monitors/m.json: options.threshold_windows.trigger_window: is "last_30m" but the query's alert_window is "last_15m": they must be equal`},
		{"anomaly comparator", baseAnomaly,
			[]string{`>= 1`, `> 1`},
			"monitors/m.json: query: at column 191: anomaly monitors compare with >="},
		{"anomaly threshold out of range", baseAnomaly,
			[]string{`>= 1`, `>= 2`, `"critical": 1,`, `"critical": 2,`},
			"an anomaly threshold is a fraction of the alert window, in (0, 1]"},
		{"anomaly algorithm", baseAnomaly,
			[]string{`'agile'`, `'agil'`},
			`monitors/m.json: query: at column 74: argument 2 of anomalies() is "agil", not one of basic, agile, robust`},
		{"anomaly without threshold_windows", baseAnomaly,
			[]string{`,
              "threshold_windows": {"trigger_window": "last_15m", "recovery_window": "last_15m"}`, ``},
			"monitors/m.json: options: anomaly monitors need threshold_windows {trigger_window, recovery_window}"},
		{"event monitor on an unknown tag", baseEventMonitor,
			[]string{`by(\"node_id\")`, `by(\"node\")`},
			"monitors/m.json: query: at column 45: no roachdog event carries tag node"},
		{"missing message", baseServiceCheck,
			[]string{`"message": "{{#is_alert}}{{check_message}}{{/is_alert}}{{#is_warning}}flapping{{/is_warning}}{{#is_recovery}}ok{{/is_recovery}} @roachdog-notify",`, ``},
			`monitors/m.json: (top level): missing required field "message"`},
		{"placeholder in a tag", baseMonitor,
			[]string{`"service:cockroachdb"`, `"team:<TEAM>"`},
			`monitors/m.json: tags[1]: leftover placeholder in tag "team:<TEAM>"`},
		{"recommended format path", `{"version": 2, "title": "t", "definition": ` + baseMonitor + `}`,
			[]string{`"warning": 10,`, `"warning": 25,`},
			"monitors/m.json: definition.options.thresholds.warning: 25 is at or above critical 20"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := mutate(t, tc.base, tc.pairs...)
			errs := ValidateMonitor("monitors/m.json", []byte(doc), testCatalog, "crdb")
			got := errText(errs)
			if !strings.Contains(got, tc.want) {
				t.Fatalf("want an error containing\n  %s\ngot:\n%s", tc.want, got)
			}
		})
	}
}

// A query that does not parse leaves the groups unknown: the message's tag
// variables must not be reported on top of the syntax error.
func TestUnparsableQueryDoesNotCascade(t *testing.T) {
	t.Parallel()
	doc := mutate(t, baseMonitor, "min(last_15m):", "min(last_15m)")
	got := errText(ValidateMonitor("monitors/m.json", []byte(doc), testCatalog, "crdb"))
	want := "monitors/m.json: query: at column 14: expected \":\", found \"max\"\n" +
		"monitors/m.json: query: expected time_aggr(last_5m):space_aggr:metric{scope} [by {tags}] <op> threshold\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
