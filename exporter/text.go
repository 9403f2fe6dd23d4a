package exporter

import (
	"io"
	"math"
	"os"
	"strings"
	"sync"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/wire"
)

// Text is the --dry-run sink: it writes every submission as the DogStatsD
// line datadog-go would put on the wire for the DogStatsD sink with the
// same address, namespace and tags (same wire-safety layer, same prefixing,
// global tags first, then the client's DD_ENV/DD_SERVICE/DD_VERSION tags,
// then the call's tags), one per line. Unlike the real client it does not
// aggregate: each call is one line. Safe for concurrent use.
type Text struct {
	prefix     string
	globalTags []string
	card       string
	wire       *wire.Layer

	mu  sync.Mutex
	w   io.Writer
	buf []byte
	err error
}

var _ emit.Sink = (*Text)(nil)

// NewText returns a Text sink writing to w, with the payload limit of a
// remote UDP Agent (see NewTextFor).
func NewText(w io.Writer, namespace string, tags []string) *Text {
	return NewTextFor(w, "", namespace, tags)
}

// NewTextFor returns a Text sink writing what a DogStatsD sink for addr
// would send: the payload limit, and so where long texts are cut, depends
// on the transport (wire.PayloadLimit).
func NewTextFor(w io.Writer, addr, namespace string, tags []string) *Text {
	configured, env := clientTags(tags)
	t := &Text{
		w:          w,
		prefix:     normalizeNamespace(namespace),
		globalTags: append(configured, env...),
		card:       envCardinality(),
	}
	t.wire = wire.New(wire.Config{Namespace: t.prefix, GlobalTags: t.globalTags, Cardinality: t.card,
		MaxPayload: wire.PayloadLimit(addr), Logger: nil})
	return t
}

// Err returns the first write error, if any (later writes are skipped).
func (t *Text) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// trustTags: see DogStatsD.trustTags.
func (t *Text) trustTags(tags []string) { t.wire.Trust(tags...) }

// keepsNoTags: every call writes its line before it returns.
func (t *Text) keepsNoTags() {}

// Gauge writes "<ns><name>:<value>|g|#tags". NaN and infinities are skipped,
// as the DogStatsD sink drops them.
func (t *Text) Gauge(name string, v float64, tags []string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	if name, tags, ok := t.wire.Gauge(name, v, tags); ok {
		t.write(func(b []byte) []byte { return wire.AppendGauge(b, t.prefix, name, v, t.globalTags, tags, t.card) })
	}
}

// Count writes "<ns><name>:<value>|c|#tags".
func (t *Text) Count(name string, v int64, tags []string) {
	if name, tags, ok := t.wire.Count(name, tags); ok {
		t.write(func(b []byte) []byte { return wire.AppendCount(b, t.prefix, name, v, t.globalTags, tags, t.card) })
	}
}

// Distribution writes one "<ns><name>:<v1>:<v2>...|d|@<rate>|#tags" line
// per weight (see wire.Rates), as the DogStatsD sink sends them when the
// values fit in one datagram.
func (t *Text) Distribution(name string, samples []emit.Sample, tags []string) {
	name, tags, ok := t.wire.Distribution(name, tags)
	if !ok {
		return
	}
	for _, g := range wire.Rates(samples) {
		t.write(func(b []byte) []byte {
			return wire.AppendDistribution(b, t.prefix, name, g, t.globalTags, tags, t.card)
		})
	}
}

// ServiceCheck writes "_sc|<ns><name>|<status>|#tags|m:<message>".
func (t *Text) ServiceCheck(name string, st emit.Status, msg string, tags []string) {
	if sc, ok := t.wire.ServiceCheck(name, int(st), msg, tags); ok {
		t.write(func(b []byte) []byte { return wire.AppendServiceCheck(b, sc, t.globalTags, t.card) })
	}
}

// Event writes "_e{<len>,<len>}:<title>|<text>|d:..|k:..|t:..|#tags".
func (t *Text) Event(e emit.Event) {
	if ev, ok := t.wire.Event(event(e)); ok {
		t.write(func(b []byte) []byte { return wire.AppendEvent(b, ev, t.globalTags, t.card) })
	}
}

func (t *Text) write(format func([]byte) []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return
	}
	t.buf = append(format(t.buf[:0]), '\n')
	_, t.err = t.w.Write(t.buf)
}

// event converts a check's event to datadog-go's.
func event(e emit.Event) *statsd.Event {
	return &statsd.Event{
		Title:          e.Title,
		Text:           e.Text,
		Timestamp:      e.Timestamp,
		AggregationKey: e.AggregationKey,
		AlertType:      statsd.EventAlertType(e.AlertType),
		Tags:           e.Tags,
	}
}

// envCardinality mirrors datadog-go's envTagCardinality: the client appends
// "|card:<value>" to every message when DD_CARDINALITY (or
// DATADOG_CARDINALITY) holds a valid value.
func envCardinality() string {
	for _, env := range []string{"DD_CARDINALITY", "DATADOG_CARDINALITY"} {
		switch v := strings.ToLower(os.Getenv(env)); v {
		case "none", "low", "orchestrator", "high":
			return v
		}
	}
	return ""
}
