package checks_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
)

func newContention(t *testing.T, o checks.ContentionOptions) *checks.Contention {
	t.Helper()
	c, err := checks.NewContention(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// contentionCounts returns every count recorded as series → value.
func contentionCounts(rec *sinktest.Recorder) map[string]float64 {
	out := map[string]float64{}
	for _, p := range rec.Points {
		if p.Kind == checks.KindCount {
			out[p.Key()] += p.Value
		}
	}
	return out
}

func contentionSeries(name, db, table, index string) string {
	return series(name, checks.Tag("database", db), checks.Tag("table", table), checks.Tag("index", index))
}

// TestContentionV23: the first run learns the baselines, the next sends the
// increases and the time waited since, for the top N indexes only; an index
// that leaves the top N gets one 0.
func TestContentionV23(t *testing.T) {
	c := newSQLCluster(t, "contention_v23", nil, "crdb_v23.2.sql", "crdb_v23.2_contention.sql")
	c.exec(t, `INSERT INTO crdb_internal.cluster_contended_indexes VALUES
		('shop', 'public', 'orders', 'orders_pkey', 100),
		('shop', 'public', 'orders', 'orders_created_at_idx', 40),
		('shop', 'public', 'customers', 'customers_pkey', 7),
		('shop', 'public', E'evil\ntable,x', E'idx:1 |#', 3);
	INSERT INTO crdb_internal.transaction_contention_events
		(collection_ts, blocking_txn_id, blocking_txn_fingerprint_id, waiting_txn_id, waiting_txn_fingerprint_id, contention_duration,
		 contending_key, contending_pretty_key, waiting_stmt_id, waiting_stmt_fingerprint_id, database_name, schema_name, table_name, index_name, contention_type)
	SELECT '2026-11-22 03:00:00+00'::timestamptz, gen_random_uuid(), '\x01', gen_random_uuid(), '\x02', interval '2 seconds',
		'\x', '', 'stmt', '\x03', 'shop', 'public', 'orders', 'orders_pkey', 'LOCK_WAIT'
	FROM generate_series(1, 3);`)
	clock := newTestClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	ct := newContention(t, checks.ContentionOptions{TopN: 2, Now: clock.Now})

	rec, err := c.runCataloged(t, ct)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Points) != 1 || canQuery(t, rec, "contention").Status != checks.OK {
		t.Fatalf("first run sent more than sql.can_query OK:\n%s", rec)
	}

	// orders_pkey +50, created_at +5, customers reset (node restart: 2 <
	// 7), the hostile index +30, a new index with 9 (all new).
	c.exec(t, `UPDATE crdb_internal.cluster_contended_indexes SET num_contention_events = CASE index_name
			WHEN 'orders_pkey' THEN 150 WHEN 'orders_created_at_idx' THEN 45 WHEN 'customers_pkey' THEN 2 ELSE 33 END;
		INSERT INTO crdb_internal.cluster_contended_indexes VALUES ('shop', 'public', 'order_items', 'order_items_pkey', 9);
		INSERT INTO crdb_internal.transaction_contention_events
			(collection_ts, blocking_txn_id, blocking_txn_fingerprint_id, waiting_txn_id, waiting_txn_fingerprint_id, contention_duration,
			 contending_key, contending_pretty_key, waiting_stmt_id, waiting_stmt_fingerprint_id, database_name, schema_name, table_name, index_name, contention_type)
		VALUES
			('2026-11-22 03:00:30+00', gen_random_uuid(), '\x01', gen_random_uuid(), '\x02', interval '1.5 seconds', '\x', '', 's', '\x03', 'shop', 'public', 'orders', 'orders_pkey', 'LOCK_WAIT'),
			('2026-11-22 03:00:40+00', gen_random_uuid(), '\x01', gen_random_uuid(), '\x02', interval '0.25 seconds', '\x', '', 's', '\x03', 'shop', 'public', 'orders', 'orders_pkey', 'LOCK_WAIT'),
			('2026-11-22 03:00:40+00', gen_random_uuid(), '\x01', gen_random_uuid(), '\x02', interval '3 seconds', '\x', '', 's', '\x03', 'shop', 'public', 'customers', 'customers_pkey', 'LOCK_WAIT'),
			('2026-11-22 03:00:50+00', gen_random_uuid(), '\x01', gen_random_uuid(), '\x02', interval '0.5 seconds', '\x', '', 's', '\x03', 'shop', 'public', 'order_items', 'order_items_pkey', 'LOCK_WAIT');`)
	clock.Add(time.Minute)
	rec, err = c.runCataloged(t, ct)
	if err != nil {
		t.Fatal(err)
	}
	counts := contentionCounts(rec)
	wantCounts := map[string]float64{
		contentionSeries("contention.events", "shop", "public.orders", "orders_pkey"):     50,
		contentionSeries("contention.events", "shop", "public.evil\ntable,x", "idx:1 |#"): 30,
	}
	diffGauges(t, counts, wantCounts)
	diffGauges(t, gauges(t, rec), map[string]float64{
		// Only the events collected after the first run's watermark.
		contentionSeries("contention.wait_time", "shop", "public.customers", "customers_pkey"): 3,
		contentionSeries("contention.wait_time", "shop", "public.orders", "orders_pkey"):       1.75,
	})
	for _, p := range rec.Points {
		for _, tag := range p.Tags {
			if strings.ContainsAny(tag, "\n,|# ") {
				t.Errorf("%s: unsafe tag %q", p.Name, tag)
			}
		}
	}

	// Nothing new: the wait series get one 0, then stop; no counts.
	clock.Add(time.Minute)
	rec, err = c.runCataloged(t, ct)
	if err != nil {
		t.Fatal(err)
	}
	if n := contentionCounts(rec); len(n) != 0 {
		t.Errorf("counts with no new event: %v", n)
	}
	diffGauges(t, gauges(t, rec), map[string]float64{
		contentionSeries("contention.wait_time", "shop", "public.customers", "customers_pkey"): 0,
		contentionSeries("contention.wait_time", "shop", "public.orders", "orders_pkey"):       0,
	})
	rec, err = c.run(t, ct)
	if err != nil {
		t.Fatal(err)
	}
	if g := gauges(t, rec); len(g) != 0 {
		t.Errorf("gauges after the zero: %v", g)
	}
}

// TestContentionTopNBounded: 10,000 contended indexes, each with more events
// than before; only the top N are sent, the ones with the most.
func TestContentionTopNBounded(t *testing.T) {
	c := newSQLCluster(t, "contention_many", nil, "crdb_v23.2.sql", "crdb_v23.2_contention.sql")
	c.exec(t, `INSERT INTO crdb_internal.cluster_contended_indexes
		SELECT 'db', 'public', 't' || i, 'pk', 1 FROM generate_series(1, 10000) AS g(i)`)
	ct := newContention(t, checks.ContentionOptions{})
	if _, err := c.run(t, ct); err != nil {
		t.Fatal(err)
	}
	c.exec(t, `UPDATE crdb_internal.cluster_contended_indexes SET num_contention_events = 1 + substr(table_name, 2)::INT8;
		INSERT INTO crdb_internal.transaction_contention_events
			(collection_ts, blocking_txn_id, blocking_txn_fingerprint_id, waiting_txn_id, waiting_txn_fingerprint_id, contention_duration,
			 contending_key, contending_pretty_key, waiting_stmt_id, waiting_stmt_fingerprint_id, database_name, schema_name, table_name, index_name, contention_type)
		SELECT '2026-11-22 03:00:00+00', gen_random_uuid(), '\x01', gen_random_uuid(), '\x02', i * interval '1 millisecond',
			'\x', '', 's', '\x03', 'db', 'public', 't' || i, 'pk', 'LOCK_WAIT'
		FROM generate_series(1, 10000) AS g(i)`)
	rec, err := c.run(t, ct)
	if err != nil {
		t.Fatal(err)
	}
	counts := contentionCounts(rec)
	cost := 0
	for _, m := range checks.Catalog() {
		if m.Name == "contention.events" {
			cost = m.PerNode
		}
	}
	if len(counts) != cost {
		t.Errorf("%d count series at the default top N, the catalog says %d", len(counts), cost)
	}
	want := map[string]float64{}
	for i := 9991; i <= 10000; i++ {
		want[contentionSeries("contention.events", "db", "public.t"+strconv.Itoa(i), "pk")] = float64(i)
	}
	diffGauges(t, counts, want)
	wantWait := map[string]float64{}
	for i := 9991; i <= 10000; i++ {
		wantWait[contentionSeries("contention.wait_time", "db", "public.t"+strconv.Itoa(i), "pk")] = float64(i) / 1000
	}
	diffGauges(t, gauges(t, rec), wantWait)
}

// TestContentionV20: v20.2 has no contention views (42P01, as its
// crdb_internal listing shows): nothing sent, no failure, logged once.
func TestContentionV20(t *testing.T) {
	c := newSQLCluster(t, "contention_v20", nil, "crdb_v20.2.sql")
	ct := newContention(t, checks.ContentionOptions{})
	for i := 0; i < 2; i++ {
		rec, err := c.runCataloged(t, ct)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if q := canQuery(t, rec, "contention"); q.Status != checks.OK || len(rec.Points) != 1 {
			t.Errorf("run %d: %s %q\n%s", i, q.Status, q.Message, rec)
		}
	}
	if n := strings.Count(c.logs.String(), "cluster_contended_indexes does not exist"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, c.logs)
	}
}

// TestContentionWithoutNames: a transaction_contention_events without table
// and index names (older versions): the counts go on, the wait time is
// skipped and logged once.
func TestContentionWithoutNames(t *testing.T) {
	c := newSQLCluster(t, "contention_nonames", nil, "crdb_v23.2.sql", "crdb_v23.2_contention.sql")
	c.exec(t, `ALTER TABLE crdb_internal.transaction_contention_events DROP COLUMN database_name, DROP COLUMN schema_name,
		DROP COLUMN table_name, DROP COLUMN index_name;
		INSERT INTO crdb_internal.cluster_contended_indexes VALUES ('shop', 'public', 'orders', 'orders_pkey', 1)`)
	ct := newContention(t, checks.ContentionOptions{})
	for i := 0; i < 3; i++ {
		if i == 2 {
			c.exec(t, `UPDATE crdb_internal.cluster_contended_indexes SET num_contention_events = 4`)
		}
		rec, err := c.run(t, ct)
		if err != nil {
			t.Fatal(err)
		}
		if q := canQuery(t, rec, "contention"); q.Status != checks.OK {
			t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
		}
		if i == 2 {
			diffGauges(t, contentionCounts(rec), map[string]float64{contentionSeries("contention.events", "shop", "public.orders", "orders_pkey"): 3})
		}
	}
	if n := strings.Count(c.logs.String(), "wait time not reported"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, c.logs)
	}
}

// TestContentionDenied: a user without VIEWACTIVITY gets CockroachDB's
// 42501; the error and sql.can_query name the grant.
func TestContentionDenied(t *testing.T) {
	c := newSQLCluster(t, "contention_denied", nil, "crdb_v23.2.sql", "crdb_v23.2_contention.sql")
	// CockroachDB's refusal, raised whenever the view is read.
	c.exec(t, `DROP TABLE crdb_internal.cluster_contended_indexes;
		CREATE FUNCTION crdb_internal.deny_viewactivity() RETURNS TABLE (database_name text, schema_name text, table_name text, index_name text, num_contention_events bigint)
		LANGUAGE plpgsql AS $$ BEGIN
			RAISE EXCEPTION 'user roachdog does not have VIEWACTIVITY or VIEWACTIVITYREDACTED privilege' USING ERRCODE = '42501';
		END $$;
		CREATE VIEW crdb_internal.cluster_contended_indexes AS SELECT * FROM crdb_internal.deny_viewactivity();
		DROP TABLE crdb_internal.transaction_contention_events;
		CREATE VIEW crdb_internal.transaction_contention_events AS
			SELECT now() AS collection_ts, interval '0' AS contention_duration, d.* FROM crdb_internal.deny_viewactivity() AS d;`)
	ct := newContention(t, checks.ContentionOptions{})
	rec, err := c.run(t, ct)
	if err == nil {
		t.Fatal("Run succeeded without the privilege")
	}
	var ae *cluster.AccessError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "needs the VIEWACTIVITY or VIEWACTIVITYREDACTED system privilege (GRANT SYSTEM VIEWACTIVITY TO \"postgres\"") {
		t.Errorf("Run = %v", err)
	}
	q := canQuery(t, rec, "contention")
	if q.Status != checks.Critical || !strings.Contains(q.Message, "GRANT SYSTEM VIEWACTIVITY") || !strings.Contains(q.Message, "does not have VIEWACTIVITY") {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}
}

func TestContentionOptions(t *testing.T) {
	for _, n := range []int{-1, checks.ContentionMaxTopN + 1} {
		if _, err := checks.NewContention(checks.ContentionOptions{TopN: n}); err == nil {
			t.Errorf("TopN %d accepted", n)
		}
	}
	ct := newContention(t, checks.ContentionOptions{})
	if ct.Name() != "contention" {
		t.Errorf("Name = %q", ct.Name())
	}
	rec, err := runCheck(t, ct, &checks.Target{})
	if err == nil || canQuery(t, rec, "contention").Status != checks.Critical {
		t.Errorf("Run without SQL = %v\n%s", err, rec)
	}
}
