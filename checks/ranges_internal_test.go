package checks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRangesTableID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key  []byte
		id   int64
		isOK bool
	}{
		{[]byte{0x88}, 0, true},                       // /Table/0 (SystemConfigSpan start on v20.2)
		{[]byte{0xbd}, 53, true},                      // v20.2 fixture: shop.customers, "vQ=="
		{[]byte{0xbd, 0x89}, 53, true},                // /Table/53/1
		{[]byte{0xf5}, 109, true},                     // largest one-byte id
		{[]byte{0xf6, 0x6e}, 110, true},               // one byte follows
		{[]byte{0xf7, 0x01, 0x2c, 0x89}, 300, true},   // two bytes follow
		{[]byte{0xf8, 0x01, 0x00, 0x00}, 65536, true}, // three bytes
		{[]byte{0xf7, 0x01}, 0, false},                // truncated
		{[]byte{0xfe, 0x8a, 0x92}, 0, false},          // secondary tenant
		{[]byte{0xff, 0xff}, 0, false},                // /Max
		{[]byte{0x04, 't', 's', 'd'}, 0, false},       // system keyspace
		{nil, 0, false},
	} {
		id, ok := rangesTableID(tc.key)
		if id != tc.id || ok != tc.isOK {
			t.Errorf("rangesTableID(% x) = %d, %v; want %d, %v", tc.key, id, ok, tc.id, tc.isOK)
		}
	}
}

func TestRangesZoneName(t *testing.T) {
	t.Parallel()
	z := &rangesZones{
		targets: map[[2]int64]string{
			{0, 0}: "RANGE default", {1, 0}: "DATABASE system", {16, 0}: "RANGE meta",
			{22, 0}: "RANGE liveness", {53, 0}: "TABLE shop.public.customers",
		},
		parents: map[int64]int64{11: 1, 54: 52},
	}
	for _, tc := range []struct {
		key  []byte
		want string
	}{
		{nil, "RANGE meta"},                                 // /Min
		{[]byte{0x03, 'x'}, "RANGE meta"},                   // /Meta2
		{[]byte("\x04\x00liveness-"), "RANGE liveness"},     // v20.2 fixture "BABsaXZlbmVzcy0="
		{[]byte("\x04tsd"), "RANGE default"},                // timeseries has no zone of its own here
		{[]byte("\x04\x00\x00\x00\x00"), "RANGE default"},   // /System, no RANGE system zone here
		{[]byte{0xbd, 0x89}, "TABLE shop.public.customers"}, // own zone
		{[]byte{0x93}, "DATABASE system"},                   // table 11 in database 1
		{[]byte{0xbe}, "RANGE default"},                     // table 54, database 52 has no zone
		{[]byte{0xbf}, "unknown"},                           // table 55: not in crdb_internal.tables
		{[]byte{0xfe, 0x8a}, "unknown"},                     // tenant
	} {
		if got := z.name(tc.key); got != tc.want {
			t.Errorf("name(% x) = %q, want %q", tc.key, got, tc.want)
		}
	}
	var none *rangesZones
	if got := none.name([]byte{0xbd}); got != "unknown" {
		t.Errorf("nil zones: %q", got)
	}
}

// TestRangesCriticalNodesShapes: missing fields, nulls, strings for
// integers and named enums are all tolerated.
func TestRangesCriticalNodesShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		under      int
		critical   int
		constraint string
	}{
		{"empty object", `{}`, 0, 0, ""},
		{"null report", `{"report": null, "criticalNodes": null}`, 0, 0, ""},
		{"no config", `{"report": {"underReplicated": [{"rangeDescriptor": {"rangeId": 5}}], "violatingConstraints": [{}]}}`, 1, 0, "none"},
		{"named enum and string ints", `{"criticalNodes": [{"nodeId": "4"}], "report": {"violatingConstraints": [{"config":
			{"constraints": [{"numReplicas": "2", "constraints": [{"type": "PROHIBITED", "key": "region", "value": "x"}, {"key": "ssd", "value": ""}]},
			{"constraints": [{"type": "REQUIRED", "value": "ssd"}]}]}}]}}`, 0, 1, "-region=x,+ssd=:2;+ssd"},
	} {
		var resp rangesCriticalNodes
		if err := json.Unmarshal([]byte(tc.body), &resp); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if len(resp.Report.UnderReplicated) != tc.under || len(resp.CriticalNodes) != tc.critical {
			t.Errorf("%s: %d under-replicated, %d critical", tc.name, len(resp.Report.UnderReplicated), len(resp.CriticalNodes))
		}
		if tc.constraint != "" {
			if got := rangesConstraintText(resp.Report.ViolatingConstraints[0].Config); got != tc.constraint {
				t.Errorf("%s: constraint %q, want %q", tc.name, got, tc.constraint)
			}
		}
	}
	var resp rangesCriticalNodes
	if err := json.Unmarshal([]byte(`{"criticalNodes": [{"nodeId": "four"}]}`), &resp); err == nil {
		t.Error("a non-numeric node id was accepted")
	}
}

func TestRangesCatalog(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"replication.constraint_violations", "replication.ranges_at_risk", "replication.ranges.underreplicated",
		"replication.ranges.unavailable", "replication.ranges.overreplicated", "replication.critical_nodes",
		"replication.report_age",
	} {
		m, ok := Lookup(name)
		if !ok || m.Kind != KindGauge || m.Check != "ranges" {
			t.Errorf("catalog %s = %+v, %v", name, m, ok)
		}
	}
}

func TestRangesParseIDs(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	cases := []struct {
		in      *string
		want    []int64
		wantErr bool
	}{
		{in: nil, want: nil},
		{in: s("{}"), want: []int64{}},
		{in: s("{1,2,3}"), want: []int64{1, 2, 3}},
		{in: s("1 2 3"), want: []int64{1, 2, 3}}, // int2vector text
		{in: s(" {4} "), want: []int64{4}},
		{in: s("{1,x}"), wantErr: true},
	}
	for _, tc := range cases {
		got, err := rangesParseIDs(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("%v: err %v", tc.in, err)
			continue
		}
		if !tc.wantErr && fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q = %v, want %v", *tc.in, got, tc.want)
		}
	}
}

// TestRangesSafeMessageBounded: however long the failures, the message is
// one line of at most rangesMessageMax bytes.
func TestRangesSafeMessageBounded(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("critical nodes report: %w", errors.New(strings.Repeat("dial tcp: connection refused\n", 100)))
	msg := rangesSafeMessage(err)
	if len(msg) > rangesMessageMax || strings.ContainsAny(msg, "\n\r") ||
		!strings.HasPrefix(msg, "POST "+rangesCriticalPath+" failed: dial tcp: connection refused dial tcp") {
		t.Errorf("rangesSafeMessage = %q (%d bytes), want one line of at most %d bytes", msg, len(msg), rangesMessageMax)
	}
}
