// Package yamlx decodes roachdog's configuration strictly, by hand from a
// yaml.Node tree, so that every error names the file, the line and the key
// path, unknown keys get a suggestion, and a value that came from ${VAR} is
// never quoted. It is a leaf: the config package decodes the file with it,
// and each check decodes its own options with it (a check's options live in
// the check's file, which config cannot import back).
package yamlx

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/internal/suggest"
)

// Error is one problem in the configuration, with where it is. Err returns
// every Error found joined (errors.Join); use errors.As to get at one.
type Error struct {
	// File is the name given to NewDecoder (config.Load gives the path).
	File string
	// Line and Column are 1-based; Line is 0 when the problem has no place in
	// the file (a bad DD_* environment variable).
	Line, Column int
	// Path is the key path, e.g. "instances[0].checks.vars.timeout", or the
	// environment variable's name.
	Path string
	// Msg says what is wrong. It never holds a secret: a value that came
	// from ${VAR} is shown as written in the file, not expanded.
	Msg string
}

// Error formats as "file:line: path: msg", the form editors and CI logs link.
// The column is left out: the key path already names the exact element, even
// inside a flow list.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// maxNodes bounds the nodes one document may make the decoder visit, so that
// aliases nested into a "billion laughs" cannot exhaust memory or time.
const maxNodes = 100_000

// Decoder walks a yaml.Node tree by hand, so that every error carries the
// file, the line and the key path, and so that it can collect many errors in
// one pass instead of stopping at the first.
type Decoder struct {
	file    string
	env     func(string) (string, bool)
	errs    []*Error
	visited int
	tooDeep bool
	// fromEnv holds the scalars whose value went through ${VAR} expansion,
	// with what each variable gave: messages show them as written.
	fromEnv map[*yaml.Node][]envRef
}

// NewDecoder returns a decoder for file (the name errors show). env looks
// up ${VAR}; nil is an empty environment.
func NewDecoder(file string, env func(string) (string, bool)) *Decoder {
	if env == nil {
		env = noEnv
	}
	return &Decoder{file: file, env: env}
}

// File is the name errors show.
func (d *Decoder) File() string { return d.file }

// Env looks up an environment variable.
func (d *Decoder) Env(name string) (string, bool) { return d.env(name) }

// ErrCount is how many problems were found so far: a caller compares it
// before and after decoding a part to know whether that part was valid.
func (d *Decoder) ErrCount() int { return len(d.errs) }

// FromEnv reports whether n's value went through ${VAR} expansion: a
// message must then show it with Show, and a hint must not quote it.
func (d *Decoder) FromEnv(n *yaml.Node) bool { return len(d.fromEnv[n]) > 0 }

// AddError records a problem that has no place in the file (a bad DD_*
// environment variable): path names it.
func (d *Decoder) AddError(path, msg string) {
	d.errs = append(d.errs, &Error{File: d.file, Path: path, Msg: msg})
}

// Fields decode the keys of a mapping: each known key's function gets the
// key's value and its path.
type Fields = map[string]func(v *yaml.Node, path string)

// Errorf records a problem at n (its line), at path.
func (d *Decoder) Errorf(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.file, Path: path, Msg: d.scrub(n, format, fmt.Sprintf(format, args...))}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// Show quotes a value for a message. A value that came from ${VAR} is shown
// as written in the file instead: the variable may hold a secret (a
// password in a URL), and Error.Msg never holds one.
func (d *Decoder) Show(n *yaml.Node, s string) string {
	if len(d.fromEnv[n]) == 0 {
		return strconv.Quote(s)
	}
	return d.written(n, strings.TrimSpace(n.Value))
}

// written quotes text, a value from ${VAR} as written in the file, and
// names the variables.
func (d *Decoder) written(n *yaml.Node, text string) string {
	var names []string
	for _, r := range d.fromEnv[n] {
		if ref := "${" + r.name + "}"; !slices.Contains(names, ref) {
			names = append(names, ref)
		}
	}
	return fmt.Sprintf("%q (value from %s not shown)", text, strings.Join(names, ", "))
}

// BadValue is a problem with one value, worded so that the decoder can show
// the value as Show does: Shown is the value as it may be quoted (passwords
// hidden; "" when the message quotes nothing), Msg follows it (": reason"
// or " reason"), and Hint, which may quote parts of the value, is left out
// for a value from ${VAR}.
// What, when set, names the value before it ("tag ").
type BadValue struct{ What, Shown, Msg, Hint string }

func (e *BadValue) Error() string {
	if e.Shown == "" {
		return e.Msg + e.Hint
	}
	return e.What + strconv.Quote(e.Shown) + e.Msg + e.Hint
}

// ValueError reports err, a problem with the value of n.
func (d *Decoder) ValueError(n *yaml.Node, path string, err error) {
	var bv *BadValue
	if errors.As(err, &bv) && bv.Shown != "" && len(d.fromEnv[n]) > 0 {
		// As written, with a password written in the file hidden as the
		// value would have been.
		d.Errorf(n, path, "%s%s%s", bv.What, d.written(n, RedactURLText(strings.TrimSpace(n.Value))), bv.Msg)
		return
	}
	d.Errorf(n, path, "%v", err)
}

// minScrubbed is the shortest variable value scrub looks for: shorter ones
// ("1", "on") would match ordinary words and say nothing secret.
const minScrubbed = 4

// scrub is the last guard against a message quoting what a ${VAR} of n (or
// of a scalar under n) gave, which the messages avoid by using show: such
// text, when the message holds it more often than its format does (the
// format's own words, like "true", are no echo), is replaced with the
// ${VAR} reference.
func (d *Decoder) scrub(n *yaml.Node, format, msg string) string {
	if len(d.fromEnv) == 0 || n == nil {
		return msg
	}
	var refs []envRef
	var walk func(*yaml.Node, int)
	walk = func(n *yaml.Node, depth int) {
		for _, r := range d.fromEnv[n] {
			// A value also written in the file is no secret (and the
			// message may quote the file).
			if len(r.value) >= minScrubbed && !strings.Contains(strings.ToLower(n.Value), strings.ToLower(r.value)) {
				refs = append(refs, r)
			}
		}
		if depth < 3 { // a list item or a column's mapping; not a whole document
			for _, c := range n.Content {
				walk(c, depth+1)
			}
		}
	}
	walk(n, 0)
	// Longest values first, so that one holding another is replaced whole.
	slices.SortFunc(refs, func(a, b envRef) int { return cmp.Compare(len(b.value), len(a.value)) })
	lowFormat := strings.ToLower(format)
	for _, r := range refs {
		quoted := strconv.Quote(r.value)
		for _, v := range []string{r.value, quoted[1 : len(quoted)-1]} {
			lv := strings.ToLower(v)
			if strings.Count(strings.ToLower(msg), lv) > strings.Count(lowFormat, lv) {
				msg = replaceFold(msg, v, "${"+r.name+"}")
			}
		}
	}
	return msg
}

// replaceFold replaces old in s with repl, ignoring ASCII case (messages
// lower-case some values).
func replaceFold(s, old, repl string) string {
	lower, lowOld := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) || len(lowOld) != len(old) {
		// Case mapping changed lengths (non-ASCII): match exactly only.
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lowOld)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lower = s[i+len(old):], lower[i+len(old):]
	}
}

// Err returns the collected errors in file order, or nil.
func (d *Decoder) Err() error {
	if len(d.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(d.errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Document parses data into its single YAML document. Syntax errors are
// rewritten from "yaml: line 3: ..." to "file:3: ...".
func (d *Decoder) Document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: d.file, Line: 1, Msg: "empty file; want init_config and instances"}
		}
		return nil, d.syntaxError(data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &Error{File: d.file, Line: next.Line, Msg: "a second YAML document (---) is not supported"}
	case !errors.Is(err, io.EOF):
		return nil, d.syntaxError(data, err)
	}
	if len(doc.Content) == 0 || IsNull(doc.Content[0]) {
		return nil, &Error{File: d.file, Line: 1, Msg: "empty file; want init_config and instances"}
	}
	return doc.Content[0], nil
}

// syntaxError rewrites a YAML syntax error with the file and a line.
func (d *Decoder) syntaxError(data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	yamlLine := 0
	if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
		yamlLine, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	return &Error{File: d.file, Line: syntaxErrorLine(data, msg, yamlLine), Msg: "invalid YAML: " + msg}
}

// syntaxErrorLine finds the line of a syntax error: the first line at which
// the text read so far fails with the same message msg (where the mistake
// is, and for an unclosed bracket or quote, where it opens). yaml.v3 tells
// only yamlLine: often the line where the enclosing block began (0-based
// for parser errors), or none ("a: b: c").
//
// It takes a fixed number of parses, so time stays linear in the file's
// size (re-parsing every prefix took minutes on a 1 MiB file). One parse
// fed a byte at a time shows how far the parser read before failing: the
// mistake plus its lookahead, which ends at the next token, past blank and
// comment lines. The mistake is on that line or on one of the two lines
// with content before it, or on yaml.v3's line: each candidate is checked,
// in order, by parsing the text up to its end.
func syntaxErrorLine(data []byte, msg string, yamlLine int) int {
	r := &byteReader{data: data}
	dec := yaml.NewDecoder(r)
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return yamlLine // it parses one byte at a time: cannot happen
		}
		if err != nil {
			break
		}
	}
	last := max(r.off-1, 0) // the last byte read
	readLine := bytes.Count(data[:last], []byte("\n")) + 1

	// Candidates, by their start offset, in file order.
	var cands []int
	start := bytes.LastIndexByte(data[:last], '\n') + 1 // of readLine
	for line := readLine - 1; line >= 1 && len(cands) < 2; line-- {
		end := start
		start = bytes.LastIndexByte(data[:end-1], '\n') + 1
		if t := bytes.TrimSpace(data[start:end]); len(t) > 0 && t[0] != '#' {
			cands = append(cands, line)
		}
	}
	for _, line := range []int{yamlLine, yamlLine + 1} {
		if line >= 1 && line < readLine && !slices.Contains(cands, line) {
			cands = append(cands, line)
		}
	}
	slices.Sort(cands)
	for _, line := range cands {
		if prefixFails(data[:lineEnd(data, line)], msg) {
			return line
		}
	}
	return readLine
}

// lineEnd returns the offset just past line n (1-based) and its newline.
func lineEnd(data []byte, n int) int {
	off := 0
	for ; n > 0; n-- {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return len(data)
		}
		off += i + 1
	}
	return off
}

// byteReader hands out one byte per Read, so that the YAML parser, which
// reads as it needs, has read only a few bytes past a syntax error when it
// stops.
type byteReader struct {
	data []byte
	off  int
}

func (r *byteReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[r.off]
	r.off++
	return 1, nil
}

// prefixFails reports whether data fails to parse with message msg.
func prefixFails(data []byte, msg string) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			return false
		}
		got := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
			got = m[2]
		}
		return got == msg
	}
}

// resolve follows aliases and counts visits (see maxNodes).
func (d *Decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.visited++
	return n
}

func (d *Decoder) budgetLeft(n *yaml.Node) bool {
	if d.visited <= maxNodes {
		return true
	}
	if !d.tooDeep {
		d.tooDeep = true
		d.Errorf(n, "", "document too large or too many aliases (more than %d nodes)", maxNodes)
	}
	return false
}

// IsNull reports whether n is absent or a YAML null: a key given as null
// leaves its default.
func IsNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// KindName describes a node for "want X, got Y" messages without quoting its
// value (which may be a secret).
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "nothing"
		case "!!timestamp":
			return "a timestamp"
		case "!!binary":
			return "binary data"
		}
		return "a value tagged " + n.Tag
	}
	return "something else"
}

// KeyPath joins a parent path and a key.
func KeyPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// IndexPath is the path of a list's item: "tags[2]".
func IndexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// Pair is one key of a mapping with its value.
type Pair struct {
	Key     string
	KeyNode *yaml.Node
	Value   *yaml.Node // resolved; may be a null scalar
}

// Pairs returns a mapping's entries in file order, with YAML merge keys
// ("<<: *base", handy to share settings between instances) applied: keys
// written in the mapping win over merged ones. A duplicate key is an error.
func (d *Decoder) Pairs(n *yaml.Node, path string) []Pair {
	var own []Pair
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), d.resolve(n.Content[i+1])
		if !d.budgetLeft(n) {
			return nil
		}
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, path, "keys must be plain strings, got %s", KindName(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.Errorf(k, KeyPath(path, k.Value), "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		own = append(own, Pair{Key: k.Value, KeyNode: k, Value: v})
	}
	// Merged mappings: earlier ones win over later ones, own keys over all.
	for _, m := range merges {
		var srcs []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			srcs = []*yaml.Node{m}
		case yaml.SequenceNode:
			for _, s := range m.Content {
				srcs = append(srcs, d.resolve(s))
			}
		default:
			d.Errorf(m, path, "<< merges a mapping or a list of mappings, got %s", KindName(m))
		}
		for _, s := range srcs {
			if s.Kind != yaml.MappingNode {
				d.Errorf(s, path, "<< merges a mapping or a list of mappings, got %s", KindName(s))
				continue
			}
			for _, p := range d.Pairs(s, path) {
				if _, dup := seen[p.Key]; !dup {
					seen[p.Key] = p.KeyNode
					own = append(own, p)
				}
			}
		}
	}
	return own
}

// Object decodes a mapping whose keys are all known: each present key's
// handler runs with the value and its path. Unknown keys are errors with a
// suggestion. A null node is an empty mapping. It returns the mapping's
// pairs by key for the caller's cross-field checks.
func (d *Decoder) Object(n *yaml.Node, path string, fields Fields) map[string]Pair {
	got := map[string]Pair{}
	if IsNull(n) {
		return got
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, path, "want a mapping of keys, got %s", KindName(n))
		return got
	}
	for _, p := range d.Pairs(n, path) {
		fn, ok := fields[p.Key]
		if !ok {
			d.Errorf(p.KeyNode, KeyPath(path, p.Key), "unknown key%s", unknownKeyHint(p.Key, fields))
			continue
		}
		got[p.Key] = p
		if !IsNull(p.Value) {
			fn(p.Value, KeyPath(path, p.Key))
		}
	}
	return got
}

// List returns a sequence's items (resolved); a null node is an empty list.
func (d *Decoder) List(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	if IsNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, path, "want a list, got %s", KindName(n))
		return nil, false
	}
	items := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		items = append(items, d.resolve(c))
		if !d.budgetLeft(n) {
			return nil, false
		}
	}
	return items, true
}

// Scalar returns a scalar's text, expanding ${VAR} in strings. Numbers are
// accepted as their text (a cluster may be called 2024); booleans and other
// kinds are errors, named without quoting the value.
func (d *Decoder) Scalar(n *yaml.Node, path string, expand bool) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.Errorf(n, path, "want a string, got %s", KindName(n))
		return "", false
	}
	switch n.ShortTag() {
	case "!!str":
		if !expand {
			return n.Value, true
		}
		s, refs, err := expandEnv(n.Value, d.env)
		if err != nil {
			d.Errorf(n, path, "%v", err)
			return "", false
		}
		if len(refs) > 0 {
			if d.fromEnv == nil {
				d.fromEnv = map[*yaml.Node][]envRef{}
			}
			d.fromEnv[n] = refs
		}
		return s, true
	case "!!int", "!!float":
		return n.Value, true
	}
	d.Errorf(n, path, "want a string, got %s", KindName(n))
	return "", false
}

// Str is Scalar with environment expansion and surrounding space trimmed.
func (d *Decoder) Str(n *yaml.Node, path string) (string, bool) {
	s, ok := d.Scalar(n, path, true)
	return strings.TrimSpace(s), ok
}

// Boolean accepts YAML booleans and, for values coming from ${VAR}, the
// strings true/false/yes/no/on/off.
func (d *Decoder) Boolean(n *yaml.Node, path string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return b, true
		}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		s, ok := d.Str(n, path)
		if !ok {
			return false, false
		}
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			return true, true
		case "false", "no", "off":
			return false, true
		}
		d.Errorf(n, path, "want true or false, got %s", d.Show(n, s))
		return false, false
	}
	d.Errorf(n, path, "want true or false, got %s", KindName(n))
	return false, false
}

// Port accepts an integer in 1..65535.
func (d *Decoder) Port(n *yaml.Node, path string) (int, bool) {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!str") {
		d.Errorf(n, path, "want a port number, got %s", KindName(n))
		return 0, false
	}
	s, ok := d.Str(n, path)
	if !ok {
		return 0, false
	}
	p, err := strconv.ParseInt(s, 0, 64)
	if err != nil || p < 1 || p > 65535 {
		d.Errorf(n, path, "want a port number from 1 to 65535, got %s", d.Show(n, s))
		return 0, false
	}
	return int(p), true
}

// unknownKeyHint returns ` (did you mean "x"?)` for the known key nearest to
// an unknown one, a hint for keys from other tools' configurations, or the
// list of known keys when none is near.
func unknownKeyHint[V any](key string, known map[string]V) string {
	if hint, ok := keyHints[key]; ok {
		if _, isKnown := known[hint.want]; isKnown {
			return " (" + hint.say + ")"
		}
	}
	// A prefix of a known key ("refresh" for "refresh_interval").
	prefixed := ""
	for k := range known {
		if len(key) >= 4 && strings.HasPrefix(k, strings.ToLower(key)) && (prefixed == "" || len(k) < len(prefixed) || len(k) == len(prefixed) && k < prefixed) {
			prefixed = k
		}
	}
	if prefixed != "" {
		return fmt.Sprintf(" (did you mean %q?)", prefixed)
	}
	keys := slices.Sorted(maps.Keys(known))
	// Sorted, so that of two keys as near the first in order is suggested.
	if best, ok := suggest.Closest(strings.ToLower(key), keys, max(2, len(key)/3)); ok {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return "; known keys: " + strings.Join(keys, ", ")
}

// keyHints answers keys people carry over from Datadog's cockroachdb and
// openmetrics checks; a hint shows only where its wanted key is known.
var keyHints = map[string]struct{ want, say string }{
	"openmetrics_endpoint":    {"status_urls", `roachdog reads /_status/vars itself: list the nodes' base URLs in status_urls, e.g. "http://roach1:8080"`},
	"prometheus_url":          {"status_urls", `roachdog reads /_status/vars itself: list the nodes' base URLs in status_urls, e.g. "http://roach1:8080"`},
	"status_url":              {"status_urls", `did you mean "status_urls"? It takes a list`},
	"url":                     {"status_urls", `did you mean "status_urls"? It takes a list of the nodes' base URLs`},
	"min_collection_interval": {"interval", `a check's own interval is "interval"; min_collection_interval belongs to the instance`},
}
