package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/internal/testenv"
)

// withSQL is minimal with a sql_url, so that the SQL checks are on.
const withSQL = minimal + "    sql_url: postgresql://roachdog:pw@haproxy:26257/defaultdb\n"

// commentedKeyRe matches a commented-out YAML line of the example
// ("    # key: value", "    #   - item"), not its "##" prose.
var commentedKeyRe = regexp.MustCompile(`^(\s*)# (.*)$`)

// TestExampleUncommented: conf.yaml.example with every commented-out line
// restored parses, so every value it shows is valid and every key sits at
// the right place, and it gives what the comments say.
func TestExampleUncommented(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "conf.d", "roachdog.d", "conf.yaml.example"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	restored := 0
	for i, l := range lines {
		if m := commentedKeyRe.FindStringSubmatch(l); m != nil && !strings.HasPrefix(strings.TrimSpace(l), "##") {
			lines[i] = m[1] + m[2]
			restored++
		}
	}
	if restored < 50 {
		t.Fatalf("only %d commented-out lines found: has the example's layout changed?", restored)
	}
	cfg, err := Parse("conf.yaml.example (uncommented)", []byte(strings.Join(lines, "\n")),
		envMap(map[string]string{"CRDB_PASSWORD": "pw", "CRDB_API_PASSWORD": "api-pw"}))
	if err != nil {
		t.Fatalf("the uncommented example does not parse:\n%v", err)
	}
	in := cfg.Instances[0]
	c := viewInstance(in).Checks
	for name, on := range map[string]bool{"liveness": c.Liveness.Enabled, "ranges": c.Ranges.Enabled, "ttl": c.TTL.Enabled, "jobs": c.Jobs.Enabled, "schema": c.Schema.Enabled,
		"hot_ranges": c.HotRanges.Enabled, "contention": c.Contention.Enabled, "statements": c.Statements.Enabled} {
		if !on {
			t.Errorf("%s not enabled", name)
		}
	}
	if c.Liveness.ExpectedNodes != 3 || c.TTL.RowLimit != 100_000 || c.Jobs.Window != time.Hour ||
		!reflect.DeepEqual(c.TTL.RowQueries, map[string]bool{"shop.public.sessions": true, "shop.public.audit_log": false}) {
		t.Errorf("checks: %+v", c)
	}
	if len(viewInstance(in).CustomQueries) != 1 || viewInstance(in).CustomQueries[0].MetricPrefix != "shop" || len(viewInstance(in).CustomQueries[0].Columns) != 2 {
		t.Errorf("custom_queries: %+v", viewInstance(in).CustomQueries)
	}
	if in.APIUser != "roachdog" || in.APIPassword != "api-pw" {
		t.Errorf("status_api: %q %q", in.APIUser, in.APIPassword)
	}
}

func TestSQLCheckDefaults(t *testing.T) {
	t.Parallel()
	type sum struct {
		enabled           [5]bool // liveness, ranges, ttl, jobs, schema
		intervals         [5]time.Duration
		timeouts          [5]time.Duration
		window            time.Duration
		rowLimit, expNode int
	}
	summary := func(c Checks) sum {
		cc := []CheckCommon{c.Liveness.CheckCommon, c.Ranges.CheckCommon, c.TTL.CheckCommon, c.Jobs.CheckCommon, c.Schema.CheckCommon}
		var s sum
		for i, x := range cc {
			s.enabled[i], s.intervals[i], s.timeouts[i] = x.Enabled, x.Interval, x.Timeout
		}
		s.window, s.rowLimit, s.expNode = c.Jobs.Window, c.TTL.RowLimit, c.Liveness.ExpectedNodes
		return s
	}
	const s, m, h = time.Second, time.Minute, time.Hour
	defIntervals := [5]time.Duration{15 * s, m, 5 * m, m, h}
	defTimeouts := [5]time.Duration{10 * s, 20 * s, 30 * s, 20 * s, m}
	off, on := [5]bool{}, [5]bool{true, true, true, true, true}
	tests := []struct {
		name string
		src  string
		want sum
	}{
		{"no sql_url: off", minimal, sum{off, defIntervals, defTimeouts, h, 100_000, 0}},
		{"sql_url: on", withSQL, sum{on, defIntervals, defTimeouts, h, 100_000, 0}},
		{"sql_url after the checks", minimal + "    checks: {ranges: {interval: 30}}\n    sql_url: postgres://u@h/db\n",
			sum{on, [5]time.Duration{15 * s, 30 * s, 5 * m, m, h}, defTimeouts, h, 100_000, 0}},
		{"enabled false", withSQL + "    checks: {ttl: {enabled: false}, schema: {enabled: \"off\"}}\n",
			sum{[5]bool{true, true, false, true, false}, defIntervals, defTimeouts, h, 100_000, 0}},
		{"enabled false without sql_url", minimal + "    checks: {jobs: {enabled: false}}\n", sum{off, defIntervals, defTimeouts, h, 100_000, 0}},
		{"liveness follows min_collection_interval, the others do not", withSQL + "    min_collection_interval: 30\n",
			sum{on, [5]time.Duration{30 * s, m, 5 * m, m, h}, defTimeouts, h, 100_000, 0}},
		{"intervals below min_collection_interval are allowed", withSQL + "    min_collection_interval: 60\n    checks: {liveness: {interval: 5}, jobs: {interval: 10, window: 10}}\n",
			sum{on, [5]time.Duration{5 * s, m, 5 * m, 10 * s, h}, [5]time.Duration{4 * s, 20 * s, 30 * s, 8 * s, m}, 10 * s, 100_000, 0}},
		{"default timeouts capped to 80% of the interval", withSQL + "    checks: {ranges: {interval: 7}, ttl: {interval: 2.5}}\n",
			sum{on, [5]time.Duration{15 * s, 7 * s, 2500 * time.Millisecond, m, h}, [5]time.Duration{10 * s, 5600 * time.Millisecond, 2 * s, 20 * s, m}, h, 100_000, 0}},
		{"explicit timeouts capped to 80% of the interval", withSQL + "    checks: {schema: {interval: 90, timeout: 5m}, liveness: {timeout: 1m}}\n",
			sum{on, [5]time.Duration{15 * s, m, 5 * m, m, 90 * s}, [5]time.Duration{12 * s, 20 * s, 30 * s, 20 * s, 72 * s}, h, 100_000, 0}},
		{"jobs window grows with a long interval", withSQL + "    checks: {jobs: {interval: 2h}}\n",
			sum{on, [5]time.Duration{15 * s, m, 5 * m, 2 * h, h}, defTimeouts, 2 * h, 100_000, 0}},
		{"values from the environment", withSQL + "    checks: {liveness: {expected_nodes: \"${NODES}\"}, ttl: {row_limit: 1_000, enabled: \"${TTL_ON}\"}, jobs: {window: \"${WINDOW}\"}}\n",
			sum{on, defIntervals, defTimeouts, 3 * h, 1000, 5}},
		{"expected_nodes 0 is not configured", withSQL + "    checks: {liveness: {expected_nodes: 0}}\n", sum{on, defIntervals, defTimeouts, h, 100_000, 0}},
		{"null check", withSQL + "    checks: {liveness: ~, ttl: {enabled: ~}}\n", sum{on, defIntervals, defTimeouts, h, 100_000, 0}},
	}
	env := map[string]string{"NODES": "5", "TTL_ON": "yes", "WINDOW": "3h"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, tt.src, env)
			if got := summary(viewInstance(cfg.Instances[0]).Checks); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSQLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "enabled without sql_url",
			src: minimal + `    checks:
      liveness: {enabled: true}
      ranges: {enabled: true}
      ttl: {enabled: yes}
      jobs:
        enabled: true
      schema: {enabled: "${ON}"}
`,
			want: []string{
				`conf.yaml:6: instances[0].checks.liveness.enabled: true needs sql_url: the liveness check queries the cluster over SQL`,
				`conf.yaml:7: instances[0].checks.ranges.enabled: true needs sql_url: the ranges check queries the cluster over SQL`,
				`conf.yaml:8: instances[0].checks.ttl.enabled: true needs sql_url: the ttl check queries the cluster over SQL`,
				`conf.yaml:10: instances[0].checks.jobs.enabled: true needs sql_url: the jobs check queries the cluster over SQL`,
				`conf.yaml:11: instances[0].checks.schema.enabled: true needs sql_url: the schema check queries the cluster over SQL`,
			},
		},
		{
			name: "enabled with a bad sql_url: only the URL is wrong",
			src:  minimal + "    sql_url: mysql://u@h/db\n    checks: {liveness: {enabled: true}}\n    custom_queries: [{metric_prefix: a, query: SELECT 1, columns: [{name: one, type: gauge}]}]\n",
			want: []string{`conf.yaml:5: instances[0].sql_url: "mysql://u@h/db": want a URL with scheme postgres:// or postgresql://`},
		},
		{
			name: "check values",
			src: withSQL + `    checks:
      liveness: {expected_nodes: -1, enabled: maybe, interval: 0}
      ttl: {row_limit: 0, timeout: soon}
      jobs: {window: an hour}
      schema: {expected_nodes: 3}
      ranges: {intervall: 5, min_collection_interval: 5}
`,
			want: []string{
				`conf.yaml:7: instances[0].checks.liveness.expected_nodes: want a whole number from 0 to 10000, got "-1"`,
				`conf.yaml:7: instances[0].checks.liveness.enabled: want true or false, got "maybe"`,
				`conf.yaml:7: instances[0].checks.liveness.interval: must be more than zero, got "0"`,
				`conf.yaml:8: instances[0].checks.ttl.row_limit: want a whole number from 1 to 2147483647, got "0"`,
				`conf.yaml:8: instances[0].checks.ttl.timeout: want a number of seconds or a duration like "15s", got "soon"`,
				`conf.yaml:9: instances[0].checks.jobs.window: want a number of seconds or a duration like "15s", got "an hour"`,
				`conf.yaml:10: instances[0].checks.schema.expected_nodes: unknown key; known keys: databases, enabled, interval, max_events, min_rows, tables, timeout`,
				`conf.yaml:11: instances[0].checks.ranges.intervall: unknown key (did you mean "interval"?)`,
				`conf.yaml:11: instances[0].checks.ranges.min_collection_interval: unknown key (a check's own interval is "interval"; min_collection_interval belongs to the instance)`,
			},
		},
		{
			name: "integers",
			src:  withSQL + "    checks: {liveness: {expected_nodes: 2.5}, ttl: {row_limit: [1]}}\n",
			want: []string{
				`conf.yaml:6: instances[0].checks.liveness.expected_nodes: want a whole number from 0 to 10000, got a number`,
				`conf.yaml:6: instances[0].checks.ttl.row_limit: want a whole number from 1 to 2147483647, got a list`,
			},
		},
		{
			name: "jobs window shorter than the interval",
			src:  withSQL + "    checks:\n      jobs:\n        interval: 10m\n        window: 300\n",
			want: []string{`conf.yaml:9: instances[0].checks.jobs.window: 5m is shorter than the check's interval (10m): a job finishing between two runs would never be seen`},
		},
		{
			name: "row_queries",
			src: withSQL + `    checks:
      ttl:
        row_queries:
          sessions: true
          shop.sessions: true
          shop..sessions: true
          a.b.c.d: true
          "shop.public.my table": true
          shop.public.ok: maybe
          shop.public.fine: true
          shop.public.fine: false
`,
			want: []string{
				`conf.yaml:9: instances[0].checks.ttl.row_queries.sessions: "sessions": want a table as database.schema.table, like shop.public.sessions`,
				`conf.yaml:10: instances[0].checks.ttl.row_queries.shop.sessions: "shop.sessions": want a table as database.schema.table, like shop.public.sessions`,
				`conf.yaml:11: instances[0].checks.ttl.row_queries.shop..sessions: "shop..sessions": want a table as database.schema.table, like shop.public.sessions`,
				`conf.yaml:12: instances[0].checks.ttl.row_queries.a.b.c.d: "a.b.c.d": want a table as database.schema.table, like shop.public.sessions`,
				`conf.yaml:13: instances[0].checks.ttl.row_queries.shop.public.my table: "shop.public.my table": want a table as database.schema.table, like shop.public.sessions`,
				`conf.yaml:14: instances[0].checks.ttl.row_queries.shop.public.ok: want true or false, got "maybe"`,
				`conf.yaml:16: instances[0].checks.ttl.row_queries.shop.public.fine: duplicate key (first at line 15)`,
			},
		},
		{
			name: "ttl and jobs options",
			src: withSQL + `    checks:
      ttl: {row_query_timeout: 0, schedules: maybe, rediscover_interval: never}
      jobs: {event_exclude_types: [IMPORT, "  ", [x]]}
`,
			want: []string{
				`conf.yaml:7: instances[0].checks.ttl.row_query_timeout: must be more than zero, got "0"`,
				`conf.yaml:7: instances[0].checks.ttl.schedules: want true or false, got "maybe"`,
				`conf.yaml:7: instances[0].checks.ttl.rediscover_interval: want a number of seconds or a duration like "15s", got "never"`,
				`conf.yaml:8: instances[0].checks.jobs.event_exclude_types[1]: empty: want a job type such as "AUTO CREATE STATS"`,
				`conf.yaml:8: instances[0].checks.jobs.event_exclude_types[2]: want a string, got a list`,
			},
		},
		{
			name: "event_exclude_types not a list",
			src:  withSQL + "    checks: {jobs: {event_exclude_types: IMPORT}}\n",
			want: []string{`conf.yaml:6: instances[0].checks.jobs.event_exclude_types: want a list, got a string`},
		},
		{
			name: "row_queries not a mapping",
			src:  withSQL + "    checks: {ttl: {row_queries: [shop.public.sessions]}}\n",
			want: []string{`conf.yaml:6: instances[0].checks.ttl.row_queries: want a mapping of tables to true or false, like {"shop.public.sessions": true}, got a list`},
		},
		{
			name: "custom_queries without sql_url",
			src:  minimal + "    custom_queries:\n      - {metric_prefix: a, query: SELECT 1, columns: [{name: one, type: gauge}]}\n",
			want: []string{`conf.yaml:5: instances[0].custom_queries: needs sql_url, to run the queries on the cluster`},
		},
		{
			name: "custom query: missing keys",
			src:  withSQL + "    custom_queries:\n      - tags: [a:b]\n      - ~\n      - [x]\n",
			want: []string{
				`conf.yaml:7: instances[0].custom_queries[0].metric_prefix: missing: want the prefix of this query's metric names, e.g. shop`,
				`conf.yaml:7: instances[0].custom_queries[0].query: missing: want the SQL query to run`,
				`conf.yaml:7: instances[0].custom_queries[0].columns: missing: want one entry per result column, e.g. [{name: status, type: tag}, {name: orders, type: gauge}]`,
				`conf.yaml:8: instances[0].custom_queries[1].metric_prefix: missing: want the prefix of this query's metric names, e.g. shop`,
				`conf.yaml:8: instances[0].custom_queries[1].query: missing: want the SQL query to run`,
				`conf.yaml:8: instances[0].custom_queries[1].columns: missing: want one entry per result column, e.g. [{name: status, type: tag}, {name: orders, type: gauge}]`,
				`conf.yaml:9: instances[0].custom_queries[2]: want a mapping of keys, got a list`,
			},
		},
		{
			name: "custom query: bad values",
			src: withSQL + `    custom_queries:
      - metric_prefix: 9shop
        query: "  "
        columns: []
        tags: [Team:x]
        collection_interval: 0
        name: "  "
        max_rows: 0
        limit: 5
      - metric_prefix: a
        name: dup
        query: SELECT 1
        columns: [{name: one, type: gauge}]
      - metric_prefix: b
        name: dup
        query: SELECT 1
        columns: [{name: one, type: gauge}]
        max_rows: 2_000_000
      - metric_prefix: c
        name: dup
        query: SELECT 1
        columns: [{name: one, type: gauge}]
`,
			want: []string{
				`conf.yaml:7: instances[0].custom_queries[0].metric_prefix: "9shop": want a metric name like "shop" or "shop.orders" (a letter, then letters, digits, _ and single dots)`,
				`conf.yaml:8: instances[0].custom_queries[0].query: empty: want the SQL query to run`,
				`conf.yaml:9: instances[0].custom_queries[0].columns: empty: want one entry per result column`,
				`conf.yaml:10: instances[0].custom_queries[0].tags[0]: tag "Team:x": key must be lower case (did you mean "team:x"?)`,
				`conf.yaml:11: instances[0].custom_queries[0].collection_interval: must be more than zero, got "0"`,
				`conf.yaml:12: instances[0].custom_queries[0].name: empty: want a short name for the query in logs and sql.can_query, or leave name out`,
				`conf.yaml:13: instances[0].custom_queries[0].max_rows: want a whole number from 1 to 1000000, got "0"`,
				`conf.yaml:14: instances[0].custom_queries[0].limit: unknown key; known keys: collection_interval, columns, max_rows, metric_prefix, name, query, tags`,
				`conf.yaml:23: instances[0].custom_queries[2].max_rows: want a whole number from 1 to 1000000, got "2_000_000"`,
				`conf.yaml:25: instances[0].custom_queries[3].name: "dup" is already the name of instances[0].custom_queries[1]`,
			},
		},
		{
			name: "custom query: columns",
			src: withSQL + `    custom_queries:
      - metric_prefix: shop
        query: SELECT 1
        columns:
          - {name: a, type: histogram}
          - {name: b, type: gague}
          - {name: c, type: summary}
          - {name: d}
          - {type: gauge}
          - {name: Status, type: tag}
          - {name: cluster, type: tag}
          - {name: "1x", type: tag}
          - {name: "orders total", type: gauge}
          - {name: "orders..total", type: gauge}
          - {name: e, type: gauge, boolean: true}
          - {name: e, type: count}
          - {name: "", type: ""}
          - x
          - {name: f, type: [gauge]}
`,
			want: []string{
				`conf.yaml:10: instances[0].custom_queries[0].columns[0].type: "histogram": an Agent column type roachdog does not support (roachdog sends gauges and counts only); want gauge, count, monotonic_count, rate, monotonic_gauge, time_elapsed, tag, tag_not_null, tag_list or source`,
				`conf.yaml:11: instances[0].custom_queries[0].columns[1].type: "gague": want gauge, count, monotonic_count, rate, monotonic_gauge, time_elapsed, tag, tag_not_null, tag_list or source (did you mean "gauge"?)`,
				`conf.yaml:12: instances[0].custom_queries[0].columns[2].type: "summary": want gauge, count, monotonic_count, rate, monotonic_gauge, time_elapsed, tag, tag_not_null, tag_list or source`,
				`conf.yaml:13: instances[0].custom_queries[0].columns[3].type: missing: want gauge, count, monotonic_count, rate, monotonic_gauge, time_elapsed, tag, tag_not_null, tag_list or source`,
				`conf.yaml:14: instances[0].custom_queries[0].columns[4].name: missing: want the metric name's suffix, or the tag key for a tag column`,
				`conf.yaml:15: instances[0].custom_queries[0].columns[5].name: "Status": a tag column's name is the tag key and must be lower case (did you mean "status"?)`,
				`conf.yaml:16: instances[0].custom_queries[0].columns[6].name: "cluster": the cluster tag comes from the instance's cluster key; name this column otherwise`,
				`conf.yaml:17: instances[0].custom_queries[0].columns[7].name: "1x": a tag column's name is the tag key: a letter, then a-z, 0-9, _ . - /`,
				`conf.yaml:18: instances[0].custom_queries[0].columns[8].name: "orders total": want a metric name suffix like "orders" or "orders.total" (a letter, then letters, digits, _ and single dots)`,
				`conf.yaml:19: instances[0].custom_queries[0].columns[9].name: "orders..total": want a metric name suffix like "orders" or "orders.total" (a letter, then letters, digits, _ and single dots)`,
				`conf.yaml:20: instances[0].custom_queries[0].columns[10].boolean: unknown key; known keys: name, type`,
				`conf.yaml:21: instances[0].custom_queries[0].columns[11].name: "e" is already the name of instances[0].custom_queries[0].columns[10]`,
				`conf.yaml:22: instances[0].custom_queries[0].columns[12]: empty name and type: write "- {}" to skip a column`,
				`conf.yaml:23: instances[0].custom_queries[0].columns[13]: want a mapping of keys, got a string`,
				`conf.yaml:24: instances[0].custom_queries[0].columns[14].type: want a string, got a list`,
			},
		},
		{
			name: "custom query: tags only",
			src:  withSQL + "    custom_queries:\n      - metric_prefix: shop\n        query: SELECT a, b\n        columns: [{name: a, type: tag}, {}]\n",
			want: []string{`conf.yaml:9: instances[0].custom_queries[0].columns: no metric column: want at least one column of type gauge, count, monotonic_count, rate, monotonic_gauge, time_elapsed`},
		},
		{
			name: "custom query: tag key too long",
			src:  withSQL + "    custom_queries:\n      - metric_prefix: shop\n        query: SELECT 1, 2\n        columns:\n          - {name: " + strings.Repeat("k", 101) + ", type: tag}\n          - {name: n, type: gauge}\n",
			want: []string{`conf.yaml:10: instances[0].custom_queries[0].columns[0].name: "` + strings.Repeat("k", 101) + `": a tag column's name is the tag key, at most 100 characters`},
		},
		{
			name: "custom query: metric name too long",
			src:  withSQL + "    custom_queries:\n      - metric_prefix: " + strings.Repeat("p", 150) + "\n        query: SELECT 1\n        columns:\n          - {name: " + strings.Repeat("n", 50) + ", type: gauge}\n",
			want: []string{`conf.yaml:10: instances[0].custom_queries[0].columns[0]: metric name "` + strings.Repeat("p", 40) + `..." is longer than Datadog's 200 characters`},
		},
		{
			name: "custom_queries not a list",
			src:  withSQL + "    custom_queries: {metric_prefix: shop}\n",
			want: []string{`conf.yaml:6: instances[0].custom_queries: want a list, got a mapping`},
		},
		{
			name: "status_api",
			src:  minimal + "    status_api:\n      username: \" \"\n      user: x\n",
			want: []string{
				`conf.yaml:6: instances[0].status_api.username: empty: want the SQL user that logs in to the HTTP API, or leave username out to use sql_url's`,
				`conf.yaml:7: instances[0].status_api.user: unknown key (did you mean "username"?)`,
			},
		},
		{
			name: "status_api password without a user",
			src:  minimal + "    status_api: {password: s3cret}\n",
			want: []string{`conf.yaml:5: instances[0].status_api: password without username, and sql_url names no user: give username`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errLines(t, tt.src, map[string]string{"ON": "true"})
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestCustomQueries(t *testing.T) {
	t.Parallel()
	src := withSQL + `    min_collection_interval: 20
    custom_queries:
      - metric_prefix: "shop.."
        query: "SELECT '${TEAM}', 1"
        columns:
          - name: team
            type: TAG
          - name: ok.total
            type: " Gauge "
      - name: billing by owner
        metric_prefix: ${PREFIX}
        query: SELECT 1, 2, 3
        columns: [~, {}, {name: x, type: monotonic_count}]
        collection_interval: 1m30s
        max_rows: 50_000
        tags: ["owner:${TEAM}"]
`
	cfg := mustParse(t, src, map[string]string{"TEAM": "payments", "PREFIX": "billing"})
	want := []CustomQuery{
		{MetricPrefix: "shop", Query: "SELECT 'payments', 1",
			Columns:            []CustomColumn{{Name: "team", Type: "tag"}, {Name: "ok.total", Type: "gauge"}},
			CollectionInterval: 20 * time.Second, MaxRows: 1000},
		{Name: "billing by owner", MetricPrefix: "billing", Query: "SELECT 1, 2, 3",
			Columns:            []CustomColumn{{}, {}, {Name: "x", Type: "monotonic_count"}},
			Tags:               []string{"owner:payments"},
			CollectionInterval: 90 * time.Second, MaxRows: 50_000},
	}
	if got := viewInstance(cfg.Instances[0]).CustomQueries; !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// An empty list is no queries, and needs no sql_url.
	cfg = mustParse(t, minimal+"    custom_queries: []\n", nil)
	if len(viewInstance(cfg.Instances[0]).CustomQueries) != 0 {
		t.Errorf("custom_queries: [] gave %+v", viewInstance(cfg.Instances[0]).CustomQueries)
	}
}

func TestStatusAPICredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sqlURL, api string
		user, password    string
	}{
		{"sql_url user and password", "postgresql://roachdog:pw%40x@h:26257/db", "", "roachdog", "pw@x"},
		{"sql_url user without password", "postgresql://roachdog@h:26257/db?sslmode=verify-full&sslcert=/c/client.crt", "", "roachdog", ""},
		{"query parameters win, as in pgx", "postgresql://a:b@h/db?user=c&password=d", "", "c", "d"},
		{"no sql_url", "", "", "", ""},
		{"no sql_url, status_api given", "", "{username: admin, password: x}", "admin", "x"},
		{"other user: no SQL password", "postgresql://roachdog:pw@h/db", "{username: admin}", "admin", ""},
		{"same user: SQL password", "postgresql://roachdog:pw@h/db", "{username: roachdog}", "roachdog", "pw"},
		{"password only: SQL user", "postgresql://roachdog@h/db", `{password: "${API_PW}"}`, "roachdog", " sp@ce "},
		{"empty password given: none", "postgresql://roachdog:pw@h/db", `{password: ""}`, "roachdog", ""},
		{"numeric password", "postgresql://roachdog@h/db", "{password: 12345}", "roachdog", "12345"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := minimal
			if tt.sqlURL != "" {
				src += "    sql_url: " + tt.sqlURL + "\n"
			}
			if tt.api != "" {
				src += "    status_api: " + tt.api + "\n"
			}
			in := mustParse(t, src, map[string]string{"API_PW": " sp@ce "}).Instances[0]
			if in.APIUser != tt.user || in.APIPassword != tt.password {
				t.Errorf("got %q / %q, want %q / %q", in.APIUser, in.APIPassword, tt.user, tt.password)
			}
		})
	}
}

// TestAPIPasswordNeverInErrors: a bad status_api password is reported
// without its value.
func TestAPIPasswordNeverInErrors(t *testing.T) {
	t.Parallel()
	const pw = "Zq9Xw7Vt4Kp2"
	for _, val := range []string{
		"[" + pw + "]",
		"{" + pw + ": 1}",
		`"${BAD NAME ` + pw + `}"`,
		`"` + pw + `${UNSET}"`,
		`"` + pw + `${NO_END"`,
	} {
		src := minimal + "    status_api:\n      password: " + val + "\n"
		_, err := Parse("conf.yaml", []byte(src), nil)
		if err == nil {
			t.Errorf("%s: no error", val)
			continue
		}
		if strings.Contains(err.Error(), pw[3:9]) {
			t.Errorf("error for %s holds the password: %v", val, err)
		}
		if !strings.HasPrefix(err.Error(), "conf.yaml:6: instances[0].status_api.password: ") {
			t.Errorf("error without position: %v", err)
		}
	}
}

// The ttl and jobs options a least-privilege user needs, and their
// defaults.
func TestTTLJobsOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src  string
		schedules  bool
		rowTimeout time.Duration
		rediscover time.Duration
		exclude    []string
	}{
		{"defaults", withSQL, true, 5 * time.Second, 30 * time.Minute,
			[]string{"AUTO CREATE STATS", "AUTO CREATE PARTIAL STATS", "ROW LEVEL TTL"}},
		{"set", withSQL + "    checks: {ttl: {schedules: false, row_query_timeout: 2s, rediscover_interval: 2h}, jobs: {event_exclude_types: [IMPORT]}}\n",
			false, 2 * time.Second, 2 * time.Hour, []string{"IMPORT"}},
		{"nothing excluded", withSQL + "    checks: {ttl: {schedules: true}, jobs: {event_exclude_types: []}}\n",
			true, 5 * time.Second, 30 * time.Minute, []string{}},
		{"null is the default, as for every key", withSQL + "    checks: {jobs: {event_exclude_types: ~}, ttl: {schedules: ~}}\n",
			true, 5 * time.Second, 30 * time.Minute, []string{"AUTO CREATE STATS", "AUTO CREATE PARTIAL STATS", "ROW LEVEL TTL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := viewInstance(mustParse(t, tc.src, nil).Instances[0]).Checks
			if c.TTL.Schedules != tc.schedules || c.TTL.RowQueryTimeout != tc.rowTimeout || c.TTL.RediscoverInterval != tc.rediscover {
				t.Errorf("ttl = %+v", c.TTL)
			}
			if c.Jobs.EventExcludeTypes == nil || !slices.Equal(c.Jobs.EventExcludeTypes, tc.exclude) {
				t.Errorf("event_exclude_types = %#v, want %#v", c.Jobs.EventExcludeTypes, tc.exclude)
			}
		})
	}
	// The default list is a copy: a caller changing one config does not
	// change the next.
	a := viewInstance(mustParse(t, withSQL, nil).Instances[0]).Checks.Jobs.EventExcludeTypes
	a[0] = "CHANGED"
	if b := viewInstance(mustParse(t, withSQL, nil).Instances[0]).Checks.Jobs.EventExcludeTypes; b[0] != "AUTO CREATE STATS" {
		t.Errorf("the default list was shared: %v", b)
	}
}

// TestHotRangesAndContention: defaults (on with sql_url, off without),
// the options, and their bounds.
func TestHotRangesAndContention(t *testing.T) {
	c := viewInstance(mustParse(t, withSQL, nil).Instances[0]).Checks
	h, ct := c.HotRanges, c.Contention
	if !h.Enabled || h.Interval != time.Minute || h.Timeout != 20*time.Second || h.TopN != 10 || h.MinQPS != 1 || h.MaxEvents != 5 {
		t.Errorf("hot_ranges defaults: %+v", h)
	}
	if !ct.Enabled || ct.Interval != time.Minute || ct.Timeout != 20*time.Second || ct.TopN != 10 {
		t.Errorf("contention defaults: %+v", ct)
	}
	if c := viewInstance(mustParse(t, minimal, nil).Instances[0]).Checks; c.HotRanges.Enabled || c.Contention.Enabled {
		t.Errorf("on without sql_url: %+v %+v", c.HotRanges, c.Contention)
	}
	c = viewInstance(mustParse(t, withSQL+"    checks: {hot_ranges: {top_n: 25, min_qps: 0, max_events: 2, interval: 30s}, contention: {top_n: 3, enabled: false}}\n", nil).Instances[0]).Checks
	if h := c.HotRanges; h.TopN != 25 || h.MinQPS != 0 || h.MaxEvents != 2 || h.Interval != 30*time.Second || h.Timeout != 20*time.Second {
		t.Errorf("hot_ranges: %+v", h)
	}
	if ct := c.Contention; ct.TopN != 3 || ct.Enabled {
		t.Errorf("contention: %+v", ct)
	}
	if h := viewInstance(mustParse(t, withSQL+"    checks: {hot_ranges: {min_qps: 2.5}}\n", nil).Instances[0]).Checks.HotRanges; h.MinQPS != 2.5 {
		t.Errorf("min_qps 2.5: %+v", h)
	}
	_, err := Parse("conf.yaml", []byte(withSQL+"    checks: {hot_ranges: {top_n: 101, min_qps: -1, max_events: 0}, contention: {top_n: 0}}\n"), nil)
	for _, want := range []string{
		"instances[0].checks.hot_ranges.top_n: want a whole number from 1 to 100, got \"101\"",
		"instances[0].checks.hot_ranges.min_qps: want a number of queries per second, 0 or more, got \"-1\"",
		"instances[0].checks.hot_ranges.max_events: want a whole number from 1 to 1000, got \"0\"",
		"instances[0].checks.contention.top_n: want a whole number from 1 to 100, got \"0\"",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	_, err = Parse("conf.yaml", []byte(minimal+"    checks: {hot_ranges: {enabled: true}}\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "instances[0].checks.hot_ranges.enabled: true needs sql_url") {
		t.Errorf("hot_ranges without sql_url: %v", err)
	}
}

// The statements check is off by default even with a sql_url (its series
// are per statement fingerprint), on when asked, and its top_n bounded.
func TestStatementsOptions(t *testing.T) {
	c := viewInstance(mustParse(t, withSQL, nil).Instances[0]).Checks.Statements
	if c.Enabled || c.TopN != 20 || c.IncludeInternal || c.Interval != time.Minute || c.Timeout != 30*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	c = viewInstance(mustParse(t, withSQL+"    checks: {statements: {enabled: true, top_n: 5, include_internal: true, interval: 300s}}\n", nil).Instances[0]).Checks.Statements
	if !c.Enabled || c.TopN != 5 || !c.IncludeInternal || c.Interval != 300*time.Second || c.Timeout != 30*time.Second {
		t.Errorf("set: %+v", c)
	}
	for src, want := range map[string]string{
		withSQL + "    checks: {statements: {top_n: 101}}\n":    "instances[0].checks.statements.top_n",
		withSQL + "    checks: {statements: {top_n: 0}}\n":      "instances[0].checks.statements.top_n",
		minimal + "    checks: {statements: {enabled: true}}\n": "instances[0].checks.statements.enabled: true needs sql_url",
		withSQL + "    checks: {statements: {topn: 5}}\n":       "instances[0].checks.statements.topn",
	} {
		_, err := Parse("conf.yaml", []byte(src), envMap(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %s", src, err, want)
		}
	}
}
