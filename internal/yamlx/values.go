package yamlx

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration accepts a number of seconds (the Agent's style, fractions
// allowed) or a Go duration string ("5s", "1m30s"). It must be positive.
func (d *Decoder) Duration(n *yaml.Node, path string) (time.Duration, bool) {
	return positive(d, n, path, `want a number of seconds or a duration like "15s"`, parseDuration)
}

// positive reads a number-or-unit scalar with parse and requires it to be
// above zero, reporting either failure with the scalar as written.
func positive[T int64 | time.Duration](d *Decoder, n *yaml.Node, path, want string, parse func(string) (T, error)) (T, bool) {
	s, ok := d.numberText(n, path, want)
	if !ok {
		return 0, false
	}
	v, err := parse(s)
	if err != nil {
		d.Errorf(n, path, "%s, got %s", want, d.Show(n, s))
		return 0, false
	}
	if v <= 0 {
		d.Errorf(n, path, "must be more than zero, got %s", d.Show(n, s))
		return 0, false
	}
	return v, true
}

// numberText returns the text of a scalar that may be a YAML number or a
// string with a unit ("15s", "16MiB"), ${VAR} expanded; anything else is
// reported with want.
func (d *Decoder) numberText(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int", "!!float":
			return n.Value, true
		case "!!str":
			return d.Str(n, path)
		}
	}
	d.Errorf(n, path, "%s, got %s", want, KindName(n))
	return "", false
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || math.Abs(secs) > math.MaxInt64/1e9 {
			return 0, fmt.Errorf("out of range")
		}
		return time.Duration(math.Round(secs * 1e9)), nil
	}
	return time.ParseDuration(s)
}

// Size accepts a number of bytes or a size with a unit: kB, MB, GB (powers
// of 1000) or KiB, MiB, GiB (powers of 1024), case-insensitive, "B" optional.
func (d *Decoder) Size(n *yaml.Node, path string) (int64, bool) {
	return positive(d, n, path, `want a number of bytes or a size like "16MiB"`, parseSize)
}

var sizeRe = regexp.MustCompile(`^([0-9][0-9_]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)$`)

func parseSize(s string) (int64, error) {
	m := sizeRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		if v, err := strconv.ParseInt(s, 0, 64); err == nil { // 0x..., -1
			return v, nil
		}
		return 0, fmt.Errorf("not a size")
	}
	num, err := strconv.ParseFloat(strings.ReplaceAll(m[1], "_", ""), 64)
	if err != nil {
		return 0, err
	}
	var mult float64
	switch strings.ToLower(m[2]) {
	case "", "b":
		mult = 1
	case "k", "kb":
		mult = 1e3
	case "m", "mb":
		mult = 1e6
	case "g", "gb":
		mult = 1e9
	case "ki", "kib":
		mult = 1 << 10
	case "mi", "mib":
		mult = 1 << 20
	case "gi", "gib":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("unknown unit %q", m[2])
	}
	v := num * mult
	if v != math.Trunc(v) || v > math.MaxInt64/2 {
		return 0, fmt.Errorf("not a whole number of bytes")
	}
	return int64(v), nil
}

// Tags decodes a list of "key:value" tags: trimmed, lower-case key starting
// with a letter, no characters that would break a DogStatsD datagram.
func (d *Decoder) Tags(n *yaml.Node, path string) []string {
	items, ok := d.List(n, path)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		p := IndexPath(path, i)
		s, ok := d.Str(it, p)
		if !ok {
			continue
		}
		if err := CheckTag(s); err != nil {
			d.ValueError(it, p, err)
			continue
		}
		if strings.HasPrefix(s, "cluster:") {
			d.Errorf(it, p, "the cluster tag comes from the instance's cluster key; remove %s", d.Show(it, s))
			continue
		}
		// Configured tags may use env, service, host... on purpose (the
		// wire layer trusts them); dd.* is the Agent's alone.
		if strings.HasPrefix(s, "dd.") {
			d.Errorf(it, p, "%s: %s; remove it", d.Show(it, s), MetadataTagWhy("dd."))
			continue
		}
		if seen[s] {
			d.Errorf(it, p, "duplicate tag %s", d.Show(it, s))
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

var tagKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_.\-/]*$`)

var metricNameRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.]*$`)

// ValidMetricName reports whether s is a valid Datadog metric name (or a
// namespace): a letter, then letters, digits, _ and single dots, not
// ending with a dot.
func ValidMetricName(s string) bool {
	return metricNameRe.MatchString(s) && !strings.HasSuffix(s, ".") && !strings.Contains(s, "..")
}

// ValidTagKey reports whether k is a tag key roachdog accepts in its
// configuration: a lower-case letter, then a-z, 0-9, _ . - /.
func ValidTagKey(k string) bool { return tagKeyRe.MatchString(k) }

// CheckTag validates one trimmed tag; errors are *BadValue.
func CheckTag(s string) error {
	k, v, ok := strings.Cut(s, ":")
	bad := func(msg, hint string) error { return &BadValue{What: "tag ", Shown: s, Msg: msg, Hint: hint} }
	switch {
	case !ok || k == "" || v == "":
		return bad(": want key:value", "")
	case len(s) > 200:
		return &BadValue{What: "tag ", Shown: s[:40] + "...", Msg: ": longer than Datadog's 200 characters"}
	case strings.ToLower(k) != k && tagKeyRe.MatchString(strings.ToLower(k)):
		return bad(": key must be lower case", fmt.Sprintf(" (did you mean %q?)", strings.ToLower(k)+":"+v))
	case !tagKeyRe.MatchString(k):
		return bad(": key must start with a letter and hold only a-z, 0-9, _ . - /", "")
	case strings.ContainsAny(v, ",| \t\r\n"):
		return bad(": value must not hold spaces, commas or |", "")
	}
	return nil
}

// TagKey is the key of a key:value tag.
func TagKey(tag string) string {
	k, _, _ := strings.Cut(tag, ":")
	return k
}

// Integer accepts a whole number from lo to hi.
func (d *Decoder) Integer(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	want := fmt.Sprintf("want a whole number from %d to %d", lo, hi)
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!str") {
		d.Errorf(n, path, "%s, got %s", want, KindName(n))
		return 0, false
	}
	s, ok := d.Str(n, path)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || v < lo || v > hi {
		d.Errorf(n, path, "%s, got %s", want, d.Show(n, s))
		return 0, false
	}
	return v, true
}

// IntIn sets *dst to n's value when it is a whole number from lo to hi;
// otherwise it records the error and leaves *dst (the default) alone.
func (d *Decoder) IntIn(n *yaml.Node, path string, lo, hi int, dst *int) {
	if v, ok := d.Integer(n, path, int64(lo), int64(hi)); ok {
		*dst = int(v)
	}
}

// FmtDuration shows a duration the short way: "1m", not "1m0s".
func FmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MetadataTagKey reports a tag key the Agent or Datadog reads as metadata
// rather than as a dimension: the same keys the wire layer (internal/wire)
// sends renamed crdb_<key> when they come from the cluster, plus dd.*, the
// Agent's own. roachdog's cluster key is checked apart.
func MetadataTagKey(k string) bool {
	switch k {
	case "host", "device", "source", "service", "env", "version":
		return true
	}
	return strings.HasPrefix(k, "dd.")
}

// MetadataTagWhy says what the Agent or Datadog does with a metadata key.
func MetadataTagWhy(k string) string {
	switch k {
	case "host":
		return "the Agent takes a host tag as the metric's host name"
	case "device":
		return "Datadog reads a device tag as the metric's device"
	case "source":
		return "Datadog reads a source tag as the integration that sent the data"
	case "service", "env", "version":
		return k + " is one of Datadog's unified service tags, which roachdog takes from the configuration only"
	}
	return "dd.* tags are the Agent's own (origin detection, cardinality)"
}

// Redacted replaces passwords, as net/url's URL.Redacted does.
const Redacted = "xxxxx"

var secretParamRe = regexp.MustCompile(`(?i)([?&](?:ssl)?password=)[^&#]*`)

// RedactURLText hides a URL's password without parsing it, since it is used
// on URLs that do not parse. The user info ends at the LAST "@" (a password
// may hold "/", "?" or "#" that url.Parse would take for the path, query or
// fragment) and its password starts at the first ":". The password and
// sslpassword query parameters (libpq's) are hidden too. It may hide more
// than the password, never less.
func RedactURLText(raw string) string {
	prefix, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		prefix, rest = raw[:i+3], raw[i+3:]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
			rest = user + ":" + Redacted + rest[at:]
		}
	}
	return prefix + secretParamRe.ReplaceAllString(rest, "${1}"+Redacted)
}
