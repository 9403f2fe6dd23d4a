package wire

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/promtext"
)

// capture is a transport for datadog-go that keeps each payload written.
type capture struct {
	mu       sync.Mutex
	payloads []string
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.payloads = append(c.payloads, string(p))
	return len(p), nil
}

func (c *capture) Close() error { return nil }

func (c *capture) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.payloads
	c.payloads = nil
	return p
}

var fuzzGlobal = []string{"cluster:prod", "env:prod"}

// FuzzWire sends a gauge, a count, a distribution, a service check and an event built from
// arbitrary strings through the layer and the real datadog-go client, and
// checks each payload as the Agent reads it (dsdtest): exactly the one
// message the layer meant, field for field, no other line, no repeated or
// unknown field, within the payload limit, byte for byte what the layer's
// own serialisation (the dry run's) says.
func FuzzWire(f *testing.F) {
	for _, k := range []string{"DD_ENTITY_ID", "DD_ENV", "DD_SERVICE", "DD_VERSION", "DD_CARDINALITY",
		"DATADOG_CARDINALITY", "DD_EXTERNAL_ENV", "DD_ORIGIN_DETECTION_ENABLED"} {
		f.Setenv(k, "")
	}
	f.Add("node.up", 1.5, "ok", "node restarted", "text", "crdb-node-1", "node_id:1", "zone:a", false)
	clients := map[int]*statsd.Client{}
	transports := map[int]*capture{}
	for _, limit := range []int{RemotePayload, LocalPayload} {
		w := &capture{}
		c, err := statsd.NewWithWriter(w, statsd.WithoutOriginDetection(), statsd.WithoutClientSideAggregation(),
			statsd.WithoutTelemetry(), statsd.WithMaxBytesPerPayload(limit), statsd.WithTags(fuzzGlobal),
			statsd.WithNamespace("crdb."))
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { c.Close() })
		clients[limit], transports[limit] = c, w
	}

	f.Fuzz(func(t *testing.T, name string, v float64, msg, title, text, aggKey, tag1, tag2 string, local bool) {
		limit := RemotePayload
		if local {
			limit = LocalPayload
		}
		c, w := clients[limit], transports[limit]
		l := New(Config{Namespace: "crdb.", GlobalTags: fuzzGlobal, MaxPayload: limit})
		l.Trust("cluster:prod")
		tags := []string{tag1, "cluster:prod", tag2}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0 // the sinks drop these before the layer
		}

		// send runs one client call and returns what the Agent reads of
		// its single payload, after checking the payload.
		send := func(kind string, want []byte, call func() error) dsdtest.Snapshot {
			t.Helper()
			if err := call(); err != nil {
				t.Fatalf("%s: client refused it: %v", kind, err)
			}
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
			payloads := w.take()
			if len(payloads) != 1 {
				t.Fatalf("%s: %d payloads, want 1: %q", kind, len(payloads), payloads)
			}
			p := payloads[0]
			if len(p) > limit {
				t.Errorf("%s: payload of %d bytes over the %d-byte limit", kind, len(p), limit)
			}
			if p != string(want)+"\n" {
				t.Errorf("%s: client wrote\n%q\nthe layer's serialisation says\n%q", kind, p, string(want)+"\n")
			}
			if !utf8.ValidString(p) {
				t.Errorf("%s: invalid UTF-8 on the wire: %q", kind, p)
			}
			snap, err := dsdtest.Parse(p)
			if err != nil {
				t.Errorf("%s: %v", kind, err)
			}
			if n := len(snap.Lines); n != 1 {
				t.Errorf("%s: %d lines, want 1: %q", kind, n, p)
			}
			return snap
		}
		wantTags := func(tags []string) []string {
			all := append(slices.Clone(fuzzGlobal), tags...)
			for _, tag := range tags {
				checkTag(t, l, tag)
			}
			return all
		}

		if n, tg, ok := l.Gauge(name, v, tags); ok {
			snap := send("gauge", AppendGauge(nil, "crdb.", n, v, fuzzGlobal, tg, ""), func() error { return c.Gauge(n, v, tg, 1) })
			want := []dsdtest.Metric{{Name: "crdb." + n, Value: v, Type: "g", SampleRate: 1, Tags: wantTags(tg)}}
			if !reflect.DeepEqual(snap.Metrics, want) {
				t.Errorf("gauge\n got  %+v\n want %+v", snap.Metrics, want)
			}
		} else if s, ok := safeName("crdb." + name); ok && name != "" && len(AppendGauge(nil, "crdb.", s[5:], v, fuzzGlobal, l.Tags(tags), ""))+1 <= limit {
			t.Errorf("gauge %q refused though it fits", name)
		}

		iv := int64(v)
		if n, tg, ok := l.Count(name, tags); ok {
			snap := send("count", AppendCount(nil, "crdb.", n, iv, fuzzGlobal, tg, ""), func() error { return c.Count(n, iv, tg, 1) })
			want := []dsdtest.Metric{{Name: "crdb." + n, Value: float64(iv), Type: "c", SampleRate: 1, Tags: wantTags(tg)}}
			if !reflect.DeepEqual(snap.Metrics, want) {
				t.Errorf("count\n got  %+v\n want %+v", snap.Metrics, want)
			}
		}

		if n, tg, ok := l.Distribution(name, tags); ok {
			direct := statsd.ClientDirect{Client: c}
			weight := uint64(len(msg)) + uint64(len(text))<<20 + 1
			var total uint64
			for _, g := range Rates([]promtext.Sample{{Value: v, Weight: weight}}) {
				snap := send("distribution", AppendDistribution(nil, "crdb.", n, g, fuzzGlobal, tg, ""),
					func() error { return direct.DistributionSamples(n, g.Values, tg, g.Rate) })
				want := []dsdtest.Metric{{Name: "crdb." + n, Value: v, Type: "d", SampleRate: g.Rate, Tags: wantTags(tg)}}
				if !reflect.DeepEqual(snap.Metrics, want) {
					t.Errorf("distribution\n got  %+v\n want %+v", snap.Metrics, want)
				}
				for _, m := range snap.Metrics {
					total += uint64(1 / m.SampleRate)
				}
			}
			if total != weight && len(strconv.FormatFloat(v, 'f', -1, 64)) <= maxFloatLen {
				t.Errorf("distribution of weight %d read back as %d", weight, total)
			}
		}

		status := len(msg) % 5 // 4 is invalid: sent as unknown
		if sc, ok := l.ServiceCheck(name, status, msg, tags); ok {
			snap := send("service check", AppendServiceCheck(nil, sc, fuzzGlobal, ""), func() error { return c.ServiceCheck(sc) })
			for _, r := range sc.Message {
				if r == '|' || r == '\r' || r < 0x20 && r != '\n' && r != '\t' {
					t.Errorf("service check message holds %q", r)
				}
			}
			want := []dsdtest.ServiceCheck{{Name: sc.Name, Status: min(status, 3), Tags: wantTags(sc.Tags),
				Message: strings.NewReplacer(`\n`, "\n", `m\:`, "m:").Replace(escapeMessage(sc.Message)), RawMessage: escapeMessage(sc.Message)}}
			if !reflect.DeepEqual(snap.ServiceChecks, want) {
				t.Errorf("service check\n got  %+v\n want %+v", snap.ServiceChecks, want)
			}
		}

		alert := []statsd.EventAlertType{statsd.Info, statsd.Warning, statsd.Error, statsd.Success, "fatal"}[len(text)%5]
		in := &statsd.Event{Title: title, Text: text, AggregationKey: aggKey, AlertType: alert, Tags: tags,
			Timestamp: time.Unix(int64(len(title)), 0)}
		if e, ok := l.Event(in); ok {
			snap := send("event", AppendEvent(nil, e, fuzzGlobal, ""), func() error { return c.Event(e) })
			if strings.ContainsFunc(e.Title, func(r rune) bool { return r < 0x20 }) || strings.ContainsAny(e.AggregationKey, "|\n\r") {
				t.Errorf("event title %q or key %q unsafe", e.Title, e.AggregationKey)
			}
			if utf8.RuneCountInString(e.Title) > MaxTitleChars || utf8.RuneCountInString(e.Text) > MaxTextChars ||
				utf8.RuneCountInString(e.AggregationKey) > MaxAggKeyChars {
				t.Errorf("event over Datadog's limits: title %d, text %d, key %d characters", utf8.RuneCountInString(e.Title),
					utf8.RuneCountInString(e.Text), utf8.RuneCountInString(e.AggregationKey))
			}
			var ts int64
			if !e.Timestamp.IsZero() {
				ts = e.Timestamp.Unix()
			}
			agentText := strings.ReplaceAll(strings.ReplaceAll(e.Text, "\n", `\n`), `\n`, "\n")
			want := []dsdtest.Event{{Title: strings.ReplaceAll(e.Title, `\n`, "\n"), Text: agentText, AggKey: e.AggregationKey,
				AlertType: string(e.AlertType), Timestamp: ts, Tags: wantTags(e.Tags)}}
			if !reflect.DeepEqual(snap.Events, want) {
				t.Errorf("event\n got  %+v\n want %+v", snap.Events, want)
			}
			if !strings.HasPrefix(text, e.Text) && !strings.HasSuffix(e.Text, textMarker) && utf8.ValidString(text) &&
				!strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 }) {
				t.Errorf("clean text changed without the truncation marker: %q", e.Text)
			}
		}
	})
}

// checkTag asserts what the layer guarantees of every tag it lets through.
func checkTag(t *testing.T, l *Layer, tag string) {
	t.Helper()
	if tag == "" || !utf8.ValidString(tag) || utf8.RuneCountInString(tag) > MaxTagChars || strings.ContainsAny(tag, ",|#\n\r ") {
		t.Errorf("unsafe tag %q", tag)
	}
	if reserved(tag) && !l.isTrusted(tag) {
		t.Errorf("reserved key passed: %q", tag)
	}
}

// escapeMessage is datadog-go's escaping of a service check message.
func escapeMessage(m string) string {
	var b strings.Builder
	for i := 0; i < len(m); i++ {
		switch {
		case m[i] == '\n':
			b.WriteString(`\n`)
		case m[i] == 'm' && i+1 < len(m) && m[i+1] == ':':
			b.WriteString(`m\:`)
			i++
		default:
			b.WriteByte(m[i])
		}
	}
	return b.String()
}
