package checks_test

// Every SQL check must cost the cluster a fixed number of statements per
// cycle, whatever the number of tables, jobs or nodes: a monitoring sidecar
// that issues one statement per table melts with the schema. The statements
// are counted on the wire, between the check's pool and PostgreSQL, so that
// nothing of the check or the pool has to cooperate.

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// stmtProxy forwards connections to a PostgreSQL server and records the
// statements clients send: each Execute of the extended protocol (by the
// text of its prepared statement) and each simple Query that is not empty
// or only a comment (pgx's ping is "-- ping").
type stmtProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	stmts []string
}

func newStmtProxy(t *testing.T, target string) *stmtProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stmtProxy{ln: ln, target: target}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.serve(c) })
		}
	})
	return p
}

func (p *stmtProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		io.Copy(client, server)
		client.Close()
	}()
	r := bufio.NewReader(client)
	var hdr [5]byte
	// Untyped messages first: SSL/GSS requests, then the startup message.
	for {
		if _, err := io.ReadFull(r, hdr[:4]); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(hdr[:4])-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if _, err := server.Write(append(hdr[:4:4], body...)); err != nil {
			return
		}
		if code := binary.BigEndian.Uint32(body); code != 80877103 && code != 80877104 {
			break
		}
	}
	prepared := map[string]string{} // statement name → text
	portals := map[string]string{}  // portal name → statement name
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(hdr[1:])-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		cstr := func(b []byte) (string, []byte) {
			i := strings.IndexByte(string(b), 0)
			if i < 0 {
				return string(b), nil
			}
			return string(b[:i]), b[i+1:]
		}
		switch hdr[0] {
		case 'P': // Parse: name, query
			name, rest := cstr(body)
			query, _ := cstr(rest)
			prepared[name] = query
		case 'B': // Bind: portal, statement
			portal, rest := cstr(body)
			stmt, _ := cstr(rest)
			portals[portal] = stmt
		case 'E': // Execute: portal
			portal, _ := cstr(body)
			p.record(prepared[portals[portal]])
		case 'Q': // simple Query
			query, _ := cstr(body)
			if q := strings.TrimSpace(query); q != "" && !strings.HasPrefix(q, "--") {
				p.record(query)
			}
		}
		if _, err := server.Write(append(hdr[:], body...)); err != nil {
			return
		}
	}
}

// sessionSetup are the statements cluster.DB runs on each new connection,
// not on behalf of a check.
var sessionSetup = []string{"SET statement_timeout", "SET allow_unsafe_internals", "SELECT field, value FROM crdb_internal.node_build_info"}

func (p *stmtProxy) record(stmt string) {
	for _, s := range sessionSetup {
		if strings.HasPrefix(stmt, s) {
			return
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stmts = append(p.stmts, strings.Join(strings.Fields(stmt), " "))
}

// take returns the statements recorded since the last take.
func (p *stmtProxy) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stmts
	p.stmts = nil
	return s
}

// stmtScenario is an emulated cluster for one check, small or large.
type stmtScenario struct {
	files []string // testdata/sql, in order
	large string   // SQL that adds the many tables, jobs or nodes
	// extra is how many more statements the large scenario may cost per
	// cycle, by design (0: none).
	extra int
}

// countStatements loads files and extra into a new database, opens a pool
// to it through a stmtProxy and returns the statements of the check's
// third cycle (the first ones may discover what later cycles keep).
func countStatements(t *testing.T, prefix string, files []string, extra string, newCheck func() checks.Check) []string {
	t.Helper()
	srv := pgtest.Shared(t)
	name := srv.NewDB(t, prefix)
	for _, f := range files {
		srv.LoadFile(t, name, filepath.Join(testenv.Testdata(t), "sql", f))
	}
	if extra != "" {
		srv.Exec(t, name, extra)
	}
	proxy := newStmtProxy(t, fmt.Sprintf("127.0.0.1:%d", srv.Port()))
	url := strings.Replace(srv.URL(name), fmt.Sprintf(":%d/", srv.Port()), ":"+strings.TrimPrefix(proxy.ln.Addr().String(), "127.0.0.1:")+"/", 1)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	db, err := cluster.OpenDB(ctx, url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	ch := newCheck()
	target := &checks.Target{Cluster: "test", SQL: db}
	for range 2 {
		if _, err := runCheck(t, ch, target); err != nil {
			t.Fatalf("%s: %v", ch.Name(), err)
		}
	}
	proxy.take()
	if _, err := runCheck(t, ch, target); err != nil {
		t.Fatalf("%s: %v", ch.Name(), err)
	}
	return proxy.take()
}

// repeatSQL joins format filled with i for i in 1..n.
func repeatSQL(n int, format string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(strings.ReplaceAll(format, "%d", fmt.Sprint(i)))
		b.WriteByte('\n')
	}
	return b.String()
}

// TestSQLChecksFixedStatements counts the statements of one cycle of each
// SQL check on a small scenario and on one with 50 more tables (jobs,
// nodes): the counts must be equal, except for the ttl check's row
// queries, one per TTL table whose expired rows are counted up to
// max_row_queries per run (the tables then take turns).
func TestSQLChecksFixedStatements(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	must := func(c checks.Check, err error) checks.Check {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		check    string
		scenario stmtScenario
		new      func() checks.Check
	}{
		{"liveness", stmtScenario{
			files: []string{"crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql"},
			large: repeatSQL(50, "INSERT INTO crdb_internal.kv_node_liveness (node_id, epoch, expiration, draining, membership) VALUES (100+%d, 1, public.test_hlc('9 seconds'), false, 'active');"),
		}, func() checks.Check { return must(checks.NewLiveness(checks.LivenessOptions{Now: now})) }},
		{"ranges", stmtScenario{
			// v20.2's replication reports (v23.1+ also reads the HTTP API).
			files: []string{"crdb_v20.2.sql", "crdb_v20.2_ranges.sql", "scenario_v20.2_reports.sql"},
			large: repeatSQL(50, `INSERT INTO system.replication_stats (zone_id, subzone_id, report_id, total_ranges, unavailable_ranges, under_replicated_ranges, over_replicated_ranges) VALUES (1000+%d, 0, 3, 10, 0, 1, 0);
				INSERT INTO system.replication_critical_localities (zone_id, subzone_id, locality, report_id, at_risk_ranges) VALUES (1000+%d, 0, 'region=us-east1', 2, 1);
				INSERT INTO system.replication_constraint_stats (zone_id, subzone_id, type, config, report_id, violation_start, violating_ranges) VALUES (1000+%d, 0, 'constraint', '+region=us-east1', 1, NULL, 0);`),
		}, func() checks.Check { return must(checks.NewRanges(checks.RangesOptions{Now: now})) }},
		{"jobs", stmtScenario{
			files: []string{"crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql"},
			large: repeatSQL(50, `INSERT INTO crdb_internal.jobs (job_id, job_type, description, statement, user_name, descriptor_ids, status, running_status, created, started, finished, modified, fraction_completed, high_water_timestamp, error, coordinator_id)
				VALUES (5000+%d, 'SCHEMA CHANGE', 'ALTER TABLE shop.public.t%d ADD COLUMN c INT8', '', 'root', '{104}', 'succeeded', NULL, '2026-01-10 11:00:00+00', '2026-01-10 11:00:01+00', '2026-01-10 11:01:00+00', '2026-01-10 11:01:00+00', 1, NULL, '', 1);`),
		}, func() checks.Check { return must(checks.NewJobs(checks.JobsOptions{Now: now})) }},
		{"schema", stmtScenario{
			files: []string{"crdb_v23.2.sql", "crdb_v23.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v23.2.sql"},
			large: repeatSQL(50, `CREATE TABLE t%d (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), customer_id uuid NOT NULL REFERENCES customers (id), created_at timestamptz NOT NULL DEFAULT now());
				CREATE INDEX t%d_created_at_idx ON t%d (created_at);`),
		}, func() checks.Check { return must(checks.NewSchema(checks.SchemaOptions{Now: now})) }},
		{"ttl", stmtScenario{
			files: ttlScenarioFiles,
			large: repeatSQL(50, `CREATE TABLE public.t%d (id bigint PRIMARY KEY, expires_at timestamptz NOT NULL);
				CREATE INDEX t%d_expires_at_idx ON public.t%d (expires_at);
				INSERT INTO crdb_internal.create_statements (database_id, database_name, schema_name, descriptor_id, descriptor_type, descriptor_name, create_statement, state, create_nofks, alter_statements, validate_statements, create_redactable, has_partitions, is_multi_region, is_virtual, is_temporary)
				VALUES (100, 'shop', 'public', 1000+%d, 'table', 't%d', 'CREATE TABLE public.t%d (id INT8 NOT NULL, expires_at TIMESTAMPTZ NOT NULL, CONSTRAINT t%d_pkey PRIMARY KEY (id ASC), INDEX t%d_expires_at_idx (expires_at ASC)) WITH (ttl = ''on'', ttl_expiration_expression = ''expires_at'', ttl_job_cron = ''@hourly'')', 'PUBLIC', '', '{}', '{}', '', false, false, false, false);`),
			// One row query per TTL table led by an index on its
			// expiration (each reads at most row_limit index entries), but
			// at most max_row_queries (20) per run: the 2 of the small
			// scenario grow to 20, never to 52.
			extra: 18,
		}, func() checks.Check { return must(checks.NewTTL(checks.TTLOptions{Now: now})) }},
		{"contention", stmtScenario{
			files: []string{"crdb_v23.2.sql", "crdb_v23.2_contention.sql"},
			large: repeatSQL(50, `INSERT INTO crdb_internal.cluster_contended_indexes VALUES ('shop', 'public', 't%d', 't%d_pkey', %d);
				INSERT INTO crdb_internal.cluster_contended_tables VALUES ('shop', 'public', 't%d', %d);`),
		}, func() checks.Check { return must(checks.NewContention(checks.ContentionOptions{Now: now})) }},
		{"statements", stmtScenario{
			files: []string{"crdb_v23.2.sql", "crdb_v23.2_statements.sql", "scenario_v23.2_statements.sql"},
			large: repeatSQL(50, `SELECT stmt_test.put('2026-01-10 12:00:00+00', lpad(to_hex(1000+%d), 16, '0'), '00000000000000aa', 'shop-workload', 'shop',
				'SELECT * FROM t%d WHERE id = _', 100+%d, 100, 0.001, 0, 0.002, false, NULL);`),
		}, func() checks.Check { return must(checks.NewStatements(checks.StatementsOptions{Now: now})) }},
		{"custom_queries", stmtScenario{
			files: []string{"scenario_schema_shop.sql"},
			large: repeatSQL(50, "CREATE TABLE t%d (id bigint PRIMARY KEY, status text NOT NULL);"),
		}, func() checks.Check {
			return must(checks.NewCustomQueries(checks.CustomQueriesOptions{Now: now, Queries: []checks.CustomQuery{
				{MetricPrefix: "shop", Query: "SELECT status, count(*) FROM orders GROUP BY status", Columns: cqCols("status:tag", "orders:gauge")},
				{MetricPrefix: "shop", Query: "SELECT count(*) FROM customers", Columns: cqCols("customers:gauge")},
			}}))
		}},
	}
	var mu sync.Mutex
	report := map[string][2]int{}
	for _, c := range cases {
		t.Run(c.check, func(t *testing.T) {
			small := countStatements(t, "stmts_"+c.check, c.scenario.files, "", c.new)
			large := countStatements(t, "stmts_"+c.check+"_large", c.scenario.files, c.scenario.large, c.new)
			if len(small) == 0 {
				t.Fatalf("no statement counted: the proxy missed them")
			}
			if len(large) != len(small)+c.scenario.extra {
				t.Errorf("%d statements per cycle with 50 more tables, %d without (want %+d):\nsmall: %q\nlarge: %q",
					len(large), len(small), c.scenario.extra, small, large)
			}
			for _, q := range small {
				t.Logf("%.100s", q)
			}
			mu.Lock()
			report[c.check] = [2]int{len(small), len(large)}
			mu.Unlock()
		})
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range report {
			if !yield(k) {
				return
			}
		}
	})
	for _, n := range names {
		t.Logf("%-15s %3d statements per cycle (small scenario), %3d with 50 more tables", n, report[n][0], report[n][1])
	}
}
