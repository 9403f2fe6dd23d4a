package ddapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Error is a non-2xx answer from the API. It never holds the keys.
type Error struct {
	Method string
	Path   string // without the query string
	Status int
	// Errors is the API's "errors" array (v1 sends strings, v2 sends
	// objects whose title and detail are joined here), or a short excerpt of
	// a body that was not the API's JSON (a proxy's HTML page).
	Errors []string
	// Hint says what to check, for the statuses where that is known.
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: HTTP %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if len(e.Errors) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Errors, "; "))
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

func (c *Client) apiError(r request, status int, header http.Header, body []byte) *Error {
	e := &Error{Method: r.method, Path: r.path, Status: status, Errors: parseErrors(body)}
	for i, s := range e.Errors {
		e.Errors[i] = c.redact(s)
	}
	switch {
	case status == http.StatusUnauthorized:
		e.Hint = "unauthorized: DD_API_KEY or DD_APP_KEY is wrong, revoked, or belongs to another Datadog site than " + c.BaseURL + " (set DD_SITE)"
	case status == http.StatusForbidden:
		e.Hint = "forbidden: check DD_APP_KEY permissions: this call needs " + permission(r.method, r.path) +
			" (the key's scopes, if it is scoped, and its owner's role)"
	case status == http.StatusTooManyRequests:
		if reset := header.Get("X-RateLimit-Reset"); reset != "" {
			e.Hint = "rate limited: X-RateLimit-Reset " + reset + "s"
		} else {
			e.Hint = "rate limited"
		}
	}
	return e
}

// permission names the Datadog permission an endpoint needs
// (docs.datadoghq.com/api/latest/, "This endpoint requires ...").
func permission(method, path string) string {
	read := method == http.MethodGet
	switch {
	case strings.HasPrefix(path, "/api/v1/dashboard"):
		if read {
			return "dashboards_read"
		}
		return "dashboards_write"
	case strings.HasPrefix(path, "/api/v1/monitor/validate"), strings.HasPrefix(path, "/api/v1/monitor") && read:
		return "monitors_read"
	case strings.HasPrefix(path, "/api/v1/monitor"):
		return "monitors_write"
	case strings.HasPrefix(path, "/api/v2/downtime"):
		return "monitors_downtime"
	case strings.HasPrefix(path, "/api/v2/metrics/"):
		if read {
			return "metrics_read"
		}
		return "metric_tags_write"
	}
	return "dashboards_write, monitors_write, monitors_downtime"
}

// parseErrors reads {"errors": [...]} in both shapes Datadog uses.
func parseErrors(body []byte) []string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	var v struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err == nil && len(v.Errors) > 0 {
		out := make([]string, 0, len(v.Errors))
		for _, raw := range v.Errors {
			// Each entry is printed on a line of its own by apply and
			// downtime: one printable, bounded line, whatever the server sent.
			var s string
			if json.Unmarshal(raw, &s) == nil {
				out = append(out, excerpt([]byte(s), errorEntryMax))
				continue
			}
			var o struct{ Title, Detail string }
			if json.Unmarshal(raw, &o) == nil && (o.Title != "" || o.Detail != "") {
				out = append(out, excerpt([]byte(strings.TrimSuffix(o.Title+": "+o.Detail, ": ")), errorEntryMax))
				continue
			}
			out = append(out, excerpt(raw, errorEntryMax))
		}
		return out
	}
	return []string{excerpt(body, 200)}
}

// errorEntryMax bounds one error entry of a Datadog reply.
const errorEntryMax = 500

// excerpt is the start of a body as one printable line of at most n bytes
// (plus "..."), cut on a rune boundary.
func excerpt(b []byte, n int) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "..."
	}
	return s
}

// rateLimitWait reads Datadog's rate-limit headers: X-RateLimit-Reset is the
// number of seconds until the window resets; Retry-After (seconds or an
// HTTP date) is honoured too. Zero means no usable header.
func rateLimitWait(h http.Header, now time.Time) time.Duration {
	if d := retryAfter(h, now); d > 0 {
		return d
	}
	if s := strings.TrimSpace(h.Get("X-RateLimit-Reset")); s != "" {
		if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 && n < 1e6 {
			return time.Duration(n * float64(time.Second))
		}
	}
	return 0
}

func retryAfter(h http.Header, now time.Time) time.Duration {
	s := strings.TrimSpace(h.Get("Retry-After"))
	if s == "" {
		return 0
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n > 0 && n < 1e6 {
			return time.Duration(n) * time.Second
		}
		return 0
	}
	if t, err := http.ParseTime(s); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
