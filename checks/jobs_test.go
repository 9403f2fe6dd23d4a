package checks_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// Helpers prefixed jt serve the jobs and ttl tests.

func jtClock(s string) func() time.Time {
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return ts }
}

func newJobs(t *testing.T, o checks.JobsOptions) *checks.Jobs {
	t.Helper()
	j, err := checks.NewJobs(o)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func jc(jobType, status string) string {
	return series("jobs.count", "job_type:"+jobType, "status:"+status)
}

func jf(jobType string) string { return series("jobs.failed", "job_type:"+jobType) }

// jobsScenarioWant is what scenario_v23.2_jobs.sql yields at 12:00 with a
// 1h window.
func jobsScenarioWant() map[string]float64 {
	return map[string]float64{
		jc("schema_change", "running"):                     1,
		jc("import", "failed"):                             1,
		jc("backup", "failed"):                             1,
		jc("changefeed", "running"):                        2,
		jc("changefeed", "paused"):                         1,
		jc("changefeed", "failed"):                         1,
		jc("changefeed", "canceled"):                       1,
		jc("fancy_new_job", "running"):                     1,
		jc("schema_change", "revert-failed"):               1,
		jc("auto_create_stats", "succeeded"):               1,
		jc("restore", "paused"):                            1,
		jc("schema_change_gc", "pending"):                  1,
		jc("new_schema_change", "reverting"):               1,
		jf("import"):                                       1,
		jf("backup"):                                       1,
		jf("changefeed"):                                   1,
		jf("schema_change"):                                1,
		series("changefeed.high_water_lag", "job_id:1007"): 30,
		series("changefeed.high_water_lag", "job_id:1008"): 7200,
		series("backup.last_success_age"):                  5 * 3600,
	}
}

func TestJobsScenario(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "jobs_scenario", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql")
	clock := jtClock("2026-01-10T12:00:00Z")
	j := newJobs(t, checks.JobsOptions{Now: func() time.Time { return clock() }})
	if j.Name() != "jobs" {
		t.Errorf("Name() = %q", j.Name())
	}

	rec, err := c.runCataloged(t, j)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	diffGauges(t, gauges(t, rec), jobsScenarioWant())
	if sc := canQuery(t, rec, "jobs"); sc.Status != checks.OK {
		t.Errorf("sql.can_query = %v %q, want OK", sc.Status, sc.Message)
	}

	// One event per failure of the window, oldest first, error in the text.
	type ev struct{ title, text, tag string }
	want := []ev{
		{"Job 1010 (CHANGEFEED) failed", "gc threshold 1768043000.000000000,0 is ahead of the changefeed's high-water", "job_type:changefeed"},
		{"Job 1012 (SCHEMA CHANGE) failed to revert (revert-failed: needs manual cleanup)", `duplicate key value violates unique constraint "customers_email_key"`, "job_type:schema_change"},
		{"Job 1002 (IMPORT) failed", "nodelocal storage file does not exist: rpc error: code = NotFound desc = stat /var/lib/cockroach/n1/extern/missing/customers.csv: no such file or directory", "job_type:import"},
		{"Job 1006 (BACKUP) failed", "failed to write to s3://backups/shop: AccessDenied: Access Denied", "job_type:backup"},
	}
	if len(rec.Events) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(rec.Events), len(want), rec.Events)
	}
	for i, w := range want {
		e := rec.Events[i]
		if e.Title != w.title {
			t.Errorf("event %d title %q, want %q", i, e.Title, w.title)
		}
		if !strings.HasPrefix(e.Text, w.text+"\n\nJob: ") {
			t.Errorf("event %d text %q, want the error %q then the job description", i, e.Text, w.text)
		}
		if len(e.Tags) != 1 || e.Tags[0] != w.tag {
			t.Errorf("event %d tags %v, want [%s]", i, e.Tags, w.tag)
		}
		if e.AlertType != checks.Error || e.Timestamp.IsZero() {
			t.Errorf("event %d alert type %q timestamp %v", i, e.AlertType, e.Timestamp)
		}
		for _, tg := range e.Tags {
			if strings.Contains(tg, "denied") || strings.Contains(tg, "duplicate") {
				t.Errorf("error text leaked into a tag: %s", tg)
			}
		}
	}

	// Second cycle, nothing new: same gauges, no event sent again.
	rec, err = c.runCataloged(t, j)
	if err != nil {
		t.Fatalf("Run 2: %v", err)
	}
	diffGauges(t, gauges(t, rec), jobsScenarioWant())
	if len(rec.Events) != 0 {
		t.Errorf("second cycle re-sent %d events: %+v", len(rec.Events), rec.Events)
	}

	// A new failure: exactly one event, for it.
	c.exec(t, `INSERT INTO crdb_internal.jobs (job_id, job_type, description, status, created, finished, error)
		VALUES (1019, 'IMPORT', 'IMPORT INTO shop.public.x CSV DATA (''nodelocal://1/y.csv'')', 'failed',
		'2026-01-10 11:57:00+00', '2026-01-10 11:58:00+00', 'row 12: expected 3 fields, got 2')`)
	rec, err = c.runCataloged(t, j)
	if err != nil {
		t.Fatalf("Run 3: %v", err)
	}
	if len(rec.Events) != 1 || rec.Events[0].Title != "Job 1019 (IMPORT) failed" ||
		!strings.HasPrefix(rec.Events[0].Text, "row 12: expected 3 fields, got 2") {
		t.Errorf("after a new failure got events %+v, want one for job 1019", rec.Events)
	}
	if got := gauges(t, rec)[jf("import")]; got != 2 {
		t.Errorf("jobs.failed{import} = %g, want 2", got)
	}

	// Two hours later every failure has left the window: the series drop
	// to 0 rather than vanish; ages grow.
	clock = jtClock("2026-01-10T14:00:00Z")
	rec, err = c.runCataloged(t, j)
	if err != nil {
		t.Fatalf("Run 4: %v", err)
	}
	late := map[string]float64{
		jc("schema_change", "running"):                     1,
		jc("import", "failed"):                             0,
		jc("backup", "failed"):                             0,
		jc("changefeed", "running"):                        2,
		jc("changefeed", "paused"):                         1,
		jc("changefeed", "failed"):                         0,
		jc("changefeed", "canceled"):                       0,
		jc("fancy_new_job", "running"):                     1,
		jc("schema_change", "revert-failed"):               0,
		jc("auto_create_stats", "succeeded"):               0,
		jc("restore", "paused"):                            1,
		jc("schema_change_gc", "pending"):                  1,
		jc("new_schema_change", "reverting"):               1,
		jf("import"):                                       0,
		jf("backup"):                                       0,
		jf("changefeed"):                                   0,
		jf("schema_change"):                                0,
		series("changefeed.high_water_lag", "job_id:1007"): 30 + 2*3600,
		series("changefeed.high_water_lag", "job_id:1008"): 7200 + 2*3600,
		series("backup.last_success_age"):                  7 * 3600,
	}
	diffGauges(t, gauges(t, rec), late)
	if len(rec.Events) != 0 {
		t.Errorf("events after the window: %+v", rec.Events)
	}
}

func TestJobsWindowOption(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "jobs_window", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql")
	// 25 h (from 2026-01-09 11:00) reaches back to the old IMPORT failure
	// (2026-01-09 12:00), the 09:00 AUTO CREATE STATS and the 07:00 BACKUP,
	// not to the BACKUP of 2026-01-09 07:00.
	j := newJobs(t, checks.JobsOptions{Window: 25 * time.Hour, Now: jtClock("2026-01-10T12:00:00Z")})
	rec, err := c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	g := gauges(t, rec)
	for k, want := range map[string]float64{
		jc("import", "failed"):               2,
		jf("import"):                         2,
		jc("auto_create_stats", "succeeded"): 2,
		jc("backup", "succeeded"):            1,
	} {
		if g[k] != want {
			t.Errorf("%s = %g, want %g", k, g[k], want)
		}
	}
	if len(rec.Events) != 5 {
		t.Errorf("got %d events, want 5 (the old IMPORT failure is in this window)", len(rec.Events))
	}
}

func TestJobsQueryFailures(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "jobs_fail", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql")
	j := newJobs(t, checks.JobsOptions{Now: jtClock("2026-01-10T12:00:00Z")})

	// Without high_water_timestamp the jobs read fails (counts, failures
	// and changefeeds come from that one read); the backup query still
	// reports, and sql.can_query says what failed.
	c.exec(t, `ALTER TABLE crdb_internal.jobs DROP COLUMN high_water_timestamp`)
	rec, err := c.runCataloged(t, j)
	if err != nil {
		t.Fatalf("Run with one failing query returned %v, want nil", err)
	}
	diffGauges(t, gauges(t, rec), map[string]float64{series("backup.last_success_age"): 5 * 3600})
	sc := canQuery(t, rec, "jobs")
	if sc.Status != checks.Critical || !strings.Contains(sc.Message, "read jobs (crdb_internal.jobs)") || !strings.Contains(sc.Message, "high_water_timestamp") {
		t.Errorf("sql.can_query = %v %q, want CRITICAL naming the jobs read and the error", sc.Status, sc.Message)
	}
	if len(rec.Events) != 0 {
		t.Errorf("events without a jobs read: %+v", rec.Events)
	}

	// Without the table nothing can be collected: Run fails.
	c.exec(t, `DROP TABLE crdb_internal.jobs`)
	rec, err = c.runCataloged(t, j)
	if err == nil {
		t.Fatal("Run without crdb_internal.jobs returned nil")
	}
	sc = canQuery(t, rec, "jobs")
	if sc.Status != checks.Critical || !strings.Contains(sc.Message, "read jobs (crdb_internal.jobs)") ||
		!strings.Contains(sc.Message, "; read newest successful backup") {
		t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
	}

	// No SQL configured.
	rec, err = runCheck(t, j, &checks.Target{})
	if err == nil {
		t.Error("Run without SQL returned nil")
	}
	if sc := canQuery(t, rec, "jobs"); sc.Status != checks.Critical {
		t.Errorf("sql.can_query without SQL = %v", sc.Status)
	}
}

func TestNewJobsOptions(t *testing.T) {
	t.Parallel()
	if _, err := checks.NewJobs(checks.JobsOptions{Window: -time.Minute}); err == nil {
		t.Error("negative window accepted")
	}
}

// TestJobsV20Capture runs the check on the real crdb_internal.jobs rows of
// the v20.2 fixture cluster (a failed IMPORT, a failed SCHEMA CHANGE, a
// BACKUP...), loaded into the v20.2 schema, at the time they were captured.
func TestJobsV20Capture(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy", "sql", "crdb_internal.jobs.csv")
	c := newSQLCluster(t, "jobs_v20", nil, "crdb_v20.2.sql", "crdb_v20.2_jobs.sql")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	header, rows := records[0], records[1:]
	var values [][]*string
	for _, r := range rows {
		row := make([]*string, len(r))
		for i := range r {
			if r[i] != "NULL" { // how cockroach sql --format=csv prints NULL
				row[i] = &r[i]
			}
		}
		values = append(values, row)
	}
	jtInsertText(t, c.db, "crdb_internal.jobs", header, values)

	// Captured at 02:45:08.202 (SOURCES.md); the jobs ran 02:41-02:43.
	j := newJobs(t, checks.JobsOptions{Now: jtClock("2026-11-22T02:45:08.202Z")})
	rec, err := c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), map[string]float64{
		jc("auto_create_stats", "succeeded"): 5,
		jc("backup", "succeeded"):            1,
		jc("import", "failed"):               1,
		jc("schema_change", "failed"):        1,
		jc("schema_change", "succeeded"):     5,
		jc("schema_change_gc", "running"):    1,
		jc("schema_change_gc", "succeeded"):  1,
		jf("import"):                         1,
		jf("schema_change"):                  1,
		// 02:45:08.202 - 02:42:15.714433
		series("backup.last_success_age"): 172.487567,
	})
	if len(rec.Events) != 2 {
		t.Fatalf("got %d events, want 2: %+v", len(rec.Events), rec.Events)
	}
	if e := rec.Events[0]; e.Title != "Job 1229602602334912513 (SCHEMA CHANGE) failed" ||
		!strings.HasPrefix(e.Text, `duplicate key value (email)=('dup@example.com') violates unique constraint "customers_email_key"`) {
		t.Errorf("first event %q %q", e.Title, e.Text)
	}
	if e := rec.Events[1]; e.Title != "Job 1229602603848597505 (IMPORT) failed" ||
		!strings.HasPrefix(e.Text, "nodelocal storage file does not exist") {
		t.Errorf("second event %q %q", e.Title, e.Text)
	}
}

// jtInsertText inserts rows given as text (nil = NULL) into table, letting
// PostgreSQL convert each value to its column's type.
func jtInsertText(t *testing.T, db *cluster.DB, table string, cols []string, rows [][]*string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	schema, name, _ := strings.Cut(table, ".")
	types := map[string]string{}
	trows, err := db.Query(ctx, `SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`, schema, name)
	if err != nil {
		t.Fatal(err)
	}
	for trows.Next() {
		var col, typ string
		if err := trows.Scan(&col, &typ); err != nil {
			t.Fatal(err)
		}
		types[col] = typ
	}
	if err := trows.Err(); err != nil {
		t.Fatal(err)
	}
	ph := make([]string, len(cols))
	for i, col := range cols {
		typ, ok := types[col]
		if !ok {
			t.Fatalf("%s has no column %s", table, col)
		}
		ph[i] = fmt.Sprintf("$%d::text::%s", i+1, typ)
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.Join(ph, ", "))
	for _, r := range rows {
		args := make([]any, len(r))
		for i, v := range r {
			args[i] = v
		}
		if _, err := db.Exec(ctx, q, args...); err != nil {
			t.Fatalf("insert into %s: %v", table, err)
		}
	}
}

// TestJobsDumpV23 loads the real v23.1-era debug-zip dump of
// crdb_internal.system_jobs into the v23.2 schema and reads it through a
// crdb_internal.jobs emulated as a view over it.
func TestJobsDumpV23(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testenv.Fixtures(t), "cockroach-repo", "crdb_internal.system_jobs.json")
	c := newSQLCluster(t, "jobs_dump23", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dump []map[string]string
	if err := json.Unmarshal(b, &dump); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if len(dump) != 27 {
		t.Fatalf("%s: %d rows, want 27", path, len(dump))
	}
	// hex_payload and hex_progress are debug zip's additions, not columns.
	cols := []string{"id", "status", "created", "payload", "progress", "created_by_type", "created_by_id",
		"claim_session_id", "claim_instance_id", "num_runs", "last_run", "job_type"}
	var rows [][]*string
	for _, r := range dump {
		row := make([]*string, len(cols))
		for i, col := range cols {
			v, ok := r[col]
			if !ok {
				t.Fatalf("dump row %v lacks %s", r["id"], col)
			}
			if v != "NULL" {
				row[i] = &v
			}
		}
		rows = append(rows, row)
	}
	jtInsertText(t, c.db, "crdb_internal.system_jobs", cols, rows)

	// TEST EMULATION, not CockroachDB's definition: crdb_internal.jobs as a
	// view over crdb_internal.system_jobs, so that the dump's rows reach the
	// check through the table it queries. The real table decodes finished
	// (and description, error...) from the job payload; the dump has no
	// payloads, so a terminal job's last_run (when it last started) stands
	// in for finished.
	c.exec(t, `DROP TABLE crdb_internal.jobs;
CREATE VIEW crdb_internal.jobs AS SELECT
	id AS job_id, job_type, NULL::text AS description, NULL::text AS statement, NULL::text AS user_name,
	NULL::bigint[] AS descriptor_ids, status, NULL::text AS running_status,
	created AT TIME ZONE 'UTC' AS created, NULL::timestamptz AS started,
	CASE WHEN status IN ('succeeded', 'failed', 'canceled', 'revert-failed') THEN last_run AT TIME ZONE 'UTC' END AS finished,
	last_run AT TIME ZONE 'UTC' AS modified, NULL::double precision AS fraction_completed,
	NULL::numeric AS high_water_timestamp, NULL::text AS error, claim_instance_id AS coordinator_id,
	NULL::bigint AS trace_id, last_run AT TIME ZONE 'UTC' AS last_run, NULL::timestamptz AS next_run, num_runs,
	NULL::text[] AS execution_errors, NULL::jsonb AS execution_events
FROM crdb_internal.system_jobs`)

	// The dump was taken on 2023-06-08 around 18:20; every job ran then.
	clock := jtClock("2023-06-08T18:30:00Z")
	j := newJobs(t, checks.JobsOptions{Now: func() time.Time { return clock() }})
	rec, err := c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	running := map[string]float64{
		jc("key_visualizer", "running"):                  1,
		jc("poll_jobs_stats", "running"):                 1,
		jc("auto_update_sql_activity", "running"):        1,
		jc("auto_span_config_reconciliation", "running"): 1,
	}
	want := map[string]float64{
		jc("migration", "succeeded"):         12,
		jc("import", "succeeded"):            6,
		jc("new_schema_change", "succeeded"): 5,
	}
	for k, v := range running {
		want[k] = v
	}
	diffGauges(t, gauges(t, rec), want)
	if len(rec.Events) != 0 {
		t.Errorf("events from a dump without failures: %+v", rec.Events)
	}

	// Two hours on, the successes have left the window.
	clock = jtClock("2023-06-08T20:30:00Z")
	rec, err = c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]float64{
		jc("migration", "succeeded"):         0,
		jc("import", "succeeded"):            0,
		jc("new_schema_change", "succeeded"): 0,
	}
	for k, v := range running {
		want[k] = v
	}
	diffGauges(t, gauges(t, rec), want)
}

// TestJobsDumpV20 loads the real v20.2-era debug-zip dump of system.jobs
// into the v20.2 schema. Its payloads are protobufs: the test decodes them
// (as CockroachDB's crdb_internal.jobs does) into a side table, and
// crdb_internal.jobs becomes a view joining it to system.jobs.
func TestJobsDumpV20(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testenv.Fixtures(t), "cockroach-repo", "system.jobs.txt")
	c := newSQLCluster(t, "jobs_dump20", nil, "crdb_v20.2.sql", "crdb_v20.2_jobs.sql")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var header []string
	var rows [][]*string
	cols := []string{"id", "status", "created", "payload", "progress", "created_by_type", "created_by_id",
		"claim_session_id", "claim_instance_id"}
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = fields
			continue
		}
		if len(fields) != len(header) {
			t.Fatalf("%s: %d fields, header has %d", path, len(fields), len(header))
		}
		rec := map[string]string{}
		for i, h := range header {
			rec[h] = fields[i]
		}
		// The bytes columns are printed in PostgreSQL's escape format;
		// payload and progress also come as hex, used here (unambiguous).
		rec["payload"] = `\x` + rec["hex_payload"]
		if rec["hex_progress"] == "NULL" {
			rec["progress"] = "NULL"
		} else {
			rec["progress"] = `\x` + rec["hex_progress"]
		}
		row := make([]*string, len(cols))
		for i, col := range cols {
			if v := rec[col]; v != "NULL" {
				row[i] = &v
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%s: %d rows, want 2", path, len(rows))
	}
	jtInsertText(t, c.db, "system.jobs", cols, rows)

	// TEST EMULATION: decode each payload and progress in Go, store the
	// fields in a side table, and let crdb_internal.jobs be a view joining
	// it to system.jobs (CockroachDB does the same decoding internally).
	c.exec(t, `CREATE SCHEMA roachdog_emulation;
CREATE TABLE roachdog_emulation.job_payloads (id bigint PRIMARY KEY, job_type text, description text,
	user_name text, started timestamp, finished timestamp, modified timestamp, error text, high_water numeric)`)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	prow, err := c.db.Query(ctx, `SELECT id, payload, progress FROM system.jobs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type decoded struct {
		id  int64
		pay jtPayload
	}
	var all []decoded
	for prow.Next() {
		var d decoded
		var payload, progress []byte
		if err := prow.Scan(&d.id, &payload, &progress); err != nil {
			t.Fatal(err)
		}
		if d.pay, err = jtDecodePayload(payload, progress); err != nil {
			t.Fatalf("job %d: %v", d.id, err)
		}
		all = append(all, d)
	}
	if err := prow.Err(); err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if _, err := c.db.Exec(ctx, `INSERT INTO roachdog_emulation.job_payloads
			(id, job_type, description, user_name, started, finished, modified, error, high_water) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			d.id, d.pay.jobType, d.pay.description, d.pay.user, d.pay.started, d.pay.finished, d.pay.modified, d.pay.err, d.pay.highWater); err != nil {
			t.Fatal(err)
		}
	}
	c.exec(t, `DROP TABLE crdb_internal.jobs;
CREATE VIEW crdb_internal.jobs AS SELECT
	j.id AS job_id, p.job_type, p.description, ''::text AS statement, p.user_name, NULL::bigint[] AS descriptor_ids,
	j.status, NULL::text AS running_status, j.created, p.started, p.finished, p.modified,
	NULL::double precision AS fraction_completed, p.high_water AS high_water_timestamp, p.error,
	j.claim_instance_id AS coordinator_id
FROM system.jobs AS j LEFT JOIN roachdog_emulation.job_payloads AS p ON p.id = j.id`)

	// Decoded as expected: a DROP TABLE schema change and its GC job.
	if all[0].pay.jobType != "SCHEMA CHANGE" || all[0].pay.description != "DROP TABLE movr.public.foo" ||
		all[0].pay.finished == nil || all[1].pay.jobType != "SCHEMA CHANGE GC" {
		t.Fatalf("decoded payloads %+v", all)
	}

	// The dump was taken on 2020-09-05 just after 13:12.
	j := newJobs(t, checks.JobsOptions{Now: jtClock("2020-09-05T13:30:00Z")})
	rec, err := c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), map[string]float64{
		jc("schema_change", "succeeded"):  1,
		jc("schema_change_gc", "running"): 1,
	})
}

// jtPayload holds the fields of a v20.2 jobspb.Payload (and Progress) that
// crdb_internal.jobs shows.
type jtPayload struct {
	jobType, description, user, err string
	started, finished, modified     *time.Time
	highWater                       *string
}

// Payload.details oneof field numbers (v20.2 jobs.proto) and their job types.
var jtDetailsTypes = map[int]string{
	10: "BACKUP", 11: "RESTORE", 12: "SCHEMA CHANGE", 13: "IMPORT", 14: "CHANGEFEED",
	15: "CREATE STATS", 21: "SCHEMA CHANGE GC", 22: "TYPEDESC SCHEMA CHANGE",
}

func jtDecodePayload(payload, progress []byte) (jtPayload, error) {
	var p jtPayload
	micros := func(v uint64) *time.Time {
		if v == 0 {
			return nil
		}
		ts := time.UnixMicro(int64(v)).UTC()
		return &ts
	}
	err := jtProtoWalk(payload, func(num int, v uint64, b []byte) error {
		switch num {
		case 1:
			p.description = string(b)
		case 2:
			p.user = string(b)
		case 3:
			p.started = micros(v)
		case 4:
			p.finished = micros(v)
		case 8:
			p.err = string(b)
		default:
			if typ, ok := jtDetailsTypes[num]; ok {
				p.jobType = typ
				if num == 15 { // CreateStatsDetails.name "__auto__": automatic
					return jtProtoWalk(b, func(n int, _ uint64, s []byte) error {
						if n == 1 && string(s) == "__auto__" {
							p.jobType = "AUTO CREATE STATS"
						}
						return nil
					})
				}
			}
		}
		return nil
	})
	if err != nil {
		return p, fmt.Errorf("payload: %w", err)
	}
	err = jtProtoWalk(progress, func(num int, v uint64, b []byte) error {
		switch num {
		case 2:
			p.modified = micros(v)
		case 3: // high_water: util.hlc.Timestamp{wall_time = 1, logical = 2}
			var wall, logical uint64
			if err := jtProtoWalk(b, func(n int, x uint64, _ []byte) error {
				if n == 1 {
					wall = x
				} else if n == 2 {
					logical = x
				}
				return nil
			}); err != nil {
				return err
			}
			s := fmt.Sprintf("%d.%010d", wall, logical)
			p.highWater = &s
		}
		return nil
	})
	if err != nil {
		return p, fmt.Errorf("progress: %w", err)
	}
	if p.jobType == "" {
		return p, errors.New("payload has no details: unknown job type")
	}
	return p, nil
}

// jtProtoWalk calls f for each top-level field of a protobuf message: v is
// the value of varint and fixed fields, b the bytes of length-delimited ones.
func jtProtoWalk(msg []byte, f func(num int, v uint64, b []byte) error) error {
	for len(msg) > 0 {
		key, n := binary.Uvarint(msg)
		if n <= 0 {
			return errors.New("bad field key")
		}
		msg = msg[n:]
		num, wire := int(key>>3), key&7
		var v uint64
		var b []byte
		switch wire {
		case 0:
			v, n = binary.Uvarint(msg)
			if n <= 0 {
				return fmt.Errorf("field %d: bad varint", num)
			}
			msg = msg[n:]
		case 1:
			if len(msg) < 8 {
				return fmt.Errorf("field %d: short fixed64", num)
			}
			v, msg = binary.LittleEndian.Uint64(msg), msg[8:]
		case 2:
			l, n := binary.Uvarint(msg)
			if n <= 0 || uint64(len(msg)-n) < l {
				return fmt.Errorf("field %d: bad length", num)
			}
			b, msg = msg[n:n+int(l)], msg[n+int(l):]
		case 5:
			if len(msg) < 4 {
				return fmt.Errorf("field %d: short fixed32", num)
			}
			v, msg = uint64(binary.LittleEndian.Uint32(msg)), msg[4:]
		default:
			return fmt.Errorf("field %d: wire type %d not supported", num, wire)
		}
		if err := f(num, v, b); err != nil {
			return err
		}
	}
	return nil
}

// jtUserTarget creates a login role with no privileges beyond those grants
// gives it (%[1]s is the role) and returns a target connecting as it.
func jtUserTarget(t *testing.T, c *sqlCluster, grants string, opts ...cluster.Option) (*checks.Target, string) {
	t.Helper()
	role := "rd_" + c.dbName
	c.srv.Exec(t, "postgres", fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD 'pw'", role))
	if grants != "" {
		c.exec(t, fmt.Sprintf(grants, role))
	}
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	db, err := cluster.OpenDB(ctx, c.srv.UserURL(c.dbName, role, "pw"), c.target.Logger, opts...)
	if err != nil {
		t.Fatalf("OpenDB as %s: %v", role, err)
	}
	t.Cleanup(db.Close)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("ping as %s: %v", role, err)
	}
	return &checks.Target{Cluster: "test", SQL: db, Logger: c.target.Logger}, role
}

// jtCountReads turns crdb_internal.jobs into a view that counts how many
// times a statement reads it, in crdb_internal.jobs_reads: like the real
// virtual table, each read decodes every retained job.
func jtCountReads(t *testing.T, c *sqlCluster) func() int {
	t.Helper()
	c.exec(t, `ALTER TABLE crdb_internal.jobs RENAME TO jobs_data;
CREATE TABLE crdb_internal.jobs_reads (n bigint NOT NULL);
INSERT INTO crdb_internal.jobs_reads VALUES (0);
CREATE FUNCTION crdb_internal.jobs_read() RETURNS SETOF crdb_internal.jobs_data LANGUAGE plpgsql VOLATILE AS $$
BEGIN
	UPDATE crdb_internal.jobs_reads SET n = n + 1;
	RETURN QUERY SELECT * FROM crdb_internal.jobs_data;
END $$;
CREATE VIEW crdb_internal.jobs AS SELECT * FROM crdb_internal.jobs_read();`)
	return func() int {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		var n int
		if err := c.db.QueryRow(ctx, `SELECT n FROM crdb_internal.jobs_reads`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// The counts, the failures and the changefeeds come from one read of
// crdb_internal.jobs; the newest backup from a second one. Same results.
func TestJobsReadsTheTableTwicePerCycle(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "jobs_reads", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql")
	reads := jtCountReads(t, c)
	j := newJobs(t, checks.JobsOptions{Now: jtClock("2026-01-10T12:00:00Z")})
	rec, err := c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	if n := reads(); n != 2 {
		t.Errorf("one cycle read crdb_internal.jobs %d times, want 2 (jobs, newest backup)", n)
	}
	diffGauges(t, gauges(t, rec), jobsScenarioWant())
	if len(rec.Events) != 4 {
		t.Errorf("got %d events, want 4", len(rec.Events))
	}
}

// A changefeed whose lag was sent and that stops running (canceled,
// failed, or gone from the table) gets one last 0, then no series: a
// monitor on its lag recovers instead of alerting forever.
func TestJobsChangefeedGone(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "jobs_feed_gone", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql")
	j := newJobs(t, checks.JobsOptions{Now: jtClock("2026-01-10T12:00:00Z")})
	lag := func(id string) string { return series("changefeed.high_water_lag", "job_id:"+id) }
	feeds := func(g map[string]float64) map[string]float64 {
		out := map[string]float64{}
		for k, v := range g {
			if strings.HasPrefix(k, "changefeed.high_water_lag|") {
				out[k] = v
			}
		}
		return out
	}
	rec, err := c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, feeds(gauges(t, rec)), map[string]float64{lag("1007"): 30, lag("1008"): 7200})

	// 1007 is canceled, 1008 is removed from the retained jobs.
	c.exec(t, `UPDATE crdb_internal.jobs SET status = 'canceled', finished = '2026-01-10 11:59:59+00' WHERE job_id = 1007;
		DELETE FROM crdb_internal.jobs WHERE job_id = 1008`)
	rec, err = c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, feeds(gauges(t, rec)), map[string]float64{lag("1007"): 0, lag("1008"): 0})

	// Then they are forgotten.
	rec, err = c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, feeds(gauges(t, rec)), map[string]float64{})

	// A read that fails does not zero the feeds that are still running.
	c.exec(t, `INSERT INTO crdb_internal.jobs (job_id, job_type, description, status, created, high_water_timestamp)
		VALUES (1030, 'CHANGEFEED', 'CREATE CHANGEFEED FOR TABLE t', 'running', '2026-01-10 11:00:00+00', 1768046340000000000)`)
	if _, err := c.runCataloged(t, j); err != nil {
		t.Fatal(err)
	}
	c.exec(t, `ALTER TABLE crdb_internal.jobs RENAME TO jobs_away`)
	rec, err = c.runCataloged(t, j)
	if err == nil {
		t.Fatal("Run without crdb_internal.jobs returned nil")
	}
	diffGauges(t, feeds(gauges(t, rec)), map[string]float64{})
	c.exec(t, `ALTER TABLE crdb_internal.jobs_away RENAME TO jobs`)
	rec, err = c.runCataloged(t, j)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, feeds(gauges(t, rec)), map[string]float64{lag("1030"): 60})
}

// Failures of the excluded types send no event but are counted.
func TestJobsEventExcludeTypes(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "jobs_exclude", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql")
	c.exec(t, `INSERT INTO crdb_internal.jobs (job_id, job_type, description, status, created, finished, error) VALUES
		(1040, 'AUTO CREATE STATS', 'Table statistics refresh for shop.public.tmp', 'failed', '2026-01-10 11:50:00+00', '2026-01-10 11:51:00+00', 'relation "tmp" does not exist'),
		(1041, 'ROW LEVEL TTL', 'ttl for shop.public.events', 'failed', '2026-01-10 11:52:00+00', '2026-01-10 11:53:00+00', 'context deadline exceeded'),
		(1042, 'AUTO CREATE PARTIAL STATS', 'Table statistics refresh for shop.public.orders', 'failed', '2026-01-10 11:54:00+00', '2026-01-10 11:55:00+00', 'x')`)
	titles := func(evs []checks.Event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Title)
		}
		return out
	}
	scenario := []string{
		"Job 1010 (CHANGEFEED) failed",
		"Job 1012 (SCHEMA CHANGE) failed to revert (revert-failed: needs manual cleanup)",
		"Job 1002 (IMPORT) failed",
		"Job 1006 (BACKUP) failed",
	}
	for _, tc := range []struct {
		name    string
		exclude []string
		want    []string
	}{
		{"default", nil, scenario},
		{"nothing excluded", []string{}, append(append([]string(nil), scenario...),
			"Job 1040 (AUTO CREATE STATS) failed", "Job 1041 (ROW LEVEL TTL) failed", "Job 1042 (AUTO CREATE PARTIAL STATS) failed")},
		{"as tags spell them", []string{"import", "auto_create_stats"}, []string{
			"Job 1010 (CHANGEFEED) failed",
			"Job 1012 (SCHEMA CHANGE) failed to revert (revert-failed: needs manual cleanup)",
			"Job 1006 (BACKUP) failed",
			"Job 1041 (ROW LEVEL TTL) failed", "Job 1042 (AUTO CREATE PARTIAL STATS) failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newJobs(t, checks.JobsOptions{Now: jtClock("2026-01-10T12:00:00Z"), EventExcludeTypes: tc.exclude})
			rec, err := c.runCataloged(t, j)
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(rec.Events); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			g := gauges(t, rec)
			for k, want := range map[string]float64{
				jf("auto_create_stats"):                   1,
				jf("row_level_ttl"):                       1,
				jf("auto_create_partial_stats"):           1,
				jc("auto_create_stats", "failed"):         1,
				jc("row_level_ttl", "failed"):             1,
				jc("auto_create_partial_stats", "failed"): 1,
			} {
				if g[k] != want {
					t.Errorf("%s = %g, want %g", k, g[k], want)
				}
			}
			// Excluded failures are not announced later either.
			rec, err = c.runCataloged(t, j)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Events) != 0 {
				t.Errorf("second cycle sent %v", titles(rec.Events))
			}
		})
	}
	if _, err := checks.NewJobs(checks.JobsOptions{EventExcludeTypes: []string{" "}}); err == nil {
		t.Error("an empty job type was accepted")
	}
}

// Before v23.1 a non-admin user does not see the jobs of root and node:
// sql.can_query is WARNING with the explanation and the GRANT, the check
// still reports what it sees. is_admin() is asked once an hour.
func TestJobsNotAdminBeforeV23_1(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "jobs_not_admin", nil, "crdb_v20.2.sql", "crdb_v20.2_jobs.sql")
	target, role := jtUserTarget(t, c, `GRANT USAGE ON SCHEMA crdb_internal TO %[1]s;
		GRANT SELECT ON crdb_internal.jobs, crdb_internal.node_build_info TO %[1]s`)
	c.exec(t, `INSERT INTO crdb_internal.jobs (job_id, job_type, description, status, created, finished, error)
		VALUES (1, 'IMPORT', 'IMPORT INTO t', 'failed', '2026-01-10 11:50:00', '2026-01-10 11:51:00', 'bad row')`)
	clock := newTestClock(time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
	j := newJobs(t, checks.JobsOptions{Now: clock.Now})
	run := func() *sinktest.Recorder {
		t.Helper()
		rec, err := runCheck(t, j, target)
		checkCatalog(t, rec, "jobs")
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	rec := run()
	sc := canQuery(t, rec, "jobs")
	if sc.Status != checks.Warning || !strings.Contains(sc.Message, `SQL user "`+role+`" is not admin`) ||
		!strings.Contains(sc.Message, `GRANT admin TO "`+role+`"`) || !strings.Contains(sc.Message, "ROW LEVEL TTL") {
		t.Errorf("sql.can_query = %v %q, want WARNING explaining the missing admin role", sc.Status, sc.Message)
	}
	if g := gauges(t, rec); g[jf("import")] != 1 || g[jc("import", "failed")] != 1 {
		t.Errorf("the check stopped reporting: %v", g)
	}

	// A failed query is still CRITICAL, whatever the warning.
	c.exec(t, `ALTER TABLE crdb_internal.jobs RENAME TO jobs_away`)
	rec, err := runCheck(t, j, target)
	if err == nil {
		t.Error("Run without crdb_internal.jobs returned nil")
	}
	if sc := canQuery(t, rec, "jobs"); sc.Status != checks.Critical {
		t.Errorf("sql.can_query with a failed query = %v %q, want CRITICAL", sc.Status, sc.Message)
	}
	c.exec(t, `ALTER TABLE crdb_internal.jobs_away RENAME TO jobs`)

	// Made admin: still WARNING until the hourly re-check, then OK.
	c.srv.Exec(t, "postgres", "ALTER ROLE "+role+" SUPERUSER")
	clock.Add(30 * time.Minute)
	if sc := canQuery(t, run(), "jobs"); sc.Status != checks.Warning {
		t.Errorf("sql.can_query within the hour = %v, want the cached WARNING", sc.Status)
	}
	clock.Add(31 * time.Minute)
	if sc := canQuery(t, run(), "jobs"); sc.Status != checks.OK {
		t.Errorf("sql.can_query after the re-check = %v %q, want OK", sc.Status, sc.Message)
	}
	if n := strings.Count(c.logs.String(), "is not admin"); n != 1 {
		t.Errorf("the warning was logged %d times, want once", n)
	}

	// v23.1 and later: VIEWJOB shows every job, is_admin() is not asked.
	c23 := newSQLCluster(t, "jobs_admin_v23", nil, "crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql")
	c23.exec(t, `DROP FUNCTION crdb_internal.is_admin()`)
	rec, err = c23.runCataloged(t, newJobs(t, checks.JobsOptions{Now: jtClock("2026-01-10T12:00:00Z")}))
	if err != nil {
		t.Fatal(err)
	}
	if sc := canQuery(t, rec, "jobs"); sc.Status != checks.OK {
		t.Errorf("v23.2 sql.can_query = %v %q", sc.Status, sc.Message)
	}
	if strings.Contains(c23.logs.String(), "is_admin") {
		t.Errorf("is_admin() asked on v23.2:\n%s", c23.logs)
	}
}
