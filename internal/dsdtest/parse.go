package dsdtest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// TelemetryPrefix starts the names of the metrics datadog-go sends about
// itself every 10s; the Server leaves them out of its snapshots.
const TelemetryPrefix = "datadog.dogstatsd.client."

// Metric is one metric sample. A packed line (protocol v1.1,
// "name:1:2:3|d") yields one Metric per value.
type Metric struct {
	Name string
	// Value is the sample; 0 for sets (see SetValue).
	Value float64
	// SetValue is the raw value of a set ("s") sample.
	SetValue string
	// Type is the DogStatsD type: "g", "c", "ms", "h", "s" or "d".
	Type string
	// SampleRate is 1 unless the line carries "|@rate".
	SampleRate float64
	Tags       []string
	// ContainerID ("|c:"), Timestamp ("|T", unix seconds, 0 when absent),
	// ExternalEnv ("|e:") and Cardinality ("|card:") are the optional
	// trailing fields.
	ContainerID string
	Timestamp   int64
	ExternalEnv string
	Cardinality string
}

// ServiceCheck is one "_sc" line.
type ServiceCheck struct {
	Name string
	// Status is 0 (ok), 1 (warning), 2 (critical) or 3 (unknown).
	Status int
	// Message is unescaped ("m\:" back to "m:", "\n" back to a newline),
	// as the message reads; RawMessage is the field as the Agent keeps it
	// (it does not unescape).
	Message     string
	RawMessage  string
	Tags        []string
	Timestamp   int64
	Hostname    string
	ContainerID string
}

// Event is one "_e" line.
type Event struct {
	// Title and Text are unescaped ("\n" back to a newline), as the Agent
	// does for both.
	Title string
	Text  string
	// AlertType is "info", "warning", "error", "success" or "" when absent.
	AlertType   string
	AggKey      string
	Priority    string
	SourceType  string
	Hostname    string
	Timestamp   int64
	Tags        []string
	ContainerID string
}

// ParseError reports a line that is not valid DogStatsD.
type ParseError struct {
	Line   string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("dsdtest: malformed line %q: %s", e.Line, e.Reason)
}

// Parse parses a payload of newline-separated lines (one datagram or
// several) the way the Agent's DogStatsD server does (comp/dogstatsd/server:
// parse.go, parse_metrics.go, parse_service_checks.go, parse_events.go):
//
//   - the payload is split into lines on '\n' only, a '\r' ending a line is
//     dropped, and empty lines are skipped;
//   - a line starting with "_e{" is an event, one starting with "_sc" a
//     service check, anything else a metric;
//   - fields are split on '|'; optional fields may come in any order and
//     the last of a kind wins ("#", "h:", "d:", "m:"...);
//   - an event's title and text are taken by the byte lengths of its
//     header, whatever they contain, and both have "\n" unescaped.
//
// What the Agent would accept is returned as the Agent would read it (and
// its line in Lines). Beyond what the Agent rejects, the error also reports
// what it would accept but roachdog must never send: unknown or repeated
// fields, empty tags, names outside [A-Za-z0-9_.], bad values of optional
// fields (which the Agent ignores), a title or text not followed by '|'.
// The error joins one ParseError per line.
func Parse(payload string) (Snapshot, error) {
	var snap Snapshot
	var errs []error
	for _, line := range strings.Split(payload, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		accepted, err := snap.parseLine(line)
		if err != nil {
			errs = append(errs, err)
		}
		if accepted {
			snap.Lines = append(snap.Lines, line)
		}
	}
	return snap, errors.Join(errs...)
}

// ParseLine parses exactly one line (without its trailing newline), as
// Parse does.
func ParseLine(line string) (Snapshot, error) {
	var snap Snapshot
	if strings.Contains(line, "\n") {
		return snap, &ParseError{Line: line, Reason: "contains a newline"}
	}
	accepted, err := snap.parseLine(line)
	if accepted {
		snap.Lines = []string{line}
	}
	return snap, err
}

// parseLine adds what the Agent would read from line; accepted is false
// when the Agent would drop the line.
func (s *Snapshot) parseLine(line string) (accepted bool, err error) {
	switch {
	case strings.HasPrefix(line, "_e{"):
		var e Event
		if e, accepted, err = parseEvent(line); accepted {
			s.Events = append(s.Events, e)
		}
	case strings.HasPrefix(line, "_sc"):
		var sc ServiceCheck
		if sc, accepted, err = parseServiceCheck(line); accepted {
			s.ServiceChecks = append(s.ServiceChecks, sc)
		}
	default:
		var ms []Metric
		if ms, accepted, err = parseMetric(line); accepted {
			s.Metrics = append(s.Metrics, ms...)
		}
	}
	return accepted, err
}

func malformed(line, format string, args ...any) error {
	return &ParseError{Line: line, Reason: fmt.Sprintf(format, args...)}
}

// problems collects what is wrong with a line the Agent may still accept.
type problems struct {
	line string
	errs []string
	seen map[string]bool
}

func (p *problems) add(format string, args ...any) {
	p.errs = append(p.errs, fmt.Sprintf(format, args...))
}

// field notes an optional field of a kind ("#", "h:"...), reporting a
// repeat: the Agent keeps the last one, so a repeat means a field was
// injected.
func (p *problems) field(kind string) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[kind] {
		p.add("repeated field %q (the Agent keeps the last one)", kind)
	}
	p.seen[kind] = true
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return malformed(p.line, "%s", strings.Join(p.errs, "; "))
}

var metricTypes = map[string]bool{"g": true, "c": true, "ms": true, "h": true, "s": true, "d": true}

func parseMetric(line string) ([]Metric, bool, error) {
	p := &problems{line: line}
	// The Agent wants at least one '|', then "name:value" up to the first
	// '|' (split at its first ':'), then the type.
	if !strings.Contains(line, "|") {
		if !strings.Contains(line, ":") {
			return nil, false, malformed(line, "no ':' between name and value")
		}
		return nil, false, malformed(line, "no '|type'")
	}
	fields := strings.Split(line, "|")
	name, rawValues, ok := strings.Cut(fields[0], ":")
	if !ok {
		return nil, false, malformed(line, "no ':' between name and value")
	}
	if name == "" {
		return nil, false, malformed(line, "empty name")
	}
	if rawValues == "" {
		return nil, false, malformed(line, "empty value")
	}
	typ := fields[1]
	if !metricTypes[typ] {
		return nil, false, malformed(line, "unknown metric type %q", typ)
	}
	if err := checkName(name); err != nil {
		p.add("%v", err)
	}
	tmpl := Metric{Name: name, Type: typ, SampleRate: 1}
	for _, f := range fields[2:] {
		switch {
		case strings.HasPrefix(f, "#"):
			p.field("#")
			tmpl.Tags = parseTags(f[1:], p)
		case strings.HasPrefix(f, "@"):
			p.field("@")
			r, err := strconv.ParseFloat(f[1:], 64)
			if err != nil {
				return nil, false, malformed(line, "bad sample rate %q", f)
			}
			if r <= 0 || r > 1 {
				p.add("bad sample rate %q", f)
			}
			tmpl.SampleRate = r
		case strings.HasPrefix(f, "T"):
			p.field("T")
			ts, err := strconv.ParseInt(f[1:], 10, 64)
			if err != nil || ts < 1 {
				return nil, false, malformed(line, "bad timestamp %q", f)
			}
			if typ != "g" && typ != "c" {
				p.add("timestamp on a %q metric (only g and c take one)", typ)
			}
			tmpl.Timestamp = ts
		case strings.HasPrefix(f, "c:"):
			p.field("c:")
			tmpl.ContainerID = f[2:]
		case strings.HasPrefix(f, "e:"):
			p.field("e:")
			tmpl.ExternalEnv = f[2:]
		case strings.HasPrefix(f, "card:"):
			p.field("card:")
			tmpl.Cardinality = f[len("card:"):]
		default:
			p.add("unknown field %q (the Agent ignores it)", f)
		}
	}
	if typ == "s" {
		// Sets carry strings and are never packed.
		tmpl.SetValue = rawValues
		return []Metric{tmpl}, true, p.err()
	}
	var out []Metric
	for _, raw := range strings.Split(rawValues, ":") {
		if raw == "" {
			p.add("bad value: empty packed value (the Agent skips it)")
			continue
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, false, malformed(line, "bad value %q", raw)
		}
		if typ == "c" && v != float64(int64(v)) {
			// datadog-go sends counts as integers; a fraction means a
			// formatting bug on our side (the Agent would accept it).
			p.add("count value %q is not an integer", raw)
		}
		m := tmpl
		m.Value = v
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, false, malformed(line, "bad value: no value found")
	}
	return out, true, p.err()
}

func parseServiceCheck(line string) (ServiceCheck, bool, error) {
	p := &problems{line: line}
	if strings.Count(line, "|") < 2 || len(line) < 4 {
		return ServiceCheck{}, false, malformed(line, "want _sc|name|status")
	}
	if line[3] != '|' {
		p.add("no '|' after _sc")
	}
	// The Agent pops the first 4 bytes, whatever the fourth.
	fields := strings.Split(line[4:], "|")
	sc := ServiceCheck{Name: fields[0]}
	if sc.Name == "" {
		return sc, false, malformed(line, "empty name")
	}
	if err := checkName(sc.Name); err != nil {
		p.add("%v", err)
	}
	switch fields[1] {
	case "0", "1", "2", "3":
		sc.Status = int(fields[1][0] - '0')
	default:
		return sc, false, malformed(line, "bad status %q (want 0-3)", fields[1])
	}
	for _, f := range fields[2:] {
		switch {
		case strings.HasPrefix(f, "d:"):
			p.field("d:")
			ts, err := strconv.ParseInt(f[2:], 10, 64)
			if err != nil {
				p.add("bad timestamp %q (the Agent ignores it)", f)
				continue
			}
			sc.Timestamp = ts
		case strings.HasPrefix(f, "h:"):
			p.field("h:")
			sc.Hostname = f[2:]
		case strings.HasPrefix(f, "#"):
			p.field("#")
			sc.Tags = parseTags(f[1:], p)
		case strings.HasPrefix(f, "m:"):
			p.field("m:")
			sc.RawMessage = f[2:]
			sc.Message = unescapeServiceCheckMessage(f[2:])
		case strings.HasPrefix(f, "c:"):
			p.field("c:")
			sc.ContainerID = f[2:]
		case strings.HasPrefix(f, "e:"):
			p.field("e:")
		case strings.HasPrefix(f, "card:"):
			p.field("card:")
		default:
			p.add("unknown service check field %q (the Agent ignores it)", f)
		}
	}
	return sc, true, p.err()
}

// unescapeServiceCheckMessage undoes datadog-go's escaping (format.go):
// a newline is sent as `\n` and "m:" as `m\:`.
func unescapeServiceCheckMessage(s string) string {
	return strings.NewReplacer(`\n`, "\n", `m\:`, "m:").Replace(s)
}

var alertTypes = map[string]bool{"info": true, "warning": true, "error": true, "success": true}

func parseEvent(line string) (Event, bool, error) {
	p := &problems{line: line}
	var e Event
	// The Agent splits at the first ':'; the header is "_e{N,M}" (it takes
	// the lengths between its 4th and last bytes).
	rawHeader, body, ok := strings.Cut(line, ":")
	if !ok {
		return e, false, malformed(line, "no '}:' after the event header")
	}
	if len(rawHeader) < 7 {
		return e, false, malformed(line, "event header %q is not {title_len,text_len}", rawHeader)
	}
	if rawHeader[len(rawHeader)-1] != '}' {
		p.add("event header %q does not end with '}'", rawHeader)
	}
	rawTitleLen, rawTextLen, ok := strings.Cut(rawHeader[3:len(rawHeader)-1], ",")
	if !ok {
		return e, false, malformed(line, "event header %q is not {title_len,text_len}", rawHeader)
	}
	titleLen, err1 := strconv.Atoi(rawTitleLen)
	textLen, err2 := strconv.Atoi(rawTextLen)
	if err1 != nil || err2 != nil || titleLen < 0 || textLen < 0 {
		return e, false, malformed(line, "bad event lengths %q", rawHeader)
	}
	if titleLen == 0 {
		return e, false, malformed(line, "empty event title")
	}
	textStart := titleLen + 1
	end := textStart + textLen
	if len(body) < end {
		return e, false, malformed(line, "event shorter than its lengths {%d,%d} say", titleLen, textLen)
	}
	if body[titleLen] != '|' {
		p.add("event title is not %d bytes long (no '|' after it)", titleLen)
	}
	e.Title = strings.ReplaceAll(body[:titleLen], `\n`, "\n")
	e.Text = strings.ReplaceAll(body[textStart:end], `\n`, "\n")
	e.AlertType = "" // the Agent defaults to info; "" says the field was absent
	tail := body[end:]
	if tail == "" {
		return e, true, p.err()
	}
	fields := strings.Split(tail, "|")
	if fields[0] != "" {
		p.add("event text is not %d bytes long (%q follows it)", textLen, fields[0])
	}
	for _, f := range fields[1:] {
		switch {
		case strings.HasPrefix(f, "d:"):
			p.field("d:")
			ts, err := strconv.ParseInt(f[2:], 10, 64)
			if err != nil {
				p.add("bad timestamp %q (the Agent ignores it)", f)
				continue
			}
			e.Timestamp = ts
		case strings.HasPrefix(f, "h:"):
			p.field("h:")
			e.Hostname = f[2:]
		case strings.HasPrefix(f, "k:"):
			p.field("k:")
			e.AggKey = f[2:]
		case strings.HasPrefix(f, "p:"):
			p.field("p:")
			if v := f[2:]; v != "normal" && v != "low" {
				p.add("bad event priority %q (the Agent ignores it)", v)
				continue
			}
			e.Priority = f[2:]
		case strings.HasPrefix(f, "s:"):
			p.field("s:")
			e.SourceType = f[2:]
		case strings.HasPrefix(f, "t:"):
			p.field("t:")
			if !alertTypes[f[2:]] {
				p.add("bad event alert type %q (the Agent ignores it)", f[2:])
				continue
			}
			e.AlertType = f[2:]
		case strings.HasPrefix(f, "#"):
			p.field("#")
			e.Tags = parseTags(f[1:], p)
		case strings.HasPrefix(f, "c:"):
			p.field("c:")
			e.ContainerID = f[2:]
		case strings.HasPrefix(f, "e:"):
			p.field("e:")
		case strings.HasPrefix(f, "card:"):
			p.field("card:")
		default:
			p.add("unknown event field %q (the Agent ignores it)", f)
		}
	}
	return e, true, p.err()
}

// checkName accepts Datadog metric and check names: ASCII letters, digits,
// '_' and '.', starting with a letter. The Agent is more lenient, but it
// rewrites other characters, so anything else is a bug worth failing on.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '.'):
		default:
			return fmt.Errorf("bad character %q at %d in name %q", c, i, name)
		}
	}
	return nil
}

// parseTags splits on ',' as the Agent does ("" gives no tags).
func parseTags(s string, p *problems) []string {
	if s == "" {
		p.add("empty tag in %q", s)
		return nil
	}
	tags := strings.Split(s, ",")
	for _, t := range tags {
		if t == "" {
			p.add("empty tag in %q", s)
			break
		}
	}
	return tags
}
