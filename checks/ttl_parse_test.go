package checks

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Statements shaped as CockroachDB prints them (SHOW CREATE TABLE and
// crdb_internal.create_statements), from the row-level TTL docs and from
// real schema dumps.
func TestTTLParseCreate(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// FuzzTTLParseCreate reads arbitrary text as SHOW CREATE TABLE output: it
// never panics, and what it returns is consistent (an expiry or expiration
// expression means TTL is on).
func FuzzTTLParseCreate(f *testing.F) {
	for _, s := range []string{
		"",
		"(",
		")",
		"CREATE TABLE t () WITH (",
		"CREATE TABLE t (id INT8) WITH (ttl = 'on', ttl_expire_after = '1 day':::INTERVAL)",
		"CREATE TABLE t (id INT8) WITH (ttl = e'on\\', ttl_job_cron = '@daily')",
		"CREATE TABLE \"a(\"\"b\" (x STRING DEFAULT ') WITH (ttl = ''on'')') WITH (ttl_pause = true) LOCALITY GLOBAL",
		"CREATE TABLE t (i INT8, INDEX (i) USING HASH WITH (bucket_count = 8)) WITH (ttl_expiration_expression = e'(a + \\'1 day\\')', ttl_job_cron = '*/5 * * * *');",
		"CREATE TABLE e' (a) WITH (ttl = 'on')",
		"CREATE TABLE t (a) WITH(=,=,ttl=,='')",
		"CREATE TABLE t (a) WITH ((((",
		"CREATE TABLE t (a) WITH ('",
		"CREATE TABLE t (a) WITH (ttl_expire_after = e'\\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stmt string) {
		p := ttlParseCreate(stmt)
		if (p.ExpireAfter != "" || p.Expression != "") && !p.On {
			t.Errorf("TTL parameters without TTL on: %+v", p)
		}
		// Only the statement's own bytes (unescaped) come back: no value is
		// longer than the statement.
		for _, v := range []string{p.ExpireAfter, p.Expression, p.Cron} {
			if len(v) > len(stmt) {
				t.Errorf("value %q longer than the statement", v)
			}
		}
	})
}

// FuzzTTLParseCreateRoundTrip prints a table as CockroachDB's SHOW CREATE
// TABLE does (names quoted when needed, strings as '...' or e'...' with
// backslash escapes, a column default holding anything, hostile text
// included) and checks that the parameters read back are the ones written,
// and that a table without WITH (...) has none.
func FuzzTTLParseCreateRoundTrip(f *testing.F) {
	f.Add("events", "", "3 mons", "@hourly", "", false)
	f.Add("we(ird", ") WITH (ttl = 'on', ttl_expire_after = '1 day')", "00:10:00", "", "", true)
	f.Add(`a"b`, `it's`, "", "*/5 * * * *", "created_at + INTERVAL '24 hours'", false)
	f.Add("ünïcode", "\\'", "1 day\n", "0 3 * * mon-fri", "(updated_at::TIMESTAMPTZ + '90 days'::INTERVAL)", true)
	f.Add("e", "e'", "e'x'", "''", `\\`, false)
	f.Fuzz(func(t *testing.T, table, def, expire, cron, expr string, pause bool) {
		for _, s := range []string{table, def, expire, cron, expr} {
			if !printable(s) {
				// CockroachDB prints other control characters as \x.. and
				// \u.... escapes, which TTL parameters never hold.
				return
			}
		}
		body := fmt.Sprintf("CREATE TABLE public.%s (\n\tid INT8 NOT NULL,\n\tbody STRING NULL DEFAULT %s:::STRING,\n\tCONSTRAINT %s PRIMARY KEY (id ASC)\n)",
			sqlIdent(table), sqlString(def), sqlIdent(table+"_pkey"))

		if got := ttlParseCreate(body); got != (ttlParams{}) {
			t.Fatalf("a table without WITH reads as %+v:\n%s", got, body)
		}

		params := []string{"ttl = 'on'"}
		if expire != "" {
			params = append(params, "ttl_expire_after = "+sqlString(expire)+":::INTERVAL")
		}
		if expr != "" {
			params = append(params, "ttl_expiration_expression = "+sqlString(expr))
		}
		if cron != "" {
			params = append(params, "ttl_job_cron = "+sqlString(cron))
		}
		params = append(params, fmt.Sprintf("ttl_pause = %t", pause), "schema_locked = true")
		stmt := body + " WITH (" + strings.Join(params, ", ") + ") LOCALITY REGIONAL BY ROW"

		want := ttlParams{On: true, ExpireAfter: expire, Expression: expr, Cron: cron, Pause: pause}
		if got := ttlParseCreate(stmt); got != want {
			t.Fatalf("got %+v, want %+v from:\n%s", got, want, stmt)
		}
	})
}

// printable reports whether s is valid UTF-8 without control characters
// other than newline, tab and carriage return.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\n' && r != '\t' && r != '\r' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// sqlString encodes s as CockroachDB prints a string literal
// (lexbase.EncodeSQLString): plain '...' for printable ASCII without a quote
// or backslash, else e'...' with backslash escapes.
func sqlString(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\'' || c == '\\' {
			plain = false
		}
	}
	if plain {
		return "'" + s + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\t", `\t`, "\r", `\r`)
	return "e'" + r.Replace(s) + "'"
}

// sqlIdent quotes an identifier unless it is a plain lower-case word.
func sqlIdent(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '$')) {
			plain = false
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
