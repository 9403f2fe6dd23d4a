package checks_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
)

var cqT0 = time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)

func cqNew(t *testing.T, clock *testClock, queries ...checks.CustomQuery) *checks.CustomQueries {
	t.Helper()
	c, err := checks.NewCustomQueries(checks.CustomQueriesOptions{Queries: queries, Now: clock.Now})
	if err != nil {
		t.Fatalf("NewCustomQueries: %v", err)
	}
	return c
}

func cqCols(spec ...string) []checks.CustomQueryColumn {
	var out []checks.CustomQueryColumn
	for _, s := range spec {
		name, typ, _ := strings.Cut(s, ":")
		out = append(out, checks.CustomQueryColumn{Name: name, Type: typ})
	}
	return out
}

// TestCustomQueriesOneRun: one run of queries of every column kind against
// the shop tables; exact metrics.
func TestCustomQueriesOneRun(t *testing.T) {
	t.Parallel()
	e := newSQLCluster(t, "cq_one_run", nil, "scenario_schema_shop.sql")
	cases := []struct {
		name  string
		query checks.CustomQuery
		want  []string
	}{
		{
			name: "gauges with a tag column and query tags",
			query: checks.CustomQuery{
				MetricPrefix: "shop",
				Query:        "SELECT status, count(*), sum(amount) FROM orders GROUP BY status",
				Columns:      cqCols("status:tag", "orders:gauge", "orders.amount:gauge"),
				Tags:         []string{"team:payments"},
			},
			want: []string{
				"gauge shop.orders status:cancelled,team:payments = 1",
				"gauge shop.orders status:new,team:payments = 3",
				"gauge shop.orders status:paid,team:payments = 4",
				"gauge shop.orders status:shipped,team:payments = 2",
				"gauge shop.orders.amount status:cancelled,team:payments = 7",
				"gauge shop.orders.amount status:new,team:payments = 60.5",
				"gauge shop.orders.amount status:paid,team:payments = 1000.25",
				"gauge shop.orders.amount status:shipped,team:payments = 11",
			},
		},
		{
			// count: integers (rounded), several rows with the same tags
			// are summed by DogStatsD as the Agent sums them.
			name: "count",
			query: checks.CustomQuery{
				MetricPrefix: "shop",
				Query:        "SELECT region, amount FROM orders JOIN customers ON customers.id = orders.customer_id WHERE status = 'paid'",
				Columns:      cqCols("region:tag", "paid:count"),
			},
			want: []string{
				"count shop.paid region:ap-south = 400",
				"count shop.paid region:eu-central = 300",
				"count shop.paid region:us-east = 100",
				"count shop.paid region:us-west = 200",
			},
		},
		{
			// NULL metric values are skipped for that row; a NULL tag value
			// sends the row without the tag; UUIDs read as text.
			name: "nulls and uuid tags",
			query: checks.CustomQuery{
				MetricPrefix: "shop.customer",
				Query:        "SELECT id, email, length(email) FROM customers ORDER BY id",
				Columns:      cqCols("customer_id:tag_not_null", "email:tag", "email_length:gauge"),
			},
			want: []string{
				"gauge shop.customer.email_length customer_id:00000000-0000-0000-0000-000000000001,email:c1_example.com = 14",
				"gauge shop.customer.email_length customer_id:00000000-0000-0000-0000-000000000002,email:dup_example.com = 15",
				"gauge shop.customer.email_length customer_id:00000000-0000-0000-0000-000000000004,email:dup_example.com = 15",
			},
		},
		{
			name: "null tag",
			query: checks.CustomQuery{
				Query:   "SELECT email, 1 FROM customers WHERE name = 'customer-3'",
				Columns: cqCols("email:tag", "shop.no_email:gauge"),
			},
			want: []string{"gauge shop.no_email  = 1"},
		},
		{
			name: "tag lists, skipped and source columns",
			query: checks.CustomQuery{
				MetricPrefix: "shop",
				Query:        "SELECT ARRAY['us-east', 'eu-central'], 'primary, default', 'ignored', 42, 7",
				Columns: []checks.CustomQueryColumn{
					{Name: "region", Type: "tag_list"}, {Name: "role", Type: "tag_list"}, {},
					{Name: "answer", Type: "gauge"}, {Name: "raw", Type: "source"},
				},
			},
			want: []string{"gauge shop.answer region:eu-central,region:us-east,role:default,role:primary = 42"},
		},
		{
			name: "value types",
			query: checks.CustomQuery{
				MetricPrefix: "t",
				Query: "SELECT 1.5::float4, 2::int2, 3::int4, 4::int8, 5.25::numeric, true, false, '6.5'::text, " +
					"interval '1 day 2 hours 3.5 seconds', 7::oid",
				Columns: cqCols("f4:gauge", "i2:gauge", "i4:gauge", "i8:gauge", "num:gauge", "yes:gauge", "no:gauge",
					"text:gauge", "interval:gauge", "oid:gauge"),
			},
			want: []string{
				"gauge t.f4  = 1.5", "gauge t.i2  = 2", "gauge t.i4  = 3", "gauge t.i8  = 4", "gauge t.num  = 5.25",
				"gauge t.yes  = 1", "gauge t.no  = 0", "gauge t.text  = 6.5", "gauge t.interval  = 93603.5", "gauge t.oid  = 7",
			},
		},
		{
			// Seconds from the newest order (02:09) to the clock (03:00).
			name: "time_elapsed",
			query: checks.CustomQuery{
				MetricPrefix: "shop",
				Query:        "SELECT max(created_at), max(created_at)::date FROM orders",
				Columns:      cqCols("last_order_age:time_elapsed", "last_order_day_age:time_elapsed"),
			},
			want: []string{"gauge shop.last_order_age  = 3060", "gauge shop.last_order_day_age  = 10800"},
		},
		{
			// The first run of a monotonic_gauge sends the gauge only.
			name: "monotonic_gauge first run",
			query: checks.CustomQuery{
				MetricPrefix: "shop",
				Query:        "SELECT count(*) FROM orders",
				Columns:      cqCols("orders_created:monotonic_gauge"),
			},
			want: []string{"gauge shop.orders_created.total  = 10"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cqNew(t, newTestClock(cqT0), tc.query)
			if c.Name() != "custom_queries" {
				t.Errorf("Name() = %q", c.Name())
			}
			rec, err := e.run(t, c)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			diffMetricLines(t, metricLines(rec), tc.want)
			if sc := canQuery(t, rec, "custom_queries"); sc.Status != checks.OK {
				t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
			}
		})
	}
	if !strings.Contains(e.logs.String(), "NULL value skipped") {
		t.Error("no debug log for the skipped NULL value")
	}
}

// TestCustomQueriesAcrossRuns: monotonic_count and monotonic_gauge send
// the increase between runs, rate the increase per second.
func TestCustomQueriesAcrossRuns(t *testing.T) {
	t.Parallel()
	e := newSQLCluster(t, "cq_runs", nil, "scenario_schema_shop.sql")
	clock := newTestClock(cqT0)
	c := cqNew(t, clock, checks.CustomQuery{
		Name:         "orders",
		MetricPrefix: "shop",
		Query:        "SELECT status, count(*), count(*), count(*) FROM orders GROUP BY status",
		Columns:      cqCols("status:tag", "orders.created:monotonic_count", "orders.rate:rate", "orders:monotonic_gauge"),
	})
	rec, err := e.run(t, c)
	if err != nil {
		t.Fatalf("run 1: %v", err)
	}
	diffMetricLines(t, metricLines(rec), []string{
		"gauge shop.orders.total status:cancelled = 1",
		"gauge shop.orders.total status:new = 3",
		"gauge shop.orders.total status:paid = 4",
		"gauge shop.orders.total status:shipped = 2",
	})

	e.exec(t, `INSERT INTO orders (customer_id, amount, status)
		SELECT '00000000-0000-0000-0000-000000000001', 1, 'new' FROM generate_series(1, 3);
		DELETE FROM orders WHERE status = 'cancelled';`)
	clock.Add(30 * time.Second)
	rec, err = e.run(t, c)
	if err != nil {
		t.Fatalf("run 2: %v", err)
	}
	// cancelled disappeared: nothing for it. new grew by 3 in 30s.
	diffMetricLines(t, metricLines(rec), []string{
		"count shop.orders.created status:new = 3",
		"count shop.orders.created status:paid = 0",
		"count shop.orders.created status:shipped = 0",
		"gauge shop.orders.rate status:new = 0.1",
		"gauge shop.orders.rate status:paid = 0",
		"gauge shop.orders.rate status:shipped = 0",
		"gauge shop.orders.total status:new = 6",
		"gauge shop.orders.total status:paid = 4",
		"gauge shop.orders.total status:shipped = 2",
		"count shop.orders.count status:new = 3",
		"count shop.orders.count status:paid = 0",
		"count shop.orders.count status:shipped = 0",
	})

	// A decrease: the Agent's rate drops it; a monotonic count takes the
	// new value as the increase since a reset.
	e.exec(t, `DELETE FROM orders WHERE status = 'new' AND amount = 1`)
	clock.Add(30 * time.Second)
	rec, err = e.run(t, c)
	if err != nil {
		t.Fatalf("run 3: %v", err)
	}
	for _, p := range rec.Find("shop.orders.rate", "status:new") {
		t.Errorf("rate sent after a decrease: %v", p)
	}
	if p := rec.One(t, "shop.orders.created", "status:new"); p.Value != 3 {
		t.Errorf("monotonic_count after a reset = %v, want 3", p.Value)
	}
}

// TestCustomQueriesFailures: a failing query, a column count mismatch, the
// row limit and an unusable value each make sql.can_query CRITICAL naming
// the query, while the other queries still send.
func TestCustomQueriesFailures(t *testing.T) {
	t.Parallel()
	e := newSQLCluster(t, "cq_failures", nil, "scenario_schema_shop.sql")
	good := checks.CustomQuery{Name: "good", Query: "SELECT 1", Columns: cqCols("shop.up:gauge")}
	cases := []struct {
		name string
		bad  checks.CustomQuery
		want []string // in the service check message
	}{
		{
			name: "query error",
			bad:  checks.CustomQuery{Name: "broken", Query: "SELECT nope FROM missing_table", Columns: cqCols("x:gauge")},
			want: []string{`custom_queries[0] "broken": `, "missing_table", "42P01"},
		},
		{
			name: "column count",
			bad:  checks.CustomQuery{Query: "SELECT 1, 2", Columns: cqCols("a:gauge", "b:gauge", "c:gauge")},
			want: []string{`custom_queries[0] "custom query #1": the query returns 2 columns but columns lists 3`},
		},
		{
			name: "row limit",
			// Many rows: the query is cancelled after the 4th, not drained.
			bad: checks.CustomQuery{Name: "many", Query: "SELECT g, g FROM generate_series(1, 2000000) AS g", MaxRows: 3,
				Columns: cqCols("g:tag", "x:gauge")},
			want: []string{`custom_queries[0] "many": more than 3 rows (max_rows); nothing sent`},
		},
		{
			name: "text in a gauge",
			bad:  checks.CustomQuery{Name: "words", Query: "SELECT 'abc', 2", Columns: cqCols("x:gauge", "y:gauge")},
			want: []string{`custom_queries[0] "words": 1 values could not be sent, first: column 1 (x): cannot use text "abc" as a number`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cqNew(t, newTestClock(cqT0), tc.bad, good)
			rec, err := e.run(t, c)
			if err != nil {
				t.Fatalf("Run failed although a query succeeded: %v", err)
			}
			sc := canQuery(t, rec, "custom_queries")
			if sc.Status != checks.Critical {
				t.Errorf("sql.can_query = %v %q, want CRITICAL", sc.Status, sc.Message)
			}
			for _, w := range tc.want {
				if !strings.Contains(sc.Message, w) {
					t.Errorf("sql.can_query message %q lacks %q", sc.Message, w)
				}
			}
			want := []string{"gauge shop.up  = 1"}
			if tc.name == "text in a gauge" {
				want = append(want, "gauge y  = 2") // the usable value of the row is sent
			}
			diffMetricLines(t, metricLines(rec), want)
		})
	}

	t.Run("within the row limit", func(t *testing.T) {
		c := cqNew(t, newTestClock(cqT0), checks.CustomQuery{Query: "SELECT g, g FROM generate_series(1, 5) AS g",
			MaxRows: 5, Columns: cqCols("g:tag", "x:gauge")})
		rec, err := e.run(t, c)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(rec.Find("x")); n != 5 {
			t.Errorf("%d points, want 5", n)
		}
	})

	t.Run("every query fails", func(t *testing.T) {
		c := cqNew(t, newTestClock(cqT0),
			checks.CustomQuery{Name: "a", Query: "SELECT nope", Columns: cqCols("x:gauge")},
			checks.CustomQuery{Name: "b", Query: "SELECT 1/0", Columns: cqCols("y:gauge")})
		rec, err := e.run(t, c)
		if err == nil || !strings.Contains(err.Error(), `custom_queries[1] "b"`) {
			t.Fatalf("Run = %v, want an error naming both queries", err)
		}
		sc := canQuery(t, rec, "custom_queries")
		if sc.Status != checks.Critical || !strings.Contains(sc.Message, `custom_queries[0] "a"`) ||
			!strings.Contains(sc.Message, `custom_queries[1] "b"`) {
			t.Errorf("sql.can_query = %v %q", sc.Status, sc.Message)
		}
	})

	t.Run("no SQL", func(t *testing.T) {
		rec, err := runCheck(t, cqNew(t, newTestClock(cqT0), good), &checks.Target{})
		if err == nil {
			t.Fatal("Run without SQL succeeded")
		}
		if sc := canQuery(t, rec, "custom_queries"); sc.Status != checks.Critical {
			t.Errorf("sql.can_query = %v", sc.Status)
		}
	})
}

// TestCustomQueriesInterval: a query runs at the first check run after its
// collection_interval; sql.can_query keeps its latest result meanwhile.
func TestCustomQueriesInterval(t *testing.T) {
	t.Parallel()
	e := newSQLCluster(t, "cq_interval", nil, "scenario_schema_shop.sql")
	clock := newTestClock(cqT0)
	c := cqNew(t, clock,
		checks.CustomQuery{Name: "every run", Query: "SELECT 1", Columns: cqCols("fast:gauge")},
		checks.CustomQuery{Name: "slow", Query: "SELECT 2", Columns: cqCols("slow:gauge"), CollectionInterval: time.Minute},
		checks.CustomQuery{Name: "slow failing", Query: "SELECT nope", Columns: cqCols("bad:gauge"), CollectionInterval: time.Minute},
	)
	steps := []struct {
		after time.Duration
		want  []string
	}{
		{0, []string{"gauge fast  = 1", "gauge slow  = 2"}},
		{15 * time.Second, []string{"gauge fast  = 1"}},
		{30 * time.Second, []string{"gauge fast  = 1"}},
		// 59.5s after the first run: within the scheduling slack.
		{14500 * time.Millisecond, []string{"gauge fast  = 1", "gauge slow  = 2"}},
		{15 * time.Second, []string{"gauge fast  = 1"}},
	}
	for i, st := range steps {
		clock.Add(st.after)
		rec, err := e.run(t, c)
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		diffMetricLines(t, metricLines(rec), st.want)
		// The failing slow query's error stands until it runs again.
		sc := canQuery(t, rec, "custom_queries")
		if sc.Status != checks.Critical || !strings.Contains(sc.Message, `"slow failing"`) {
			t.Errorf("run %d: sql.can_query = %v %q", i+1, sc.Status, sc.Message)
		}
	}
}

func TestNewCustomQueriesErrors(t *testing.T) {
	t.Parallel()
	ok := checks.CustomQuery{Query: "SELECT 1", Columns: cqCols("x:gauge")}
	cases := []struct {
		name string
		q    checks.CustomQuery
		want string
	}{
		{"no query", checks.CustomQuery{Columns: cqCols("x:gauge")}, "custom_queries[1].query: required"},
		{"no columns", checks.CustomQuery{Query: "SELECT 1"}, "custom_queries[1].columns: required"},
		{"unknown type", checks.CustomQuery{Query: "SELECT 1", Columns: cqCols("x:gauge", "y:gage")},
			`custom_queries[1].columns[1].type: unknown type "gage"; supported: count, gauge, monotonic_count, monotonic_gauge, rate, source, tag, tag_list, tag_not_null, time_elapsed`},
		{"histogram", checks.CustomQuery{Name: "lat", Query: "SELECT 1", Columns: cqCols("x:histogram")},
			`custom_queries[1].columns[0].type: type "histogram" is not supported: roachdog sends gauges and counts only`},
		{"no name", checks.CustomQuery{Query: "SELECT 1", Columns: cqCols(":gauge")}, "custom_queries[1].columns[0].name: required"},
		{"no type", checks.CustomQuery{Query: "SELECT 1", Columns: cqCols("x:")}, "custom_queries[1].columns[0].type: required"},
		{"duplicate", checks.CustomQuery{Query: "SELECT 1, 2", Columns: cqCols("x:gauge", "x:tag")},
			`custom_queries[1].columns[1].name: "x" is already the name of columns[0]`},
		{"monotonic_gauge clash", checks.CustomQuery{Query: "SELECT 1, 2", Columns: cqCols("x:monotonic_gauge", "x.total:gauge")},
			"custom_queries[1].columns[1].name: metric x.total is already sent by columns[0]"},
		{"bad metric name", checks.CustomQuery{Query: "SELECT 1", Columns: cqCols("orders count:gauge")},
			`custom_queries[1].columns[0].name: "orders count" is not a valid metric name part`},
		{"bad prefix", checks.CustomQuery{MetricPrefix: "shop.", Query: "SELECT 1", Columns: cqCols("x:gauge")},
			`custom_queries[1].metric_prefix: "shop." is not a valid metric name part`},
		{"tags only", checks.CustomQuery{Query: "SELECT 1", Columns: cqCols("x:tag", ":")},
			"custom_queries[1].columns: no column sends a metric"},
		{"roachdog's own metric", checks.CustomQuery{MetricPrefix: "schema", Query: "SELECT 1", Columns: cqCols("fk_without_index:gauge")},
			"custom_queries[1].columns[0].name: metric schema.fk_without_index is already sent by roachdog's schema check"},
		{"negative interval", checks.CustomQuery{Query: "SELECT 1", Columns: cqCols("x:gauge"), CollectionInterval: -time.Second},
			"custom_queries[1].collection_interval: must not be negative"},
		{"negative max rows", checks.CustomQuery{Query: "SELECT 1", Columns: cqCols("x:gauge"), MaxRows: -1},
			"custom_queries[1].max_rows: must not be negative"},
		{"bad tag", checks.CustomQuery{Query: "SELECT 1", Columns: cqCols("x:gauge"), Tags: []string{"a:b", "c,d"}},
			`custom_queries[1].tags[1]: "c,d" is not a valid tag`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checks.NewCustomQueries(checks.CustomQueriesOptions{Queries: []checks.CustomQuery{ok, tc.q}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := checks.NewCustomQueries(checks.CustomQueriesOptions{}); err == nil {
		t.Error("no queries accepted")
	}
	_, err := checks.NewCustomQueries(checks.CustomQueriesOptions{Queries: []checks.CustomQuery{{Name: "lat", Query: "SELECT 1", Columns: cqCols("x:histogram")}}})
	if err == nil || !strings.Contains(err.Error(), `(query "lat")`) {
		t.Errorf("error does not name the query: %v", err)
	}
	if errors.Unwrap(err) != nil {
		t.Errorf("validation error wraps %v", errors.Unwrap(err))
	}
}
