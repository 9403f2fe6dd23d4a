package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/roachdog/roachdog/internal/yamlx"
)

// statusURL checks a node's HTTP base URL and returns it without a trailing
// slash. Errors are *badValue, the value shown with any password hidden.
func statusURL(raw string) (string, error) {
	shown := yamlx.RedactURLText(raw)
	bad := func(msg, hint string) error { return &yamlx.BadValue{Shown: shown, Msg: msg, Hint: hint} }
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
	if p := u.Port(); p != "" && checkPort(p) != nil {
		return "", bad(": port must be from 1 to 65535", "")
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
		return &yamlx.BadValue{Shown: raw, Msg: fmt.Sprintf(format, args...)}
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
