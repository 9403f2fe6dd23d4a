package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// TestRunOnceFailsOnPartialFailures: `run --once` exits 1 when a check
// reported a failure of its own collection without returning an error
// (sql.can_query CRITICAL for one query of several; no node reachable), and
// says which; a single node down among others still exits 0 (see
// TestRunOnceDryRun).
func TestRunOnceFailsOnPartialFailures(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	good := newFakeNode(t, filepath.Join(dir, "node1_status_vars.txt"))
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	t.Run("every node unreachable", func(t *testing.T) {
		cfg := writeConfig(t, fmt.Sprintf(`instances:
  - cluster: down
    status_urls: [%s]
`, deadURL))
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"run", "--once", "--dry-run", "--config", cfg}, &stdout, &stderr)
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
		}
		for _, w := range []string{`roachdog run: cluster "down" check "vars": no node could be scraped`, "connection refused"} {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
			}
		}
		// What was found is still reported.
		if !strings.Contains(stdout.String(), "_sc|crdb.node.can_scrape|2|") {
			t.Errorf("can_scrape CRITICAL not printed:\n%s", stdout.String())
		}
	})

	t.Run("one custom query of two fails", func(t *testing.T) {
		pg := pgtest.Shared(t)
		db := pg.NewDB(t, "oncepartial")
		pg.Exec(t, db, `CREATE TABLE orders (status text)`)
		cfg := writeConfig(t, fmt.Sprintf(`instances:
  - cluster: part
    sql_url: %s
    status_urls: [%s]
    checks: {liveness: {enabled: false}, ranges: {enabled: false}, jobs: {enabled: false}, ttl: {enabled: false}, schema: {enabled: false}}
    custom_queries:
      - metric_prefix: shop
        query: SELECT count(*) FROM orders
        columns: [{name: orders, type: gauge}]
      - metric_prefix: gone
        query: SELECT count(*) FROM no_such_table
        columns: [{name: rows, type: gauge}]
`, pg.URL(db), good.srv.URL))
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"run", "--once", "--dry-run", "--config", cfg}, &stdout, &stderr)
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
		}
		for _, w := range []string{`cluster "part" check "custom_queries": sql.can_query CRITICAL`, "custom_queries[1]", "no_such_table"} {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
			}
		}
		if strings.Contains(stderr.String(), `check "vars"`) {
			t.Errorf("vars reported as failed:\n%s", stderr.String())
		}
		if !strings.Contains(stdout.String(), "crdb.shop.orders:0|g") {
			t.Errorf("the query that worked was not sent:\n%s", stdout.String())
		}
	})
}
