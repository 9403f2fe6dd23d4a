package dsdtest

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want Snapshot
	}{
		{
			line: "crdb.capacity.used:42.5|g|#cluster:test,node_id:1",
			want: Snapshot{Metrics: []Metric{{Name: "crdb.capacity.used", Value: 42.5, Type: "g", SampleRate: 1, Tags: []string{"cluster:test", "node_id:1"}}}},
		},
		{
			line: "crdb.sql.queries:7|c",
			want: Snapshot{Metrics: []Metric{{Name: "crdb.sql.queries", Value: 7, Type: "c", SampleRate: 1}}},
		},
		{
			line: "crdb.x:-3|c|@0.5|#a:b",
			want: Snapshot{Metrics: []Metric{{Name: "crdb.x", Value: -3, Type: "c", SampleRate: 0.5, Tags: []string{"a:b"}}}},
		},
		{
			// v1.1 packing: one sample per value.
			line: "crdb.lat:1:2.5:3|d|#a",
			want: Snapshot{Metrics: []Metric{
				{Name: "crdb.lat", Value: 1, Type: "d", SampleRate: 1, Tags: []string{"a"}},
				{Name: "crdb.lat", Value: 2.5, Type: "d", SampleRate: 1, Tags: []string{"a"}},
				{Name: "crdb.lat", Value: 3, Type: "d", SampleRate: 1, Tags: []string{"a"}},
			}},
		},
		{
			line: "crdb.ts.gauge:3|g|#cluster:test|c:ci-abc|T1795312758|e:env1|card:low",
			want: Snapshot{Metrics: []Metric{{Name: "crdb.ts.gauge", Value: 3, Type: "g", SampleRate: 1, Tags: []string{"cluster:test"},
				ContainerID: "ci-abc", Timestamp: 1795312758, ExternalEnv: "env1", Cardinality: "low"}}},
		},
		{
			line: "crdb.t:12.000000|ms",
			want: Snapshot{Metrics: []Metric{{Name: "crdb.t", Value: 12, Type: "ms", SampleRate: 1}}},
		},
		{
			line: "crdb.users:alice:x|s",
			want: Snapshot{Metrics: []Metric{{Name: "crdb.users", SetValue: "alice:x", Type: "s", SampleRate: 1}}},
		},
		{
			line: `_sc|crdb.node.can_scrape|2|d:1700000000|h:host1|#cluster:test,node_id:1|m:down: dial m\: refused\nretry|c:cid`,
			want: Snapshot{ServiceChecks: []ServiceCheck{{Name: "crdb.node.can_scrape", Status: 2, Timestamp: 1700000000, Hostname: "host1",
				Tags: []string{"cluster:test", "node_id:1"}, Message: "down: dial m: refused\nretry", RawMessage: `down: dial m\: refused\nretry`,
				ContainerID: "cid"}}},
		},
		{
			line: "_sc|crdb.ok|0",
			want: Snapshot{ServiceChecks: []ServiceCheck{{Name: "crdb.ok", Status: 0}}},
		},
		{
			line: `_e{14,17}:node restarted|node 1\nrestarted|d:1700000000|h:h|k:node-1|p:low|s:crdb|t:warning|#cluster:test`,
			want: Snapshot{Events: []Event{{Title: "node restarted", Text: "node 1\nrestarted", Timestamp: 1700000000, Hostname: "h",
				AggKey: "node-1", Priority: "low", SourceType: "crdb", AlertType: "warning", Tags: []string{"cluster:test"}}}},
		},
		{
			// Title and text may hold '|': the lengths delimit them.
			line: "_e{3,3}:a|b|c|d",
			want: Snapshot{Events: []Event{{Title: "a|b", Text: "c|d"}}},
		},
		{
			line: "_e{5,0}:title|",
			want: Snapshot{Events: []Event{{Title: "title"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := ParseLine(tt.line)
			if err != nil {
				t.Fatalf("ParseLine: %v", err)
			}
			tt.want.Lines = []string{tt.line}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLine(%q)\n got  %+v\n want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseLineMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line   string
		reason string
	}{
		{"crdb.x", "no ':'"},
		{"crdb.x:1", "no '|type'"},
		{"crdb.x:1|q", "unknown metric type"},
		{"crdb.x:abc|g", "bad value"},
		{"crdb.x:1::2|d", "bad value"},
		{"crdb.x:1.5|c", "not an integer"},
		{":1|g", "empty name"},
		{"1crdb:1|g", "bad character"},
		{"crdb-x:1|g", "bad character"},
		{"crdb.x:1|g|#a,,b", "empty tag"},
		{"crdb.x:1|g|#", "empty tag"},
		{"crdb.x:1|g|@2", "bad sample rate"},
		{"crdb.x:1|g|@0", "bad sample rate"},
		{"crdb.x:1|d|T1700000000", "timestamp on a"},
		{"crdb.x:1|g|T-5", "bad timestamp"},
		{"crdb.x:1|g|zzz", "unknown field"},
		{"crdb.x:|s", "empty value"},
		{"_sc|crdb.x", "want _sc|name|status"},
		{"_sc|crdb.x|4", "bad status"},
		{"_sc|crdb.x|ok", "bad status"},
		{"_sc||0", "empty name"},
		{"_sc|crdb.x|0|m:a|b", "unknown service check field"},
		{"_sc|crdb.x|0|d:soon", "bad timestamp"},
		{"_e{3,3:abc|def", "is not {title_len,text_len}"},
		{"_e{3}:abc|def", "not {title_len,text_len}"},
		{"_e{x,3}:abc|def", "bad event lengths"},
		{"_e{0,3}:|def", "empty event title"},
		{"_e{3,9}:abc|def", "shorter than"},
		{"_e{2,3}:abc|def", "title is not 2 bytes"},
		{"_e{3,2}:abc|def", "text is not 2 bytes"},
		{"_e{3,3}:abc|def|t:fatal", "bad event alert type"},
		{"_e{3,3}:abc|def|p:high", "bad event priority"},
		{"_e{3,3}:abc|def|x:y", "unknown event field"},
		{"a:1|g\nb:2|g", "contains a newline"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, err := ParseLine(tt.line)
			if err == nil {
				t.Fatalf("ParseLine(%q) succeeded, want an error about %q", tt.line, tt.reason)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line {
				t.Errorf("error %v does not name the line %q", err, tt.line)
			}
			if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), strconv.Quote(tt.line)) {
				t.Errorf("error %q lacks %q or the line", err, tt.reason)
			}
		})
	}
}

func TestParsePayload(t *testing.T) {
	t.Parallel()
	payload := "a.b:1|g\n\nbad line\n_sc|a.c|1|m:hi\nc.d:2|c|#x:y\n"
	got, err := Parse(payload)
	if err == nil || !strings.Contains(err.Error(), `"bad line"`) {
		t.Fatalf("Parse error = %v, want one naming \"bad line\"", err)
	}
	if len(got.Metrics) != 2 || len(got.ServiceChecks) != 1 {
		t.Fatalf("good lines lost: %+v", got)
	}
	if want := []string{"a.b:1|g", "_sc|a.c|1|m:hi", "c.d:2|c|#x:y"}; !reflect.DeepEqual(got.Lines, want) {
		t.Errorf("Lines = %q, want %q", got.Lines, want)
	}
}

// TestParseAgentSemantics pins the rules the parser shares with the Agent's:
// what an attacker's '|' or newline achieves must show in the parsed fields.
func TestParseAgentSemantics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
		want    Snapshot
		errWant string // "" when the lines are clean
	}{{
		name:    "a '|' in a service check message adds fields; the last # and h: win",
		payload: "_sc|crdb.node.can_scrape|2|#cluster:prod|m:HTTP 500 Internal|#cluster:x|h:evil|d:1",
		want: Snapshot{ServiceChecks: []ServiceCheck{{Name: "crdb.node.can_scrape", Status: 2, Tags: []string{"cluster:x"},
			Hostname: "evil", Timestamp: 1, Message: "HTTP 500 Internal", RawMessage: "HTTP 500 Internal"}}},
		errWant: `repeated field "#"`,
	}, {
		name:    "a newline in an event title makes a second line",
		payload: "_e{9,1}:a\n_sc|x|2|b|t|#cluster:c",
		want:    Snapshot{ServiceChecks: []ServiceCheck{{Name: "x", Status: 2, Tags: []string{"cluster:c"}}}},
		errWant: "event shorter than its lengths",
	}, {
		name:    "title and text are taken by length; '|' inside is no field",
		payload: `_e{7,6}:a|h:bad|b\nc|d|t:error`,
		want:    Snapshot{Events: []Event{{Title: "a|h:bad", Text: "b\nc|d", AlertType: "error"}}},
	}, {
		name:    "the Agent unescapes the title too",
		payload: `_e{4,1}:a\nb|c`,
		want:    Snapshot{Events: []Event{{Title: "a\nb", Text: "c"}}},
	}, {
		name:    "a carriage return ending a line is dropped",
		payload: "a.b:1|g|#x:y\r\nc.d:2|g\r",
		want: Snapshot{Metrics: []Metric{{Name: "a.b", Value: 1, Type: "g", SampleRate: 1, Tags: []string{"x:y"}},
			{Name: "c.d", Value: 2, Type: "g", SampleRate: 1}}},
	}, {
		name:    "an injected aggregation key field wins",
		payload: "_e{1,1}:a|b|k:job|h:evil|k:mine",
		want:    Snapshot{Events: []Event{{Title: "a", Text: "b", AggKey: "mine", Hostname: "evil"}}},
		errWant: `repeated field "k:"`,
	}, {
		name:    "a text shorter than its length leaves a stray field the Agent ignores",
		payload: "_e{1,1}:a|bc|t:info",
		want:    Snapshot{Events: []Event{{Title: "a", Text: "b", AlertType: "info"}}},
		errWant: "event text is not 1 bytes long",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.payload)
			got.Lines = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got  %+v\n want %+v", tt.payload, got, tt.want)
			}
			switch {
			case tt.errWant == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.errWant != "" && (err == nil || !strings.Contains(err.Error(), tt.errWant)):
				t.Errorf("error = %v, want one about %q", err, tt.errWant)
			}
		})
	}
}
