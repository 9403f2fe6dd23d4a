package checks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
)

var ttlScenarioFiles = []string{"crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "crdb_v23.2_ttl.sql", "scenario_v23.2_ttl.sql"}

func newTTL(t *testing.T, o checks.TTLOptions) *checks.TTL {
	t.Helper()
	c, err := checks.NewTTL(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tk is a per-table TTL series key.
func tk(name, db, table string) string {
	return series(name, "database:"+db, "table:"+table)
}

// ttlTableWant is one table's expected series; lag and expired are sent
// only where the row query runs, job age only when a success is known.
type ttlTableWant struct {
	db, table       string
	paused, failed  float64
	jobAge          *float64
	lag, expired    *float64
	rowQueryRuns    bool
	jobsUnavailable bool
}

func f64(v float64) *float64 { return &v }

func ttlWant(tables int, rows ...ttlTableWant) map[string]float64 {
	want := map[string]float64{series("ttl.tables"): float64(tables)}
	for _, r := range rows {
		want[tk("ttl.schedule_paused", r.db, r.table)] = r.paused
		if !r.jobsUnavailable {
			want[tk("ttl.last_job_failed", r.db, r.table)] = r.failed
			if r.jobAge != nil {
				want[tk("ttl.job_age_seconds", r.db, r.table)] = *r.jobAge
			}
		}
		if r.lag != nil {
			want[tk("ttl.lag_seconds", r.db, r.table)] = *r.lag
			want[tk("ttl.expired_rows", r.db, r.table)] = *r.expired
		}
	}
	return want
}

// The scenario at 2026-01-10 12:00 UTC, default options (see
// scenario_v23.2_ttl.sql for the story of each table).
func ttlScenarioDefault() []ttlTableWant {
	return []ttlTableWant{
		// Deletes fell behind: last success 3 days ago (@daily), rows
		// expired an hour ago still there.
		{db: "shop", table: "public.events", jobAge: f64(259200), lag: f64(3600), expired: f64(3)},
		// Healthy.
		{db: "shop", table: "public.sessions", jobAge: f64(3595), lag: f64(0), expired: f64(0)},
		// Index does not lead with the expiration column: no row query.
		// Newest job failed a day ago; schedule paused.
		{db: "shop", table: "public.audit_log", jobAge: f64(172800), failed: 1, paused: 1},
		// No index: no row query. Failed 30 min ago.
		{db: "analytics", table: "web.page_views", jobAge: f64(129590), failed: 1},
		// Expression, ttl_pause.
		{db: "analytics", table: "web.carts", jobAge: f64(648000), paused: 1},
	}
}

func TestTTLScenario(t *testing.T) {
	c := newSQLCluster(t, "ttl_scenario", nil, ttlScenarioFiles...)
	clock := jtClock("2026-01-10T12:00:00Z")
	ttl := newTTL(t, checks.TTLOptions{Now: func() time.Time { return clock() }})
	if ttl.Name() != "ttl" {
		t.Errorf("Name() = %q", ttl.Name())
	}

	rec, err := c.runCataloged(t, ttl)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	diffGauges(t, gauges(t, rec), ttlWant(5, ttlScenarioDefault()...))
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.OK {
		t.Errorf("sql.can_query = %v %q, want OK", sc.Status, sc.Message)
	}
	// Only page_views' failure is recent enough to announce on the first
	// cycle; audit_log's is a day old (it shows in ttl.last_job_failed).
	if len(rec.Events) != 1 {
		t.Fatalf("got %d events, want 1: %+v", len(rec.Events), rec.Events)
	}
	e := rec.Events[0]
	if e.Title != "Row-level TTL job for analytics.web.page_views failed" ||
		!strings.HasPrefix(e.Text, "found a recent schema change on the table at 2026-01-10T11:29:58Z, aborting\n\nJob 2008 (failed)") ||
		e.AlertType != checks.Error || !e.Timestamp.Equal(time.Date(2026, 1, 10, 11, 30, 0, 0, time.UTC)) {
		t.Errorf("event %+v", e)
	}
	if strings.Join(e.Tags, ",") != "database:analytics,table:web.page_views" {
		t.Errorf("event tags %v", e.Tags)
	}

	// Same state again: nothing re-announced.
	rec, err = c.runCataloged(t, ttl)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), ttlWant(5, ttlScenarioDefault()...))
	if len(rec.Events) != 0 {
		t.Errorf("second cycle re-sent events: %+v", rec.Events)
	}

	// events' TTL job now fails: one event, and the gauge flips.
	c.exec(t, `INSERT INTO crdb_internal.jobs (job_id, job_type, description, status, created, finished, error)
		VALUES (2020, 'ROW LEVEL TTL', E'ttl for shop.public.events\n-- for each span...', 'failed',
		'2026-01-10 11:50:00+00', '2026-01-10 11:59:00+00', 'ttl job: batch delete: TransactionRetryWithProtoRefreshError')`)
	clock = jtClock("2026-01-10T12:01:00Z")
	rec, err = c.runCataloged(t, ttl)
	if err != nil {
		t.Fatal(err)
	}
	g := gauges(t, rec)
	if v := g[tk("ttl.last_job_failed", "shop", "public.events")]; v != 1 {
		t.Errorf("events last_job_failed = %g, want 1", v)
	}
	if v := g[tk("ttl.job_age_seconds", "shop", "public.events")]; v != 259260 {
		t.Errorf("events job_age = %g, want 259260", v)
	}
	if len(rec.Events) != 1 || rec.Events[0].Title != "Row-level TTL job for shop.public.events failed" ||
		!strings.Contains(rec.Events[0].Text, "Last successful TTL job finished 2026-01-07T12:00:00Z. Schedule: @daily.") {
		t.Errorf("after a new failure got events %+v", rec.Events)
	}
}

func TestTTLRowQueryOptions(t *testing.T) {
	c := newSQLCluster(t, "ttl_rowq", nil, ttlScenarioFiles...)
	ttl := newTTL(t, checks.TTLOptions{
		Now:      jtClock("2026-01-10T12:00:00Z"),
		RowLimit: 2,
		RowQueries: map[string]bool{
			"analytics.web.page_views": true,  // no index: full scan, opted in
			"analytics.web.carts":      true,  // expression: opted in
			"shop.public.sessions":     false, // indexed, but opted out
		},
	})
	rec, err := c.runCataloged(t, ttl)
	if err != nil {
		t.Fatal(err)
	}
	rows := ttlScenarioDefault()
	// events: 3 expired rows, reported capped at the limit of 2; the
	// oldest is still found (the query reads expired rows oldest first).
	rows[0].expired = f64(2)
	rows[1].lag, rows[1].expired = nil, nil
	// page_views: 2 expired, oldest 09:00.
	rows[3].lag, rows[3].expired = f64(3*3600), f64(2)
	// carts: updated_at + 30 days; 2025-12-01 expired 2025-12-31 00:00.
	rows[4].lag, rows[4].expired = f64(10*86400+12*3600), f64(1)
	diffGauges(t, gauges(t, rec), ttlWant(5, rows...))
}

func TestTTLPartialFailures(t *testing.T) {
	c := newSQLCluster(t, "ttl_partial", nil, ttlScenarioFiles...)
	ttl := newTTL(t, checks.TTLOptions{Now: jtClock("2026-01-10T12:00:00Z")})

	// Without system.scheduled_jobs, paused comes from ttl_pause alone;
	// everything else still reports; sql.can_query names the failure.
	c.exec(t, `DROP TABLE system.scheduled_jobs`)
	rec, err := c.runCataloged(t, ttl)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	rows := ttlScenarioDefault()
	rows[2].paused = 0 // audit_log: only its schedule said paused
	diffGauges(t, gauges(t, rec), ttlWant(5, rows...))
	sc := canQuery(t, rec, "ttl")
	if sc.Status != checks.Critical || !strings.Contains(sc.Message, "system.scheduled_jobs") {
		t.Errorf("sql.can_query = %v %q, want CRITICAL naming system.scheduled_jobs", sc.Status, sc.Message)
	}

	// NoSchedules: same gauges, no failed query.
	quiet := newTTL(t, checks.TTLOptions{Now: jtClock("2026-01-10T12:00:00Z"), NoSchedules: true})
	rec, err = c.runCataloged(t, quiet)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), ttlWant(5, rows...))
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.OK {
		t.Errorf("sql.can_query with NoSchedules = %v %q", sc.Status, sc.Message)
	}

	// Without crdb_internal.jobs: no job series (rather than misleading
	// zeros), the rest stands.
	c.exec(t, `DROP TABLE crdb_internal.jobs`)
	rec, err = c.runCataloged(t, quiet)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].jobsUnavailable = true
	}
	diffGauges(t, gauges(t, rec), ttlWant(5, rows...))
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.Critical || !strings.Contains(sc.Message, "ROW LEVEL TTL jobs") {
		t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
	}

	// A table the row query cannot read: CRITICAL naming it, others go on.
	c.exec(t, `ALTER TABLE public.sessions RENAME COLUMN expires_at TO expires`)
	fresh := newTTL(t, checks.TTLOptions{Now: jtClock("2026-01-10T12:00:00Z"), NoSchedules: true,
		RowQueries: map[string]bool{"shop.public.sessions": true}})
	rec, err = c.runCataloged(t, fresh)
	if err != nil {
		t.Fatal(err)
	}
	rows[1].lag, rows[1].expired = nil, nil
	diffGauges(t, gauges(t, rec), ttlWant(5, rows...))
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.Critical || !strings.Contains(sc.Message, "shop.public.sessions") {
		t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
	}

	// Without the table list nothing can be reported: Run fails.
	c.exec(t, `DROP TABLE crdb_internal.create_statements`)
	rec, err = c.runCataloged(t, newTTL(t, checks.TTLOptions{}))
	if err == nil {
		t.Error("Run without crdb_internal.create_statements returned nil")
	}
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.Critical {
		t.Errorf("sql.can_query = %v", sc.Status)
	}
	if len(gauges(t, rec)) != 0 {
		t.Errorf("gauges without a table list: %v", rec.String())
	}

	// A list discovered earlier survives a failed rediscovery.
	rec, err = c.runCataloged(t, quiet)
	if err != nil {
		t.Fatalf("Run with a cached table list: %v", err)
	}
	if g := gauges(t, rec); g[series("ttl.tables")] != 5 {
		t.Errorf("ttl.tables from the cached list = %g, want 5", g[series("ttl.tables")])
	}
}

func TestTTLRediscovery(t *testing.T) {
	c := newSQLCluster(t, "ttl_rediscover", nil, ttlScenarioFiles...)
	clock := jtClock("2026-01-10T12:00:00Z")
	ttl := newTTL(t, checks.TTLOptions{Now: func() time.Time { return clock() }, Rediscover: 10 * time.Minute, NoSchedules: true})
	if _, err := c.runCataloged(t, ttl); err != nil {
		t.Fatal(err)
	}
	// A new TTL table appears; it is seen at the next discovery, not before.
	c.exec(t, `CREATE TABLE public.tokens (id bigint PRIMARY KEY, crdb_internal_expiration timestamptz NOT NULL);
		INSERT INTO crdb_internal.create_statements (database_id, database_name, schema_name, descriptor_id, descriptor_type,
			descriptor_name, create_statement, state, create_nofks, alter_statements, validate_statements, create_redactable)
		VALUES (100, 'shop', 'public', 115, 'table', 'tokens', 'CREATE TABLE public.tokens (id INT8 NOT NULL) WITH (ttl = ''on'', ttl_expire_after = ''1 day'':::INTERVAL)',
			'PUBLIC', '', '{}', '{}', '')`)
	clock = jtClock("2026-01-10T12:05:00Z")
	rec, err := c.runCataloged(t, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if v := gauges(t, rec)[series("ttl.tables")]; v != 5 {
		t.Errorf("ttl.tables before rediscovery = %g, want 5", v)
	}
	clock = jtClock("2026-01-10T12:10:00Z")
	rec, err = c.runCataloged(t, ttl)
	if err != nil {
		t.Fatal(err)
	}
	g := gauges(t, rec)
	if v := g[series("ttl.tables")]; v != 6 {
		t.Errorf("ttl.tables after rediscovery = %g, want 6", v)
	}
	// No index on its expiration column (only the primary key): no row
	// query, no job yet.
	if _, ok := g[tk("ttl.lag_seconds", "shop", "public.tokens")]; ok {
		t.Error("row query ran on an unindexed new table")
	}
	if v, ok := g[tk("ttl.last_job_failed", "shop", "public.tokens")]; !ok || v != 0 {
		t.Errorf("tokens last_job_failed = %g, %v", v, ok)
	}
}

// Row-level TTL does not exist before v22.2: the check says so and reports
// no tables, without querying anything that is not there.
func TestTTLUnsupportedVersion(t *testing.T) {
	c := newSQLCluster(t, "ttl_v20", nil, "crdb_v20.2.sql", "crdb_v20.2_jobs.sql")
	rec, err := c.runCataloged(t, newTTL(t, checks.TTLOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), map[string]float64{series("ttl.tables"): 0})
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.OK {
		t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
	}
}

func TestTTLNoSQL(t *testing.T) {
	rec, err := runCheck(t, newTTL(t, checks.TTLOptions{}), &checks.Target{})
	if err == nil {
		t.Error("Run without SQL returned nil")
	}
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.Critical {
		t.Errorf("sql.can_query = %v", sc.Status)
	}
}

func TestNewTTLOptions(t *testing.T) {
	for name, o := range map[string]checks.TTLOptions{
		"short key":        {RowQueries: map[string]bool{"shop.events": true}},
		"negative limit":   {RowLimit: -1},
		"negative timeout": {RowQueryTimeout: -time.Second},
		"negative window":  {EventWindow: -time.Second},
		"negative refresh": {Rediscover: -time.Second},
	} {
		if _, err := checks.NewTTL(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A cluster without TTL tables: ttl.tables 0, and nothing else is read
// (the jobs table is even missing here, without harm).
func TestTTLNoTables(t *testing.T) {
	c := newSQLCluster(t, "ttl_none", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "crdb_v23.2_ttl.sql")
	c.exec(t, `DROP TABLE crdb_internal.jobs; DROP TABLE system.scheduled_jobs`)
	rec, err := c.runCataloged(t, newTTL(t, checks.TTLOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), map[string]float64{series("ttl.tables"): 0})
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.OK {
		t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
	}
}
