package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// -update-golden rewrites the repository's testdata/golden/*.txt from what the code sends now.
// Do it only for a change meant to alter the datagrams, and read the diff.
var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden from the current output")

// TestGoldenDatagrams pins, byte for byte, every datagram `roachdog run
// --cycles 2 --dry-run` prints for the real captures and the SQL
// emulations: a refactoring that is meant to change nothing must leave these
// files as they are. The two cycles make the counts and distributions (deltas
// from the first) part of it. Lines are sorted (nodes and checks run
// concurrently) and what differs between runs of the same input is replaced:
// the test servers' ports, event timestamps, ages measured against the
// wall clock.
func TestGoldenDatagrams(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T) string // returns the instances: section
	}{
		{"vars_real_captures", goldenVarsInstance},
		{"sql_v23.2", func(t *testing.T) string {
			return goldenSQLInstance(t, "sql_v23", "health_v23_node1.txt",
				"crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql",
				"crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql", "crdb_v23.2_ttl.sql", "scenario_v23.2_ttl.sql",
				"crdb_v23.2_ranges.sql", "scenario_v23.2_ranges.sql")
		}},
		// The schema emulation defines table_row_statistics as the TTL one
		// does: a database of its own.
		{"sql_v23.2_schema", func(t *testing.T) string {
			return goldenSQLInstance(t, "sql_v23_schema", "health_v23_node2.txt",
				"crdb_v23.2.sql", "crdb_v23.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v23.2.sql")
		}},
		{"sql_v20.2", func(t *testing.T) string {
			return goldenSQLInstance(t, "sql_v20", "health_v20_node4.txt",
				"crdb_v20.2.sql", "crdb_v20.2_liveness.sql", "scenario_v20.2_liveness.sql",
				"crdb_v20.2_jobs.sql", "crdb_v20.2_ranges.sql", "scenario_v20.2_reports.sql",
				"crdb_v20.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v20.2.sql")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // own nodes, own database
			instances := tc.setup(t)
			cfg := writeConfig(t, "init_config:\n  dogstatsd_url: udp://127.0.0.1:1\n  tags: [env:golden]\n"+instances)
			var stdout, stderr bytes.Buffer
			// The exit status is part of what is pinned only through the
			// datagrams (sql.can_query...): some scenarios fail a check on
			// purpose.
			run(context.Background(), []string{"run", "--cycles", "2", "--dry-run", "--log-level", "error", "--config", cfg}, &stdout, &stderr)
			got := normalizeGolden(stdout.String())
			path := filepath.Join(testenv.Testdata(t), "golden", tc.name+".txt")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update-golden to create it)", err)
			}
			if got != string(want) {
				t.Errorf("datagrams differ from %s:\n%s\nstderr:\n%s", path, lineDiff(string(want), got), stderr.String())
			}
		})
	}
}

// goldenVarsInstance serves every real capture as a node: the v20.2
// cluster's three nodes (t0, then t1), each of the shared v22.2–v23.2
// family captures, and the v23 node of testdata (t0, then t1).
func goldenVarsInstance(t *testing.T) string {
	fixtures := testenv.Fixtures(t)
	v20 := filepath.Join(fixtures, "cockroach-v20.2", "healthy")
	var urls []string
	for i := 1; i <= 3; i++ {
		urls = append(urls, newFakeNode(t,
			filepath.Join(v20, fmt.Sprintf("node%d_status_vars_t0.txt", i)),
			filepath.Join(v20, fmt.Sprintf("node%d_status_vars_t1.txt", i))).srv.URL)
	}
	captures, err := filepath.Glob(filepath.Join(fixtures, "cockroach-vars", "*.txt"))
	if err != nil || len(captures) == 0 {
		t.Fatalf("no captures under cockroach-vars: %v", err)
	}
	for _, c := range captures {
		urls = append(urls, newFakeNode(t, c).srv.URL)
	}
	td := filepath.Join(testenv.Testdata(t), "vars")
	urls = append(urls, newFakeNode(t, filepath.Join(td, "v23_secure_node1_t0.txt"), filepath.Join(td, "v23_secure_node1_t1.txt")).srv.URL)
	return fmt.Sprintf(`instances:
  - cluster: golden
    status_urls: [%s]
    min_collection_interval: 1
    tags: [team:db]
`, strings.Join(urls, ", "))
}

// goldenSQLInstance loads the SQL files into a fresh database and configures
// every SQL check on it, beside one node's vars.
func goldenSQLInstance(t *testing.T, name, node string, files ...string) string {
	pg := pgtest.Shared(t)
	// A fixed name (not NewDB's sequence number): it is in the datagrams.
	db := "golden_" + name
	pg.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+db)
	pg.CreateDB(t, db)
	for _, f := range files {
		pg.LoadFile(t, db, filepath.Join(testenv.Testdata(t), "sql", f))
	}
	n := newFakeNode(t, filepath.Join(testenv.Testdata(t), "vars", node))
	return fmt.Sprintf(`instances:
  - cluster: %s
    sql_url: %s
    status_urls: [%s]
    min_collection_interval: 1
    checks:
      liveness: {expected_nodes: 5}
    custom_queries:
      - metric_prefix: golden
        query: SELECT 'a|b#c'::TEXT AS label, 42::FLOAT8 AS value
        columns:
          - {name: label, type: tag}
          - {name: value, type: gauge}
`, name, pg.URL(db), n.srv.URL)
}

var (
	goldenPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	goldenTime = regexp.MustCompile(`\|d:\d+`)
	// Ages measured against the wall clock (a certificate's expiry, a job's
	// last run, a report's generation): their value changes with the
	// second the test runs in, so only their presence and tags are pinned.
	goldenAge = regexp.MustCompile(`^(crdb\.(?:backup\.last_completed_age|backup\.last_success_age|changefeed\.high_water_lag|` +
		`replication\.report_age|security\.certificate\.expires_in|ttl\.job_age_seconds|ttl\.lag_seconds)):[-0-9.e+]+\|`)
)

func normalizeGolden(out string) string {
	out = goldenPort.ReplaceAllString(out, "127.0.0.1:PORT")
	out = goldenTime.ReplaceAllString(out, "|d:TIME")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for i, l := range lines {
		lines[i] = goldenAge.ReplaceAllString(l, "$1:AGE|")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// lineDiff lists the lines only in want (-) and only in got (+), at most 40.
func lineDiff(want, got string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	w, g := count(want), count(got)
	var out []string
	for l, n := range w {
		if g[l] < n {
			out = append(out, "- "+l)
		}
	}
	for l, n := range g {
		if w[l] < n {
			out = append(out, "+ "+l)
		}
	}
	slices.Sort(out)
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("… and %d more", len(out)-40))
	}
	return strings.Join(out, "\n")
}
