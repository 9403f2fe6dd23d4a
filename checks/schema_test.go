package checks_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
)

func schemaNew(t *testing.T, o checks.SchemaOptions) *checks.Schema {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) }
	}
	c, err := checks.NewSchema(o)
	if err != nil {
		t.Fatalf("NewSchema: %v", err)
	}
	return c
}

func schemaGauges(db string, fk, seq map[string]int) []string {
	var out []string
	for table, n := range fk {
		out = append(out, fmt.Sprintf("gauge schema.fk_without_index database:%s,table:public.%s = %d", db, table, n))
	}
	for table, n := range seq {
		out = append(out, fmt.Sprintf("gauge schema.sequential_key_indexes database:%s,table:public.%s = %d", db, table, n))
	}
	return out
}

func schemaEventTitles(rec *sinktest.Recorder) []string {
	var out []string
	for _, e := range rec.Events {
		out = append(out, e.Title)
	}
	sort.Strings(out)
	return out
}

func TestSchemaShop(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files []string
		// Per table (public.<name>): expected gauges; nil seq means the
		// sequential-key metric is not sent at all.
		fk, seq map[string]int
		titles  []string
		// A full event text to compare exactly, by title.
		texts map[string]string
	}{
		{
			name:  "postgres",
			files: []string{"scenario_schema_shop.sql"},
			fk:    map[string]int{"orders": 1, "shipments": 1, "refunds": 1},
			titles: []string{
				"Foreign key without index on DB.public.orders (customer_id)",
				"Foreign key without index on DB.public.refunds (order_id)",
				"Foreign key without index on DB.public.shipments (order_id)",
			},
			texts: map[string]string{
				"Foreign key without index on DB.public.orders (customer_id)": "Foreign key fk_customer_id_ref_customers of DB.public.orders on (customer_id) references DB.public.customers, " +
					"and no index of DB.public.orders starts with these columns. Every DELETE of a DB.public.customers row, or UPDATE of its key, " +
					"checks DB.public.orders (ON DELETE NO ACTION) by scanning the whole table.\n\nSuggested fix:\n\n" +
					"CREATE INDEX ON DB.public.orders (customer_id);",
				"Foreign key without index on DB.public.shipments (order_id)": "Foreign key fk_order_id_ref_orders of DB.public.shipments on (order_id) references DB.public.orders, " +
					"and no index of DB.public.shipments starts with these columns. Every DELETE of a DB.public.orders row, or UPDATE of its key, " +
					"checks DB.public.shipments (ON DELETE SET NULL) by scanning the whole table.\n\nSuggested fix:\n\n" +
					"CREATE INDEX ON DB.public.shipments (order_id);",
			},
		},
		{
			name:  "v20.2",
			files: []string{"crdb_v20.2.sql", "crdb_v20.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v20.2.sql"},
			fk:    map[string]int{"orders": 1, "shipments": 1, "refunds": 1, "events": 0, "audit_log": 0},
			seq:   map[string]int{"orders": 1, "shipments": 1, "refunds": 0, "events": 1, "audit_log": 1},
			titles: []string{
				"Foreign key without index on DB.public.orders (customer_id)",
				"Foreign key without index on DB.public.refunds (order_id)",
				"Foreign key without index on DB.public.shipments (order_id)",
				"Sequential key index DB.public.audit_log@audit_log_at_idx (at)",
				"Sequential key index DB.public.events@events_pkey (id)",
				"Sequential key index DB.public.orders@orders_created_at_idx (created_at)",
				"Sequential key index DB.public.shipments@shipments_shipped_at_order_id_idx (shipped_at)",
			},
			texts: map[string]string{
				"Sequential key index DB.public.orders@orders_created_at_idx (created_at)": "Index orders_created_at_idx of DB.public.orders starts with created_at, a sequential value, and is not hash sharded: " +
					"every insert lands at the end of the same range, so one node takes all the writes (a hotspot).\n\n" +
					"Suggested fix (or key the table by a UUID with DEFAULT gen_random_uuid()):\n\n" +
					"SET experimental_enable_hash_sharded_indexes = on;\n" +
					"CREATE INDEX ON DB.public.orders (created_at) USING HASH WITH BUCKET_COUNT = 8;\n" +
					"DROP INDEX DB.public.orders@orders_created_at_idx;",
			},
		},
		{
			name:  "v23.2",
			files: []string{"crdb_v23.2.sql", "crdb_v23.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v23.2.sql"},
			fk:    map[string]int{"orders": 1, "shipments": 1, "refunds": 1, "events": 0},
			seq:   map[string]int{"orders": 1, "shipments": 1, "refunds": 0, "events": 1},
			titles: []string{
				"Foreign key without index on DB.public.orders (customer_id)",
				"Foreign key without index on DB.public.refunds (order_id)",
				"Foreign key without index on DB.public.shipments (order_id)",
				"Sequential key index DB.public.events@events_pkey (id)",
				"Sequential key index DB.public.orders@orders_created_at_idx (created_at)",
				"Sequential key index DB.public.shipments@shipments_shipped_at_order_id_idx (shipped_at)",
			},
			texts: map[string]string{
				"Sequential key index DB.public.events@events_pkey (id)": "Primary key events_pkey of DB.public.events starts with id, a sequential value, and is not hash sharded: " +
					"every insert lands at the end of the same range, so one node takes all the writes (a hotspot).\n\n" +
					"Suggested fix (or key the table by a UUID with DEFAULT gen_random_uuid()):\n\n" +
					"ALTER TABLE DB.public.events ALTER PRIMARY KEY USING COLUMNS (id) USING HASH;",
				"Sequential key index DB.public.orders@orders_created_at_idx (created_at)": "Index orders_created_at_idx of DB.public.orders starts with created_at, a sequential value, and is not hash sharded: " +
					"every insert lands at the end of the same range, so one node takes all the writes (a hotspot).\n\n" +
					"Suggested fix (or key the table by a UUID with DEFAULT gen_random_uuid()):\n\n" +
					"CREATE INDEX ON DB.public.orders (created_at) USING HASH;\n" +
					"DROP INDEX DB.public.orders@orders_created_at_idx;",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newSQLCluster(t, "schema_shop", nil, tc.files...)
			c := schemaNew(t, checks.SchemaOptions{})
			if c.Name() != "schema" {
				t.Errorf("Name() = %q", c.Name())
			}
			rec, err := e.run(t, c)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			diffMetricLines(t, metricLines(rec), schemaGauges(e.dbName, tc.fk, tc.seq))
			if sc := canQuery(t, rec, "schema"); sc.Status != checks.OK {
				t.Errorf("sql.can_query = %v %q, want OK", sc.Status, sc.Message)
			}
			var want []string
			for _, title := range tc.titles {
				want = append(want, strings.ReplaceAll(title, "DB", e.dbName))
			}
			sort.Strings(want)
			if got := schemaEventTitles(rec); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("event titles:\n got:\n  %s\n want:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			for _, ev := range rec.Events {
				if ev.AlertType != checks.WarningAlert || ev.Timestamp.IsZero() || len(ev.Tags) != 3 {
					t.Errorf("event %q: alert %q, time %v, tags %v", ev.Title, ev.AlertType, ev.Timestamp, ev.Tags)
				}
				if !strings.HasPrefix(ev.AggregationKey, "schema "+e.dbName+".public.") {
					t.Errorf("event %q: aggregation key %q", ev.Title, ev.AggregationKey)
				}
			}
			for title, text := range tc.texts {
				title = strings.ReplaceAll(title, "DB", e.dbName)
				text = strings.ReplaceAll(text, "DB", e.dbName)
				found := false
				for _, ev := range rec.Events {
					if ev.Title != title {
						continue
					}
					found = true
					if ev.Text != text {
						t.Errorf("event %q text:\n got: %q\nwant: %q", title, ev.Text, text)
					}
					kind := "fk_without_index"
					if strings.HasPrefix(title, "Sequential") {
						kind = "sequential_key_index"
					}
					table := strings.SplitN(strings.TrimPrefix(strings.Fields(title)[len(strings.Fields(title))-2], e.dbName+"."), "@", 2)[0]
					wantTags := []string{"database:" + e.dbName, "table:" + table, "problem:" + kind}
					if strings.Join(ev.Tags, ",") != strings.Join(wantTags, ",") {
						t.Errorf("event %q tags = %v, want %v", title, ev.Tags, wantTags)
					}
				}
				if !found {
					t.Errorf("no event %q", title)
				}
			}
		})
	}
}

// TestSchemaNewProblemsAndFixes follows the problems across runs: events
// only for new ones, a zero once for a fixed table, then nothing.
func TestSchemaNewProblemsAndFixes(t *testing.T) {
	t.Parallel()
	e := newSQLCluster(t, "schema_fixes", nil, "crdb_v23.2.sql", "crdb_v23.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v23.2.sql")
	c := schemaNew(t, checks.SchemaOptions{})
	first := schemaGauges(e.dbName,
		map[string]int{"orders": 1, "shipments": 1, "refunds": 1, "events": 0},
		map[string]int{"orders": 1, "shipments": 1, "refunds": 0, "events": 1})

	rec, err := e.run(t, c)
	if err != nil {
		t.Fatalf("run 1: %v", err)
	}
	diffMetricLines(t, metricLines(rec), first)
	if len(rec.Events) != 6 {
		t.Fatalf("run 1: %d events, want 6", len(rec.Events))
	}

	rec, err = e.run(t, c)
	if err != nil {
		t.Fatalf("run 2: %v", err)
	}
	diffMetricLines(t, metricLines(rec), first)
	if len(rec.Events) != 0 {
		t.Errorf("run 2: events for known problems: %v", schemaEventTitles(rec))
	}

	// Fix orders' foreign key and all of refunds; add a sequential index on
	// customers.
	e.exec(t, `CREATE INDEX orders_customer_id_idx ON orders (customer_id);
		CREATE INDEX refunds_order_id_all_idx ON refunds (order_id);
		CREATE INDEX customers_created_at_idx ON customers (created_at);`)
	rec, err = e.run(t, c)
	if err != nil {
		t.Fatalf("run 3: %v", err)
	}
	diffMetricLines(t, metricLines(rec), schemaGauges(e.dbName,
		map[string]int{"orders": 0, "shipments": 1, "refunds": 0, "events": 0, "customers": 0},
		map[string]int{"orders": 1, "shipments": 1, "refunds": 0, "events": 1, "customers": 1}))
	want := "Sequential key index " + e.dbName + ".public.customers@customers_created_at_idx (created_at)"
	if got := schemaEventTitles(rec); len(got) != 1 || got[0] != want {
		t.Errorf("run 3 events = %v, want [%s]", got, want)
	}

	// refunds was reported fixed once: no more series for it.
	rec, err = e.run(t, c)
	if err != nil {
		t.Fatalf("run 4: %v", err)
	}
	diffMetricLines(t, metricLines(rec), schemaGauges(e.dbName,
		map[string]int{"orders": 0, "shipments": 1, "events": 0, "customers": 0},
		map[string]int{"orders": 1, "shipments": 1, "events": 1, "customers": 1}))
	if len(rec.Events) != 0 {
		t.Errorf("run 4 events = %v", schemaEventTitles(rec))
	}

	// The problem comes back: it is new again.
	e.exec(t, `DROP INDEX refunds_order_id_all_idx;`)
	rec, err = e.run(t, c)
	if err != nil {
		t.Fatalf("run 5: %v", err)
	}
	want = "Foreign key without index on " + e.dbName + ".public.refunds (order_id)"
	if got := schemaEventTitles(rec); len(got) != 1 || got[0] != want {
		t.Errorf("run 5 events = %v, want [%s]", got, want)
	}
}

func TestSchemaOptions(t *testing.T) {
	t.Parallel()
	files := []string{"crdb_v20.2.sql", "crdb_v20.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v20.2.sql"}
	e := newSQLCluster(t, "schema_options", nil, files...)
	cases := []struct {
		name    string
		opts    checks.SchemaOptions
		fk, seq map[string]int
		events  []string // titles, "DB" for the database
	}{
		{
			// From table_row_statistics: events (50 rows) and audit_log (5)
			// are too small; refunds has no statistics and is reported.
			name: "min rows",
			opts: checks.SchemaOptions{MinRows: 1000},
			fk:   map[string]int{"orders": 1, "shipments": 1, "refunds": 1},
			seq:  map[string]int{"orders": 1, "shipments": 1, "refunds": 0},
		},
		{
			name: "table list",
			opts: checks.SchemaOptions{Tables: []string{"DB.public.events", "DB.public.customers", "other.public.orders"}},
			fk:   map[string]int{"events": 0},
			seq:  map[string]int{"events": 1},
		},
		{
			name: "other database only",
			opts: checks.SchemaOptions{Databases: []string{"not_this_one"}},
		},
		{
			name: "this database",
			opts: checks.SchemaOptions{Databases: []string{"DB"}, Tables: []string{"DB.public.refunds"}},
			fk:   map[string]int{"refunds": 1},
			seq:  map[string]int{"refunds": 0},
		},
		{
			name: "max events",
			opts: checks.SchemaOptions{MaxEvents: 2},
			fk:   map[string]int{"orders": 1, "shipments": 1, "refunds": 1, "events": 0, "audit_log": 0},
			seq:  map[string]int{"orders": 1, "shipments": 1, "refunds": 0, "events": 1, "audit_log": 1},
			events: []string{
				"5 more schema problems found",
				// Tables in name order, foreign keys before indexes.
				"Sequential key index DB.public.audit_log@audit_log_at_idx (at)",
				"Sequential key index DB.public.events@events_pkey (id)",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.opts.Tables {
				tc.opts.Tables[i] = strings.Replace(tc.opts.Tables[i], "DB", e.dbName, 1)
			}
			for i := range tc.opts.Databases {
				tc.opts.Databases[i] = strings.Replace(tc.opts.Databases[i], "DB", e.dbName, 1)
			}
			rec, err := e.run(t, schemaNew(t, tc.opts))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			diffMetricLines(t, metricLines(rec), schemaGauges(e.dbName, tc.fk, tc.seq))
			if sc := canQuery(t, rec, "schema"); sc.Status != checks.OK {
				t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
			}
			if tc.name == "other database only" && !strings.Contains(e.logs.String(), "configured databases not") {
				t.Error("no warning about the database that cannot be read")
			}
			if tc.name == "other database only" && !strings.Contains(e.logs.String(), "connected_database="+e.dbName) {
				t.Errorf("the connected database is not a log attribute:\n%s", e.logs)
			}
			if tc.events == nil {
				return
			}
			var want []string
			for _, title := range tc.events {
				want = append(want, strings.ReplaceAll(title, "DB", e.dbName))
			}
			sort.Strings(want)
			if got := schemaEventTitles(rec); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("events:\n got:\n  %s\n want:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			for _, ev := range rec.Events {
				if ev.Title == "5 more schema problems found" && strings.Count(ev.Text, "\n- ") != 4 {
					t.Errorf("summary event text lists %d problems, want 5:\n%s", strings.Count(ev.Text, "\n- ")+1, ev.Text)
				}
			}
		})
	}
}

// TestSchemaFailedQuery: the row estimates cannot be read; the check says
// so in sql.can_query and still reports every table (sizes unknown).
func TestSchemaFailedQuery(t *testing.T) {
	t.Parallel()
	e := newSQLCluster(t, "schema_failed", nil, "crdb_v20.2.sql", "crdb_v20.2_schema.sql", "scenario_schema_shop.sql")
	e.exec(t, "DROP TABLE crdb_internal.table_row_statistics")
	rec, err := e.run(t, schemaNew(t, checks.SchemaOptions{MinRows: 1}))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	diffMetricLines(t, metricLines(rec), schemaGauges(e.dbName,
		map[string]int{"orders": 1, "shipments": 1, "refunds": 1, "events": 0, "audit_log": 0},
		map[string]int{"orders": 1, "shipments": 1, "refunds": 0, "events": 1, "audit_log": 1}))
	sc := canQuery(t, rec, "schema")
	if sc.Status != checks.Critical || !strings.Contains(sc.Message, "database "+e.dbName+": read row estimates") ||
		!strings.Contains(sc.Message, "42P01") {
		t.Errorf("sql.can_query = %v %q, want CRITICAL naming the row estimates query", sc.Status, sc.Message)
	}
}

// TestSchemaCatalogUnreadable: the database's catalog cannot be read at all
// (a user without access to it): Run fails, CRITICAL, nothing sent.
func TestSchemaCatalogUnreadable(t *testing.T) {
	t.Parallel()
	e := newSQLCluster(t, "schema_denied", nil, "scenario_schema_shop.sql")
	// pg_attrdef is readable by anyone on PostgreSQL; revoking it from
	// PUBLIC (in this database only) and connecting as an unprivileged role
	// makes the first catalog query fail with 42501.
	role := e.dbName + "_user"
	e.exec(t, `CREATE ROLE `+role+` LOGIN PASSWORD 'pw';
		REVOKE SELECT ON pg_catalog.pg_attrdef FROM PUBLIC;`)
	t.Cleanup(func() { e.srv.Exec(t, "postgres", `DROP ROLE IF EXISTS `+role) })
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	db, err := cluster.OpenDB(ctx, e.srv.UserURL(e.dbName, role, "pw"), nil)
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	t.Cleanup(db.Close)
	e.target.SQL = db
	rec, err := e.run(t, schemaNew(t, checks.SchemaOptions{}))
	if err == nil {
		t.Fatal("Run succeeded without access to the catalog")
	}
	var access *cluster.AccessError
	if !errors.As(err, &access) {
		t.Errorf("Run error %v is not an AccessError", err)
	}
	if got := metricLines(rec); len(got) != 0 || len(rec.Events) != 0 {
		t.Errorf("sent %v and %d events", got, len(rec.Events))
	}
	sc := canQuery(t, rec, "schema")
	if sc.Status != checks.Critical || !strings.Contains(sc.Message, "database "+e.dbName+": read columns") {
		t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
	}
}

func TestSchemaNoSQL(t *testing.T) {
	t.Parallel()
	rec, err := runCheck(t, schemaNew(t, checks.SchemaOptions{}), &checks.Target{})
	if err == nil {
		t.Fatal("Run without SQL succeeded")
	}
	if sc := canQuery(t, rec, "schema"); sc.Status != checks.Critical || !strings.Contains(sc.Message, "sql_url") {
		t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
	}
}

func TestNewSchemaErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		opts checks.SchemaOptions
		want string
	}{
		{checks.SchemaOptions{MinRows: -1}, "min_rows"},
		{checks.SchemaOptions{MaxEvents: -1}, "max_events"},
		{checks.SchemaOptions{Databases: []string{"shop", ""}}, "databases[1]"},
		{checks.SchemaOptions{Tables: []string{"shop.orders"}}, `tables[0]: "shop.orders" is not database.schema.table`},
		{checks.SchemaOptions{Tables: []string{"shop..orders"}}, "tables[0]"},
	}
	for _, tc := range cases {
		_, err := checks.NewSchema(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSchema(%+v) = %v, want an error containing %q", tc.opts, err, tc.want)
		}
	}
}

func TestSchemaCatalog(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"schema.fk_without_index", "schema.sequential_key_indexes", "schema.problem"} {
		m, ok := checks.Lookup(name)
		if !ok {
			t.Errorf("%s not in the catalog", name)
			continue
		}
		if m.Check != "schema" || m.Description == "" {
			t.Errorf("%s: %+v", name, m)
		}
	}
}
