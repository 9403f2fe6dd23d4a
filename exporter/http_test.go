package exporter

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func get(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestHTTPServer(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("v1.2.3", "abc123")
	m.sentOne(kindGauge)
	var ready atomic.Bool
	srv := NewHTTPServer("127.0.0.1:0", m, ready.Load, nil)
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 {
		t.Errorf("timeouts not all set: %+v", srv)
	}
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()

	code, body := get(t, "GET", ts.URL+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{`roachdog_build_info{goversion="`, `version="v1.2.3"`, `roachdog_sent_total{kind="gauge"} 1`,
		"go_goroutines", "promhttp_metric_handler_requests_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if code, body := get(t, "GET", ts.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, "GET", ts.URL+"/readyz"); code != 503 || !strings.Contains(body, "not ready") {
		t.Errorf("/readyz before ready = %d %q", code, body)
	}
	ready.Store(true)
	if code, _ := get(t, "GET", ts.URL+"/readyz"); code != 200 {
		t.Errorf("/readyz once ready = %d", code)
	}
	if code, body := get(t, "GET", ts.URL+"/"); code != 200 || !strings.Contains(body, "/metrics") {
		t.Errorf("/ = %d %q", code, body)
	}
	if code, _ := get(t, "GET", ts.URL+"/nope"); code != 404 {
		t.Errorf("/nope = %d, want 404", code)
	}
	if code, _ := get(t, "POST", ts.URL+"/healthz"); code != 405 {
		t.Errorf("POST /healthz = %d, want 405", code)
	}
}

func TestHTTPServerNilReady(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(NewHTTPServer("", NewSelfMetrics("v", "c"), nil, nil).Handler)
	defer ts.Close()
	if code, _ := get(t, "GET", ts.URL+"/readyz"); code != 200 {
		t.Errorf("/readyz with nil ready = %d, want 200", code)
	}
}

// TestHTTPServerPprof: /debug/pprof/ is absent by default, served with the
// Pprof option on a loopback address, and absent with it on any other.
func TestHTTPServerPprof(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("v1", "abc")
	for _, c := range []struct {
		addr string
		opts []HTTPOption
		want bool
	}{
		{"127.0.0.1:0", nil, false},
		{"127.0.0.1:0", []HTTPOption{Pprof()}, true},
		{"[::1]:9464", []HTTPOption{Pprof()}, true},
		{"localhost:9464", []HTTPOption{Pprof()}, true},
		{":9464", []HTTPOption{Pprof()}, false},
		{"0.0.0.0:9464", []HTTPOption{Pprof()}, false},
		{"[::]:9464", []HTTPOption{Pprof()}, false},
		{"192.0.2.1:9464", []HTTPOption{Pprof()}, false},
	} {
		// The handler decides from the configured address; the test server
		// only carries requests to it.
		ts := httptest.NewServer(NewHTTPServer(c.addr, m, nil, nil, c.opts...).Handler)
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap?debug=1"} {
			code, body := get(t, "GET", ts.URL+path)
			if got := code == 200; got != c.want {
				t.Errorf("%s with %d options: GET %s = %d, want served=%v", c.addr, len(c.opts), path, code, c.want)
			}
			if c.want && path == "/debug/pprof/heap?debug=1" && !strings.Contains(body, "heap profile") {
				t.Errorf("%s: heap profile body %.80q", c.addr, body)
			}
		}
		ts.Close()
	}
}
