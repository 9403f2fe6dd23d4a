package assets

import (
	"strings"
	"testing"

	"github.com/roachdog/roachdog/checks"
)

// baseDashboard is a small valid dashboard the table tests break one way
// at a time. Its metrics are real catalog entries (see testCatalog).
const baseDashboard = `{
  "title": "Test",
  "layout_type": "ordered",
  "reflow_type": "fixed",
  "template_variables": [
    {"name": "cluster", "prefix": "cluster", "available_values": [], "default": "*"},
    {"name": "node_id", "prefix": "node_id", "available_values": [], "default": "*"},
    {"name": "region", "prefix": "region", "available_values": [], "default": "*"}
  ],
  "widgets": [
    {"layout": {"x": 0, "y": 0, "width": 12, "height": 5},
     "definition": {"type": "group", "title": "Group $cluster", "layout_type": "ordered", "widgets": [
      {"layout": {"x": 0, "y": 0, "width": 6, "height": 2},
       "definition": {"type": "timeseries", "title": "Conns",
        "requests": [{"response_format": "timeseries",
          "queries": [
            {"data_source": "metrics", "name": "query1", "query": "avg:crdb.sql.conns{$cluster,$node_id,$region} by {node_id}"},
            {"data_source": "metrics", "name": "query2", "query": "sum:crdb.sql.statements{$cluster} by {statement_type}.as_rate()"}],
          "formulas": [{"formula": "query1"}, {"formula": "query2 * 2"}]}],
        "events": [{"q": "new_state:* $cluster", "tags_execution": "and"}]}},
      {"layout": {"x": 6, "y": 0, "width": 6, "height": 2},
       "definition": {"type": "query_value", "title": "Violations",
        "requests": [{"response_format": "scalar",
          "queries": [{"data_source": "metrics", "name": "query1", "query": "max:crdb.replication.constraint_violations{$cluster} by {zone}", "aggregator": "last"}],
          "formulas": [{"formula": "query1"}]}]}},
      {"layout": {"x": 0, "y": 2, "width": 4, "height": 2},
       "definition": {"type": "check_status", "title": "Scrapes", "check": "crdb.node.can_scrape", "grouping": "cluster", "group_by": ["node_id"], "tags": ["$cluster"]}},
      {"layout": {"x": 4, "y": 2, "width": 4, "height": 2},
       "definition": {"type": "manage_status", "query": "tag:managed-by:roachdog", "summary_type": "monitors"}},
      {"layout": {"x": 8, "y": 2, "width": 4, "height": 2},
       "definition": {"type": "timeseries", "title": "Legacy",
        "requests": [{"q": "sum:crdb.txn.restarts{$cluster} by {reason}.as_count(), max:crdb.cluster.ranges{*}.rollup(max, 60)", "display_type": "bars"}]}}
     ]}}
  ]
}`

// testCatalog is a fixed catalog, so these tests do not move when checks
// add metrics. Shipped files are validated against checks.Catalog().
var testCatalog = []checks.Metric{
	{Name: "sql.conns", Kind: checks.KindGauge, Tags: []string{"node_id", "locality"}},
	{Name: "sql.statements", Kind: checks.KindCount, Tags: []string{"node_id", "locality", "statement_type"}},
	{Name: "txn.restarts", Kind: checks.KindCount, Tags: []string{"node_id", "locality", "reason"}},
	{Name: "cluster.ranges", Kind: checks.KindGauge, ClusterLevel: true},
	{Name: "cluster.ranges.unavailable", Kind: checks.KindGauge, ClusterLevel: true},
	{Name: "replication.constraint_violations", Kind: checks.KindGauge, Tags: []string{"zone", "constraint"}},
	{Name: "sql.service_latency.p99", Kind: checks.KindGauge, Tags: []string{"node_id", "locality"}},
	{Name: "sql.service_latency", Kind: checks.KindDistribution, Tags: []string{"node_id", "locality"}},
	{Name: "node.liveness", Kind: checks.KindGauge, Tags: []string{"node_id", "state"}},
	{Name: "storage.l0_sublevels", Kind: checks.KindGauge, Tags: []string{"node_id", "locality", "store"}},
	{Name: "node.restarts", Kind: checks.KindCount, Tags: []string{"node_id", "locality"}},
	{Name: "node.can_scrape", Kind: checks.KindServiceCheck, Tags: []string{"instance", "node_id", "locality"}},
	{Name: "sql.can_query", Kind: checks.KindServiceCheck, Tags: []string{"check"}},
	{Name: "node.liveness_change", Kind: checks.KindEvent, Tags: []string{"node_id", "old_state", "new_state"}},
}

// mutate applies old→new replacements to base, failing the test when one
// does not match (a case that changes nothing cannot fail).
func mutate(t *testing.T, base string, pairs ...string) string {
	t.Helper()
	s := base
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("mutation %q does not match the base document", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func errText(errs []error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestBaseDashboardIsValid(t *testing.T) {
	t.Parallel()
	if errs := ValidateDashboard("dashboards/t.json", []byte(baseDashboard), testCatalog, "crdb"); len(errs) > 0 {
		t.Fatalf("base dashboard should be valid:\n%s", errText(errs))
	}
}

func TestDashboardErrors(t *testing.T) {
	t.Parallel()
	const q0 = "dashboards/t.json: widgets[0].definition.widgets[0].definition.requests[0].queries[0].query: "
	const q1 = "dashboards/t.json: widgets[0].definition.widgets[0].definition.requests[0].queries[1].query: "
	const vq = "dashboards/t.json: widgets[0].definition.widgets[1].definition.requests[0].queries[0].query: "
	const legacy = "dashboards/t.json: widgets[0].definition.widgets[4].definition.requests[0].q: "
	tests := []struct {
		name  string
		pairs []string
		want  string
	}{
		{"unknown metric with suggestion",
			[]string{"crdb.replication.constraint_violations{", "crdb.replication.constraint_violation{"},
			vq + "at column 5: metric crdb.replication.constraint_violation is not in roachdog's catalog (did you mean crdb.replication.constraint_violations?)"},
		{"metric outside the namespace",
			[]string{"avg:crdb.sql.conns{", "avg:sql.conns{"},
			q0 + "at column 5: metric sql.conns is not one of roachdog's: they all start with crdb. (did you mean crdb.sql.conns?)"},
		{"unknown tag in group-by",
			[]string{"by {zone}", "by {node_id}"},
			vq + "at column 58: crdb.replication.constraint_violations has no tag node_id (it carries cluster, zone, constraint and the global env, service, version, host)"},
		{"unknown tag in scope",
			[]string{"{$cluster} by {zone}", "{$cluster,store:1} by {zone}"},
			vq + "at column 53: crdb.replication.constraint_violations has no tag store"},
		{"template variable on a tag the metric lacks",
			[]string{"{$cluster} by {zone}", "{$cluster,$node_id} by {zone}"},
			vq + "at column 53: template variable $node_id filters on node_id, which crdb.replication.constraint_violations does not carry"},
		{"undefined template variable in a query",
			[]string{"{$cluster,$node_id,$region}", "{$cluster,$node_id,$regoin}"},
			q0 + "at column 38: template variable $regoin is not defined (defined: $cluster, $node_id, $region)"},
		{"undefined template variable in a title",
			[]string{`"title": "Group $cluster"`, `"title": "Group $clutser"`},
			"dashboards/t.json: widgets[0].definition.title: template variable $clutser is not defined"},
		{"bad layout_type",
			[]string{`"layout_type": "ordered",
  "reflow_type"`, `"layout_type": "grid",
  "reflow_type"`},
			`dashboards/t.json: layout_type: "grid" is not one of ordered, free`},
		{"missing title",
			[]string{`"title": "Test",`, ``},
			`dashboards/t.json: (top level): missing required field "title"`},
		{"count without as_count",
			[]string{"by {statement_type}.as_rate()", "by {statement_type}"},
			q1 + "at column 5: crdb.sql.statements is a count: add .as_count() (events per interval) or .as_rate() (per second)"},
		{"as_count on a gauge",
			[]string{"by {node_id}\"}", "by {node_id}.as_count()\"}"},
			q0 + "at column 60: .as_count() applies to counts (and count: of a distribution), and crdb.sql.conns is a gauge"},
		{"percentile aggregator",
			[]string{"avg:crdb.sql.conns{", "p99:crdb.sql.conns{"},
			q0 + "at column 1: p99: needs a distribution metric, and crdb.sql.conns is a gauge"},
		{"percentile of a quantile gauge points to the distribution",
			[]string{"avg:crdb.sql.conns{$cluster,$node_id,$region} by {node_id}", "p99:crdb.sql.service_latency.p99{$cluster,$node_id,$region} by {node_id}"},
			q0 + "at column 1: p99: needs a distribution metric, and crdb.sql.service_latency.p99 is a gauge (the distribution is crdb.sql.service_latency)"},
		{"percentile above 100",
			[]string{"avg:crdb.sql.conns{$cluster,$node_id,$region} by {node_id}", "p101:crdb.sql.service_latency{$cluster,$node_id,$region} by {node_id}"},
			q0 + "at column 1: p101: a percentile aggregator goes from p0 to p100"},
		{"as_count on a distribution's percentile",
			[]string{"avg:crdb.sql.conns{$cluster,$node_id,$region} by {node_id}", "p99:crdb.sql.service_latency{$cluster} by {node_id}.as_count()"},
			q0 + "at column 53: .as_count() applies to counts (and count: of a distribution), and crdb.sql.service_latency is a distribution"},
		{"count aggregator on a gauge",
			[]string{"avg:crdb.sql.conns{", "count:crdb.sql.conns{"},
			q0 + `at column 1: unknown space aggregator "count"`},
		{"no space aggregator",
			[]string{"avg:crdb.sql.conns{", "crdb.sql.conns{"},
			q0 + "at column 1: no space aggregator before crdb.sql.conns: write avg:crdb.sql.conns"},
		{"formula names an unknown query",
			[]string{`{"formula": "query2 * 2"}`, `{"formula": "query3 * 2"}`},
			`dashboards/t.json: widgets[0].definition.widgets[0].definition.requests[0].formulas[1].formula: at column 1: "query3" is not the name of one of this request's queries (did you mean query1?)`},
		{"query not used by a formula",
			[]string{`{"formula": "query2 * 2"}`, `{"formula": "query1 * 2"}`},
			"dashboards/t.json: widgets[0].definition.widgets[0].definition.requests[0].queries: query query2 is not used by any formula"},
		{"function in a query field",
			[]string{`"query": "avg:crdb.sql.conns{$cluster,$node_id,$region} by {node_id}"`, `"query": "abs(avg:crdb.sql.conns{$cluster,$node_id,$region} by {node_id})"`},
			q0 + "at column 1: must be one metric query; put functions and arithmetic in formulas"},
		{"unknown function in a formula",
			[]string{`{"formula": "query1"}`, `{"formula": "per_secnd(query1)"}`},
			"formulas[0].formula: at column 1: unknown function per_secnd() (did you mean per_second()?)"},
		{"unknown method",
			[]string{".rollup(max, 60)", ".rolup(max, 60)"},
			legacy + "at column 84: unknown method .rolup() (did you mean .rollup()?)"},
		{"bad rollup method",
			[]string{".rollup(max, 60)", ".rollup(maximum, 60)"},
			legacy + "at column 91: .rollup() argument 1 must be one of avg, sum, min, max, count"},
		{"unclosed scope",
			[]string{"max:crdb.cluster.ranges{*}.rollup", "max:crdb.cluster.ranges{*.rollup"},
			legacy + "at column 80: the scope of crdb.cluster.ranges's '{' is never closed"},
		{"unknown widget type",
			[]string{`"type": "query_value"`, `"type": "query_valu"`},
			`dashboards/t.json: widgets[0].definition.widgets[1].definition.type: unknown widget type "query_valu" (did you mean "query_value"?)`},
		{"unknown service check",
			[]string{`"check": "crdb.node.can_scrape"`, `"check": "crdb.node.can_scrap"`},
			"dashboards/t.json: widgets[0].definition.widgets[2].definition.check: service check crdb.node.can_scrap is not in roachdog's catalog (did you mean crdb.node.can_scrape?)"},
		{"metric in check_status",
			[]string{`"check": "crdb.node.can_scrape"`, `"check": "crdb.sql.conns"`},
			"definition.check: crdb.sql.conns is a metric, not a service check"},
		{"service check tag",
			[]string{`"group_by": ["node_id"]`, `"group_by": ["store"]`},
			"definition.group_by[0]: crdb.node.can_scrape has no tag store"},
		{"service check queried as a metric",
			[]string{"max:crdb.cluster.ranges{*}", "max:crdb.node.can_scrape{*}"},
			legacy + "at column 61: crdb.node.can_scrape is a service check, not a metric"},
		{"event overlay tag",
			[]string{"new_state:* $cluster", "newstate:* $cluster"},
			"dashboards/t.json: widgets[0].definition.widgets[0].definition.events[0].q: no roachdog event carries tag newstate (did you mean new_state?)"},
		{"event overlay with an undefined variable",
			[]string{"new_state:* $cluster", "new_state:* cluster:$clstr.value"},
			"events[0].q: template variable $clstr is not defined"},
		{"group in a group",
			[]string{`"definition": {"type": "manage_status", "query": "tag:managed-by:roachdog", "summary_type": "monitors"}`,
				`"definition": {"type": "group", "layout_type": "ordered", "widgets": [{"layout": {"x": 0, "y": 0, "width": 1, "height": 1}, "definition": {"type": "note", "content": "x"}}]}`},
			"dashboards/t.json: widgets[0].definition.widgets[3].definition.type: a group cannot contain another group"},
		{"overlapping widgets",
			[]string{`{"x": 6, "y": 0, "width": 6, "height": 2}`, `{"x": 5, "y": 0, "width": 6, "height": 2}`},
			"dashboards/t.json: widgets[0].definition.widgets[1].layout: overlaps widgets[0].definition.widgets[0]"},
		{"beyond the grid",
			[]string{`{"x": 8, "y": 2, "width": 4, "height": 2}`, `{"x": 8, "y": 2, "width": 5, "height": 2}`},
			"dashboards/t.json: widgets[0].definition.widgets[4].layout: x + width = 13, beyond the 12-column grid"},
		{"missing layout with fixed reflow",
			[]string{`{"layout": {"x": 0, "y": 0, "width": 12, "height": 5},
     "definition"`, `{"definition"`},
			`dashboards/t.json: widgets[0]: missing required field "layout"`},
		{"wrong response_format",
			[]string{`"response_format": "scalar"`, `"response_format": "timeseries"`},
			`dashboards/t.json: widgets[0].definition.widgets[1].definition.requests[0].response_format: a query_value widget needs response_format "scalar", not "timeseries"`},
		{"non-metric data source",
			[]string{`"data_source": "metrics", "name": "query1", "query": "max:`, `"data_source": "logs", "name": "query1", "query": "max:`},
			`dashboards/t.json: widgets[0].definition.widgets[1].definition.requests[0].queries[0].data_source: "logs": roachdog's dashboards query metrics only`},
		{"misspelt template variable field",
			[]string{`{"name": "region", "prefix": "region", "available_values": []`, `{"name": "region", "prefix": "region", "available_value": []`},
			`dashboards/t.json: template_variables[2].available_value: unknown template variable field "available_value" (did you mean "available_values"?)`},
		{"misspelt template_variables loses the variables",
			[]string{`"template_variables"`, `"template_variable"`},
			"template variable $cluster is not defined (defined: none)"},
		{"duplicate key",
			[]string{`"title": "Conns",`, `"title": "Conns", "title": "Again",`},
			`dashboards/t.json: line 14, column 70: widgets[0].definition.widgets[0].definition: key "title" appears twice in the same object`},
		{"invalid JSON",
			[]string{`"title": "Test",`, `"title": "Test"`},
			"dashboards/t.json: line 3, column 3: invalid JSON"},
		{"alert_graph by monitor id",
			[]string{`"definition": {"type": "manage_status", "query": "tag:managed-by:roachdog", "summary_type": "monitors"}`,
				`"definition": {"type": "alert_graph", "alert_id": "123", "viz_type": "timeseries"}`},
			"definition.type: alert_graph refers to a monitor by id"},
		{"event_stream in an ordered layout",
			[]string{`"definition": {"type": "manage_status", "query": "tag:managed-by:roachdog", "summary_type": "monitors"}`,
				`"definition": {"type": "event_stream", "query": "new_state:dead $cluster"}`},
			"definition.type: event_stream is only available on free-layout dashboards"},
		{"template variable with an unknown prefix",
			[]string{`{"name": "region", "prefix": "region",`, `{"name": "region", "prefix": "regio",`},
			"dashboards/t.json: template_variables[2].prefix: no roachdog metric carries tag regio"},
		{"scope term without a key",
			[]string{"{$cluster} by {zone}", "{$cluster,prod} by {zone}"},
			vq + `at column 53: scope term "prod" has no tag key (write key:value)`},
		{"empty group-by key",
			[]string{"by {zone}", "by {zone,}"},
			vq + "at column 63: empty key in group-by"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := mutate(t, baseDashboard, tc.pairs...)
			errs := ValidateDashboard("dashboards/t.json", []byte(doc), testCatalog, "crdb")
			got := errText(errs)
			if !strings.Contains(got, tc.want) {
				t.Fatalf("want an error containing\n  %s\ngot:\n%s", tc.want, got)
			}
		})
	}
}

// TestDashboardDistributionQueries: percentile and count aggregators are
// valid on a distribution, with any other valid part of a query.
func TestDashboardDistributionQueries(t *testing.T) {
	t.Parallel()
	for _, q := range []string{
		"p99:crdb.sql.service_latency{$cluster,$node_id,$region} by {node_id}",
		"p99.9:crdb.sql.service_latency{$cluster}",
		"p50:crdb.sql.service_latency{$cluster,$region} by {region}.rollup(max, 60)",
		"avg:crdb.sql.service_latency{$cluster}",
		"count:crdb.sql.service_latency{$cluster}.as_count()",
	} {
		doc := mutate(t, baseDashboard, "avg:crdb.sql.conns{$cluster,$node_id,$region} by {node_id}", q)
		if errs := ValidateDashboard("d.json", []byte(doc), testCatalog, "crdb"); len(errs) != 0 {
			t.Errorf("%s:\n%s", q, errText(errs))
		}
	}
}

func TestDashboardExtraTags(t *testing.T) {
	t.Parallel()
	doc := mutate(t, baseDashboard, "{$cluster} by {zone}", "{$cluster,team:db} by {zone}")
	if errs := ValidateDashboard("d.json", []byte(doc), testCatalog, "crdb"); len(errs) != 1 {
		t.Fatalf("team: should be rejected without ExtraTags, got:\n%s", errText(errs))
	}
	v := &Validator{Catalog: testCatalog, Namespace: "crdb", ExtraTags: []string{"team"}}
	if errs := v.Dashboard("d.json", []byte(doc)); len(errs) != 0 {
		t.Fatalf("team: is allowed by ExtraTags, got:\n%s", errText(errs))
	}
}

func TestDashboardNamespace(t *testing.T) {
	t.Parallel()
	doc := strings.ReplaceAll(baseDashboard, "crdb.", "cockroach.")
	if errs := ValidateDashboard("d.json", []byte(doc), testCatalog, "cockroach"); len(errs) != 0 {
		t.Fatalf("with namespace cockroach:\n%s", errText(errs))
	}
	if errs := ValidateDashboard("d.json", []byte(doc), testCatalog, "crdb"); len(errs) == 0 {
		t.Fatal("cockroach.* names must fail with namespace crdb")
	}
}

// A list_stream of roachdog's events is checked like an event overlay; a
// list of other data (logs) cannot be checked and is reported.
func TestDashboardListStream(t *testing.T) {
	widget := `{"layout": {"x": 0, "y": 4, "width": 12, "height": 3},
       "definition": {"type": "list_stream", "title": "Liveness changes",
        "requests": [{"response_format": "event_list",
          "columns": [{"field": "timestamp", "width": "auto"}, {"field": "details", "width": "auto"}],
          "query": {"data_source": "event_stream", "query_string": "new_state:* $cluster", "event_size": "l"}}]}}`
	doc := mutate(t, baseDashboard, `"requests": [{"q": "sum:crdb.txn.restarts{$cluster} by {reason}.as_count(), max:crdb.cluster.ranges{*}.rollup(max, 60)", "display_type": "bars"}]}}`,
		`"requests": [{"q": "sum:crdb.txn.restarts{$cluster} by {reason}.as_count(), max:crdb.cluster.ranges{*}.rollup(max, 60)", "display_type": "bars"}]}},
      `+widget)
	if errs := ValidateDashboard("dashboards/t.json", []byte(doc), testCatalog, "crdb"); len(errs) > 0 {
		t.Fatalf("list_stream of events should be valid:\n%s", errText(errs))
	}
	const p = "dashboards/t.json: widgets[0].definition.widgets[5].definition.requests[0]"
	for _, tc := range []struct {
		name  string
		pairs []string
		want  string
	}{
		{"logs", []string{`"data_source": "event_stream"`, `"data_source": "logs_stream"`},
			p + ".query.data_source: list_stream of logs_stream shows data roachdog does not send"},
		{"unknown event tag", []string{`"query_string": "new_state:* $cluster"`, `"query_string": "new_stat:* $cluster"`},
			p + ".query.query_string: no roachdog event carries tag new_stat (did you mean new_state?)"},
		{"undefined variable", []string{`"query_string": "new_state:* $cluster"`, `"query_string": "new_state:* $clustr"`},
			p + ".query.query_string: template variable $clustr is not defined"},
		{"response format", []string{`"response_format": "event_list"`, `"response_format": "scalar"`},
			p + `.response_format: "scalar" is not one of event_list`},
		{"no columns", []string{`"columns": [{"field": "timestamp", "width": "auto"}, {"field": "details", "width": "auto"}]`, `"columns": []`},
			p + ".columns: no columns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errText(ValidateDashboard("dashboards/t.json", []byte(mutate(t, doc, tc.pairs...)), testCatalog, "crdb"))
			if !strings.Contains(got, tc.want) {
				t.Errorf("want an error containing %q, got:\n%s", tc.want, got)
			}
		})
	}
}
