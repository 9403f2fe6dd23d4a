package ddapi

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRateLimitWait(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"none", nil, 0},
		{"reset", map[string]string{"X-RateLimit-Reset": "7"}, 7 * time.Second},
		{"reset zero", map[string]string{"X-RateLimit-Reset": "0"}, 0},
		{"reset garbage", map[string]string{"X-RateLimit-Reset": "soon"}, 0},
		{"retry-after seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{"retry-after date", map[string]string{"Retry-After": now.Add(5 * time.Second).Format(http.TimeFormat)}, 5 * time.Second},
		{"retry-after past date", map[string]string{"Retry-After": now.Add(-5 * time.Second).Format(http.TimeFormat), "X-RateLimit-Reset": "2"}, 2 * time.Second},
		{"retry-after wins", map[string]string{"Retry-After": "4", "X-RateLimit-Reset": "9"}, 4 * time.Second},
	} {
		h := http.Header{}
		for k, v := range tc.header {
			h.Set(k, v)
		}
		if got := rateLimitWait(h, now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBackoffStep(t *testing.T) {
	t.Parallel()
	for attempt, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second} {
		if got := backoffStep(time.Second, attempt); got != want {
			t.Errorf("attempt %d: %v, want %v", attempt, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		want []string
	}{
		{``, nil},
		{`{"errors":["a","b"]}`, []string{"a", "b"}},
		{`{"errors":[{"title":"Bad Request","detail":"x"}]}`, []string{"Bad Request: x"}},
		{`{"errors":[{"title":"Forbidden"}]}`, []string{"Forbidden"}},
		{`{"errors":[42]}`, []string{"42"}},
		{"<html>\n  <h1>502</h1>\n</html>", []string{"<html> <h1>502</h1> </html>"}},
		// Entries from the server are one printable line each, bounded.
		{`{"errors":["line one\nforged: line\u001b[31m"]}`, []string{"line one forged: line[31m"}},
		{`{"errors":[{"title":"Bad\r\nRequest","detail":"x"}]}`, []string{"Bad Request: x"}},
		{`{"errors":["` + strings.Repeat("é", 400) + `"]}`, []string{strings.Repeat("é", 250) + "..."}},
	} {
		got := parseErrors([]byte(tc.body))
		if len(got) != len(tc.want) {
			t.Errorf("%q: %q, want %q", tc.body, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: %q, want %q", tc.body, got, tc.want)
			}
		}
	}
}
