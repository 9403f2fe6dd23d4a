package checks

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// Statements shaped as CockroachDB prints them (SHOW CREATE TABLE and
// crdb_internal.create_statements), from the row-level TTL docs and from
// real schema dumps.
func TestTTLParseCreate(t *testing.T) {
	for _, tc := range []struct {
		name string
		stmt string
		want ttlParams
	}{
		{
			name: "expire_after, docs v22.2/v23.1",
			stmt: `CREATE TABLE public.ttl_test_per_table (
	id UUID NOT NULL DEFAULT gen_random_uuid(),
	description STRING NULL,
	inserted_at TIMESTAMP NULL DEFAULT current_timestamp():::TIMESTAMP,
	crdb_internal_expiration TIMESTAMPTZ NOT VISIBLE NOT NULL DEFAULT current_timestamp():::TIMESTAMPTZ + '3 mons':::INTERVAL ON UPDATE current_timestamp():::TIMESTAMPTZ + '3 mons':::INTERVAL,
	CONSTRAINT ttl_test_per_table_pkey PRIMARY KEY (id ASC)
) WITH (ttl = 'on', ttl_expire_after = '3 mons':::INTERVAL, ttl_job_cron = '@hourly')`,
			want: ttlParams{On: true, ExpireAfter: "3 mons", Cron: "@hourly"},
		},
		{
			name: "expiration expression column, docs",
			stmt: `CREATE TABLE public.ttl_test_per_row (
	id UUID NOT NULL DEFAULT gen_random_uuid(),
	description STRING NULL,
	expired_at TIMESTAMPTZ NULL,
	CONSTRAINT ttl_test_per_row_pkey PRIMARY KEY (id ASC)
) WITH (ttl = 'on', ttl_expiration_expression = 'expired_at', ttl_job_cron = '@hourly')`,
			want: ttlParams{On: true, Expression: "expired_at", Cron: "@hourly"},
		},
		{
			name: "escaped expression, schema_locked",
			stmt: `CREATE TABLE public.events (
	id INT8 NOT NULL,
	created_at TIMESTAMPTZ NOT NULL DEFAULT now():::TIMESTAMPTZ,
	CONSTRAINT events_pkey PRIMARY KEY (id ASC)
) WITH (ttl = 'on', ttl_expiration_expression = e'created_at + INTERVAL \'24 hours\'', schema_locked = true)`,
			want: ttlParams{On: true, Expression: "created_at + INTERVAL '24 hours'"},
		},
		{
			name: "pretty-printed, parenthesised expression",
			stmt: `CREATE TABLE cpkit.jobs (
    job_id INT8 NOT NULL,
    updated_at TIMESTAMPTZ NULL DEFAULT now():::TIMESTAMPTZ ON UPDATE now():::TIMESTAMPTZ,
    CONSTRAINT pk PRIMARY KEY (job_id ASC)
) WITH (
    ttl = 'on',
    ttl_expiration_expression = e'(updated_at::TIMESTAMPTZ + \'90 days\'::INTERVAL)',
    ttl_job_cron = '@daily'
);`,
			want: ttlParams{On: true, Expression: "(updated_at::TIMESTAMPTZ + '90 days'::INTERVAL)", Cron: "@daily"},
		},
		{
			name: "cron with spaces and a trailing semicolon",
			stmt: `CREATE TABLE public._v4 (
	k STRING NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	CONSTRAINT _v4_pkey PRIMARY KEY (k ASC)
) WITH (ttl = 'on', ttl_expiration_expression = 'expires_at', ttl_job_cron = '*/1 * * * *', schema_locked = true);`,
			want: ttlParams{On: true, Expression: "expires_at", Cron: "*/1 * * * *"},
		},
		{
			name: "paused, v22.2 automatic column, interval as hh:mm:ss",
			stmt: `CREATE TABLE public.t (
	pk INT8 NOT NULL,
	crdb_internal_expiration TIMESTAMPTZ NOT VISIBLE NOT NULL DEFAULT current_timestamp():::TIMESTAMPTZ + '00:10:00':::INTERVAL ON UPDATE current_timestamp():::TIMESTAMPTZ + '00:10:00':::INTERVAL,
	CONSTRAINT t_pkey PRIMARY KEY (pk ASC)
) WITH (ttl = 'on', ttl_automatic_column = 'on', ttl_expire_after = '00:10:00':::INTERVAL, ttl_pause = true)`,
			want: ttlParams{On: true, ExpireAfter: "00:10:00", Pause: true},
		},
		{
			name: "every parameter, then LOCALITY",
			stmt: `CREATE TABLE public.tbl_reloptions (
	id INT8 NOT NULL,
	CONSTRAINT tbl_reloptions_pkey PRIMARY KEY (id ASC)
) WITH (ttl = 'on', ttl_expire_after = '00:10:00':::INTERVAL, ttl_select_batch_size = 10, ttl_delete_batch_size = 20, ttl_select_rate_limit = 30, ttl_delete_rate_limit = 40, ttl_pause = false, ttl_row_stats_poll_interval = '1m0s':::INTERVAL, ttl_label_metrics = true, ttl_disable_changefeed_replication = true) LOCALITY REGIONAL BY ROW`,
			want: ttlParams{On: true, ExpireAfter: "00:10:00"},
		},
		{
			name: "hash-sharded index WITH inside the body, no TTL",
			stmt: `CREATE TABLE public.orders (
	id INT8 NOT NULL,
	ttl_days INT8 NULL,
	created_at TIMESTAMPTZ NULL,
	CONSTRAINT orders_pkey PRIMARY KEY (id ASC),
	INDEX orders_created_at_idx (created_at ASC) USING HASH WITH (bucket_count = 8)
)`,
			want: ttlParams{},
		},
		{
			name: "TTL-looking text in a column default, no TTL",
			stmt: `CREATE TABLE public.notes (
	id INT8 NOT NULL,
	body STRING NULL DEFAULT ') WITH (ttl = ''on'', ttl_expire_after = ''1 day'')':::STRING,
	"weird ) name" STRING NULL,
	CONSTRAINT notes_pkey PRIMARY KEY (id ASC)
) WITH (schema_locked = true)`,
			want: ttlParams{},
		},
		{
			name: "ttl off",
			stmt: `CREATE TABLE public.t (id INT8 NOT NULL) WITH (ttl = 'off')`,
			want: ttlParams{},
		},
		{
			name: "quoted names holding parens",
			stmt: `CREATE TABLE public."we(ird" (
	"a)b" INT8 NOT NULL,
	CONSTRAINT "we(ird_pkey" PRIMARY KEY ("a)b" ASC)
) WITH (ttl = 'on', ttl_expire_after = '1 day':::INTERVAL)`,
			want: ttlParams{On: true, ExpireAfter: "1 day"},
		},
		{name: "not a CREATE TABLE", stmt: `ttl`, want: ttlParams{}},
		{name: "unbalanced", stmt: `CREATE TABLE t (id INT8 NOT NULL WITH (ttl = 'on')`, want: ttlParams{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ttlParseCreate(tc.stmt); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTTLParseValue(t *testing.T) {
	for in, want := range map[string]string{
		`'3 mons':::INTERVAL`:       "3 mons",
		`'@daily'`:                  "@daily",
		`e'a\'b\\c'`:                `a'b\c`,
		`E'line\nnext'`:             "line\nnext",
		`'it''s'`:                   "it's",
		`true`:                      "true",
		`500`:                       "500",
		`'00:10:00'::INTERVAL`:      "00:10:00",
		`e'(ts + INTERVAL \'1d\')'`: "(ts + INTERVAL '1d')",
	} {
		if got := ttlParseValue(in); got != want {
			t.Errorf("ttlParseValue(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestTTLPlainColumn(t *testing.T) {
	for _, tc := range []struct {
		expr string
		col  string
		ok   bool
	}{
		{"expires_at", "expires_at", true},
		{"(session_expires_at)", "session_expires_at", true},
		{" ((ts)) ", "ts", true},
		{"Expires_At", "expires_at", true},
		{`"ExpireAt"`, "ExpireAt", true},
		{`("a""b")`, `a"b`, true},
		{"ttl_expire_ts", "ttl_expire_ts", true},
		{"(updated_at + INTERVAL '30 days')", "", false},
		{"ts::TIMESTAMPTZ", "", false},
		{"(a) + (b)", "", false},
		{"CASE WHEN status = 'DELETED' THEN updated_at END", "", false},
		{"", "", false},
		{"1day", "", false},
	} {
		col, ok := ttlPlainColumn(tc.expr)
		if col != tc.col || ok != tc.ok {
			t.Errorf("ttlPlainColumn(%q) = %q, %v; want %q, %v", tc.expr, col, ok, tc.col, tc.ok)
		}
	}
}

func TestTTLJobTarget(t *testing.T) {
	for _, tc := range []struct {
		line              string
		db, schema, table string
		ok                bool
	}{
		{"ttl for shop.public.events", "shop", "public", "events", true},
		{"ttl for defaultdb.public.ttl_test_per_table ", "defaultdb", "public", "ttl_test_per_table", true},
		{`ttl for "my db".public."Events"`, "my db", "public", "Events", true},
		{`ttl for "a.b".s."t""q"`, "a.b", "s", `t"q`, true},
		{"ttl", "", "", "", false}, // v22.1 preview
		{"ttl for shop.events", "", "", "", false},
		{"-- for each span, iterate to find rows:", "", "", "", false},
	} {
		db, schema, table, ok := ttlJobTarget(tc.line)
		if db != tc.db || schema != tc.schema || table != tc.table || ok != tc.ok {
			t.Errorf("ttlJobTarget(%q) = %q %q %q %v", tc.line, db, schema, table, ok)
		}
	}
}

func TestTTLScheduleTableID(t *testing.T) {
	for label, want := range map[string]int64{
		"row-level-ttl: events [110]":          110,
		"row-level-ttl-210":                    210,
		"row-level-ttl: my [odd] name [42]":    42,
		"row-level-ttl: ttl_test_per_row [56]": 56,
	} {
		if got, ok := ttlScheduleTableID(label); !ok || got != want {
			t.Errorf("ttlScheduleTableID(%q) = %d, %v; want %d", label, got, ok, want)
		}
	}
	for _, label := range []string{"BACKUP shop", "row-level-ttl: events", "row-level-ttl-", "my row-level-ttl-3"} {
		if got, ok := ttlScheduleTableID(label); ok {
			t.Errorf("ttlScheduleTableID(%q) = %d, want no ID", label, got)
		}
	}
}

func TestTTLFirstIndexKey(t *testing.T) {
	for in, want := range map[string]int64{"3": 3, "3 1": 3, "{5,1}": 5, " 2 ": 2} {
		if got, ok := ttlFirstIndexKey(in); !ok || got != want {
			t.Errorf("ttlFirstIndexKey(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "{}", "x"} {
		if _, ok := ttlFirstIndexKey(in); ok {
			t.Errorf("ttlFirstIndexKey(%q) ok", in)
		}
	}
}

func TestTTLFollowerReadRefused(t *testing.T) {
	if !ttlFollowerReadRefused(errors.New(`ERROR: follower_read_timestamp(): use of follower reads requires an enterprise license (SQLSTATE XXC02)`)) {
		t.Error("enterprise refusal not recognised")
	}
	if ttlFollowerReadRefused(errors.New("timeout after 5s: canceling statement due to statement timeout")) {
		t.Error("a timeout taken for a refusal")
	}
}

func TestJobsParseHLCDecimal(t *testing.T) {
	ts, ok := jobsParseHLCDecimal("1768046370000000000.0000000002")
	if !ok || ts.UTC().Format("2006-01-02 15:04:05") != "2026-01-10 11:59:30" {
		t.Errorf("got %v %v", ts, ok)
	}
	if ts, ok := jobsParseHLCDecimal("1795315406750677983"); !ok || ts.UnixNano() != 1795315406750677983 {
		t.Errorf("got %v %v", ts, ok)
	}
	for _, in := range []string{"", "0", "0.0000000000", "abc", "-5"} {
		if _, ok := jobsParseHLCDecimal(in); ok {
			t.Errorf("jobsParseHLCDecimal(%q) ok", in)
		}
	}
}

func TestJobsTruncate(t *testing.T) {
	if got := jobsTruncate("short", 10); got != "short" {
		t.Errorf("got %q", got)
	}
	got := jobsTruncate("ééééééééé", 8) // 2 bytes each
	if !utf8.ValidString(got) || len(got) > 8 || got != "éé…" {
		t.Errorf("got %q (%d bytes)", got, len(got))
	}
	long := make([]byte, 10000)
	for i := range long {
		long[i] = 'x'
	}
	e := jobsFailureEvent(1, string(long[:200]), jobsFailed, string(long), string(long), time.Time{})
	if len(e.Title) > jobsEventTitleMax || len(e.Text) > jobsEventTextMax {
		t.Errorf("event title %d bytes, text %d bytes", len(e.Title), len(e.Text))
	}
}

func TestTTLCronPeriod(t *testing.T) {
	const (
		minute = time.Minute
		hour   = time.Hour
		day    = 24 * time.Hour
	)
	for _, tc := range []struct {
		cron string
		want time.Duration // 0: unknown
	}{
		{"@hourly", hour},
		{"@daily", day},
		{"@midnight", day},
		{" @Weekly ", 7 * day},
		{"@monthly", 31 * day},
		{"@yearly", 366 * day},
		{"@annually", 366 * day},
		{"@every 90m", 90 * minute},
		{"@every 1h30m", 90 * minute},
		{"* * * * *", minute},
		{"*/5 * * * *", 5 * minute},
		{"*/1 * * * *", minute},
		{"0 * * * *", hour},
		{"30 * * * *", hour},
		{"0,30 * * * *", 30 * minute},
		{"0,10 * * * *", 50 * minute}, // the longest gap: :10 to the next :00
		{"0 3 * * *", day},
		{"15 3 * * ?", day},
		{"0 */6 * * *", 6 * hour},
		{"0 3,15 * * *", 12 * hour},
		{"0 1,5 * * *", 20 * hour},
		{"0 9-17 * * *", 16 * hour}, // 17:00 to 09:00
		{"0 3 * * 0", 7 * day},
		{"0 3 * * sun", 7 * day},
		{"0 3 * * 7", 7 * day},
		{"0 3 * * mon-fri", 3 * day}, // Friday to Monday
		{"0 0 1 * *", 31 * day},
		{"0 0 1 */3 *", 92 * day},
		{"0 0 1 jan *", 366 * day},
		{"0 0 31 * *", 61 * day},
		{"0 0 1,15 * 1", 7 * day}, // day of month OR Monday
		{"0 12 2/3 * *", 4 * day}, // 2, 5, ..., 29 then the 2nd: 30/31-day months
		// Unknown: roachdog sends no period rather than a wrong one.
		{"", 0},
		{"@reboot", 0},
		{"@every soon", 0},
		{"@every -1h", 0},
		{"0 3 * *", 0},
		{"0 0 3 * * *", 0}, // six fields (seconds)
		{"61 * * * *", 0},
		{"0 24 * * *", 0},
		{"0 0 0 * *", 0},
		{"*/0 * * * *", 0},
		{"5-1 * * * *", 0},
		{"0 0 29 2 *", 0}, // once in two years
		{"x * * * *", 0},
	} {
		got, ok := ttlCronPeriod(tc.cron)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("ttlCronPeriod(%q) = %v, %v; want %v", tc.cron, got, ok, tc.want)
		}
	}
}

func BenchmarkTTLCronPeriod(b *testing.B) {
	for b.Loop() {
		ttlCronPeriod("* * * * *")
	}
}
