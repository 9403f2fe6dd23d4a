package checks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/internal/testenv"
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
	period          float64 // 0: no ttl.job_period_seconds
	jobAge          *float64
	lag, expired    *float64
	jobsUnavailable bool
}

func f64(v float64) *float64 { return &v }

func ttlWant(tables int, rows ...ttlTableWant) map[string]float64 {
	want := map[string]float64{series("ttl.tables"): float64(tables)}
	for _, r := range rows {
		want[tk("ttl.schedule_paused", r.db, r.table)] = r.paused
		if r.period > 0 {
			want[tk("ttl.job_period_seconds", r.db, r.table)] = r.period
		}
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
		{db: "shop", table: "public.events", jobAge: f64(259200), lag: f64(3600), expired: f64(3), period: 86400},
		// Healthy.
		{db: "shop", table: "public.sessions", jobAge: f64(3595), lag: f64(0), expired: f64(0), period: 3600},
		// Index does not lead with the expiration column: no row query.
		// Newest job failed a day ago; schedule paused.
		{db: "shop", table: "public.audit_log", jobAge: f64(172800), failed: 1, paused: 1, period: 86400},
		// No index: no row query. Failed 30 min ago.
		{db: "analytics", table: "web.page_views", jobAge: f64(129590), failed: 1, period: 86400},
		// Expression, ttl_pause.
		{db: "analytics", table: "web.carts", jobAge: f64(648000), paused: 1, period: 86400},
	}
}

func TestTTLScenario(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
	rec, err := runCheck(t, newTTL(t, checks.TTLOptions{}), &checks.Target{})
	if err == nil {
		t.Error("Run without SQL returned nil")
	}
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.Critical {
		t.Errorf("sql.can_query = %v", sc.Status)
	}
}

func TestNewTTLOptions(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// ttlLeastPrivilegeGrants is what a least-privilege user may read of the
// emulation: the crdb_internal tables and the pg_catalog, no system table,
// SELECT on one user table only (%[1]s is the role).
const ttlLeastPrivilegeGrants = `GRANT USAGE ON SCHEMA crdb_internal, system, public, web TO %[1]s;
GRANT SELECT ON crdb_internal.create_statements, crdb_internal.jobs, crdb_internal.node_build_info TO %[1]s;
GRANT SELECT ON crdb_internal.table_row_statistics TO %[1]s;
GRANT SELECT ON public.events TO %[1]s`

// A user without access to system.scheduled_jobs and without SELECT on a
// table: no CRITICAL, a warning once for each with the GRANT that opens it,
// the rest reported; after the next discovery, granted access is used.
func TestTTLLeastPrivilege(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "ttl_least_priv", nil, ttlScenarioFiles...)
	target, role := jtUserTarget(t, c, ttlLeastPrivilegeGrants)
	clock := newTestClock(time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
	ttl := newTTL(t, checks.TTLOptions{Now: clock.Now})
	run := func() map[string]float64 {
		t.Helper()
		rec, err := runCheck(t, ttl, target)
		checkCatalog(t, rec, "ttl")
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if sc := canQuery(t, rec, "ttl"); sc.Status != checks.OK {
			t.Errorf("sql.can_query = %v %q, want OK", sc.Status, sc.Message)
		}
		return gauges(t, rec)
	}

	rows := ttlScenarioDefault()
	rows[1].lag, rows[1].expired = nil, nil // sessions: no SELECT
	rows[2].paused = 0                      // audit_log: only its schedule said paused
	diffGauges(t, run(), ttlWant(5, rows...))
	logs := c.logs.String()
	if n := strings.Count(logs, "cannot read system.scheduled_jobs"); n != 1 ||
		!strings.Contains(logs, `fix="GRANT SYSTEM VIEWSYSTEMTABLE TO \"`+role+`\"`) {
		t.Errorf("scheduled_jobs warning logged %d times, want once with the grant:\n%s", n, logs)
	}
	// (The text log handler escapes the quotes.)
	grant := `fix="GRANT SELECT ON TABLE \"shop\".\"public\".\"sessions\" TO \"` + role + `\""`
	if n := strings.Count(logs, "no privilege to count the expired rows"); n != 1 || !strings.Contains(logs, grant) {
		t.Errorf("row query warning logged %d times, want once with %s:\n%s", n, grant, logs)
	}

	// Next cycles: neither query is tried again before the next discovery,
	// nothing logged again.
	c.exec(t, fmt.Sprintf(`GRANT SELECT ON system.scheduled_jobs, public.sessions TO %s`, role))
	clock.Add(10 * time.Minute)
	g := run()
	if _, ok := g[tk("ttl.lag_seconds", "shop", "public.sessions")]; ok {
		t.Error("sessions' row query ran again before the next discovery")
	}
	if v := g[tk("ttl.schedule_paused", "shop", "public.audit_log")]; v != 0 {
		t.Error("system.scheduled_jobs read again before the next discovery")
	}
	if logs := c.logs.String(); strings.Count(logs, "cannot read system.scheduled_jobs") != 1 ||
		strings.Count(logs, "no privilege to count the expired rows") != 1 {
		t.Errorf("warnings repeated:\n%s", logs)
	}

	// The next discovery (30 min by default) tries again, with the grants.
	clock.Add(20 * time.Minute)
	g = run()
	if v, ok := g[tk("ttl.lag_seconds", "shop", "public.sessions")]; !ok || v != 0 {
		t.Errorf("sessions' lag after the grant = %g, %v; want 0", v, ok)
	}
	if v := g[tk("ttl.schedule_paused", "shop", "public.audit_log")]; v != 1 {
		t.Errorf("audit_log schedule_paused after the grant = %g, want 1", v)
	}
}

// NoSchedules (checks.ttl.schedules: false) does not even try.
func TestTTLNoSchedulesDoesNotAsk(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "ttl_no_sched", nil, ttlScenarioFiles...)
	target, _ := jtUserTarget(t, c, ttlLeastPrivilegeGrants+"; GRANT SELECT ON public.sessions TO %[1]s")
	rec, err := runCheck(t, newTTL(t, checks.TTLOptions{Now: jtClock("2026-01-10T12:00:00Z"), NoSchedules: true}), target)
	if err != nil {
		t.Fatal(err)
	}
	rows := ttlScenarioDefault()
	rows[2].paused = 0
	diffGauges(t, gauges(t, rec), ttlWant(5, rows...))
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.OK {
		t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
	}
	if strings.Contains(c.logs.String(), "scheduled_jobs") {
		t.Errorf("system.scheduled_jobs was read:\n%s", c.logs)
	}
}

// Before v23.1 a non-admin user sees no TTL job (they belong to node):
// sql.can_query WARNING with the explanation.
func TestTTLNotAdminBeforeV23_1(t *testing.T) {
	t.Parallel()
	opts := []cluster.Option{cluster.WithAssumedVersion("v22.2.0")}
	c := newSQLCluster(t, "ttl_not_admin", opts, ttlScenarioFiles...)
	target, role := jtUserTarget(t, c, ttlLeastPrivilegeGrants+"; GRANT SELECT ON system.scheduled_jobs, public.sessions TO %[1]s", opts...)
	now := jtClock("2026-01-10T12:00:00Z")
	rec, err := runCheck(t, newTTL(t, checks.TTLOptions{Now: now}), target)
	if err != nil {
		t.Fatal(err)
	}
	sc := canQuery(t, rec, "ttl")
	if sc.Status != checks.Warning || !strings.Contains(sc.Message, `SQL user "`+role+`" is not admin`) ||
		!strings.Contains(sc.Message, "ttl.job_age_seconds") || !strings.Contains(sc.Message, `GRANT admin TO "`+role+`"`) {
		t.Errorf("sql.can_query = %v %q, want WARNING", sc.Status, sc.Message)
	}
	// The same on v23.2: VIEWJOB exists, no warning.
	c23 := newSQLCluster(t, "ttl_admin_v23", nil, ttlScenarioFiles...)
	target23, _ := jtUserTarget(t, c23, ttlLeastPrivilegeGrants+"; GRANT SELECT ON system.scheduled_jobs, public.sessions TO %[1]s")
	rec, err = runCheck(t, newTTL(t, checks.TTLOptions{Now: now}), target23)
	if err != nil {
		t.Fatal(err)
	}
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.OK {
		t.Errorf("v23.2 sql.can_query = %v %q, want OK", sc.Status, sc.Message)
	}
	// And an admin on v22.2.
	rec, err = c.runCataloged(t, newTTL(t, checks.TTLOptions{Now: now}))
	if err != nil {
		t.Fatal(err)
	}
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.OK {
		t.Errorf("admin sql.can_query = %v %q, want OK", sc.Status, sc.Message)
	}
}

// A table that loses TTL (or is dropped) gets a last 0 on each of its
// series, then none: monitors on them recover instead of alerting for ever.
func TestTTLSeriesOfGoneTables(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "ttl_gone", nil, ttlScenarioFiles...)
	clock := newTestClock(time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
	ttl := newTTL(t, checks.TTLOptions{Now: clock.Now, Rediscover: 10 * time.Minute,
		RowQueries: map[string]bool{"analytics.web.page_views": true}})
	if _, err := c.runCataloged(t, ttl); err != nil {
		t.Fatal(err)
	}
	// events loses TTL, page_views is dropped.
	c.exec(t, `DELETE FROM crdb_internal.create_statements WHERE descriptor_name IN ('events', 'page_views')`)
	clock.Add(10 * time.Minute)
	rec, err := c.runCataloged(t, ttl)
	if err != nil {
		t.Fatal(err)
	}
	g := gauges(t, rec)
	if g[series("ttl.tables")] != 3 {
		t.Errorf("ttl.tables = %g, want 3", g[series("ttl.tables")])
	}
	gone := map[string]float64{}
	for _, tb := range []struct{ db, table string }{{"shop", "public.events"}, {"analytics", "web.page_views"}} {
		for _, name := range []string{"ttl.job_age_seconds", "ttl.last_job_failed", "ttl.schedule_paused", "ttl.lag_seconds", "ttl.expired_rows"} {
			gone[tk(name, tb.db, tb.table)] = 0
		}
		// The period keeps its value, so that job_age / period falls to 0
		// (0/0 would be no value at all).
		gone[tk("ttl.job_period_seconds", tb.db, tb.table)] = 86400
	}
	for k, want := range gone {
		if v, ok := g[k]; !ok || v != want {
			t.Errorf("%s = %g, %v; want %g", k, v, ok, want)
		}
	}

	// Then they are forgotten.
	clock.Add(time.Minute)
	rec, err = c.runCataloged(t, ttl)
	if err != nil {
		t.Fatal(err)
	}
	for k := range gauges(t, rec) {
		if strings.Contains(k, "table:public.events") || strings.Contains(k, "table:web.page_views") {
			t.Errorf("series of a gone table still sent: %s", k)
		}
	}

	// The last TTL table goes: every series gets its last value.
	c.exec(t, `DELETE FROM crdb_internal.create_statements`)
	clock.Add(10 * time.Minute)
	rec, err = c.runCataloged(t, ttl)
	if err != nil {
		t.Fatal(err)
	}
	g = gauges(t, rec)
	want := map[string]float64{series("ttl.tables"): 0}
	for _, r := range ttlScenarioDefault()[1:] {
		if r.table == "web.page_views" {
			continue
		}
		for _, name := range []string{"ttl.job_age_seconds", "ttl.last_job_failed", "ttl.schedule_paused"} {
			want[tk(name, r.db, r.table)] = 0
		}
		want[tk("ttl.job_period_seconds", r.db, r.table)] = r.period
	}
	want[tk("ttl.lag_seconds", "shop", "public.sessions")] = 0
	want[tk("ttl.expired_rows", "shop", "public.sessions")] = 0
	diffGauges(t, g, want)
}

// ttl.job_period_seconds: the table's ttl_job_cron, else its schedule's
// cron, else the version's default.
func TestTTLJobPeriod(t *testing.T) {
	t.Parallel()
	addTokens := `CREATE TABLE public.tokens (id bigint PRIMARY KEY, crdb_internal_expiration timestamptz NOT NULL);
INSERT INTO crdb_internal.create_statements (database_id, database_name, schema_name, descriptor_id, descriptor_type,
	descriptor_name, create_statement, state, create_nofks, alter_statements, validate_statements, create_redactable)
VALUES (100, 'shop', 'public', 115, 'table', 'tokens', 'CREATE TABLE public.tokens (id INT8 NOT NULL) WITH (ttl = ''on'', ttl_expire_after = ''1 day'':::INTERVAL)',
	'PUBLIC', '', '{}', '{}', '');
INSERT INTO system.scheduled_jobs (schedule_id, schedule_name, owner, next_run, schedule_expr, executor_type, execution_args)
VALUES (508, 'row-level-ttl: tokens [115]', 'root', '2026-01-10 12:30:00+00', '*/30 * * * *', 'scheduled-row-level-ttl-executor', '\x')`
	period := func(t *testing.T, c *sqlCluster, o checks.TTLOptions) (float64, bool) {
		t.Helper()
		o.Now = jtClock("2026-01-10T12:00:00Z")
		rec, err := c.runCataloged(t, newTTL(t, o))
		if err != nil {
			t.Fatal(err)
		}
		v, ok := gauges(t, rec)[tk("ttl.job_period_seconds", "shop", "public.tokens")]
		return v, ok
	}
	c := newSQLCluster(t, "ttl_period", nil, ttlScenarioFiles...)
	c.exec(t, addTokens)
	if v, ok := period(t, c, checks.TTLOptions{}); v != 1800 {
		t.Errorf("period from the schedule = %g, %v; want 1800", v, ok)
	}
	if v, ok := period(t, c, checks.TTLOptions{NoSchedules: true}); v != 86400 {
		t.Errorf("v23.2 default period = %g, %v; want 86400 (@daily)", v, ok)
	}
	// Schedules unreadable for a cycle: the cron read last time stands.
	ttl := newTTL(t, checks.TTLOptions{Now: jtClock("2026-01-10T12:00:00Z")})
	for i, change := range []string{"", `ALTER TABLE system.scheduled_jobs RENAME TO scheduled_jobs_away`,
		`ALTER TABLE system.scheduled_jobs_away RENAME TO scheduled_jobs`} {
		if change != "" {
			c.exec(t, change)
		}
		rec, _ := c.runCataloged(t, ttl)
		if v := gauges(t, rec)[tk("ttl.job_period_seconds", "shop", "public.tokens")]; v != 1800 {
			t.Errorf("cycle %d: period = %g, want 1800", i, v)
		}
	}
	c.exec(t, `UPDATE system.scheduled_jobs SET schedule_expr = '@reboot' WHERE schedule_id = 508`)
	if v, ok := period(t, c, checks.TTLOptions{}); ok {
		t.Errorf("period of an unknown cron = %g, want no series", v)
	}

	c22 := newSQLCluster(t, "ttl_period22", []cluster.Option{cluster.WithAssumedVersion("v22.2.0")}, ttlScenarioFiles...)
	c22.exec(t, addTokens)
	if v, ok := period(t, c22, checks.TTLOptions{NoSchedules: true}); v != 3600 {
		t.Errorf("v22.2 default period = %g, %v; want 3600 (@hourly)", v, ok)
	}
}

// The table list (SHOW CREATE text of every table) is read every 30 min
// by default, not every cycle.
func TestTTLDefaultRediscover(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "ttl_rediscover_default", nil, ttlScenarioFiles...)
	clock := newTestClock(time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
	ttl := newTTL(t, checks.TTLOptions{Now: clock.Now})
	tables := func() float64 {
		t.Helper()
		rec, err := c.runCataloged(t, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return gauges(t, rec)[series("ttl.tables")]
	}
	if n := tables(); n != 5 {
		t.Fatalf("ttl.tables = %g", n)
	}
	c.exec(t, `DELETE FROM crdb_internal.create_statements WHERE descriptor_name = 'events'`)
	clock.Add(29 * time.Minute)
	if n := tables(); n != 5 {
		t.Errorf("ttl.tables 29 min later = %g, want 5 (no discovery yet)", n)
	}
	clock.Add(time.Minute)
	if n := tables(); n != 4 {
		t.Errorf("ttl.tables 30 min later = %g, want 4", n)
	}
}

// ttlDemoSetup creates the docker-compose demo's TTL table
// (conf.d/workload/workload.sh): ttl_expire_after, so the hidden
// crdb_internal_expiration column, and no index leading with it (only the
// primary key on id and an index on created_at). estimate is its
// statistics' row count; nil for a table without statistics.
func ttlDemoSetup(t *testing.T, c *sqlCluster, estimate *int64) {
	t.Helper()
	c.exec(t, `CREATE TABLE public.sessions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id bigint NOT NULL,
	payload text,
	created_at timestamptz NOT NULL DEFAULT now(),
	crdb_internal_expiration timestamptz NOT NULL
);
CREATE INDEX sessions_created_at_idx ON public.sessions (created_at);
INSERT INTO public.sessions (user_id, payload, created_at, crdb_internal_expiration) VALUES
	(1, 'expired 10 min ago', '2026-01-10 11:40:00+00', '2026-01-10 11:50:00+00'),
	(2, 'expired 5 min ago', '2026-01-10 11:45:00+00', '2026-01-10 11:55:00+00'),
	(3, 'live', '2026-01-10 11:58:00+00', '2026-01-10 12:08:00+00');
INSERT INTO crdb_internal.create_statements (database_id, database_name, schema_name, descriptor_id, descriptor_type,
	descriptor_name, create_statement, state, create_nofks, alter_statements, validate_statements, create_redactable)
VALUES (104, 'demo', 'public', 106, 'table', 'sessions', $$CREATE TABLE public.sessions (
	id UUID NOT NULL DEFAULT gen_random_uuid(),
	user_id INT8 NOT NULL,
	payload STRING NULL,
	created_at TIMESTAMPTZ NOT NULL DEFAULT now():::TIMESTAMPTZ,
	crdb_internal_expiration TIMESTAMPTZ NOT VISIBLE NOT NULL DEFAULT current_timestamp():::TIMESTAMPTZ + '00:10:00':::INTERVAL ON UPDATE current_timestamp():::TIMESTAMPTZ + '00:10:00':::INTERVAL,
	CONSTRAINT sessions_pkey PRIMARY KEY (id ASC),
	INDEX sessions_created_at_idx (created_at ASC)
) WITH (ttl = 'on', ttl_expire_after = '00:10:00':::INTERVAL, ttl_job_cron = '*/5 * * * *')$$, 'PUBLIC', '', '{}', '{}', '')`)
	if estimate != nil {
		c.exec(t, fmt.Sprintf(`INSERT INTO crdb_internal.table_row_statistics VALUES (106, 'sessions', %d)`, *estimate))
	} else {
		c.exec(t, `INSERT INTO crdb_internal.table_row_statistics VALUES (106, 'sessions', NULL)`)
	}
}

// TestTTLDemoTableByDefault: the demo's TTL table has no index on its
// expiration column, yet with the default options it gets ttl.lag_seconds
// and ttl.expired_rows, because it is small (a scan of at most about
// row_limit rows). Once its statistics say it outgrew row_limit, or where
// it has none, the scan stops, said once; an explicit true runs it anyway.
func TestTTLDemoTableByDefault(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "ttl_demo", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "crdb_v23.2_ttl.sql")
	small := int64(12000) // 20 rows/s over the 10 min TTL
	ttlDemoSetup(t, c, &small)
	clock := newTestClock(time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
	ttl := newTTL(t, checks.TTLOptions{Now: clock.Now})
	lag, expired := tk("ttl.lag_seconds", "demo", "public.sessions"), tk("ttl.expired_rows", "demo", "public.sessions")

	rec, err := c.runCataloged(t, ttl)
	if err != nil {
		t.Fatal(err)
	}
	g := gauges(t, rec)
	if g[lag] != 600 || g[expired] != 2 {
		t.Errorf("lag %v (want 600), expired %v (want 2):\n%s", g[lag], g[expired], rec)
	}
	if _, ok := g[lag]; !ok {
		t.Fatalf("no ttl.lag_seconds for the demo table:\n%s", rec)
	}
	if sc := canQuery(t, rec, "ttl"); sc.Status != checks.OK {
		t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
	}
	if n := strings.Count(c.logs.String(), "the table is small"); n != 1 {
		t.Errorf("switch to scanning logged %d times:\n%s", n, c.logs)
	}

	// Grown past row_limit: no scan from the next cycle on.
	c.exec(t, `UPDATE crdb_internal.table_row_statistics SET estimated_row_count = 5000000 WHERE table_id = 106`)
	for range 2 {
		clock.Add(5 * time.Minute)
		rec, err = c.runCataloged(t, ttl)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := gauges(t, rec)[lag]; ok {
			t.Errorf("scanned a table estimated at 5M rows:\n%s", rec)
		}
	}
	if n := strings.Count(c.logs.String(), "is over row_limit"); n != 1 {
		t.Errorf("switch off logged %d times:\n%s", n, c.logs)
	}
	// No statistics: no scan either.
	c.exec(t, `UPDATE crdb_internal.table_row_statistics SET estimated_row_count = NULL WHERE table_id = 106`)
	clock.Add(5 * time.Minute)
	if rec, err = c.runCataloged(t, ttl); err != nil {
		t.Fatal(err)
	}
	if _, ok := gauges(t, rec)[lag]; ok {
		t.Errorf("scanned a table without statistics:\n%s", rec)
	}

	// Enabled explicitly (as the demo's conf.yaml does): scanned whatever
	// its size; disabled explicitly: never, however small.
	c.exec(t, `UPDATE crdb_internal.table_row_statistics SET estimated_row_count = 5000000 WHERE table_id = 106`)
	on := newTTL(t, checks.TTLOptions{Now: clock.Now, RowQueries: map[string]bool{"demo.public.sessions": true}})
	if rec, err = c.runCataloged(t, on); err != nil {
		t.Fatal(err)
	}
	if _, ok := gauges(t, rec)[lag]; !ok {
		t.Errorf("row_queries true did not scan:\n%s", rec)
	}
	c.exec(t, `UPDATE crdb_internal.table_row_statistics SET estimated_row_count = 10 WHERE table_id = 106`)
	off := newTTL(t, checks.TTLOptions{Now: clock.Now, RowQueries: map[string]bool{"demo.public.sessions": false}})
	if rec, err = c.runCataloged(t, off); err != nil {
		t.Fatal(err)
	}
	if _, ok := gauges(t, rec)[lag]; ok {
		t.Errorf("row_queries false scanned:\n%s", rec)
	}
}

// TestTTLDemoConfigEnablesRowQueries: the compose demo's conf.yaml turns the
// row queries on for its table explicitly, whatever its statistics say.
func TestTTLDemoConfigEnablesRowQueries(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "conf.d", "roachdog.d", "conf.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("conf.yaml", data, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Instances) != 1 || !checks.OptionsOf[checks.TTLOptions](cfg.Instances[0].Checks).RowQueries["demo.public.sessions"] {
		t.Errorf("demo conf.yaml does not enable the row queries of demo.public.sessions: %+v", cfg.Instances)
	}
	script, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "conf.d", "workload", "workload.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "CREATE TABLE IF NOT EXISTS demo.sessions") {
		t.Error("the workload no longer creates demo.sessions: update the demo's row_queries")
	}
}

// TestTTLRowQueriesTakeTurns: with more tables due for a row query than
// max_row_queries, each run queries that many, in name order from where
// the last run stopped, wrapping around; a table waiting for its turn
// sends no lag or expired-rows point at all (not a 0), and every table
// gets its turn, with the values it has when it runs alone.
func TestTTLRowQueriesTakeTurns(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "ttl_turns", nil, ttlScenarioFiles...)
	clock := jtClock("2026-01-10T12:00:00Z")
	want := map[string]float64{}
	var due []string
	for _, r := range ttlScenarioDefault() {
		if r.lag != nil {
			key := r.db + "." + r.table
			due = append(due, key)
			want[key] = *r.lag
		}
	}
	if len(due) < 2 {
		t.Fatalf("the scenario has %d tables with row queries; the test needs 2", len(due))
	}
	slices.Sort(due)
	ttl := newTTL(t, checks.TTLOptions{Now: func() time.Time { return clock() }, MaxRowQueries: 1})
	var order []string
	for range 2*len(due) + 1 {
		rec, err := c.runCataloged(t, ttl)
		if err != nil {
			t.Fatal(err)
		}
		var ran []string
		for _, p := range rec.Find("ttl.lag_seconds") {
			key := strings.TrimPrefix(p.Tags[0], "database:") + "." + strings.TrimPrefix(p.Tags[1], "table:")
			if p.Value != want[key] {
				t.Errorf("%s: lag %v, want %v", key, p.Value, want[key])
			}
			ran = append(ran, key)
		}
		if n := len(rec.Find("ttl.expired_rows")); n != len(ran) {
			t.Errorf("%d expired_rows points for %d lag points", n, len(ran))
		}
		if len(ran) != 1 {
			t.Fatalf("run %d queried %v, want 1 table", len(order)+1, ran)
		}
		order = append(order, ran...)
	}
	// Name order, wrapping: due[0], due[1], due[2], ... due[0], ...
	for i, key := range order {
		if w := due[i%len(due)]; key != w {
			t.Fatalf("row queries ran in the order %v, want %v repeated", order, due)
		}
	}
}
