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
	// Message is unescaped ("m\:" back to "m:", "\n" back to a newline).
	Message     string
	Tags        []string
	Timestamp   int64
	Hostname    string
	ContainerID string
}

// Event is one "_e" line.
type Event struct {
	Title string
	// Text is unescaped ("\n" back to a newline).
	Text string
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
// several). Empty lines are skipped, as the Agent does. Good lines are
// returned even when others are malformed; the error joins one ParseError per
// bad line.
func Parse(payload string) (Snapshot, error) {
	var snap Snapshot
	var errs []error
	for _, line := range strings.Split(payload, "\n") {
		if line == "" {
			continue
		}
		if err := snap.parseLine(line); err != nil {
			errs = append(errs, err)
			continue
		}
		snap.Lines = append(snap.Lines, line)
	}
	return snap, errors.Join(errs...)
}

// ParseLine parses exactly one line (without its trailing newline).
func ParseLine(line string) (Snapshot, error) {
	var snap Snapshot
	if strings.Contains(line, "\n") {
		return snap, &ParseError{Line: line, Reason: "contains a newline"}
	}
	if err := snap.parseLine(line); err != nil {
		return Snapshot{}, err
	}
	snap.Lines = []string{line}
	return snap, nil
}

func (s *Snapshot) parseLine(line string) error {
	var err error
	switch {
	case strings.HasPrefix(line, "_sc|"):
		var sc ServiceCheck
		if sc, err = parseServiceCheck(line); err == nil {
			s.ServiceChecks = append(s.ServiceChecks, sc)
		}
	case strings.HasPrefix(line, "_e{"):
		var e Event
		if e, err = parseEvent(line); err == nil {
			s.Events = append(s.Events, e)
		}
	default:
		var ms []Metric
		if ms, err = parseMetric(line); err == nil {
			s.Metrics = append(s.Metrics, ms...)
		}
	}
	return err
}

func malformed(line, format string, args ...any) error {
	return &ParseError{Line: line, Reason: fmt.Sprintf(format, args...)}
}

var metricTypes = map[string]bool{"g": true, "c": true, "ms": true, "h": true, "s": true, "d": true}

func parseMetric(line string) ([]Metric, error) {
	name, rest, ok := strings.Cut(line, ":")
	if !ok {
		return nil, malformed(line, "no ':' between name and value")
	}
	if err := checkName(name); err != nil {
		return nil, malformed(line, "%v", err)
	}
	fields := strings.Split(rest, "|")
	if len(fields) < 2 {
		return nil, malformed(line, "no '|type'")
	}
	rawValues, typ := fields[0], fields[1]
	if !metricTypes[typ] {
		return nil, malformed(line, "unknown metric type %q", typ)
	}
	tmpl := Metric{Name: name, Type: typ, SampleRate: 1}
	for _, f := range fields[2:] {
		switch {
		case strings.HasPrefix(f, "@"):
			r, err := strconv.ParseFloat(f[1:], 64)
			if err != nil || r <= 0 || r > 1 {
				return nil, malformed(line, "bad sample rate %q", f)
			}
			tmpl.SampleRate = r
		case strings.HasPrefix(f, "#"):
			tags, err := parseTags(f[1:])
			if err != nil {
				return nil, malformed(line, "%v", err)
			}
			tmpl.Tags = tags
		case strings.HasPrefix(f, "card:"):
			tmpl.Cardinality = f[len("card:"):]
		case strings.HasPrefix(f, "c:"):
			tmpl.ContainerID = f[2:]
		case strings.HasPrefix(f, "e:"):
			tmpl.ExternalEnv = f[2:]
		case strings.HasPrefix(f, "T"):
			if typ != "g" && typ != "c" {
				return nil, malformed(line, "timestamp on a %q metric (only g and c take one)", typ)
			}
			ts, err := strconv.ParseInt(f[1:], 10, 64)
			if err != nil || ts <= 0 {
				return nil, malformed(line, "bad timestamp %q", f)
			}
			tmpl.Timestamp = ts
		default:
			return nil, malformed(line, "unknown field %q", f)
		}
	}
	if typ == "s" {
		// Sets carry strings and are never packed.
		if rawValues == "" {
			return nil, malformed(line, "empty set value")
		}
		tmpl.SetValue = rawValues
		return []Metric{tmpl}, nil
	}
	var out []Metric
	for _, raw := range strings.Split(rawValues, ":") {
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, malformed(line, "bad value %q", raw)
		}
		if typ == "c" && v != float64(int64(v)) {
			// datadog-go sends counts as integers; a fraction means a
			// formatting bug on our side (the Agent would accept it).
			return nil, malformed(line, "count value %q is not an integer", raw)
		}
		m := tmpl
		m.Value = v
		out = append(out, m)
	}
	return out, nil
}

func parseServiceCheck(line string) (ServiceCheck, error) {
	fields := strings.Split(line, "|")
	if len(fields) < 3 {
		return ServiceCheck{}, malformed(line, "want _sc|name|status")
	}
	sc := ServiceCheck{Name: fields[1]}
	if err := checkName(sc.Name); err != nil {
		return sc, malformed(line, "%v", err)
	}
	st, err := strconv.Atoi(fields[2])
	if err != nil || st < 0 || st > 3 {
		return sc, malformed(line, "bad status %q (want 0-3)", fields[2])
	}
	sc.Status = st
	for _, f := range fields[3:] {
		switch {
		case strings.HasPrefix(f, "d:"):
			if sc.Timestamp, err = parseTimestamp(f[2:]); err != nil {
				return sc, malformed(line, "%v", err)
			}
		case strings.HasPrefix(f, "h:"):
			sc.Hostname = f[2:]
		case strings.HasPrefix(f, "#"):
			if sc.Tags, err = parseTags(f[1:]); err != nil {
				return sc, malformed(line, "%v", err)
			}
		case strings.HasPrefix(f, "m:"):
			sc.Message = unescapeServiceCheckMessage(f[2:])
		case strings.HasPrefix(f, "card:"), strings.HasPrefix(f, "c:"), strings.HasPrefix(f, "e:"):
			if strings.HasPrefix(f, "c:") {
				sc.ContainerID = f[2:]
			}
		default:
			return sc, malformed(line, "unknown service check field %q", f)
		}
	}
	return sc, nil
}

// unescapeServiceCheckMessage undoes datadog-go's escaping (format.go):
// a newline is sent as `\n` and "m:" as `m\:`.
func unescapeServiceCheckMessage(s string) string {
	return strings.NewReplacer(`\n`, "\n", `m\:`, "m:").Replace(s)
}

var alertTypes = map[string]bool{"info": true, "warning": true, "error": true, "success": true}

func parseEvent(line string) (Event, error) {
	var e Event
	header, body, ok := strings.Cut(line[len("_e{"):], "}:")
	if !ok {
		return e, malformed(line, "no '}:' after the event header")
	}
	rawTitleLen, rawTextLen, ok := strings.Cut(header, ",")
	if !ok {
		return e, malformed(line, "event header %q is not {title_len,text_len}", header)
	}
	titleLen, err1 := strconv.Atoi(rawTitleLen)
	textLen, err2 := strconv.Atoi(rawTextLen)
	if err1 != nil || err2 != nil || titleLen < 0 || textLen < 0 {
		return e, malformed(line, "bad event lengths %q", header)
	}
	if titleLen == 0 {
		return e, malformed(line, "empty event title")
	}
	if len(body) < titleLen+1+textLen {
		return e, malformed(line, "event shorter than its lengths {%d,%d} say", titleLen, textLen)
	}
	if body[titleLen] != '|' {
		return e, malformed(line, "event title is not %d bytes long", titleLen)
	}
	e.Title = body[:titleLen]
	e.Text = strings.ReplaceAll(body[titleLen+1:titleLen+1+textLen], `\n`, "\n")
	tail := body[titleLen+1+textLen:]
	if tail == "" {
		return e, nil
	}
	if tail[0] != '|' {
		return e, malformed(line, "event text is not %d bytes long", textLen)
	}
	var err error
	for _, f := range strings.Split(tail[1:], "|") {
		switch {
		case strings.HasPrefix(f, "d:"):
			if e.Timestamp, err = parseTimestamp(f[2:]); err != nil {
				return e, malformed(line, "%v", err)
			}
		case strings.HasPrefix(f, "h:"):
			e.Hostname = f[2:]
		case strings.HasPrefix(f, "k:"):
			e.AggKey = f[2:]
		case strings.HasPrefix(f, "p:"):
			e.Priority = f[2:]
			if e.Priority != "normal" && e.Priority != "low" {
				return e, malformed(line, "bad event priority %q", e.Priority)
			}
		case strings.HasPrefix(f, "s:"):
			e.SourceType = f[2:]
		case strings.HasPrefix(f, "t:"):
			e.AlertType = f[2:]
			if !alertTypes[e.AlertType] {
				return e, malformed(line, "bad event alert type %q", e.AlertType)
			}
		case strings.HasPrefix(f, "#"):
			if e.Tags, err = parseTags(f[1:]); err != nil {
				return e, malformed(line, "%v", err)
			}
		case strings.HasPrefix(f, "card:"), strings.HasPrefix(f, "c:"), strings.HasPrefix(f, "e:"):
			if strings.HasPrefix(f, "c:") {
				e.ContainerID = f[2:]
			}
		default:
			return e, malformed(line, "unknown event field %q", f)
		}
	}
	return e, nil
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

func parseTags(s string) ([]string, error) {
	tags := strings.Split(s, ",")
	for _, t := range tags {
		if t == "" {
			return nil, fmt.Errorf("empty tag in %q", s)
		}
	}
	return tags, nil
}

func parseTimestamp(s string) (int64, error) {
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ts <= 0 {
		return 0, fmt.Errorf("bad timestamp %q", s)
	}
	return ts, nil
}
