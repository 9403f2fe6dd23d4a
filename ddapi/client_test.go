package ddapi_test

// These tests run against ddapitest, a LOCAL EMULATION of the Datadog API
// (an httptest server), never against Datadog.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/ddapi"
	"github.com/roachdog/roachdog/ddapi/ddapitest"
)

func newClient(t *testing.T, srv *ddapitest.Server) *ddapi.Client {
	t.Helper()
	c, err := ddapi.New(ddapi.Config{APIURL: srv.URL, APIKey: srv.APIKey, AppKey: srv.AppKey})
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff = time.Millisecond
	return c
}

func TestSiteURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ site, want, err string }{
		{"", "https://api.datadoghq.com", ""},
		{"datadoghq.com", "https://api.datadoghq.com", ""},
		{"datadoghq.eu", "https://api.datadoghq.eu", ""},
		{"us3.datadoghq.com", "https://api.us3.datadoghq.com", ""},
		{"ap1.datadoghq.com", "https://api.ap1.datadoghq.com", ""},
		{"ddog-gov.com", "https://api.ddog-gov.com", ""},
		{" app.datadoghq.eu ", "https://api.datadoghq.eu", ""},
		{"https://app.datadoghq.com/", "https://api.datadoghq.com", ""},
		{"US5.DATADOGHQ.COM", "https://api.us5.datadoghq.com", ""},
		{"datadoghq", "", "not a Datadog site"},
		{"datadoghq.com/evil", "", "not a Datadog site"},
		{"evil.com@datadoghq.com", "", "not a Datadog site"},
		{"http://datadoghq.com", "", "not a Datadog site"},
	} {
		got, err := ddapi.SiteURL(tc.site)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("SiteURL(%q) = %q, %v; want error containing %q", tc.site, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("SiteURL(%q) = %q, %v; want %q", tc.site, got, err, tc.want)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	ok := ddapi.Config{APIKey: "abcd1234", AppKey: "efgh5678"}
	for _, tc := range []struct {
		name string
		edit func(*ddapi.Config)
		err  string
		base string
	}{
		{"defaults", func(*ddapi.Config) {}, "", "https://api.datadoghq.com"},
		{"site", func(c *ddapi.Config) { c.Site = "datadoghq.eu" }, "", "https://api.datadoghq.eu"},
		{"api url wins", func(c *ddapi.Config) { c.Site = "datadoghq.eu"; c.APIURL = "https://proxy.example.com/dd/" }, "", "https://proxy.example.com/dd"},
		{"loopback http", func(c *ddapi.Config) { c.APIURL = "http://127.0.0.1:8080" }, "", "http://127.0.0.1:8080"},
		{"localhost http", func(c *ddapi.Config) { c.APIURL = "http://localhost:8080" }, "", "http://localhost:8080"},
		{"remote http", func(c *ddapi.Config) { c.APIURL = "http://proxy.example.com" }, "only on a loopback", ""},
		{"other scheme", func(c *ddapi.Config) { c.APIURL = "ftp://x.example.com" }, "scheme must be https", ""},
		{"relative", func(c *ddapi.Config) { c.APIURL = "api.datadoghq.com" }, "absolute URL", ""},
		{"userinfo", func(c *ddapi.Config) { c.APIURL = "https://u:p@x.example.com" }, "scheme, host and optional path", ""},
		{"no api key", func(c *ddapi.Config) { c.APIKey = "" }, "DD_API_KEY is not set", ""},
		{"no app key", func(c *ddapi.Config) { c.AppKey = " \n" }, "DD_APP_KEY is not set", ""},
		{"key with space", func(c *ddapi.Config) { c.AppKey = "ab cd" }, "DD_APP_KEY contains a space", ""},
		{"bad site", func(c *ddapi.Config) { c.Site = "nope" }, "not a Datadog site", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			c, err := ddapi.New(cfg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("New: %v; want error containing %q", err, tc.err)
				}
				for _, k := range []string{strings.TrimSpace(cfg.APIKey), strings.TrimSpace(cfg.AppKey)} {
					if k != "" && strings.Contains(err.Error(), k) {
						t.Errorf("error %q quotes a key", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL != tc.base {
				t.Errorf("BaseURL = %q, want %q", c.BaseURL, tc.base)
			}
		})
	}
}

func TestNewTrimsKeys(t *testing.T) {
	t.Parallel()
	c, err := ddapi.New(ddapi.Config{APIKey: "abcd1234\n", AppKey: "  efgh5678"})
	if err != nil {
		t.Fatal(err)
	}
	if c.APIKey != "abcd1234" || c.AppKey != "efgh5678" {
		t.Errorf("keys not trimmed: %q %q", c.APIKey, c.AppKey)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DD_SITE": "datadoghq.eu", "DD_API_KEY": "a", "DD_APPLICATION_KEY": "b"}
	got := ddapi.ConfigFromEnv(func(k string) string { return env[k] })
	if got != (ddapi.Config{Site: "datadoghq.eu", APIKey: "a", AppKey: "b"}) {
		t.Errorf("fallback to DD_APPLICATION_KEY: got %+v", got)
	}
	env["DD_APP_KEY"] = "c"
	if got := ddapi.ConfigFromEnv(func(k string) string { return env[k] }); got.AppKey != "c" {
		t.Errorf("DD_APP_KEY must win over DD_APPLICATION_KEY: got %q", got.AppKey)
	}
}

func TestKeysSentInHeadersOnly(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	c.UserAgent = "roachdog/test"
	if _, err := c.ListDashboards(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetDashboard(context.Background(), "no-such-id")
	var apiErr *ddapi.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Fatalf("GetDashboard of a missing id: %v; want a 404 *ddapi.Error", err)
	}
	if !strings.Contains(err.Error(), "GET /api/v1/dashboard/no-such-id: HTTP 404") || !strings.Contains(err.Error(), "not found") {
		t.Errorf("error %q: want method, path, status and the API's message", err)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("DD-API-KEY") != srv.APIKey || r.Header.Get("DD-APPLICATION-KEY") != srv.AppKey {
			t.Errorf("%s: keys not in headers", r)
		}
		if strings.Contains(r.Query, srv.APIKey) || strings.Contains(r.Query, srv.AppKey) {
			t.Errorf("%s: key in the query string", r)
		}
		if ua := r.Header.Get("User-Agent"); ua != "roachdog/test" {
			t.Errorf("%s: User-Agent %q", r, ua)
		}
	}
	if s := err.Error(); strings.Contains(s, srv.APIKey) || strings.Contains(s, srv.AppKey) {
		t.Errorf("error quotes a key: %s", s)
	}
}

func TestBadKeysAreForbiddenWithHint(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c, err := ddapi.New(ddapi.Config{APIURL: srv.URL, APIKey: "wrong-api-key", AppKey: "wrong-app-key"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateMonitor(context.Background(), ddapi.Object{"name": "x", "type": "query alert", "query": "q"})
	var apiErr *ddapi.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden {
		t.Fatalf("got %v; want a 403 *ddapi.Error", err)
	}
	for _, want := range []string{"POST /api/v1/monitor", "HTTP 403 Forbidden", "Forbidden", "forbidden: check DD_APP_KEY permissions", "monitors_write"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "wrong-api-key") || strings.Contains(err.Error(), "wrong-app-key") {
		t.Errorf("error quotes a key: %s", err)
	}
	if len(srv.Requests()) != 1 {
		t.Errorf("a 403 was retried: %d requests", len(srv.Requests()))
	}
}

func TestPermissionHints(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	ctx := context.Background()
	for _, tc := range []struct {
		method, path, perm string
		call               func() error
	}{
		{"GET", "/api/v1/dashboard", "dashboards_read", func() error { _, err := c.ListDashboards(ctx); return err }},
		{"PUT", "/api/v1/dashboard/", "dashboards_write", func() error { _, err := c.UpdateDashboard(ctx, "a-b-c", ddapi.Object{}); return err }},
		{"GET", "/api/v1/monitor", "monitors_read", func() error { _, err := c.ListMonitors(ctx, "a:b"); return err }},
		{"POST", "/api/v1/monitor/validate", "monitors_read", func() error { return c.ValidateMonitor(ctx, ddapi.Object{}) }},
		{"PUT", "/api/v1/monitor/", "monitors_write", func() error { _, err := c.UpdateMonitor(ctx, 1, ddapi.Object{}); return err }},
		{"POST", "/api/v2/downtime", "monitors_downtime", func() error {
			_, err := c.CreateDowntime(ctx, ddapi.Downtime{Scope: "a:b", MonitorTags: []string{"t:v"}, End: time.Now().Add(time.Hour)})
			return err
		}},
		{"DELETE", "/api/v2/downtime/", "monitors_downtime", func() error { return c.CancelDowntime(ctx, "x") }},
	} {
		srv.AddFault(ddapitest.Fault{Method: tc.method, Path: tc.path, Status: 403, Body: `{"errors":["Forbidden"]}`})
		err := tc.call()
		if err == nil || !strings.Contains(err.Error(), "needs "+tc.perm) {
			t.Errorf("%s %s: %v; want a hint naming %s", tc.method, tc.path, err, tc.perm)
		}
	}
}

func TestUnauthorizedHintNamesSite(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	srv.AddFault(ddapitest.Fault{Method: "GET", Path: "/api/v1/dashboard", Status: 401, Body: `{"errors":["Unauthorized"]}`})
	_, err := c.ListDashboards(context.Background())
	if err == nil || !strings.Contains(err.Error(), "another Datadog site") || !strings.Contains(err.Error(), "DD_SITE") {
		t.Errorf("got %v; want a hint about keys and DD_SITE", err)
	}
}

// recordSleeps replaces the client's sleep so a test checks the waits it
// asked for without spending them.
func recordSleeps(c *ddapi.Client) *[]time.Duration {
	var waits []time.Duration
	ddapi.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	})
	return &waits
}

func TestRetry429WaitsForRateLimitReset(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	waits := recordSleeps(c)
	srv.AddFault(ddapitest.Fault{Method: "POST", Path: "/api/v1/monitor", Status: 429, Times: 2,
		Header: map[string]string{"X-RateLimit-Limit": "100", "X-RateLimit-Period": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"},
		Body:   `{"errors":["Rate limit of 100 requests in 10 seconds reached."]}`})
	m, err := c.CreateMonitor(context.Background(), ddapi.Object{"name": "x", "type": "query alert", "query": "avg(last_5m):avg:a{*} > 1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.MonitorID(); !ok {
		t.Errorf("created monitor has no id: %v", m)
	}
	if fmt.Sprint(*waits) != "[1s 1s]" {
		t.Errorf("waits = %v; want [1s 1s] (X-RateLimit-Reset: 1)", *waits)
	}
	if n := len(srv.Writes()); n != 3 {
		t.Errorf("%d POSTs; want 3 (two 429s, then the create)", n)
	}
	if n := len(srv.Monitors()); n != 1 {
		t.Errorf("%d monitors stored; want 1", n)
	}
}

func TestRetry429RetryAfterWins(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	waits := recordSleeps(c)
	srv.AddFault(ddapitest.Fault{Method: "GET", Path: "/api/v1/dashboard", Status: 429,
		Header: map[string]string{"Retry-After": "2", "X-RateLimit-Reset": "7"}})
	if _, err := c.ListDashboards(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*waits) != "[2s]" {
		t.Errorf("waits = %v; want [2s]", *waits)
	}
}

func TestRetry429BeyondBudgetFailsWithoutWaiting(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	c.MaxWait = time.Minute
	waits := recordSleeps(c)
	srv.AddFault(ddapitest.Fault{Method: "GET", Path: "/api/v1/monitor", Status: 429, Header: map[string]string{"X-RateLimit-Reset": "3600"}})
	_, err := c.ListMonitors(context.Background())
	if err == nil || !strings.Contains(err.Error(), "beyond the 1m0s retry budget") || !strings.Contains(err.Error(), "HTTP 429") {
		t.Fatalf("got %v; want a budget error naming the 429", err)
	}
	if len(*waits) != 0 {
		t.Errorf("waited %v", *waits)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	c.MaxRetries = 2
	waits := recordSleeps(c)
	srv.AddFault(ddapitest.Fault{Method: "GET", Path: "/api/v1/monitor", Status: 429, Times: 100, Header: map[string]string{"X-RateLimit-Reset": "1"}})
	_, err := c.ListMonitors(context.Background())
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Fatalf("got %v; want giving up after 3 attempts", err)
	}
	if len(srv.Requests()) != 3 || len(*waits) != 2 {
		t.Errorf("%d requests, waits %v; want 3 and 2", len(srv.Requests()), *waits)
	}
}

func TestRetry5xxOnlyWhenIdempotent(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	c.Backoff = 100 * time.Millisecond
	waits := recordSleeps(c)
	srv.AddFault(ddapitest.Fault{Method: "GET", Path: "/api/v1/dashboard", Status: 503, Times: 2, Body: "<html>upstream unavailable</html>"})
	if _, err := c.ListDashboards(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*waits) != "[100ms 200ms]" {
		t.Errorf("5xx backoff = %v; want [100ms 200ms]", *waits)
	}

	*waits = nil
	srv.ResetRequests()
	srv.AddFault(ddapitest.Fault{Method: "POST", Path: "/api/v1/dashboard", Status: 502, Body: "<html><body>Bad gateway</body></html>"})
	_, err := c.CreateDashboard(context.Background(), ddapi.Object{"title": "t", "layout_type": "ordered", "widgets": []any{}})
	if err == nil || !strings.Contains(err.Error(), "HTTP 502") || !strings.Contains(err.Error(), "<html><body>Bad gateway</body></html>") || !strings.Contains(err.Error(), "not retried") {
		t.Fatalf("got %v; want the 502 with an excerpt of the body", err)
	}
	if len(srv.Requests()) != 1 || len(*waits) != 0 {
		t.Errorf("a create was retried after a 5xx: %d requests", len(srv.Requests()))
	}
}

func TestWaitHonoursContext(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	srv.AddFault(ddapitest.Fault{Method: "GET", Path: "/api/v1/dashboard", Status: 429, Header: map[string]string{"X-RateLimit-Reset": "30"}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ListDashboards(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v; want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %s; the context ended after 50ms", d)
	}
}

func TestEachAttemptHasADeadline(t *testing.T) {
	t.Parallel()
	// A server that never answers: each attempt must end at Timeout and the
	// retries must stay bounded.
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hung.Close()
	defer close(release)
	c, err := ddapi.New(ddapi.Config{APIURL: hung.URL, APIKey: "abcd1234", AppKey: "efgh5678"})
	if err != nil {
		t.Fatal(err)
	}
	c.Timeout, c.MaxRetries, c.Backoff = 50*time.Millisecond, 1, time.Millisecond
	start := time.Now()
	_, err = c.GetDashboard(context.Background(), "a-b-c")
	if err == nil || !strings.Contains(err.Error(), "giving up after 2 attempts") || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("got %v; want two timed-out attempts", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestAPIErrorShapes(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	srv.AddFault(ddapitest.Fault{Method: "POST", Path: "/api/v2/downtime", Status: 400,
		Body: `{"errors":[{"status":"400","title":"Bad Request","detail":"invalid scope"}]}`})
	_, err := c.CreateDowntime(context.Background(), ddapi.Downtime{Scope: "a:b", MonitorTags: []string{"t:v"}, End: time.Now().Add(time.Hour)})
	var apiErr *ddapi.Error
	if !errors.As(err, &apiErr) || len(apiErr.Errors) != 1 || apiErr.Errors[0] != "Bad Request: invalid scope" {
		t.Fatalf("got %v; want the v2 error object as %q", err, "Bad Request: invalid scope")
	}
	// An error body that quotes a key (a misbehaving proxy) is redacted.
	srv.AddFault(ddapitest.Fault{Method: "GET", Path: "/api/v1/dashboard", Status: 400, Body: `{"errors":["bad key ` + srv.APIKey + `"]}`})
	_, err = c.ListDashboards(context.Background())
	if err == nil || strings.Contains(err.Error(), srv.APIKey) || !strings.Contains(err.Error(), "bad key [redacted]") {
		t.Errorf("got %v; want the key redacted", err)
	}
}

func TestValidateMonitor(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	srv.SetValidator(func(m ddapi.Object) []string {
		if strings.Contains(m.String("query"), "bogus") {
			return []string{"The value provided for parameter 'query' is invalid"}
		}
		return nil
	})
	ok := ddapi.Object{"name": "x", "type": "query alert", "query": "avg(last_5m):avg:a{*} > 1"}
	if err := c.ValidateMonitor(context.Background(), ok); err != nil {
		t.Fatalf("valid monitor: %v", err)
	}
	bad := ddapi.Object{"name": "x", "type": "query alert", "query": "bogus"}
	err := c.ValidateMonitor(context.Background(), bad)
	var apiErr *ddapi.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || !strings.Contains(err.Error(), "parameter 'query' is invalid") {
		t.Fatalf("got %v; want a 400 with the API's reason", err)
	}
	if len(srv.Requests()) != 2 {
		t.Errorf("a 400 was retried: %d requests", len(srv.Requests()))
	}
	if len(srv.Writes()) != 0 || len(srv.Monitors()) != 0 {
		t.Errorf("validation wrote something")
	}
}

func TestListPaginates(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	for i := range 250 {
		srv.SeedMonitor(ddapi.Object{"name": fmt.Sprint("m", i), "type": "query alert", "query": "q", "tags": []any{"managed-by:roachdog"}})
	}
	for i := range 7 {
		srv.SeedMonitor(ddapi.Object{"name": fmt.Sprint("other", i), "type": "query alert", "query": "q", "tags": []any{"team:x"}})
	}
	for i := range 230 {
		srv.SeedDashboard(ddapi.Object{"title": fmt.Sprint("d", i), "layout_type": "ordered", "widgets": []any{}})
	}
	ms, err := c.ListMonitors(context.Background(), "managed-by:roachdog")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := c.ListDashboards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 250 || len(ds) != 230 {
		t.Errorf("got %d monitors, %d dashboards; want 250, 230", len(ms), len(ds))
	}
	var queries []string
	for _, r := range srv.Requests() {
		queries = append(queries, r.Path+"?"+r.Query)
	}
	want := []string{
		"/api/v1/monitor?monitor_tags=managed-by%3Aroachdog&page=0&page_size=100",
		"/api/v1/monitor?monitor_tags=managed-by%3Aroachdog&page=1&page_size=100",
		"/api/v1/monitor?monitor_tags=managed-by%3Aroachdog&page=2&page_size=100",
		"/api/v1/dashboard?count=100&start=0",
		"/api/v1/dashboard?count=100&start=100",
		"/api/v1/dashboard?count=100&start=200",
	}
	if strings.Join(queries, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(queries, "\n"), strings.Join(want, "\n"))
	}
}

func TestListStopsWhenPagingIsIgnored(t *testing.T) {
	t.Parallel()
	// A server that ignores page and page_size answers the same full list
	// every time; the client must not loop.
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		var list []map[string]any
		for i := range 100 {
			list = append(list, map[string]any{"id": i + 1, "name": "m"})
		}
		json.NewEncoder(w).Encode(list)
	}))
	defer srv.Close()
	c, err := ddapi.New(ddapi.Config{APIURL: srv.URL, APIKey: "abcd1234", AppKey: "efgh5678"})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := c.ListMonitors(context.Background())
	if err != nil || len(ms) != 100 || calls != 2 {
		t.Errorf("got %d monitors in %d calls (%v); want 100 in 2", len(ms), calls, err)
	}
}

func TestDowntimeBodyAndCancel(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	c := newClient(t, srv)
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	res, err := c.CreateDowntime(context.Background(), ddapi.Downtime{
		Scope: "cluster:prod AND node_id:4", MonitorTags: []string{"managed-by:roachdog"},
		Start: start, End: start.Add(90 * time.Minute), Message: "rolling upgrade",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID == "" || res.Status != "scheduled" {
		t.Errorf("result %+v", res)
	}
	reqs := srv.Writes()
	if len(reqs) != 1 || reqs[0].String() != "POST /api/v2/downtime" {
		t.Fatalf("requests %v", reqs)
	}
	var got any
	if err := json.Unmarshal(reqs[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	want := `{"data":{"attributes":{"display_timezone":"UTC","message":"rolling upgrade","monitor_identifier":{"monitor_tags":["managed-by:roachdog"]},"schedule":{"end":"2026-03-01T10:30:00Z","start":"2026-03-01T09:00:00Z"},"scope":"cluster:prod AND node_id:4"},"type":"downtime"}}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("body\n%s\nwant\n%s", b, want)
	}

	if err := c.CancelDowntime(context.Background(), res.ID); err != nil {
		t.Fatal(err)
	}
	if last := srv.Writes()[1]; last.String() != "DELETE /api/v2/downtime/"+res.ID {
		t.Errorf("cancel sent %s", last)
	}
	d, _ := srv.Downtime(res.ID)
	if st := d["data"].(map[string]any)["attributes"].(map[string]any)["status"]; st != "canceled" {
		t.Errorf("status after cancel = %v", st)
	}
	if err := c.CancelDowntime(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("cancel of an unknown id: %v", err)
	}
}

func TestDowntimeRefusesOpenEndedOrUnscoped(t *testing.T) {
	t.Parallel()
	c, err := ddapi.New(ddapi.Config{APIURL: "http://127.0.0.1:1", APIKey: "abcd1234", AppKey: "efgh5678"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, d := range []ddapi.Downtime{
		{MonitorTags: []string{"a:b"}, End: now.Add(time.Hour)},
		{Scope: "a:b", End: now.Add(time.Hour)},
		{Scope: "a:b", MonitorTags: []string{"a:b"}},
		{Scope: "a:b", MonitorTags: []string{"a:b"}, Start: now, End: now},
	} {
		if _, err := c.CreateDowntime(context.Background(), d); err == nil {
			t.Errorf("%+v accepted", d)
		}
	}
}

func TestDecodeObject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{"a":1}`, true},
		{" {\"a\":1}\n", true},
		{`{"a":1}}`, false},
		{`{"a":1} {"b":2}`, false},
		{`[1]`, false},
		{`null`, false},
		{`{`, false},
	} {
		o, err := ddapi.DecodeObject([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("DecodeObject(%q) = %v, %v; ok want %v", tc.in, o, err, tc.ok)
		}
	}
	o, _ := ddapi.DecodeObject([]byte(`{"id": 9007199254740993, "t": 0.1}`))
	if id, ok := o.MonitorID(); !ok || id != 9007199254740993 {
		t.Errorf("a large id lost precision: %d", id)
	}
}
