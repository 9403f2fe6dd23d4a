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
	ts := httptest.NewServer(NewHTTPServer("", NewSelfMetrics("v", "c"), nil, nil).Handler)
	defer ts.Close()
	if code, _ := get(t, "GET", ts.URL+"/readyz"); code != 200 {
		t.Errorf("/readyz with nil ready = %d, want 200", code)
	}
}
