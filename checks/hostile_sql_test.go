package checks_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// nullRowSQL lets every column of table (schema.name) hold NULL and adds a
// row of NULLs: what a newer version, a view or a bug could return.
func nullRowSQL(table string) string {
	schema, name, _ := strings.Cut(table, ".")
	return fmt.Sprintf(`DO $do$ DECLARE c record; BEGIN
  FOR c IN SELECT column_name FROM information_schema.columns WHERE table_schema = '%[1]s' AND table_name = '%[2]s' LOOP
    EXECUTE format('ALTER TABLE %%I.%%I ALTER COLUMN %%I DROP NOT NULL', '%[1]s', '%[2]s', c.column_name);
  END LOOP;
END $do$;
INSERT INTO %[1]s.%[2]s DEFAULT VALUES;`, schema, name)
}

// huge is a 1 MB text.
const hugeSQL = `repeat('x', 1048576)`

// hostileCase is one hostile SQL result for one check: mutate runs on the
// emulated cluster before the cycle.
type hostileCase struct {
	name   string
	files  []string
	mutate string
	check  func(t *testing.T) checks.Check
	// want: substrings of the cycle's failure report (Run's error and the
	// CRITICAL sql.can_query messages); nil means handled, no failure.
	want []string
	// then: further expectations on what was sent.
	then func(t *testing.T, rec *sinktest.Recorder)
	// custom: what is sent is the user's, not in the catalog.
	custom bool
}

// failureText is everything a cycle said about failing.
func failureText(rec *sinktest.Recorder, err error) string {
	var parts []string
	if err != nil {
		parts = append(parts, "error: "+err.Error())
	}
	for _, p := range rec.Points {
		if p.Kind == checks.KindServiceCheck && p.Name == "sql.can_query" && p.Status == checks.Critical {
			parts = append(parts, "sql.can_query: "+p.Message)
		}
	}
	return strings.Join(parts, "\n")
}

// runHostile runs the cases: a cycle never panics, says what failed
// naming the check, and keeps every message it sends bounded and valid.
func runHostile(t *testing.T, cases []hostileCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newSQLCluster(t, "hostile", nil, tc.files...)
			if tc.mutate != "" {
				c.exec(t, tc.mutate)
			}
			ch := tc.check(t)
			var (
				rec *sinktest.Recorder
				err error
			)
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("%s panicked: %v", ch.Name(), p)
					}
				}()
				if tc.custom {
					rec, err = c.run(t, ch)
				} else {
					rec, err = c.runCataloged(t, ch)
				}
			}()
			text := failureText(rec, err)
			if tc.want == nil && text != "" {
				t.Errorf("want the result handled, got %.2000s", text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("failure report lacks %q:\n%.2000s", w, text)
				}
			}
			if tc.want != nil {
				if !strings.Contains(text, ch.Name()) {
					t.Errorf("failure report does not name the check %q:\n%.2000s", ch.Name(), text)
				}
			}
			for _, p := range rec.Points {
				if len(p.Message) > 4096 || !utf8.ValidString(p.Message) {
					t.Errorf("%s message: %d bytes, valid UTF-8 %v: want at most 4 KiB of valid text", p.Name, len(p.Message), utf8.ValidString(p.Message))
				}
				for _, tag := range p.Tags {
					if len(tag) > 200 || !utf8.ValidString(tag) || strings.ContainsAny(tag, " ,|\n") {
						t.Errorf("%s tag %.100q is not a bounded, valid Datadog tag", p.Name, tag)
					}
				}
			}
			for _, e := range rec.Events {
				if len(e.Text) > 4000 || len(e.Title) > 100 || !utf8.ValidString(e.Text) {
					t.Errorf("event %.100q: title %d bytes, text %d bytes: over Datadog's limits or invalid", e.Title, len(e.Title), len(e.Text))
				}
			}
			if tc.then != nil {
				tc.then(t, rec)
			}
		})
	}
}

var livenessFiles = []string{"crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql"}

func newLivenessCheck(t *testing.T) checks.Check {
	c, err := checks.NewLiveness(checks.LivenessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHostileLiveness: crdb_internal.kv_node_liveness as no supported
// version returns it.
func TestHostileLiveness(t *testing.T) {
	t.Parallel()
	runHostile(t, []hostileCase{
		{name: "null in every column", files: livenessFiles, mutate: nullRowSQL("crdb_internal.kv_node_liveness"),
			check: newLivenessCheck, want: []string{"kv_node_liveness", "node_id"}},
		{name: "unexpected type", files: livenessFiles,
			mutate: `ALTER TABLE crdb_internal.kv_node_liveness ALTER COLUMN draining TYPE text USING draining::text;
				UPDATE crdb_internal.kv_node_liveness SET draining = 'maybe' WHERE node_id = 2`,
			check: newLivenessCheck, want: []string{"kv_node_liveness", "draining"}},
		{name: "missing column", files: livenessFiles,
			mutate: `ALTER TABLE crdb_internal.kv_node_liveness DROP COLUMN membership`,
			check:  newLivenessCheck, want: []string{"kv_node_liveness", "membership"}},
		{name: "enormous text", files: livenessFiles,
			mutate: `UPDATE crdb_internal.kv_node_liveness SET expiration = ` + hugeSQL + ` WHERE node_id = 3`,
			check:  newLivenessCheck, want: []string{"kv_node_liveness", "node 3", "expiration"}},
		{name: "enormous server error", files: livenessFiles,
			mutate: `ALTER TABLE crdb_internal.kv_node_liveness RENAME TO kv_node_liveness_old;
				CREATE FUNCTION crdb_internal.huge_error() RETURNS SETOF crdb_internal.kv_node_liveness_old LANGUAGE plpgsql AS
				$f$ BEGIN RAISE EXCEPTION '%', 'no: ' || ` + hugeSQL + `; END $f$;
				CREATE VIEW crdb_internal.kv_node_liveness AS SELECT * FROM crdb_internal.huge_error()`,
			check: newLivenessCheck, want: []string{"kv_node_liveness", "no: xxx"}},
		{name: "unicode membership", files: livenessFiles,
			mutate: `UPDATE crdb_internal.kv_node_liveness SET membership = 'décommissionné ✓' WHERE node_id = 4`,
			check:  newLivenessCheck, want: nil},
	})
}

var jobsFiles = []string{"crdb_v23.2.sql", "crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql"}

func newJobsCheck(t *testing.T) checks.Check {
	c, err := checks.NewJobs(checks.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHostileJobs: crdb_internal.jobs rows no supported version returns.
func TestHostileJobs(t *testing.T) {
	t.Parallel()
	runHostile(t, []hostileCase{
		// A row without a status is no job in any state: not counted.
		{name: "null in every column", files: jobsFiles, mutate: nullRowSQL("crdb_internal.jobs"),
			check: newJobsCheck, want: nil},
		{name: "unexpected type", files: jobsFiles,
			mutate: `ALTER TABLE crdb_internal.jobs ALTER COLUMN high_water_timestamp TYPE text USING high_water_timestamp::text;
				UPDATE crdb_internal.jobs SET high_water_timestamp = 'soon' WHERE job_type = 'CHANGEFEED'`,
			check: newJobsCheck, want: nil}, // no lag for that changefeed (logged), the rest sent
		{name: "missing column", files: jobsFiles,
			mutate: `ALTER TABLE crdb_internal.jobs DROP COLUMN error`,
			check:  newJobsCheck, want: []string{"error"}},
		{name: "enormous error text, unicode type", files: jobsFiles,
			mutate: `INSERT INTO crdb_internal.jobs (job_id, job_type, description, status, created, finished, modified, error)
				VALUES (424242, 'IMPORT ✈ 東京', 'import ' || ` + hugeSQL + `, 'failed', now(), now(), now(), 'boom: ' || ` + hugeSQL + `)`,
			check: newJobsCheck, want: nil, then: func(t *testing.T, rec *sinktest.Recorder) {
				if len(rec.Events) != 1 || !strings.Contains(rec.Events[0].Text, "boom: xxx") {
					t.Errorf("want one failure event carrying the start of the error, got %d", len(rec.Events))
				}
				if len(rec.Find("jobs.failed", "job_type:import_____")) != 1 {
					t.Errorf("the unicode job type is not counted under its sanitized tag")
				}
			}},
	})
}

// customCheck builds a custom_queries check of queries given as
// name, query, then "column:type" pairs.
func customCheck(queries ...[]string) func(t *testing.T) checks.Check {
	return func(t *testing.T) checks.Check {
		var qs []checks.CustomQuery
		for _, q := range queries {
			cq := checks.CustomQuery{Name: q[0], MetricPrefix: "app", Query: q[1]}
			for _, c := range q[2:] {
				name, typ, _ := strings.Cut(c, ":")
				cq.Columns = append(cq.Columns, checks.CustomQueryColumn{Name: name, Type: typ})
			}
			qs = append(qs, cq)
		}
		c, err := checks.NewCustomQueries(checks.CustomQueriesOptions{Queries: qs})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// healthy is a query that always works, beside the hostile one: it must
// still be sent.
var healthy = []string{"healthy", "SELECT 7", "seven:gauge"}

func sentHealthy(t *testing.T, rec *sinktest.Recorder) {
	t.Helper()
	if got := rec.Find("app.seven"); len(got) != 1 || got[0].Value != 7 {
		t.Errorf("the healthy query beside the hostile one: app.seven = %+v, want 7", got)
	}
}

// TestHostileCustomQueries: results a user's query can return that do not
// fit its columns.
func TestHostileCustomQueries(t *testing.T) {
	t.Parallel()
	const raise = `CREATE FUNCTION huge_error() RETURNS int LANGUAGE plpgsql AS
		$f$ BEGIN RAISE EXCEPTION '%', 'no: ' || ` + hugeSQL + `; END $f$`
	runHostile(t, []hostileCase{
		{name: "null in every column", custom: true, check: customCheck(healthy,
			[]string{"nulls", "SELECT NULL::int, NULL::text", "v:gauge", "k:tag"}),
			want: nil, then: func(t *testing.T, rec *sinktest.Recorder) {
				sentHealthy(t, rec) // NULL is no value, as in the Agent: skipped
				if got := rec.Find("app.v"); len(got) != 0 {
					t.Errorf("a NULL was sent: %+v", got)
				}
			}},
		{name: "unexpected type", custom: true, check: customCheck(healthy,
			[]string{"texty", "SELECT 'abc'::text, 'k'", "v:gauge", "k:tag"}),
			want: []string{"texty", "column 1 (v)", "abc"}, then: sentHealthy},
		{name: "missing column", custom: true, check: customCheck(healthy,
			[]string{"short", "SELECT 1", "v:gauge", "k:tag"}),
			want: []string{"short", "returns 1 columns but columns lists 2"}, then: sentHealthy},
		{name: "enormous server error", mutate: raise, custom: true, check: customCheck(healthy,
			[]string{"raiser", "SELECT huge_error()", "v:gauge"}),
			want: []string{"raiser", "no: xxx"}, then: sentHealthy},
		{name: "unicode tag values", custom: true, check: customCheck(healthy,
			[]string{"unicode", "SELECT 'Zürich 東京 🚀, ok|yes', 3", "city:tag", "n:gauge"}),
			want: nil, then: func(t *testing.T, rec *sinktest.Recorder) {
				sentHealthy(t, rec)
				if got := rec.Find("app.n", "city:z_rich_______ok_yes"); len(got) != 1 || got[0].Value != 3 {
					t.Errorf("app.n = %+v", got)
				}
			}},
	})
}

func newTTLCheck(t *testing.T) checks.Check { return newTTL(t, checks.TTLOptions{}) }

func newSchemaCheck(t *testing.T) checks.Check {
	c, err := checks.NewSchema(checks.SchemaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var schemaFiles = []string{"crdb_v23.2.sql", "crdb_v23.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v23.2.sql"}

// unicodeShop adds a table with a unicode name, and a foreign key
// without an index, to the shop schema.
const unicodeShop = `CREATE SCHEMA "магазин ✓";
	CREATE TABLE "магазин ✓"."Bestellungen, ""groß"" 東京 🚀" (id bigint PRIMARY KEY,
		customer_id uuid REFERENCES customers (id));`

// TestHostileTTLAndSchema: catalog rows no supported version returns,
// and names from any alphabet.
func TestHostileTTLAndSchema(t *testing.T) {
	t.Parallel()
	runHostile(t, []hostileCase{
		{name: "ttl: null in every column", files: ttlScenarioFiles, mutate: nullRowSQL("crdb_internal.create_statements"),
			check: newTTLCheck, want: nil},
		{name: "ttl: enormous create statement, unicode names", files: ttlScenarioFiles,
			mutate: `INSERT INTO crdb_internal.create_statements (database_id, database_name, schema_name, descriptor_id, descriptor_type,
					descriptor_name, create_statement, state, create_nofks, alter_statements, validate_statements, create_redactable)
				VALUES (300, 'bütçe 東京', 'öffentlich', 310, 'table', 'Sitzungen 🚀',
					'CREATE TABLE x (a INT8) WITH (ttl = ''on'', ttl_expire_after = ''1 day'', ttl_job_cron = ''@daily'') -- ' || ` + hugeSQL + `,
					'PUBLIC', '', '{}', '{}', '')`,
			check: newTTLCheck, want: nil},
		{name: "ttl: missing column", files: ttlScenarioFiles,
			mutate: `ALTER TABLE crdb_internal.create_statements DROP COLUMN create_statement`,
			check:  newTTLCheck, want: []string{"create_statement"}},
		{name: "schema: unicode names", files: schemaFiles, mutate: unicodeShop,
			check: newSchemaCheck, want: nil, then: func(t *testing.T, rec *sinktest.Recorder) {
				found := false
				for _, e := range rec.Events {
					if strings.Contains(e.Title, "Foreign key without index") && strings.Contains(e.Title, "東京") {
						found = true
					}
				}
				if !found {
					t.Errorf("no foreign-key event for the unicode table")
				}
			}},
	})
}

var rangesV20Files = []string{"crdb_v20.2.sql", "crdb_v20.2_ranges.sql", "scenario_v20.2_reports.sql"}

func newRangesCheck(t *testing.T) checks.Check {
	c, err := checks.NewRanges(checks.RangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHostileRanges: replication report rows (v22.2 and older) no
// supported version returns.
func TestHostileRanges(t *testing.T) {
	t.Parallel()
	runHostile(t, []hostileCase{
		{name: "null in every column", files: rangesV20Files,
			mutate: `ALTER TABLE system.replication_stats DROP CONSTRAINT replication_stats_pkey;` + nullRowSQL("system.replication_stats"),
			check:  newRangesCheck, want: nil}, // summed: NULL adds nothing
		{name: "unexpected type", files: rangesV20Files,
			mutate: `ALTER TABLE system.replication_constraint_stats ALTER COLUMN violating_ranges TYPE text USING violating_ranges::text;
				UPDATE system.replication_constraint_stats SET violating_ranges = 'many'`,
			check: newRangesCheck, want: []string{"replication_constraint_stats", "violating_ranges"}},
		{name: "missing column", files: rangesV20Files,
			mutate: `ALTER TABLE system.replication_critical_localities DROP COLUMN at_risk_ranges`,
			check:  newRangesCheck, want: []string{"replication_critical_localities", "at_risk_ranges"}},
		{name: "enormous and unicode values", files: rangesV20Files,
			mutate: `ALTER TABLE system.replication_constraint_stats DROP CONSTRAINT replication_constraint_stats_pkey;
				UPDATE system.replication_constraint_stats SET config = '+region=東京 🚀 ' || ` + hugeSQL + `;
				UPDATE crdb_internal.zones SET target = 'TABLE "bütçe"."Straße, 東京"'`,
			check: newRangesCheck, want: nil},
	})
}
