package exporter

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/wire"
)

// These tests send what an attacker controls (HTTP replies, SQL error
// texts, table and job names, locality tiers) through the real datadog-go
// client to dsdtest's listener, which reads datagrams as the Agent does and
// fails the test on any repeated, unknown or malformed field.

// newWireSink returns a DogStatsD sink to a fresh listener, tagged with the
// instance tags as run.go does, and its self-metrics and log.
func newWireSink(t *testing.T, limit int) (checks.Sink, *DogStatsD, *dsdtest.Server, *SelfMetrics, *syncBuffer) {
	t.Helper()
	clearDDEnv(t)
	if limit > 0 {
		orig := payloadLimit
		payloadLimit = func(string) int { return limit }
		t.Cleanup(func() { payloadLimit = orig })
	}
	srv := dsdtest.Listen(t)
	m := NewSelfMetrics("test", "abc")
	logs := &syncBuffer{}
	d, err := NewDogStatsD(t.Context(), srv.Addr(), "crdb", []string{"service:roachdog"}, m, newTextLogger(logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return WithTags(d, "cluster:prod", "env:prod"), d, srv, m, logs
}

// Item 1: a '|' in a service check message (an HTTP status reason, an
// error body, an SQL error) must not add tags, a hostname or a timestamp.
func TestWireServiceCheckMessageCannotAddFields(t *testing.T) {
	s, d, srv, _, _ := newWireSink(t, 0)
	s.ServiceCheck("node.can_scrape", checks.Critical, "HTTP 500 Internal|#cluster:x|h:evil|d:1", []string{"node_id:1"})
	s.ServiceCheck("sql.can_query", checks.Critical, "ERROR: relation \"t|h:x\" does not exist\r\n(SQLSTATE 42P01)", nil)
	d.Flush()
	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.ServiceChecks) == 2 })
	want := []dsdtest.ServiceCheck{{
		Name: "crdb.node.can_scrape", Status: 2, Tags: []string{"service:roachdog", "cluster:prod", "env:prod", "node_id:1"},
		Message: "HTTP 500 Internal¦#cluster:x¦h:evil¦d:1", RawMessage: "HTTP 500 Internal¦#cluster:x¦h:evil¦d:1",
	}, {
		Name: "crdb.sql.can_query", Status: 2, Tags: []string{"service:roachdog", "cluster:prod", "env:prod"},
		Message: "ERROR: relation \"t¦h:x\" does not exist\n(SQLSTATE 42P01)", RawMessage: `ERROR: relation "t¦h:x" does not exist\n(SQLSTATE 42P01)`,
	}}
	if !reflect.DeepEqual(snap.ServiceChecks, want) {
		t.Errorf("service checks\n got  %+v\n want %+v", snap.ServiceChecks, want)
	}
}

// Item 2: an event larger than a UDP payload is cut to fit, visibly, and
// arrives; with the Agent on loopback (or UDS) the larger limit keeps it
// whole.
func TestWireLargeEventsArrive(t *testing.T) {
	long := strings.Repeat("job failed: ", 300) // 3,600 bytes, as a failed job's error
	runes := strings.Repeat("é", 1500)          // 3,000 bytes of 2-byte runes
	for _, tt := range []struct {
		name  string
		limit int
		cut   bool
	}{{"remote UDP limit", wire.RemotePayload, true}, {"loopback limit", 0, false}} {
		t.Run(tt.name, func(t *testing.T) {
			s, d, srv, m, _ := newWireSink(t, tt.limit)
			for i := range 6 {
				text := long
				if i%2 == 1 {
					text = runes
				}
				s.Event(checks.Event{Title: "job failed " + string(rune('a'+i)), Text: text, AlertType: checks.Error,
					AggregationKey: "crdb-job-1", Timestamp: time.Unix(1700000000, 0)})
			}
			d.Flush()
			snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.Events) == 6 })
			for i, e := range snap.Events {
				full := long
				if i%2 == 1 {
					full = runes
				}
				switch {
				case !utf8.ValidString(e.Text):
					t.Errorf("event %d: text cut inside a rune", i)
				case tt.cut && (!strings.HasSuffix(e.Text, "…[truncated]") || !strings.HasPrefix(full, strings.TrimSuffix(e.Text, " …[truncated]"))):
					t.Errorf("event %d: text not cut with the marker: %q", i, e.Text)
				case !tt.cut && e.Text != full:
					t.Errorf("event %d: text changed under the loopback limit (%d bytes)", i, len(e.Text))
				}
			}
			for _, l := range snap.Lines {
				if limit := d.wire.MaxPayload(); len(l)+1 > limit {
					t.Errorf("line of %d bytes over the %d-byte limit", len(l)+1, limit)
				}
			}
			if n := testutil.ToFloat64(m.sendErrors); n != 0 {
				t.Errorf("%v send errors", n)
			}
		})
	}
}

// Item 2, the rest: what cannot fit at all (a metric with very many long
// tags) is logged once with its name and counted, not silently dropped.
func TestWireUnsendableLoggedAndCounted(t *testing.T) {
	s, d, srv, m, logs := newWireSink(t, wire.RemotePayload)
	var tags []string
	for i := range 12 {
		tags = append(tags, checks.Tag("col"+string(rune('a'+i)), strings.Repeat("v", 190)))
	}
	for range 3 {
		s.Gauge("custom.rows\nx", 1, tags)
	}
	s.Gauge("up", 1, nil)
	d.Flush()
	srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.FindMetrics("crdb.up")) == 1 })
	if got := testutil.ToFloat64(m.unsendable.WithLabelValues(wire.KindGauge)); got != 3 {
		t.Errorf("roachdog_unsendable_total{kind=gauge} = %v, want 3", got)
	}
	out := logs.String()
	if n := strings.Count(out, "dogstatsd message not sent"); n != 1 {
		t.Errorf("%d log lines for 3 drops of one metric, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "name=crdb.custom.rows_x") {
		t.Errorf("log does not name the metric:\n%s", out)
	}
}

// Item 3: a newline in an event title (a table named with one) or a '|' in
// an aggregation key (a job type) must not split the line or spoof fields.
func TestWireEventTitleAndKeyCannotInject(t *testing.T) {
	s, d, srv, _, _ := newWireSink(t, 0)
	s.Event(checks.Event{
		Title:          "schema problem on t\n_sc|crdb.injected|2|#cluster:prod|m:owned",
		Text:           "x",
		AggregationKey: "crdb-job-1|h:evil|s:spoof\nhi:1|c",
		AlertType:      checks.WarningAlert,
		Tags:           []string{"table:t"},
	})
	s.Gauge("after", 1, nil)
	d.Flush()
	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.FindMetrics("crdb.after")) == 1 })
	if len(snap.ServiceChecks) != 0 || len(snap.Metrics) != 1 {
		t.Errorf("injected lines reached the Agent:\n%s", snap)
	}
	want := []dsdtest.Event{{Title: "schema problem on t _sc|crdb.injected|2|#cluster:prod|m:owned", Text: "x",
		AggKey: "crdb-job-1_h:evil_s:spoof_hi:1_c", AlertType: "warning",
		Tags: []string{"service:roachdog", "cluster:prod", "env:prod", "table:t"}}}
	if !reflect.DeepEqual(snap.Events, want) {
		t.Errorf("events\n got  %+v\n want %+v", snap.Events, want)
	}
}

// Item 6: locality tiers or labels named like keys the Agent or Datadog
// read as metadata are renamed, never dropped; the configured env, service
// and cluster tags still pass.
func TestWireReservedTagKeysRenamed(t *testing.T) {
	s, d, srv, _, logs := newWireSink(t, 0)
	tags := []string{"node_id:1", "host:n1.example", "dd.internal.entity_id:pod-uid", "dd.internal.card:high",
		"env:evil", "service:x", "cluster:other", "region:us-east1"}
	s.Gauge("up", 1, tags)
	s.Gauge("up2", 1, tags)
	d.Flush()
	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.FindMetrics("crdb.up2")) == 1 })
	want := []string{"service:roachdog", "cluster:prod", "env:prod", "node_id:1", "crdb_host:n1.example",
		"crdb_dd.internal.entity_id:pod-uid", "crdb_dd.internal.card:high", "crdb_env:evil", "crdb_service:x",
		"crdb_cluster:other", "region:us-east1"}
	if got := snap.FindMetrics("crdb.up")[0].Tags; !reflect.DeepEqual(got, want) {
		t.Errorf("tags\n got  %q\n want %q", got, want)
	}
	if n := strings.Count(logs.String(), "sent_as=crdb_host"); n != 1 {
		t.Errorf("%d log lines for the renamed host key, want 1:\n%s", n, logs.String())
	}
}

// Item 7: a tag is at most 200 characters, key and value together.
func TestWireTagsAtMost200(t *testing.T) {
	s, d, srv, _, _ := newWireSink(t, 0)
	s.Gauge("up", 1, []string{strings.Repeat("k", 200) + ":" + strings.Repeat("v", 200), "zone:" + strings.Repeat("ü", 300)})
	d.Flush()
	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.FindMetrics("crdb.up")) == 1 })
	for _, tag := range snap.Metrics[0].Tags {
		if n := utf8.RuneCountInString(tag); n > 200 {
			t.Errorf("tag of %d characters: %.40s...", n, tag)
		}
	}
	if got := snap.Metrics[0].Tags[len(snap.Metrics[0].Tags)-1]; got != "zone:"+strings.Repeat("ü", 195) {
		t.Errorf("unicode tag cut wrong: %q", got)
	}
}

// Item 8: invalid UTF-8 from SQL text never reaches the wire.
func TestWireInvalidUTF8Replaced(t *testing.T) {
	s, d, srv, _, _ := newWireSink(t, 0)
	bad := "relation \xff\xfe\"t\" \x00 failed"
	s.Event(checks.Event{Title: "job \xc3 failed", Text: bad, AlertType: checks.Error, Tags: []string{"table:t\xff"}})
	s.ServiceCheck("sql.can_query", checks.Critical, bad, []string{checks.Tag("table", "t\xff")})
	d.Flush()
	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.Events) == 1 && len(s.ServiceChecks) == 1 })
	for _, l := range snap.Lines {
		if !utf8.ValidString(l) || strings.ContainsRune(l, 0) {
			t.Errorf("invalid UTF-8 or NUL on the wire: %q", l)
		}
	}
	if e := snap.Events[0]; e.Text != "relation \uFFFD\uFFFD\"t\" \uFFFD failed" || e.Title != "job \uFFFD failed" {
		t.Errorf("event title %q text %q", e.Title, e.Text)
	}
}

// TestTextMatchesClientHostile: the dry run prints exactly what the
// DogStatsD sink sends, hostile inputs included (same layer, same limit).
func TestTextMatchesClientHostile(t *testing.T) {
	clearDDEnv(t)
	t.Setenv("DD_ENV", "ci")
	global := []string{"team:db"}
	calls := func(s checks.Sink) {
		s = WithTags(s, "cluster:test", "service:shop")
		s.Gauge("g", 1, []string{"host:h1", "env:x", "bad|tag,a:b\nc", strings.Repeat("x", 300)})
		s.Count("c", 3, []string{"dd.internal.card:high"})
		s.ServiceCheck("node.can_scrape", checks.Critical, "HTTP 502|#x:y|h:z\r\nm:1 \xff", nil)
		s.Event(checks.Event{Title: "t\n_sc|x|2", Text: strings.Repeat("long text\n", 700), AggregationKey: "k|h:x",
			AlertType: checks.Error, Timestamp: time.Unix(1700000000, 0), Tags: []string{"source:y"}})
	}
	srv := dsdtest.Listen(t)
	d, err := NewDogStatsD(t.Context(), srv.Addr(), "crdb", global, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	calls(d)
	d.Flush()
	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.Lines) >= 4 })

	var buf bytes.Buffer
	calls(NewTextFor(&buf, srv.Addr(), "crdb", global))
	text := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	wire := slices.Clone(snap.Lines)
	slices.Sort(wire)
	slices.Sort(text)
	if !slices.Equal(wire, text) {
		t.Errorf("dry run differs from the wire\nwire:\n%s\ntext:\n%s", strings.Join(wire, "\n"), strings.Join(text, "\n"))
	}
}
