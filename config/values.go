package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// duration accepts a number of seconds (the Agent's style, fractions
// allowed) or a Go duration string ("5s", "1m30s"). It must be positive.
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	return positive(d, n, path, `want a number of seconds or a duration like "15s"`, parseDuration)
}

// positive reads a number-or-unit scalar with parse and requires it to be
// above zero, reporting either failure with the scalar as written.
func positive[T int64 | time.Duration](d *decoder, n *yaml.Node, path, want string, parse func(string) (T, error)) (T, bool) {
	s, ok := d.numberText(n, path, want)
	if !ok {
		return 0, false
	}
	v, err := parse(s)
	if err != nil {
		d.errorf(n, path, "%s, got %s", want, d.show(n, s))
		return 0, false
	}
	if v <= 0 {
		d.errorf(n, path, "must be more than zero, got %s", d.show(n, s))
		return 0, false
	}
	return v, true
}

// numberText returns the text of a scalar that may be a YAML number or a
// string with a unit ("15s", "16MiB"), ${VAR} expanded; anything else is
// reported with want.
func (d *decoder) numberText(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!int", "!!float":
			return n.Value, true
		case "!!str":
			return d.str(n, path)
		}
	}
	d.errorf(n, path, "%s, got %s", want, kindName(n))
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

// size accepts a number of bytes or a size with a unit: kB, MB, GB (powers
// of 1000) or KiB, MiB, GiB (powers of 1024), case-insensitive, "B" optional.
func (d *decoder) size(n *yaml.Node, path string) (int64, bool) {
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

// tags decodes a list of "key:value" tags: trimmed, lower-case key starting
// with a letter, no characters that would break a DogStatsD datagram.
func (d *decoder) tags(n *yaml.Node, path string) []string {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		p := indexPath(path, i)
		s, ok := d.str(it, p)
		if !ok {
			continue
		}
		if err := checkTag(s); err != nil {
			d.valueError(it, p, err)
			continue
		}
		if strings.HasPrefix(s, "cluster:") {
			d.errorf(it, p, "the cluster tag comes from the instance's cluster key; remove %s", d.show(it, s))
			continue
		}
		// Configured tags may use env, service, host... on purpose (the
		// wire layer trusts them); dd.* is the Agent's alone.
		if strings.HasPrefix(s, "dd.") {
			d.errorf(it, p, "%s: %s; remove it", d.show(it, s), metadataTagWhy("dd."))
			continue
		}
		if seen[s] {
			d.errorf(it, p, "duplicate tag %s", d.show(it, s))
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

var tagKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_.\-/]*$`)

// checkTag validates one trimmed tag; errors are *badValue.
func checkTag(s string) error {
	k, v, ok := strings.Cut(s, ":")
	bad := func(msg, hint string) error { return &badValue{what: "tag ", shown: s, msg: msg, hint: hint} }
	switch {
	case !ok || k == "" || v == "":
		return bad(": want key:value", "")
	case len(s) > 200:
		return &badValue{what: "tag ", shown: s[:40] + "...", msg: ": longer than Datadog's 200 characters"}
	case strings.ToLower(k) != k && tagKeyRe.MatchString(strings.ToLower(k)):
		return bad(": key must be lower case", fmt.Sprintf(" (did you mean %q?)", strings.ToLower(k)+":"+v))
	case !tagKeyRe.MatchString(k):
		return bad(": key must start with a letter and hold only a-z, 0-9, _ . - /", "")
	case strings.ContainsAny(v, ",| \t\r\n"):
		return bad(": value must not hold spaces, commas or |", "")
	}
	return nil
}

func tagKey(tag string) string {
	k, _, _ := strings.Cut(tag, ":")
	return k
}

// statusURL checks a node's HTTP base URL and returns it without a trailing
// slash. Errors are *badValue, the value shown with any password hidden.
func statusURL(raw string) (string, error) {
	shown := redactURLText(raw)
	bad := func(msg, hint string) error { return &badValue{shown: shown, msg: msg, hint: hint} }
	if !strings.Contains(raw, "://") {
		return "", bad(" is not a URL with scheme http or https", fmt.Sprintf(" (did you mean %q?)", "http://"+shown))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", bad(" is not a URL with scheme http or https", "")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad(" is not a URL with scheme http or https", "")
	case u.Hostname() == "":
		return "", bad(" has no host", "")
	case u.User != nil:
		return "", bad(": user names and passwords in status URLs are not supported", "")
	case u.RawQuery != "" || u.ForceQuery:
		return "", bad(" must not have a query (?...)", "")
	case u.Fragment != "":
		return "", bad(" must not have a fragment (#...)", "")
	case u.Path != "" && u.Path != "/":
		base := (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
		return "", bad(" has a path; give the node's base URL (roachdog adds /_status/vars itself)", fmt.Sprintf(", like %q", base))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", bad(": port must be from 1 to 65535", "")
		}
	}
	return u.Scheme + "://" + u.Host, nil
}

// Default DogStatsD port of the Agent.
const defaultDogStatsDPort = "8125"

// dogstatsdAddr converts the accepted DogStatsD address forms to the ones
// datadog-go's statsd.New takes: "udp://host[:port]" and "host[:port]"
// become "host:port" (port 8125 by default); "unix:///path",
// "unixgram:///path" and "unixstream:///path" (sockets) and "\\.\pipe\name"
// (Windows) are kept as they are. Errors are *badValue.
func dogstatsdAddr(raw string) (string, error) {
	const forms = `want udp://host:port, unix:///path/to/dsd.socket or host:port`
	bad := func(format string, args ...any) error {
		return &badValue{shown: raw, msg: fmt.Sprintf(format, args...)}
	}
	if strings.HasPrefix(raw, `\\.\pipe\`) {
		return raw, nil
	}
	if scheme, rest, ok := strings.Cut(raw, "://"); ok {
		switch strings.ToLower(scheme) {
		case "unix", "unixgram", "unixstream":
			if !strings.HasPrefix(rest, "/") || len(rest) < 2 {
				return "", bad(": a socket path must be absolute, like unix:///var/run/datadog/dsd.socket")
			}
			return strings.ToLower(scheme) + "://" + rest, nil
		case "udp":
			u, err := url.Parse(raw)
			if err != nil || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
				return "", bad(": %s", forms)
			}
			port := u.Port()
			if port == "" {
				port = defaultDogStatsDPort
			}
			if err := checkPort(port); err != nil {
				return "", bad(": %v", err)
			}
			return net.JoinHostPort(u.Hostname(), port), nil
		default:
			return "", bad(": scheme must be udp or unix; %s", forms)
		}
	}
	host, port, err := net.SplitHostPort(raw)
	if err != nil {
		// A bare host name or IP: the Agent's default port.
		if strings.ContainsAny(raw, " /?#@") || raw == "" {
			return "", bad(": %s", forms)
		}
		host, port = strings.Trim(raw, "[]"), defaultDogStatsDPort
	}
	if host == "" {
		return "", bad(" has no host; %s", forms)
	}
	if err := checkPort(port); err != nil {
		return "", bad(": %v", err)
	}
	return net.JoinHostPort(host, port), nil
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port must be a number from 1 to 65535")
	}
	return nil
}

// ParsePattern reads one include/exclude entry: a regular expression
// written between slashes ("/^sql_mem_.*_current$/", Go RE2 syntax, matched
// anywhere in the name unless anchored), or else an exact Prometheus family
// name as /_status/vars spells it ("rocksdb_block_cache_hits"). Exactly one
// of exact and re is set when err is nil.
func ParsePattern(s string) (exact string, re *regexp.Regexp, err error) {
	if strings.HasPrefix(s, "/") {
		if len(s) < 2 || !strings.HasSuffix(s, "/") {
			return "", nil, fmt.Errorf("%q: a regular expression is written between slashes, like \"/^sql_mem_.*_current$/\"", s)
		}
		expr := s[1 : len(s)-1]
		if expr == "" {
			return "", nil, fmt.Errorf("%q: empty regular expression (write \"/.*/\" to match every family)", s)
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return "", nil, fmt.Errorf("%q: bad regular expression: %v", s, err)
		}
		return "", re, nil
	}
	if !familyNameRe.MatchString(s) {
		hint := ""
		if dotted := strings.ReplaceAll(s, ".", "_"); dotted != s && familyNameRe.MatchString(dotted) {
			hint = fmt.Sprintf(" (did you mean %q? Families are named as /_status/vars spells them)", dotted)
		}
		return "", nil, fmt.Errorf("%q is not a metric family name nor a /regular expression/%s", s, hint)
	}
	return s, nil, nil
}

var familyNameRe = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// patterns decodes include/exclude. They are not ${VAR}-expanded: "$" means
// end of text in a regular expression.
func (d *decoder) patterns(n *yaml.Node, path string) []string {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		p := indexPath(path, i)
		s, ok := d.scalar(it, p, false)
		if !ok {
			continue
		}
		s = strings.TrimSpace(s)
		if _, _, err := ParsePattern(s); err != nil {
			d.errorf(it, p, "%v", err)
			continue
		}
		if seen[s] {
			d.errorf(it, p, "%q is listed twice", s)
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// histogramMode decodes how a histogram is sent.
func (d *decoder) histogramMode(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	switch s {
	case "distribution", "gauges", "both":
		return s, true
	}
	d.errorf(n, path, "want distribution, gauges or both, got %q", s)
	return "", false
}

// quantiles decodes a list of numbers in (0,1), without repeats.
func (d *decoder) quantiles(n *yaml.Node, path string) []float64 {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	out := make([]float64, 0, len(items))
	for i, it := range items {
		p := indexPath(path, i)
		if it.Kind != yaml.ScalarNode || (it.ShortTag() != "!!float" && it.ShortTag() != "!!int" && it.ShortTag() != "!!str") {
			d.errorf(it, p, "want a number between 0 and 1, got %s", kindName(it))
			continue
		}
		s, ok := d.str(it, p)
		if !ok {
			continue
		}
		q, err := strconv.ParseFloat(s, 64)
		if err != nil || !(q > 0 && q < 1) {
			d.errorf(it, p, "want a number between 0 and 1 (exclusive), like 0.99, got %s", d.show(it, s))
			continue
		}
		for _, prev := range out {
			if prev == q {
				shown := strconv.FormatFloat(q, 'g', -1, 64)
				if len(d.fromEnv[it]) > 0 {
					shown = d.show(it, s)
				}
				d.errorf(it, p, "quantile %s is listed twice", shown)
			}
		}
		out = append(out, q)
	}
	return out
}
