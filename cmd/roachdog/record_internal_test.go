package main

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseUpstream: the proxy reaches the server as the URL's TLS
// settings say; roachdog reaches the proxy without TLS, with the same
// user, password, database and runtime parameters.
func TestParseUpstream(t *testing.T) {
	t.Parallel()
	ts := httptest.NewTLSServer(nil) // only for a CA certificate
	ts.Close()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		url           string
		addr          string
		tls, fallback bool
		serverName    string
		client        []string // substrings of the URL roachdog uses
	}{
		{url: "postgres://u:p%40ss@db.example:26257/shop?sslmode=disable", addr: "db.example:26257",
			client: []string{"postgres://u:p%40ss@127.0.0.1:1/shop?", "sslmode=disable"}},
		{url: "postgresql://u@db.example/defaultdb?sslmode=verify-full&sslrootcert=" + ca, addr: "db.example:5432",
			tls: true, serverName: "db.example", client: []string{"postgres://u@127.0.0.1:1/defaultdb?", "sslmode=disable"}},
		{url: "postgres://u@db.example:26257/d", addr: "db.example:26257", tls: true, fallback: true},
		{url: "postgres://u@db.example:26257/d?sslmode=require&options=-callow_unsafe_internals%3Dtrue&application_name=x",
			addr: "db.example:26257", tls: true, client: []string{"options=-callow_unsafe_internals%3Dtrue", "application_name=x"}},
	}
	for _, tc := range cases {
		up, err := parseUpstream(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if up.proxy.Upstream != tc.addr || (up.proxy.TLS != nil) != tc.tls || up.proxy.TLSFallback != tc.fallback {
			t.Errorf("%s: upstream %s, TLS %v, fallback %v", tc.url, up.proxy.Upstream, up.proxy.TLS != nil, up.proxy.TLSFallback)
		}
		if tc.serverName != "" && (up.proxy.TLS.ServerName != tc.serverName || up.proxy.TLS.RootCAs == nil) {
			t.Errorf("%s: server name %q, roots %v", tc.url, up.proxy.TLS.ServerName, up.proxy.TLS.RootCAs != nil)
		}
		client := up.clientOf("127.0.0.1:1")
		for _, want := range append(tc.client, "sslmode=disable") {
			if !strings.Contains(client, want) {
				t.Errorf("%s: client URL %s lacks %s", tc.url, client, want)
			}
		}
		if strings.Contains(client, "sslrootcert") {
			t.Errorf("%s: client URL %s keeps TLS settings", tc.url, client)
		}
	}
	// The URL in an error is redacted: password and sslpassword (libpq's).
	if _, err := parseUpstream("postgres://u:S3cret@h/db?sslmode=bogus&sslpassword=K3y"); err == nil ||
		!strings.Contains(err.Error(), "sslmode") || strings.Contains(err.Error(), "S3cret") || strings.Contains(err.Error(), "K3y") {
		t.Errorf("bad sslmode: %v, want the error with the URL redacted", err)
	}
	if _, err := parseUpstream("postgres://u@%2Ftmp/db"); err == nil || !strings.Contains(err.Error(), "Unix sockets") {
		t.Errorf("socket: %v", err)
	}
}
