// Package wire makes everything roachdog sends safe for the DogStatsD wire
// before it reaches the datadog-go client (or the dry-run printer, which
// shows the same bytes). Every string that ends up in a datagram may come
// from outside (HTTP replies, table and job names, SQL error texts, locality
// tiers, Prometheus labels), and the Agent reads a datagram by splitting it
// into lines on '\n' and each line into fields on '|', the last "#", "h:",
// "d:"... field winning. datadog-go escapes only newlines in event texts and
// "m:" in service-check messages, so without this layer one '|' or newline
// from a hostile reply rewrites tags, hostname or timestamp, or injects a
// whole line.
//
// For each field the layer keeps only what is safe in its position, within
// Datadog's limits, as valid UTF-8:
//
//   - metric and service-check names: ASCII letters, digits, '_' and '.';
//     at most 200 characters; must start with a letter.
//   - tags: Unicode letters and digits, '_', '-', ':', '.', '/' (others
//     become '_'), lower case, at most 200 characters for the whole
//     key:value. Keys the Agent or Datadog treat as metadata (host, device,
//     source, service, env, version, dd.*) and roachdog's own cluster key
//     are renamed with a "crdb_" prefix unless the tag is one the user
//     configured (Trust): a locality tier named host must not move the
//     metric to another host.
//   - service-check message: '|' becomes '¦', carriage returns become
//     newlines, other control characters U+FFFD; at most 500 characters
//     (Datadog shows no more).
//   - event title: one line (control characters become spaces), at most 100
//     characters; text: control characters as in messages, at most 4,000
//     characters; aggregation key: '|' and control characters become '_',
//     at most 100 characters; alert type one of Datadog's four.
//
// Then every message must fit the client's payload limit (the client
// refuses a larger one, and for aggregated gauges and counts it drops it
// without a word). Texts are cut on a rune boundary with a visible marker
// until the message fits; a message that cannot fit (a metric with very
// many long tags) is not sent: it is logged once per name and counted.
package wire

import (
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/DataDog/datadog-go/v5/statsd"
)

// Datadog's limits, in characters (runes).
const (
	MaxTagChars     = 200
	MaxNameChars    = 200
	MaxTitleChars   = 100
	MaxTextChars    = 4000
	MaxAggKeyChars  = 100
	MaxMessageChars = 500
)

// Payload limits, in bytes per datagram.
//
// Decision: the limit follows the transport. Over UDS, and over UDP to
// loopback, the Agent reads datagrams of up to dogstatsd_buffer_size (8,192
// bytes by default) and loopback never fragments, so events keep up to 8 kB
// of text. To any other UDP address roachdog keeps datadog-go's 1,432
// bytes: a larger datagram is IP-fragmented, and a network that drops
// fragments (some overlays and firewalls do) would then lose it whole. In
// both cases an event's text is cut to fit, never refused.
const (
	RemotePayload = statsd.OptimalUDPPayloadSize
	LocalPayload  = statsd.DefaultMaxAgentPayloadSize
)

// PayloadLimit returns the payload limit for a DogStatsD address in
// datadog-go's forms ("host:port", "unix:///path", ...).
func PayloadLimit(addr string) int {
	for _, p := range []string{statsd.UnixAddressPrefix, statsd.UnixAddressDatagramPrefix, statsd.UnixAddressStreamPrefix} {
		if strings.HasPrefix(addr, p) {
			return LocalPayload
		}
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return RemotePayload
	}
	if host == "localhost" {
		return LocalPayload
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return LocalPayload
	}
	return RemotePayload
}

// Kinds of messages, as counted by Config.Unsendable.
const (
	KindGauge        = "gauge"
	KindCount        = "count"
	KindServiceCheck = "service_check"
	KindEvent        = "event"
)

// RenamePrefix is put in front of a reserved tag key that does not come
// from the configuration.
const RenamePrefix = "crdb_"

// textMarker ends a text cut to fit; shortMarker a cut title or message.
const (
	textMarker  = " …[truncated]"
	shortMarker = "…"
)

// Config describes the client the layer sits in front of.
type Config struct {
	// Namespace is the metric-name prefix with its trailing dot ("crdb.").
	// The client adds it to metrics; the layer adds it to service checks.
	Namespace string
	// GlobalTags are the tags the client adds to every message, in wire
	// order (configured tags, then DD_ENV/DD_SERVICE/DD_VERSION ones).
	// They are trusted.
	GlobalTags []string
	// Cardinality is the "|card:" value the client appends ("" for none).
	Cardinality string
	// MaxPayload is the client's payload limit in bytes (RemotePayload if 0).
	MaxPayload int
	// Logger receives one line per renamed tag key and per message that
	// cannot be sent.
	Logger *slog.Logger
	// Unsendable, if set, counts a message not sent, by kind.
	Unsendable func(kind string)
}

// Layer makes messages safe; safe for concurrent use.
type Layer struct {
	ns, card   string
	global     []string
	globalLen  int // the bytes of global on the wire (newlines removed)
	max        int
	logger     *slog.Logger
	unsendable func(string)

	mu      sync.RWMutex
	trusted map[string]bool
	logged  map[string]bool
}

// maxLogged bounds the names remembered as already logged: a flood of
// distinct bad names must not grow memory without end.
const maxLogged = 1024

// New returns a layer for a client configured as cfg says.
func New(cfg Config) *Layer {
	l := &Layer{
		ns: cfg.Namespace, card: cfg.Cardinality, global: cfg.GlobalTags,
		max: cfg.MaxPayload, logger: cfg.Logger, unsendable: cfg.Unsendable,
		trusted: map[string]bool{}, logged: map[string]bool{},
	}
	for _, t := range l.global {
		l.globalLen += len(t) - strings.Count(t, "\n")
	}
	if l.max <= 0 {
		l.max = RemotePayload
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	l.Trust(cfg.GlobalTags...)
	return l
}

// MaxPayload returns the payload limit the layer fits messages to.
func (l *Layer) MaxPayload() int { return l.max }

// Trust marks tags as configured by the user (instance tags, the cluster
// tag): exactly these strings may use reserved keys such as env or service.
func (l *Layer) Trust(tags ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range tags {
		l.trusted[t] = true
	}
}

func (l *Layer) isTrusted(t string) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.trusted[t]
}

// Gauge returns the safe name (without namespace) and tags of a gauge, or
// false when it cannot be sent (logged and counted).
func (l *Layer) Gauge(name string, v float64, tags []string) (string, []string, bool) {
	name, ok := l.metricName(name)
	tags = l.Tags(tags)
	if !ok {
		l.drop(KindGauge, l.ns+name, reasonName)
	} else if size := l.metricSize(name, 0, tags); size+maxGaugeLen > l.max && size+gaugeLen(v) > l.max {
		// Only a message near the limit has its value formatted.
		l.drop(KindGauge, l.ns+name, reasonSize)
	} else {
		return name, tags, true
	}
	return "", nil, false
}

// maxGaugeLen bounds the length of a gauge value as the client writes it
// ('f', -1): 310 characters for -math.MaxFloat64, 327 for the smallest
// values ("-0." and 324 digits).
const maxGaugeLen = 330

func gaugeLen(v float64) int {
	var num [64]byte
	return len(strconv.AppendFloat(num[:0], v, 'f', -1, 64))
}

// Count is Gauge for counts. The size is checked for the longest value a
// count can take (20 characters, math.MinInt64), whatever the value: the
// same messages are refused as when datadog-go aggregated counts (and
// could sum them up to that).
func (l *Layer) Count(name string, tags []string) (string, []string, bool) {
	name, ok := l.metricName(name)
	tags = l.Tags(tags)
	if !ok {
		l.drop(KindCount, l.ns+name, reasonName)
	} else if l.metricSize(name, len("-9223372036854775808"), tags) > l.max {
		l.drop(KindCount, l.ns+name, reasonSize)
	} else {
		return name, tags, true
	}
	return "", nil, false
}

// metricSize is the length of AppendGauge or AppendCount's message, plus
// its newline, for a value of valueLen bytes; computed, not written, as
// every sample pays it (FuzzWire checks it against the real client).
// The tags are the layer's (Tags), which hold no newline; the global tags,
// which may, are measured once (globalLen).
func (l *Layer) metricSize(name string, valueLen int, tags []string) int {
	n := len(l.ns) + len(name) + 1 + valueLen + len("|g") + 1
	if len(l.global)+len(tags) > 0 {
		n += len("|#") + len(l.global) + len(tags) - 1 + l.globalLen
		for _, t := range tags {
			n += len(t)
		}
	}
	if l.card != "" {
		n += len("|card:") + len(l.card)
	}
	return n
}

// ServiceCheck returns the safe service check (its name prefixed with the
// namespace), its message cut to fit if need be, or false when it cannot be
// sent.
func (l *Layer) ServiceCheck(name string, status int, msg string, tags []string) (*statsd.ServiceCheck, bool) {
	full, ok := safeName(l.ns + name)
	sc := &statsd.ServiceCheck{Name: full, Status: statsd.ServiceCheckStatus(status), Tags: l.Tags(tags)}
	if status < 0 || status > 3 {
		sc.Status = statsd.Unknown
	}
	sc.Message = cut(safeText(msg, true), MaxMessageChars, shortMarker)
	if !ok {
		l.drop(KindServiceCheck, full, reasonName)
		return nil, false
	}
	measure := func(m string) int {
		c := *sc
		c.Message = m
		return l.size(func(b []byte) []byte { return AppendServiceCheck(b, &c, l.global, l.card) })
	}
	if m, fits := fit(sc.Message, shortMarker, measure, l.max); fits {
		sc.Message = m
		return sc, true
	}
	l.drop(KindServiceCheck, full, reasonSize)
	return nil, false
}

// Event returns a safe copy of e, its text cut to fit if need be, or false
// when it cannot be sent.
func (l *Layer) Event(e *statsd.Event) (*statsd.Event, bool) {
	out := &statsd.Event{
		Title:          cut(safeLine(e.Title), MaxTitleChars, shortMarker),
		Text:           cut(safeText(e.Text, false), MaxTextChars, textMarker),
		Timestamp:      e.Timestamp,
		Hostname:       cut(safeField(e.Hostname), MaxTagChars, ""),
		AggregationKey: cut(safeField(e.AggregationKey), MaxAggKeyChars, ""),
		SourceTypeName: cut(safeField(e.SourceTypeName), MaxAggKeyChars, ""),
		Tags:           l.Tags(e.Tags),
	}
	switch e.Priority {
	case statsd.Normal, statsd.Low:
		out.Priority = e.Priority
	}
	switch e.AlertType {
	case statsd.Info, statsd.Warning, statsd.Error, statsd.Success:
		out.AlertType = e.AlertType
	}
	if out.Timestamp.Unix() <= 0 {
		out.Timestamp = time.Time{} // the zero time and before 1970: no "d:" field
	}
	if strings.TrimSpace(out.Title) == "" {
		l.drop(KindEvent, e.Title, "empty title")
		return nil, false
	}
	measure := func(text string) int {
		c := *out
		c.Text = text
		return l.size(func(b []byte) []byte { return AppendEvent(b, &c, l.global, l.card) })
	}
	if text, fits := fit(out.Text, textMarker, measure, l.max); fits {
		out.Text = text
		return out, true
	}
	l.drop(KindEvent, out.Title, reasonSize)
	return nil, false
}

// Tags returns tags made safe; the slice is shared with the input when
// nothing changed. Empty tags are left out.
func (l *Layer) Tags(tags []string) []string {
	var out []string // allocated on the first change
	for i, t := range tags {
		s := SafeTag(t)
		if s != "" && reserved(s) && !l.isTrusted(t) {
			renamed := cut(RenamePrefix+s, MaxTagChars, "")
			l.once("rename:"+tagKey(s), func() {
				l.logger.Info("tag key is reserved by Datadog or roachdog; sending it renamed",
					"key", tagKey(s), "sent_as", tagKey(renamed))
			})
			s = renamed
		}
		if out == nil && (s != t || s == "") {
			out = make([]string, i, len(tags))
			copy(out, tags[:i])
		}
		if out != nil && s != "" {
			out = append(out, s)
		}
	}
	if out == nil {
		return tags
	}
	return out
}

// metricName is safeName for ns+name without building ns+name (every
// sample pays it); the client adds the namespace.
func (l *Layer) metricName(name string) (string, bool) {
	name = cleanName(name)
	if room := max(MaxNameChars-len(l.ns), 0); len(name) > room {
		name = name[:room]
	}
	first := l.ns
	if first == "" {
		first = name
	}
	return name, name != "" && startsWithLetter(first)
}

// bufPool holds scratch buffers for measuring messages.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// size returns the bytes a message takes in a payload (with its newline).
func (l *Layer) size(appendMsg func([]byte) []byte) int {
	bp := bufPool.Get().(*[]byte)
	b := appendMsg((*bp)[:0])
	n := len(b) + 1
	*bp = b[:0]
	bufPool.Put(bp)
	return n
}

// Why a message is not sent.
const (
	reasonName = "name empty or not starting with a letter"
	reasonSize = "larger than the payload limit even with its text cut: too many or too long tags"
)

// drop logs (once per kind and name) and counts a message not sent. The
// name (an event's title) is made safe for a log line.
func (l *Layer) drop(kind, name, reason string) {
	if l.unsendable != nil {
		l.unsendable(kind)
	}
	shown := cut(safeLine(name), MaxTitleChars, shortMarker)
	l.once("drop:"+kind+":"+shown, func() {
		l.logger.Warn("dogstatsd message not sent", "kind", kind, "name", shown, "reason", reason, "limit_bytes", l.max)
	})
}

// once runs f the first time key is seen (up to maxLogged keys).
func (l *Layer) once(key string, f func()) {
	l.mu.Lock()
	if l.logged[key] || len(l.logged) >= maxLogged {
		l.mu.Unlock()
		return
	}
	l.logged[key] = true
	l.mu.Unlock()
	f()
}

// fit returns s, or its longest rune prefix plus marker, or "" (in that
// order of preference) whose message measures at most max bytes; false when
// even "" does not fit.
func fit(s, marker string, measure func(string) int, max int) (string, bool) {
	if measure(s) <= max {
		return s, true
	}
	if measure(marker) > max {
		return "", measure("") <= max
	}
	// Binary search on the bytes kept, on rune boundaries: lo (with the
	// marker) fits, hi does not; the size grows with the prefix.
	lo, hi := 0, len(s)
	for hi-lo > 1 {
		mid := runeStart(s, (lo+hi)/2)
		if mid <= lo {
			if mid = runeEnd(s, lo); mid >= hi {
				break
			}
		}
		if measure(s[:mid]+marker) <= max {
			lo = mid
		} else {
			hi = mid
		}
	}
	return s[:lo] + marker, true
}

// runeStart moves i back to the start of the rune containing it.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// runeEnd returns the end of the rune starting at i.
func runeEnd(s string, i int) int {
	_, n := utf8.DecodeRuneInString(s[i:])
	return i + n
}

// cut keeps at most n runes of s, ending with marker when it cut.
func cut(s string, n int, marker string) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n { // bytes ≥ runes
		return s
	}
	i := 0
	for k := n - utf8.RuneCountInString(marker); k > 0; k-- {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return s[:i] + marker
}

// safeName keeps ASCII letters, digits, '_' and '.', replacing the rest
// with '_', and at most MaxNameChars; ok is false when the result does not
// start with a letter.
func safeName(s string) (string, bool) {
	s = cleanName(s)
	if len(s) > MaxNameChars {
		s = s[:MaxNameChars]
	}
	return s, startsWithLetter(s)
}

func cleanName(s string) string {
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i]) {
			var b strings.Builder
			for _, r := range s {
				if r < utf8.RuneSelf && nameByte(byte(r)) {
					b.WriteRune(r)
				} else {
					b.WriteByte('_')
				}
			}
			return b.String()
		}
	}
	return s
}

func startsWithLetter(s string) bool {
	return s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

// SafeTag returns a tag as Datadog stores it and as the wire carries it
// safely: lower case; Unicode letters and digits, '_', '-', ':', '.', '/'
// kept, anything else (',', '|', '#', spaces, control characters, invalid
// UTF-8) replaced with '_'; at most MaxTagChars characters.
func SafeTag(t string) string {
	clean := len(t) <= MaxTagChars
	for i := 0; clean && i < len(t); i++ {
		clean = tagBytes[t[i]]
	}
	if clean {
		return t
	}
	var b strings.Builder
	n := 0
	for _, r := range t { // invalid UTF-8 comes as RuneError
		if n == MaxTagChars {
			break
		}
		n++
		if r != utf8.RuneError {
			r = unicode.ToLower(r)
			if unicode.IsLetter(r) || unicode.IsDigit(r) || r < utf8.RuneSelf && tagByte(byte(r)) {
				b.WriteRune(r)
				continue
			}
		}
		b.WriteByte('_')
	}
	return b.String()
}

// tagBytes[c] is tagByte(c): every tag of every sample is scanned.
var tagBytes = func() (t [256]bool) {
	for c := range t {
		t[c] = tagByte(byte(c))
	}
	return t
}()

func tagByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':' || c == '.' || c == '/'
}

func tagKey(t string) string {
	k, _, _ := strings.Cut(t, ":")
	return k
}

// reserved reports a tag key the Agent or Datadog reads as metadata: the
// Agent takes host: as the hostname and dd.internal.* for origin detection
// and cardinality (and strips them); Datadog reserves device, source and
// the unified service tags env, service, version; cluster is roachdog's own
// key, which every dashboard and monitor groups by.
func reserved(t string) bool {
	if t == "" || !reservedFirst[t[0]] {
		return false // most tags: every tag of every sample is checked
	}
	switch k := tagKey(t); k {
	case "host", "device", "source", "service", "env", "version", "cluster":
		return true
	default:
		return strings.HasPrefix(k, "dd.")
	}
}

// reservedFirst[c] is true for the first byte of a reserved key.
var reservedFirst = [256]bool{'h': true, 'd': true, 's': true, 'e': true, 'v': true, 'c': true}

// safeText makes a message or event text valid UTF-8 without carriage
// returns (which end a line for some readers; "\r\n" becomes "\n") or other
// control characters (U+FFFD), tabs and newlines kept (datadog-go escapes
// newlines). In a service-check message (field true) '|', which would end
// the field, becomes '¦'.
func safeText(s string, field bool) string {
	clean := utf8.ValidString(s)
	for i := 0; clean && i < len(s); i++ {
		c := s[i]
		clean = !(c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || field && c == '|')
	}
	if clean && !strings.ContainsFunc(s, isC1) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\r':
			if !strings.HasPrefix(s[i+1:], "\n") {
				b.WriteByte('\n')
			}
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case field && r == '|':
			b.WriteRune('¦')
		case r < 0x20 || r == 0x7f || isC1(r) || r == utf8.RuneError:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isC1(r rune) bool { return r >= 0x80 && r < 0xa0 }

// safeLine makes a one-line string (an event title, a name for a log
// line): valid UTF-8, control characters as spaces.
func safeLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || isC1(r) {
			return ' '
		}
		return r // invalid bytes come as RuneError and stay so
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// safeField makes a value that ends at the next '|' (aggregation key,
// hostname, source type): '|', control characters and invalid UTF-8 become
// '_'.
func safeField(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '|' || r < 0x20 || r == 0x7f || isC1(r) || r == utf8.RuneError {
			return '_'
		}
		return r
	}, strings.ToValidUTF8(s, "_"))
}
