package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// TestRunOnceSQLChecks runs every SQL check through the real run path, as
// configured by default when sql_url is set, against the PostgreSQL
// emulation of a v23.2 cluster (liveness, jobs and TTL scenarios), and checks
// that each one reports.
func TestRunOnceSQLChecks(t *testing.T) {
	t.Parallel()
	pg := pgtest.Shared(t)
	db := sqlDB(t, pg, "sqlchecks", "crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql",
		"crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql", "crdb_v23.2_ttl.sql",
		"crdb_v23.2_statements.sql", "scenario_v23.2_statements.sql")
	node := newFakeNode(t, filepath.Join(testenv.Testdata(t), "vars", "v23_secure_node1_t0.txt"))
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: sql
    sql_url: %s
    status_urls: [%s]
    checks:
      liveness: {expected_nodes: 5}
      ranges: {enabled: false}
      schema: {enabled: false}
      statements: {enabled: true, top_n: 5}
`, pg.URL(db), node.srv.URL))
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "--once", "--dry-run", "--config", cfg}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	snap, err := dsdtest.Parse(stdout.String())
	if err != nil {
		t.Fatalf("dry-run output: %v", err)
	}
	want := map[string]float64{"crdb.nodes.live": 4, "crdb.nodes.decommissioning": 1, "crdb.nodes.dead": 0, "crdb.nodes.expected": 5}
	for name, v := range want {
		if got := snap.FindMetrics(name, "cluster:sql"); len(got) != 1 || got[0].Value != v {
			t.Errorf("%s = %+v, want %v", name, got, v)
		}
	}
	// statements: one cycle only sets its baselines (no gauge yet).
	for _, check := range []string{"liveness", "jobs", "ttl", "statements"} {
		sc := snap.FindServiceChecks("crdb.sql.can_query", "check:"+check)
		if len(sc) != 1 || sc[0].Status != 0 {
			t.Errorf("sql.can_query for %s = %+v, want OK\nstderr:\n%s", check, sc, stderr.String())
		}
	}
	if len(snap.FindMetrics("crdb.jobs.count")) == 0 {
		t.Errorf("no crdb.jobs.count")
	}
	if got := snap.FindMetrics("crdb.ttl.tables", "cluster:sql"); len(got) != 1 {
		t.Errorf("crdb.ttl.tables = %+v", got)
	}
	if sc := snap.FindServiceChecks("crdb.cluster.nodes_live", "cluster:sql"); len(sc) != 1 || sc[0].Status == 0 {
		t.Errorf("cluster.nodes_live = %+v, want not OK (node 5 is decommissioning)", sc)
	}
	if got := snap.FindMetrics("crdb.node.up", "cluster:sql"); len(got) != 1 || got[0].Value != 1 {
		t.Errorf("vars still runs beside the SQL checks: crdb.node.up = %+v", got)
	}
}

// TestRunOnceCustomQueries: a custom query from the config, in the Agent
// Postgres check's format, reaches the sink with its tags. Its configured
// tags may use reserved keys (service); a tag column may not (the config
// refuses one named host). A query's name and max_rows reach the check: a
// result over max_rows sends nothing and sql.can_query names the query.
func TestRunOnceCustomQueries(t *testing.T) {
	t.Parallel()
	pg := pgtest.Shared(t)
	db := pg.NewDB(t, "custom")
	pg.Exec(t, db, `CREATE TABLE orders (status text, amount numeric);
		INSERT INTO orders VALUES ('new', 10), ('new', 5), ('paid', 7)`)
	node := newFakeNode(t, filepath.Join(testenv.Testdata(t), "vars", "v23_secure_node1_t0.txt"))
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: cq
    sql_url: %s
    status_urls: [%s]
    checks: {liveness: {enabled: false}, ranges: {enabled: false}, jobs: {enabled: false}, ttl: {enabled: false}, schema: {enabled: false}}
    custom_queries:
      - metric_prefix: shop
        query: SELECT status, 'db-1' AS host, count(*), sum(amount) FROM orders GROUP BY status ORDER BY status
        columns:
          - {name: status, type: tag}
          - {name: db_host, type: tag}
          - {name: orders, type: gauge}
          - {name: amount, type: gauge}
        tags: [team:shop, service:shop]
      - name: every order
        metric_prefix: shop.each
        query: SELECT amount FROM orders
        columns: [{name: amount, type: gauge}]
        max_rows: 2
`, pg.URL(db), node.srv.URL))
	var stdout, stderr bytes.Buffer
	// The query over max_rows is a failure of the check: --once says so.
	if code := run(context.Background(), []string{"run", "--once", "--dry-run", "--config", cfg}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), `check "custom_queries": sql.can_query CRITICAL`) {
		t.Fatalf("exit %d, want 1 naming the failed custom query; stderr:\n%s", code, stderr.String())
	}
	snap, err := dsdtest.Parse(stdout.String())
	if err != nil {
		t.Fatalf("dry-run output: %v", err)
	}
	for status, want := range map[string][2]float64{"new": {2, 15}, "paid": {1, 7}} {
		o := snap.FindMetrics("crdb.shop.orders", "cluster:cq", "team:shop", "service:shop", "db_host:db-1", "status:"+status)
		a := snap.FindMetrics("crdb.shop.amount", "cluster:cq", "status:"+status)
		if len(o) != 1 || o[0].Value != want[0] || len(a) != 1 || a[0].Value != want[1] {
			t.Errorf("status %s: orders %+v amount %+v, want %v", status, o, a, want)
		}
	}
	if got := snap.FindMetrics("crdb.shop.each.amount"); len(got) != 0 {
		t.Errorf("3 rows over max_rows 2 sent %+v", got)
	}
	sc := snap.FindServiceChecks("crdb.sql.can_query", "check:custom_queries")
	if len(sc) != 1 || sc[0].Status == 0 || !strings.Contains(sc[0].Message, `"every order": more than 2 rows (max_rows)`) {
		t.Errorf("sql.can_query = %+v, want CRITICAL naming the query over max_rows", sc)
	}
}
