package checks

// Parsing of what CockroachDB says about row-level TTL tables: the storage
// parameters of SHOW CREATE TABLE (crdb_internal.create_statements), the
// table named by a TTL job's description and the table ID in a TTL
// schedule's label.

import (
	"regexp"
	"strconv"
	"strings"
)

// ttlParams are a table's row-level TTL storage parameters.
type ttlParams struct {
	// On is true when the table has row-level TTL.
	On bool
	// ExpireAfter is ttl_expire_after as written ("3 mons", "00:10:00").
	ExpireAfter string
	// Expression is ttl_expiration_expression, unquoted SQL.
	Expression string
	// Cron is ttl_job_cron; empty means the version's default.
	Cron string
	// Pause is ttl_pause.
	Pause bool
}

// ttlParseCreate finds the table-level WITH (...) storage parameters of a
// CREATE TABLE statement as SHOW CREATE TABLE prints it, e.g.
//
//	CREATE TABLE public.events (...) WITH (ttl = 'on', ttl_expire_after = '3 mons':::INTERVAL, ttl_job_cron = '@daily')
//
// Index-level WITH clauses inside the column list (hash-sharded indexes)
// are skipped: only what follows the table body counts.
func ttlParseCreate(stmt string) ttlParams {
	var p ttlParams
	body := -1 // the column list's '(' (table names may be quoted and hold one)
	for i := 0; i < len(stmt) && body < 0; {
		switch stmt[i] {
		case '\'', '"':
			i = ttlSkipQuoted(stmt, i)
		case '(':
			body = i
		default:
			i++
		}
	}
	if body < 0 {
		return p
	}
	end := ttlMatchParen(stmt, body)
	if end < 0 {
		return p
	}
	rest := stmt[end+1:]
	// The table's WITH is the first top-level WITH followed by '(' after
	// the body (PARTITION BY, LOCALITY may come before or after it).
	open := -1
	for i := 0; i < len(rest); {
		switch c := rest[i]; {
		case c == '\'' || c == '"':
			i = ttlSkipQuoted(rest, i)
		case c == '(':
			if e := ttlMatchParen(rest, i); e > 0 {
				i = e + 1
			} else {
				return p
			}
		case ttlIsWordStart(c) && (i == 0 || !ttlIsWordByte(rest[i-1])):
			j := i
			for j < len(rest) && ttlIsWordByte(rest[j]) {
				j++
			}
			if strings.EqualFold(rest[i:j], "with") {
				k := j
				for k < len(rest) && ttlIsSpace(rest[k]) {
					k++
				}
				if k < len(rest) && rest[k] == '(' {
					open = k
				}
			}
			i = j
		default:
			i++
		}
		if open >= 0 {
			break
		}
	}
	if open < 0 {
		return p
	}
	close := ttlMatchParen(rest, open)
	if close < 0 {
		return p
	}
	for _, item := range ttlSplitTop(rest[open+1 : close]) {
		key, val, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = ttlParseValue(strings.TrimSpace(val))
		switch key {
		case "ttl":
			p.On = p.On || ttlTruthy(val)
		case "ttl_expire_after":
			p.ExpireAfter, p.On = val, true
		case "ttl_expiration_expression":
			p.Expression, p.On = val, true
		case "ttl_job_cron":
			p.Cron = val
		case "ttl_pause":
			p.Pause = ttlTruthy(val)
		}
	}
	return p
}

// ttlMatchParen returns the index of the ')' closing the '(' at open,
// skipping quoted strings and identifiers, or -1.
func ttlMatchParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); {
		switch s[i] {
		case '\'', '"':
			i = ttlSkipQuoted(s, i)
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return -1
}

// ttlSkipQuoted returns the index just past the string or identifier
// starting at i (a quote). e'...' strings escape with backslashes, the
// others by doubling the quote.
func ttlSkipQuoted(s string, i int) int {
	q := s[i]
	backslash := q == '\'' && i > 0 && (s[i-1] == 'e' || s[i-1] == 'E') &&
		(i == 1 || !ttlIsWordByte(s[i-2]))
	for j := i + 1; j < len(s); j++ {
		switch {
		case backslash && s[j] == '\\':
			j++
		case s[j] == q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// ttlSplitTop splits a parameter list on commas outside quotes and parens.
func ttlSplitTop(s string) []string {
	var out []string
	start, depth := 0, 0
	for i := 0; i < len(s); {
		switch s[i] {
		case '\'', '"':
			i = ttlSkipQuoted(s, i)
			continue
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
		i++
	}
	return append(out, s[start:])
}

// ttlParseValue turns a printed parameter value into its text: 'x' and
// e'x' strings are unquoted (type annotations such as :::INTERVAL dropped),
// bare words (true, 500) are returned as they are.
func ttlParseValue(v string) string {
	escaped := false
	if len(v) >= 2 && (v[0] == 'e' || v[0] == 'E') && v[1] == '\'' {
		escaped, v = true, v[1:]
	}
	if v == "" || v[0] != '\'' {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		c := v[i]
		switch {
		case escaped && c == '\\' && i+1 < len(v):
			i++
			switch v[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(v[i])
			}
		case c == '\'':
			if i+1 < len(v) && v[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String() // the rest is a type annotation
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func ttlTruthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "t", "yes", "1":
		return true
	}
	return false
}

func ttlIsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func ttlIsWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func ttlIsWordByte(c byte) bool { return ttlIsWordStart(c) || c >= '0' && c <= '9' || c == '$' }

// ttlPlainColumn returns the column an expiration expression is, when it is
// just a column: "expires_at", "(expires_at)", "\"ExpireAt\"". Unquoted
// identifiers fold to lower case, as CockroachDB folds them. Anything else
// (ts + INTERVAL '30 days') is not a plain column.
func ttlPlainColumn(expr string) (string, bool) {
	e := strings.TrimSpace(expr)
	for len(e) >= 2 && e[0] == '(' && ttlMatchParen(e, 0) == len(e)-1 {
		e = strings.TrimSpace(e[1 : len(e)-1])
	}
	if e == "" {
		return "", false
	}
	if e[0] == '"' {
		if ttlSkipQuoted(e, 0) != len(e) || len(e) < 2 {
			return "", false
		}
		return strings.ReplaceAll(e[1:len(e)-1], `""`, `"`), true
	}
	if !ttlIsWordStart(e[0]) {
		return "", false
	}
	for i := 1; i < len(e); i++ {
		if !ttlIsWordByte(e[i]) {
			return "", false
		}
	}
	return strings.ToLower(e), true
}

// ttlSplitName splits a printed qualified name ("shop.public.events",
// "\"my db\".public.\"T\"") into its parts, unquoting quoted ones and
// folding unquoted ones to lower case (as printed, they already are).
func ttlSplitName(s string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			end := ttlSkipQuoted(s, i)
			inner := s[i+1 : max(i+1, end-1)]
			b.WriteString(strings.ReplaceAll(inner, `""`, `"`))
			i = end - 1
		case c == '.':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, b.String())
}

// ttlJobTarget returns the table a ROW LEVEL TTL job works on from the first
// line of its description: "ttl for <db.schema.table>" (v22.2: the whole
// description; v23.1+: followed by the SELECT and DELETE it runs).
func ttlJobTarget(firstLine string) (db, schema, table string, ok bool) {
	name, found := strings.CutPrefix(strings.TrimSpace(firstLine), "ttl for ")
	if !found {
		return "", "", "", false
	}
	parts := ttlSplitName(strings.TrimSpace(name))
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// TTL schedules are labelled "row-level-ttl: <table> [<id>]" (v23.x and
// later) or "row-level-ttl-<id>" (older). The table ID is the stable part:
// the name in the label is the one the table had when TTL was enabled.
var ttlScheduleLabelRe = regexp.MustCompile(`^row-level-ttl(?:-(\d+)|: .*\[(\d+)\])\s*$`)

// ttlScheduleTableID returns the table ID in a TTL schedule label.
func ttlScheduleTableID(label string) (int64, bool) {
	m := ttlScheduleLabelRe.FindStringSubmatch(label)
	if m == nil {
		return 0, false
	}
	id := m[1]
	if id == "" {
		id = m[2]
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil
}

// ttlFirstIndexKey returns the first column number of an index key as
// pg_index.indkey prints it: "3 1" (PostgreSQL int2vector) or "{3,1}".
func ttlFirstIndexKey(indkey string) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(indkey), "{}")
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	if len(f) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	return n, err == nil
}
