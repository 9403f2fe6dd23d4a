package ddapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roachdog/roachdog/ddapi"
)

// TestRedirectKeepsTheKeys: Go's client forwards custom headers such as
// DD-API-KEY to whatever host a redirect names; the client must refuse
// the redirect instead, and not retry it.
func TestRedirectKeepsTheKeys(t *testing.T) {
	t.Parallel()
	const apiKey, appKey = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210fedcba98"
	var mu sync.Mutex
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.Method+" "+r.URL.Path+" api key "+r.Header.Get("DD-API-KEY")+" app key "+r.Header.Get("DD-APPLICATION-KEY"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"dashboards": []}`))
	}))
	t.Cleanup(other.Close) // after the parallel subtests, unlike defer
	for _, tc := range []struct {
		name   string
		code   int
		client *http.Client
	}{
		{"default client, 307", http.StatusTemporaryRedirect, nil},
		{"caller's client, 302", http.StatusFound, &http.Client{}},
		{"caller's client, 308", http.StatusPermanentRedirect, &http.Client{Timeout: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				// A Location that echoes a key is masked in the error.
				w.Header().Set("Location", other.URL+r.URL.Path+"/"+apiKey+"?api_key="+apiKey)
				w.WriteHeader(tc.code)
			}))
			defer api.Close()
			c, err := ddapi.New(ddapi.Config{APIURL: api.URL, APIKey: apiKey, AppKey: appKey})
			if err != nil {
				t.Fatal(err)
			}
			c.HTTP = tc.client
			c.Backoff = time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = c.ListDashboards(ctx)
			if err == nil {
				t.Fatal("ListDashboards followed the redirect")
			}
			want := "GET " + api.URL + "/api/v1/dashboard: refused to follow HTTP "
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `redirect to "`+other.URL+`/api/v1/dashboard/[redacted]?…"`) {
				t.Errorf("error %q: want %q and the masked Location", err, want)
			}
			if strings.Contains(err.Error(), apiKey) || strings.Contains(err.Error(), appKey) {
				t.Errorf("error shows a key: %v", err)
			}
			if n := hits.Load(); n != 1 {
				t.Errorf("%d requests to the API, want 1: a refused redirect is not retried", n)
			}
		})
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(leaked) > 0 {
			t.Errorf("the redirect target received %q", leaked)
		}
	})
}
