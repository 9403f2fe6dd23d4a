package assets

import (
	"fmt"
	"strconv"
	"strings"
)

// This file parses Datadog's metric query language, enough to find every
// metric, tag and template variable a dashboard or monitor uses and to
// reject what Datadog would reject or misread:
//
//	avg:crdb.sql.conns{$cluster,node_id:1} by {node_id}.rollup(max, 60)
//	sum:crdb.txn.restarts{*} by {reason}.as_rate() / sum:crdb.txn.commits{*}.as_rate()
//	top(avg:crdb.ranges{*} by {node_id}, 10, 'mean', 'desc')
//	anomalies(avg:crdb.sql.service_latency.p99{*}, 'agile', 2, direction='above')
//	query1 / query2 * 100                      (a formula)
//
// Scopes ({...}) and group-bys (by {...}) are kept raw and split later by
// parseScope, because their characters (':', '-', '!', '/') mean nothing to
// the expression grammar.

// expr is a node of a parsed query.
type expr interface{ position() int }

type numberLit struct {
	pos int
	val float64
}

type stringLit struct {
	pos int
	val string
}

// identRef is a bare identifier: a formula's query name (query1), a
// rollup method (sum), a monitor's time window (last_5m).
type identRef struct {
	pos  int
	name string
}

type callExpr struct {
	pos   int
	name  string
	args  []expr
	named []namedArg
}

type namedArg struct {
	pos  int
	name string
	val  expr
}

// methodCall is .as_count(), .rollup(sum, 60), .fill(zero)...
type methodCall struct {
	pos  int
	name string
	args []expr
}

// chainExpr is a non-metric expression followed by method calls.
type chainExpr struct {
	recv  expr
	calls []methodCall
}

// metricExpr is one metric query: [aggr:]metric{scope} [by {keys}] [.method()...].
type metricExpr struct {
	pos       int
	aggr      string // space aggregator, "" when absent
	metric    string
	metricPos int
	scope     string
	scopePos  int // offset of the first byte inside the braces
	by        []groupKey
	calls     []methodCall
}

type groupKey struct {
	pos int
	key string
}

type binaryExpr struct {
	pos  int
	op   string
	l, r expr
}

type negExpr struct {
	pos int
	x   expr
}

func (e *numberLit) position() int  { return e.pos }
func (e *stringLit) position() int  { return e.pos }
func (e *identRef) position() int   { return e.pos }
func (e *callExpr) position() int   { return e.pos }
func (e *chainExpr) position() int  { return e.recv.position() }
func (e *metricExpr) position() int { return e.pos }
func (e *binaryExpr) position() int { return e.pos }
func (e *negExpr) position() int    { return e.pos }

// syntaxError is a parse failure at a byte offset of the query.
type syntaxError struct {
	pos int
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("at column %d: %s", e.pos+1, e.msg) }

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tString
	tPunct
)

type token struct {
	kind tokKind
	pos  int
	text string // identifier, punctuation, raw number, or unquoted string
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tString:
		return strconv.Quote(t.text)
	default:
		return strconv.Quote(t.text)
	}
}

// parser is a recursive-descent parser over a query string. It scans lazily
// so that scopes can be read raw.
type parser struct {
	src string
	off int
	tok token
}

func newParser(src string) (*parser, error) {
	p := &parser{src: src}
	if err := p.next(); err != nil {
		return nil, err
	}
	return p, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentByte(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' || c == '.' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// next scans the token after p.off into p.tok.
func (p *parser) next() error {
	for p.off < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.off]) >= 0 {
		p.off++
	}
	start := p.off
	if start >= len(p.src) {
		p.tok = token{kind: tEOF, pos: start}
		return nil
	}
	c := p.src[start]
	switch {
	case isIdentStart(c):
		end := start + 1
		for end < len(p.src) && isIdentByte(p.src[end]) {
			end++
		}
		// A trailing dot belongs to a method call, not to the name.
		for end > start+1 && p.src[end-1] == '.' {
			end--
		}
		p.tok = token{kind: tIdent, pos: start, text: p.src[start:end]}
		p.off = end
	case isDigit(c) || c == '.' && start+1 < len(p.src) && isDigit(p.src[start+1]):
		end := start
		for end < len(p.src) && (isDigit(p.src[end]) || p.src[end] == '.') {
			end++
		}
		if end < len(p.src) && (p.src[end] == 'e' || p.src[end] == 'E') {
			e := end + 1
			if e < len(p.src) && (p.src[e] == '+' || p.src[e] == '-') {
				e++
			}
			if e < len(p.src) && isDigit(p.src[e]) {
				for e < len(p.src) && isDigit(p.src[e]) {
					e++
				}
				end = e
			}
		}
		if end < len(p.src) && isIdentStart(p.src[end]) {
			return &syntaxError{start, fmt.Sprintf("malformed number %q", p.src[start:end+1])}
		}
		p.tok = token{kind: tNumber, pos: start, text: p.src[start:end]}
		p.off = end
	case c == '\'' || c == '"':
		end := strings.IndexByte(p.src[start+1:], c)
		if end < 0 {
			return &syntaxError{start, "unterminated string"}
		}
		p.tok = token{kind: tString, pos: start, text: p.src[start+1 : start+1+end]}
		p.off = start + end + 2
	default:
		two := ""
		if start+1 < len(p.src) {
			two = p.src[start : start+2]
		}
		switch two {
		case "<=", ">=", "==", "!=", "&&", "||":
			p.tok = token{kind: tPunct, pos: start, text: two}
			p.off = start + 2
			return nil
		}
		if strings.IndexByte("(){},:+-*/<>=.", c) < 0 {
			return &syntaxError{start, fmt.Sprintf("unexpected character %q", c)}
		}
		p.tok = token{kind: tPunct, pos: start, text: string(c)}
		p.off = start + 1
	}
	return nil
}

// peekByte returns the next non-space byte after the current token, 0 at
// the end.
func (p *parser) peekByte() byte {
	i := p.off
	for i < len(p.src) && strings.IndexByte(" \t\r\n", p.src[i]) >= 0 {
		i++
	}
	if i < len(p.src) {
		return p.src[i]
	}
	return 0
}

func (p *parser) is(text string) bool {
	return (p.tok.kind == tPunct || p.tok.kind == tIdent) && p.tok.text == text
}

func (p *parser) expect(text string) error {
	if !p.is(text) {
		return &syntaxError{p.tok.pos, fmt.Sprintf("expected %q, found %s", text, p.tok)}
	}
	return p.next()
}

// rawBraces reads "{...}" starting at the current token (which must be
// "{"), returning the content and its offset, and advances past "}".
func (p *parser) rawBraces(what string) (string, int, error) {
	if !p.is("{") {
		return "", 0, &syntaxError{p.tok.pos, fmt.Sprintf("expected '{' to open the %s, found %s", what, p.tok)}
	}
	open := p.tok.pos
	end := strings.IndexByte(p.src[open+1:], '}')
	if end < 0 {
		return "", 0, &syntaxError{open, fmt.Sprintf("the %s's '{' is never closed", what)}
	}
	if nested := strings.IndexByte(p.src[open+1:open+1+end], '{'); nested >= 0 {
		return "", 0, &syntaxError{open + 1 + nested, fmt.Sprintf("'{' inside the %s (is a '}' missing?)", what)}
	}
	p.off = open + 1 + end + 1
	if err := p.next(); err != nil {
		return "", 0, err
	}
	return p.src[open+1 : open+1+end], open + 1, nil
}

// parseExpr parses additive expressions.
func (p *parser) parseExpr() (expr, error) {
	l, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	for p.is("+") || p.is("-") {
		op := p.tok
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		l = &binaryExpr{pos: op.pos, op: op.text, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseTerm() (expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.is("*") || p.is("/") {
		op := p.tok
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &binaryExpr{pos: op.pos, op: op.text, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseUnary() (expr, error) {
	if p.is("-") {
		pos := p.tok.pos
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &negExpr{pos: pos, x: x}, nil
	}
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	var calls []methodCall
	for p.is(".") {
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind != tIdent {
			return nil, &syntaxError{p.tok.pos, fmt.Sprintf("expected a method name after '.', found %s", p.tok)}
		}
		m := methodCall{pos: p.tok.pos, name: p.tok.text}
		if err := p.next(); err != nil {
			return nil, err
		}
		if err := p.expect("("); err != nil {
			return nil, err
		}
		args, named, err := p.parseArgs()
		if err != nil {
			return nil, err
		}
		if len(named) > 0 {
			return nil, &syntaxError{named[0].pos, fmt.Sprintf("method .%s() takes no named arguments", m.name)}
		}
		m.args = args
		calls = append(calls, m)
	}
	if len(calls) == 0 {
		return x, nil
	}
	if m, ok := x.(*metricExpr); ok {
		m.calls = append(m.calls, calls...)
		return m, nil
	}
	return &chainExpr{recv: x, calls: calls}, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.tok
	switch t.kind {
	case tNumber:
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, &syntaxError{t.pos, fmt.Sprintf("malformed number %q", t.text)}
		}
		return &numberLit{pos: t.pos, val: v}, p.next()
	case tString:
		return &stringLit{pos: t.pos, val: t.text}, p.next()
	case tIdent:
		switch p.peekByte() {
		case '(':
			if err := p.next(); err != nil {
				return nil, err
			}
			if err := p.next(); err != nil { // past '('
				return nil, err
			}
			args, named, err := p.parseArgs()
			if err != nil {
				return nil, err
			}
			return &callExpr{pos: t.pos, name: t.text, args: args, named: named}, nil
		case ':', '{':
			return p.parseMetric()
		}
		return &identRef{pos: t.pos, name: t.text}, p.next()
	case tPunct:
		if t.text == "(" {
			if err := p.next(); err != nil {
				return nil, err
			}
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			return x, p.expect(")")
		}
	case tEOF:
		return nil, &syntaxError{t.pos, "unexpected end of query"}
	}
	return nil, &syntaxError{t.pos, fmt.Sprintf("unexpected %s", t)}
}

// parseMetric parses [aggr:]metric{scope} [by {keys}].
func (p *parser) parseMetric() (expr, error) {
	m := &metricExpr{pos: p.tok.pos}
	if p.peekByte() == ':' {
		m.aggr = p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
		if err := p.next(); err != nil { // past ':'
			return nil, err
		}
		if p.tok.kind != tIdent {
			return nil, &syntaxError{p.tok.pos, fmt.Sprintf("expected a metric name after %q, found %s", m.aggr+":", p.tok)}
		}
	}
	m.metric, m.metricPos = p.tok.text, p.tok.pos
	if err := p.next(); err != nil {
		return nil, err
	}
	scope, scopePos, err := p.rawBraces("scope of " + m.metric)
	if err != nil {
		return nil, err
	}
	m.scope, m.scopePos = scope, scopePos
	if p.tok.kind == tIdent && p.tok.text == "by" {
		if err := p.next(); err != nil {
			return nil, err
		}
		raw, rawPos, err := p.rawBraces("group-by of " + m.metric)
		if err != nil {
			return nil, err
		}
		keys, err := splitKeys(raw, rawPos)
		if err != nil {
			return nil, err
		}
		m.by = keys
	}
	return m, nil
}

// splitKeys splits a group-by's "a, b" into keys.
func splitKeys(raw string, base int) ([]groupKey, error) {
	var keys []groupKey
	off := 0
	for _, part := range strings.Split(raw, ",") {
		lead := len(part) - len(strings.TrimLeft(part, " \t"))
		k := strings.TrimSpace(part)
		if k == "" {
			return nil, &syntaxError{base + off, "empty key in group-by"}
		}
		if strings.ContainsAny(k, " :*$!") {
			return nil, &syntaxError{base + off + lead, fmt.Sprintf("group-by key %q is not a tag key", k)}
		}
		keys = append(keys, groupKey{pos: base + off + lead, key: k})
		off += len(part) + 1
	}
	return keys, nil
}

// parseArgs parses "a, b, name=c)" after an opening parenthesis, consuming
// the closing one.
func (p *parser) parseArgs() ([]expr, []namedArg, error) {
	var args []expr
	var named []namedArg
	if p.is(")") {
		return nil, nil, p.next()
	}
	for {
		if p.tok.kind == tIdent && p.peekByte() == '=' && !strings.HasPrefix(strings.TrimLeft(p.src[p.off:], " \t\r\n"), "==") {
			a := namedArg{pos: p.tok.pos, name: p.tok.text}
			if err := p.next(); err != nil {
				return nil, nil, err
			}
			if err := p.next(); err != nil { // past '='
				return nil, nil, err
			}
			v, err := p.parseExpr()
			if err != nil {
				return nil, nil, err
			}
			a.val = v
			named = append(named, a)
		} else {
			if len(named) > 0 {
				return nil, nil, &syntaxError{p.tok.pos, "positional argument after a named one"}
			}
			a, err := p.parseExpr()
			if err != nil {
				return nil, nil, err
			}
			args = append(args, a)
		}
		if p.is(")") {
			return args, named, p.next()
		}
		if err := p.expect(","); err != nil {
			return nil, nil, err
		}
	}
}

// parseQueryList parses a legacy request's "q": one or more expressions
// separated by commas.
func parseQueryList(src string) ([]expr, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	var out []expr
	for {
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		if p.tok.kind == tEOF {
			return out, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// parseSingle parses exactly one expression.
func parseSingle(src string) (expr, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	x, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("unexpected %s after the expression", p.tok)}
	}
	return x, nil
}

// monitorQuery is a parsed metric/query alert: header:body op threshold.
type monitorQuery struct {
	header    *callExpr // avg(last_5m), change(avg(last_5m),last_5m)...
	body      expr
	op        string
	opPos     int
	threshold float64
	thrPos    int
}

// parseMonitorQuery parses "time_aggr(window):expr op number".
func parseMonitorQuery(src string) (*monitorQuery, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tIdent || p.peekByte() != '(' {
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("expected a time aggregation such as avg(last_5m), found %s", p.tok)}
	}
	h, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	q := &monitorQuery{header: h.(*callExpr)}
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	if q.body, err = p.parseExpr(); err != nil {
		return nil, err
	}
	switch {
	case p.is(">"), p.is(">="), p.is("<"), p.is("<="):
		q.op, q.opPos = p.tok.text, p.tok.pos
	case p.is("==") || p.is("!="):
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("comparator %s is not supported by metric monitors (use >, >=, < or <=)", p.tok)}
	default:
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("expected a comparator (>, >=, <, <=) and a threshold, found %s", p.tok)}
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	sign := 1.0
	if p.is("-") {
		sign = -1
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if p.tok.kind != tNumber {
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("expected a numeric threshold, found %s", p.tok)}
	}
	q.thrPos = p.tok.pos
	v, err := strconv.ParseFloat(p.tok.text, 64)
	if err != nil {
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("malformed threshold %q", p.tok.text)}
	}
	q.threshold = sign * v
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("unexpected %s after the threshold", p.tok)}
	}
	return q, nil
}

// chainQuery is a service check or event query: "name".m(args).m(args)...
// followed, for event alerts, by a comparison.
type chainQuery struct {
	subject   *stringLit // "crdb.node.can_scrape" (service check)
	call      *callExpr  // events("...") (event-v2 alert)
	calls     []methodCall
	op        string
	opPos     int
	threshold float64
	hasThr    bool
}

// parseChainQuery parses a service check query or an events(...) query,
// with an optional "op number" tail.
func parseChainQuery(src string) (*chainQuery, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	q := &chainQuery{}
	recv := x
	if c, ok := x.(*chainExpr); ok {
		recv, q.calls = c.recv, c.calls
	}
	switch r := recv.(type) {
	case *stringLit:
		q.subject = r
	case *callExpr:
		q.call = r
	default:
		return nil, &syntaxError{x.position(), "expected \"check.name\".over(...)... or events(\"...\")..."}
	}
	if p.tok.kind == tEOF {
		return q, nil
	}
	if !(p.is(">") || p.is(">=") || p.is("<") || p.is("<=")) {
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("unexpected %s", p.tok)}
	}
	q.op, q.opPos = p.tok.text, p.tok.pos
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind != tNumber {
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("expected a numeric threshold, found %s", p.tok)}
	}
	v, err := strconv.ParseFloat(p.tok.text, 64)
	if err != nil {
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("malformed threshold %q", p.tok.text)}
	}
	q.threshold, q.hasThr = v, true
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, &syntaxError{p.tok.pos, fmt.Sprintf("unexpected %s after the threshold", p.tok)}
	}
	return q, nil
}

// scopeTerm is one tag filter of a scope: key:value, !key:value, key IN
// (...), $var, or *.
type scopeTerm struct {
	pos    int
	key    string // tag key; "" for $var and *
	varRef string // template variable name for $var (and key:$var.value)
	star   bool
}

// parseScope splits a scope into terms. It understands the boolean forms
// (AND, OR, NOT, IN, parentheses) well enough to find every tag key.
func parseScope(raw string, base int) ([]scopeTerm, error) {
	type word struct {
		pos  int
		text string
	}
	var words []word
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == ',' || c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')':
			words = append(words, word{i, string(c)})
			i++
		default:
			j := i
			for j < len(raw) && strings.IndexByte(", \t\n()", raw[j]) < 0 {
				j++
			}
			words = append(words, word{i, raw[i:j]})
			i = j
		}
	}
	if len(words) == 0 {
		return nil, &syntaxError{base, "empty scope (use {*} for no filter)"}
	}
	var terms []scopeTerm
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch strings.ToUpper(w.text) {
		case "(", ")", "AND", "OR", "NOT":
			continue
		}
		// key IN (a, b) / key NOT IN (a, b): the values are not keys.
		if i+1 < len(words) && (strings.EqualFold(words[i+1].text, "IN") ||
			i+2 < len(words) && strings.EqualFold(words[i+1].text, "NOT") && strings.EqualFold(words[i+2].text, "IN")) {
			k := strings.TrimLeft(w.text, "!-")
			terms = append(terms, scopeTerm{pos: base + w.pos, key: k})
			for i++; i < len(words) && words[i].text != ")"; i++ {
			}
			continue
		}
		t := w.text
		switch {
		case t == "*":
			terms = append(terms, scopeTerm{pos: base + w.pos, star: true})
		case strings.HasPrefix(t, "$"):
			name := strings.TrimSuffix(t[1:], ".value")
			if name == "" {
				return nil, &syntaxError{base + w.pos, "'$' without a template variable name"}
			}
			terms = append(terms, scopeTerm{pos: base + w.pos, varRef: name})
		default:
			t = strings.TrimLeft(t, "!-")
			k, v, ok := strings.Cut(t, ":")
			if !ok || k == "" {
				return nil, &syntaxError{base + w.pos, fmt.Sprintf("scope term %q has no tag key (write key:value)", w.text)}
			}
			if v == "" {
				return nil, &syntaxError{base + w.pos, fmt.Sprintf("scope term %q has no value (write %s:* for any value)", w.text, k)}
			}
			st := scopeTerm{pos: base + w.pos, key: k}
			if strings.HasPrefix(v, "$") {
				st.varRef = strings.TrimSuffix(strings.TrimSuffix(v[1:], ".value"), ".key")
			}
			terms = append(terms, st)
		}
	}
	return terms, nil
}
