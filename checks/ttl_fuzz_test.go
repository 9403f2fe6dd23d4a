package checks

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

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

// FuzzTTLCronPeriod reads arbitrary cron expressions. It never panics (nor
// loops on huge steps), and when it gives a period:
//   - the period is positive, and for five-field crons a whole number of
//     minutes no longer than the two years walked;
//   - case and surrounding blanks do not matter;
//   - the order of a field's comma-separated parts does not matter;
//   - "@every d" gives d.
func FuzzTTLCronPeriod(f *testing.F) {
	for _, s := range []string{
		"@hourly", "@daily", " @Weekly ", "@every 90m", "@every -1s", "@every 1ns",
		"* * * * *", "*/5 * * * *", "0 3 * * mon-fri", "0 0 1,15 * 1", "0 12 2/3 * *",
		"0 0 29 2 *", "0 0 31 * *", "61 * * * *", "5-1 * * * *", "*/0 * * * *",
		"1/9223372036854775807 * * * *", "0 0 * * 7", "0 0 * * 0-7", "? ? ? ? ?",
		"0-59/7,3 1-23/2 1-31 jan-dec sun-sat", "- - - - -", "1-/2 * * * *",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		d, ok := ttlCronPeriod(expr)
		if !ok {
			if d != 0 {
				t.Errorf("ttlCronPeriod(%q) = %v, false; want 0 when unknown", expr, d)
			}
			return
		}
		if d <= 0 {
			t.Fatalf("ttlCronPeriod(%q) = %v: not positive", expr, d)
		}
		e := strings.TrimSpace(strings.ToLower(expr))
		fields := strings.Fields(e)
		if !strings.HasPrefix(e, "@") {
			if d%time.Minute != 0 || d > (2*366+1)*24*time.Hour {
				t.Errorf("ttlCronPeriod(%q) = %v: not whole minutes within two years", expr, d)
			}
		}
		if rest, every := strings.CutPrefix(e, "@every "); every {
			if want, err := time.ParseDuration(strings.TrimSpace(rest)); err != nil || want != d {
				t.Errorf("ttlCronPeriod(%q) = %v, want %v (%v)", expr, d, want, err)
			}
		}
		for _, v := range []string{strings.ToUpper(expr), " \t" + expr + " "} {
			if d2, ok2 := ttlCronPeriod(v); d2 != d || !ok2 {
				t.Errorf("ttlCronPeriod(%q) = %v, %v; but %q gives %v", v, d2, ok2, expr, d)
			}
		}
		if len(fields) == 5 {
			rev := make([]string, 5)
			for i, fl := range fields {
				parts := strings.Split(fl, ",")
				for l, r := 0, len(parts)-1; l < r; l, r = l+1, r-1 {
					parts[l], parts[r] = parts[r], parts[l]
				}
				rev[i] = strings.Join(parts, ",")
			}
			v := strings.Join(rev, " ")
			if d2, ok2 := ttlCronPeriod(v); d2 != d || !ok2 {
				t.Errorf("ttlCronPeriod(%q) = %v, %v; but %q gives %v", v, d2, ok2, expr, d)
			}
		}
	})
}
