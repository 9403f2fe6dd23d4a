package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/internal/certtest"
)

// TestNodesHTTPClient: run and health talk to the nodes with the client
// the cluster package builds from the instance's tls settings: HTTPS
// verified against ca_file with the client certificate, and no redirect
// followed.
func TestNodesHTTPClient(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "ca")
	pair := ca.Client(t, "roachdog")
	node := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "https://elsewhere.invalid/_status/vars", http.StatusFound)
			return
		}
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	node.TLS = ca.TLSServerConfig(t, ca)
	node.StartTLS()
	defer node.Close()

	var logs bytes.Buffer
	in := config.Instance{StatusURLs: []string{node.URL}, TLS: config.TLS{CAFile: ca.File, CertFile: pair.CertFile, KeyFile: pair.KeyFile}}
	c, err := nodesHTTPClient(in, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(node.URL + "/_status/vars")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "roachdog" {
		t.Errorf("the node saw client certificate %q, want roachdog", b)
	}
	if _, err := c.Get(node.URL + "/moved"); err == nil || !strings.Contains(err.Error(), `refused to follow HTTP 302 redirect to "https://elsewhere.invalid/_status/vars"`) {
		t.Errorf("redirect: error %v", err)
	}
	if logs.Len() != 0 {
		t.Errorf("unexpected logs: %s", logs.String())
	}

	// tls given for nodes reached over plain HTTP: said, not ignored.
	in.StatusURLs = []string{"http://roach1:8080"}
	if _, err := nodesHTTPClient(in, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "tls is set but no node is reached over HTTPS") {
		t.Errorf("unused tls settings not warned about: %q", logs.String())
	}
	logs.Reset()
	in.Discover, in.Discovery.Scheme = true, "https"
	if _, err := nodesHTTPClient(in, slog.New(slog.NewTextHandler(&logs, nil))); err != nil || logs.Len() != 0 {
		t.Errorf("discovery over https: %v, logs %q", err, logs.String())
	}

	in.TLS = config.TLS{InsecureSkipVerify: true}
	if _, err := nodesHTTPClient(in, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "tls.insecure_skip_verify is on") {
		t.Errorf("insecure_skip_verify not warned about: %q", logs.String())
	}
}
