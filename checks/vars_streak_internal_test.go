package checks

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestVarsFetchKind: each way a scrape fails gets its own kind, so that a
// streak logs a change of cause (see varsStreak).
func TestVarsFetchKind(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "draining", http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(bytes.Repeat([]byte("x"), 100)) }))
	t.Cleanup(big.Close)
	secure := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(secure.Close)
	for _, c := range []struct{ url, want string }{
		{closed.URL, varsKindRefused},
		{unavailable.URL, "HTTP 503"},
		{hang.URL, varsKindTimeout},
		{big.URL, varsKindTooLarge},
		{secure.URL, varsKindTLS}, // a CA the client does not trust
	} {
		// Only the hanging server should reach the node timeout; the
		// others get time to spare on a loaded machine.
		timeout := 30 * time.Second
		if c.want == varsKindTimeout {
			timeout = 300 * time.Millisecond
		}
		nctx, cancel := context.WithTimeout(context.Background(), timeout)
		b, err := varsOpen(nctx, &http.Client{}, c.url+"/_status/vars", 10, true)
		if err == nil {
			_, err = io.Copy(io.Discard, b)
			b.Close()
		}
		if err == nil {
			t.Errorf("%s: no error", c.want)
		} else if got := varsFetchKind(nctx, err); got != c.want {
			t.Errorf("%v: kind %q, want %q", err, got, c.want)
		}
		cancel()
	}
}
