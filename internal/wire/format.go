package wire

import (
	"strconv"
	"strings"

	"github.com/DataDog/datadog-go/v5/statsd"
)

// The Append functions write one message exactly as datadog-go v5 does
// (format.go, buffer.go) with origin detection off: the same bytes, without
// the trailing newline. The layer measures messages with them, the dry run
// prints them, and FuzzWire checks them against the real client.

// AppendGauge writes "<ns><name>:<value>|g|#tags|card:<c>".
func AppendGauge(b []byte, ns, name string, v float64, global, tags []string, card string) []byte {
	b = append(append(append(b, ns...), name...), ':')
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	b = append(b, "|g"...)
	return appendTail(appendTags(b, global, tags), card)
}

// AppendCount writes "<ns><name>:<value>|c|#tags|card:<c>".
func AppendCount(b []byte, ns, name string, v int64, global, tags []string, card string) []byte {
	b = append(append(append(b, ns...), name...), ':')
	b = strconv.AppendInt(b, v, 10)
	b = append(b, "|c"...)
	return appendTail(appendTags(b, global, tags), card)
}

// AppendServiceCheck writes "_sc|<name>|<status>|d:..|h:..|#tags|m:<msg>",
// escaping the message as datadog-go does (newlines as `\n`, "m:" as `m\:`).
func AppendServiceCheck(b []byte, sc *statsd.ServiceCheck, global []string, card string) []byte {
	b = append(append(b, "_sc|"...), sc.Name...)
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(sc.Status), 10)
	if !sc.Timestamp.IsZero() {
		b = strconv.AppendInt(append(b, "|d:"...), sc.Timestamp.Unix(), 10)
	}
	if sc.Hostname != "" {
		b = append(append(b, "|h:"...), sc.Hostname...)
	}
	b = appendTags(b, global, sc.Tags)
	if sc.Message != "" {
		b = append(b, "|m:"...)
		msg := sc.Message
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
	return appendTail(b, card)
}

// AppendEvent writes "_e{<title len>,<text len>}:<title>|<text>|d:..|h:..
// |k:..|p:..|s:..|t:..|#tags", the text's newlines escaped as `\n` (and
// counted so in its length), as datadog-go does.
func AppendEvent(b []byte, e *statsd.Event, global []string, card string) []byte {
	b = append(b, "_e{"...)
	b = strconv.AppendInt(b, int64(len(e.Title)), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(len(e.Text)+strings.Count(e.Text, "\n")), 10)
	b = append(b, "}:"...)
	b = append(append(b, e.Title...), '|')
	for i := 0; i < len(e.Text); i++ {
		if e.Text[i] == '\n' {
			b = append(b, `\n`...)
		} else {
			b = append(b, e.Text[i])
		}
	}
	if !e.Timestamp.IsZero() {
		b = strconv.AppendInt(append(b, "|d:"...), e.Timestamp.Unix(), 10)
	}
	for _, f := range [...]struct{ prefix, v string }{
		{"|h:", e.Hostname}, {"|k:", e.AggregationKey}, {"|p:", string(e.Priority)},
		{"|s:", e.SourceTypeName}, {"|t:", string(e.AlertType)},
	} {
		if f.v != "" {
			b = append(append(b, f.prefix...), f.v...)
		}
	}
	return appendTail(appendTags(b, global, e.Tags), card)
}

// appendTags is datadog-go's: "|#" then the global tags and the message's,
// comma-separated, newlines removed.
func appendTags(b []byte, global, tags []string) []byte {
	if len(global) == 0 && len(tags) == 0 {
		return b
	}
	b = append(b, "|#"...)
	first := true
	for _, list := range [2][]string{global, tags} {
		for _, t := range list {
			if !first {
				b = append(b, ',')
			}
			first = false
			for i := 0; i < len(t); i++ {
				if t[i] != '\n' {
					b = append(b, t[i])
				}
			}
		}
	}
	return b
}

// appendTail adds what the client puts last on every message: "|card:".
func appendTail(b []byte, card string) []byte {
	if card != "" {
		b = append(append(b, "|card:"...), card...)
	}
	return b
}
