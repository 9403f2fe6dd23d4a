package exporter

import (
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/roachdog/roachdog/checks"
)

// Text is the --dry-run sink: it writes every submission as the DogStatsD
// line datadog-go would put on the wire for the DogStatsD sink with the
// same namespace and tags (same prefixing, global tags first, then the
// client's DD_ENV/DD_SERVICE/DD_VERSION tags, then the call's
// tags), one per line. Unlike the real client it does not aggregate: each
// call is one line. Safe for concurrent use.
type Text struct {
	prefix     string
	globalTags []string
	card       string

	mu  sync.Mutex
	w   io.Writer
	buf []byte
	err error
}

var _ checks.Sink = (*Text)(nil)

// NewText returns a Text sink writing to w.
func NewText(w io.Writer, namespace string, tags []string) *Text {
	configured, env := clientTags(tags)
	return &Text{
		w:          w,
		prefix:     normalizeNamespace(namespace),
		globalTags: append(configured, env...),
		card:       envCardinality(),
	}
}

// Err returns the first write error, if any (later writes are skipped).
func (t *Text) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Gauge writes "<ns><name>:<value>|g|#tags". NaN and infinities are skipped,
// as the DogStatsD sink drops them.
func (t *Text) Gauge(name string, v float64, tags []string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	t.write(func(b []byte) []byte {
		b = append(append(b, t.prefix...), name...)
		b = append(b, ':')
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
		b = append(b, "|g"...)
		return t.appendTags(b, tags)
	})
}

// Count writes "<ns><name>:<value>|c|#tags".
func (t *Text) Count(name string, v int64, tags []string) {
	t.write(func(b []byte) []byte {
		b = append(append(b, t.prefix...), name...)
		b = append(b, ':')
		b = strconv.AppendInt(b, v, 10)
		b = append(b, "|c"...)
		return t.appendTags(b, tags)
	})
}

// ServiceCheck writes "_sc|<ns><name>|<status>|#tags|m:<message>".
func (t *Text) ServiceCheck(name string, st checks.Status, msg string, tags []string) {
	t.write(func(b []byte) []byte {
		b = append(b, "_sc|"...)
		b = append(append(b, t.prefix...), name...)
		b = append(b, '|')
		b = strconv.AppendInt(b, int64(st), 10)
		b = t.appendTags(b, tags)
		if msg != "" {
			b = append(b, "|m:"...)
			// datadog-go's escaping (format.go appendEscapedServiceCheckText).
			for i := 0; i < len(msg); i++ {
				switch {
				case msg[i] == '\n':
					b = append(b, `\n`...)
				case msg[i] == 'm' && i+1 < len(msg) && msg[i+1] == ':':
					b = append(b, `m\:`...)
					i++
				default:
					b = append(b, msg[i])
				}
			}
		}
		return b
	})
}

// Event writes "_e{<len>,<len>}:<title>|<text>|d:..|k:..|t:..|#tags".
func (t *Text) Event(e checks.Event) {
	t.write(func(b []byte) []byte {
		text := strings.ReplaceAll(e.Text, "\n", `\n`)
		b = append(b, "_e{"...)
		b = strconv.AppendInt(b, int64(len(e.Title)), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(len(text)), 10)
		b = append(b, "}:"...)
		b = append(b, e.Title...)
		b = append(b, '|')
		b = append(b, text...)
		if !e.Timestamp.IsZero() {
			b = append(b, "|d:"...)
			b = strconv.AppendInt(b, e.Timestamp.Unix(), 10)
		}
		if e.AggregationKey != "" {
			b = append(b, "|k:"...)
			b = append(b, e.AggregationKey...)
		}
		if e.AlertType != "" {
			b = append(b, "|t:"...)
			b = append(b, e.AlertType...)
		}
		return t.appendTags(b, e.Tags)
	})
}

// appendTags writes "|#global,...,tags,..." like datadog-go's appendTags,
// which strips newlines from tags.
func (t *Text) appendTags(b []byte, tags []string) []byte {
	if len(t.globalTags) > 0 || len(tags) > 0 {
		b = append(b, "|#"...)
		first := true
		for _, list := range [][]string{t.globalTags, tags} {
			for _, tag := range list {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = append(b, strings.ReplaceAll(tag, "\n", "")...)
			}
		}
	}
	return b
}

func (t *Text) write(format func([]byte) []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return
	}
	t.buf = format(t.buf[:0])
	// The client puts "|card:" last on every kind of message.
	if t.card != "" {
		t.buf = append(t.buf, "|card:"...)
		t.buf = append(t.buf, t.card...)
	}
	t.buf = append(t.buf, '\n')
	_, t.err = t.w.Write(t.buf)
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
