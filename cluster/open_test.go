package cluster

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/internal/certtest"
	"github.com/roachdog/roachdog/internal/pgtest"
)

// TestOpenHTTPClient: run and health talk to the nodes with the client
// Open builds from the spec's TLS settings: HTTPS verified against the CA
// file with the client certificate, and no redirect followed; settings
// that are risky or unused are warned about.
func TestOpenHTTPClient(t *testing.T) {
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
	spec := Spec{StatusURLs: []string{node.URL}, TLS: HTTPOptions{CAFile: ca.File, CertFile: pair.CertFile, KeyFile: pair.KeyFile}}
	open := func() *Handle {
		t.Helper()
		h, err := Open(t.Context(), spec, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
		return h
	}
	c := open().HTTP
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
	spec.StatusURLs = []string{"http://roach1:8080"}
	open()
	if !strings.Contains(logs.String(), "tls is set but no node is reached over HTTPS") {
		t.Errorf("unused tls settings not warned about: %q", logs.String())
	}
	logs.Reset()
	spec.Discover, spec.Discovery.Scheme = true, "https"
	if open(); logs.Len() != 0 {
		t.Errorf("discovery over https: logs %q", logs.String())
	}

	spec.TLS = HTTPOptions{InsecureSkipVerify: true}
	open()
	if !strings.Contains(logs.String(), "tls.insecure_skip_verify is on") {
		t.Errorf("insecure_skip_verify not warned about: %q", logs.String())
	}
}

// TestOpenDiscovers: with SQL and discovery, the handle's nodes come from
// the cluster, the status API tries the nodes listed last (the status
// URLs before the first listing), and Close stops discovery and the pool.
func TestOpenDiscovers(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	dbName := schemaDB(t, srv, "crdb_v20.2.sql", "seed_v20.2_healthy.sql")
	seeds := []string{"http://seed:8080/"}
	h, err := Open(t.Context(), Spec{
		StatusURLs: seeds,
		SQLURL:     srv.URL(dbName),
		Discover:   true,
		Discovery:  DiscoveryOptions{HTTPPort: 9999},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.DB == nil || h.API == nil {
		t.Fatalf("Open = %+v, want a pool and a status API client", h)
	}
	last := h.Source.(*lastNodes)
	if got := last.urls(); !reflect.DeepEqual(got, seeds) {
		t.Errorf("before the first listing the status API tries %q, want the status URLs", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	var nodes []Node
	for len(nodes) == 0 || nodes[0].ID == 0 { // the seeds until discovery answers
		if time.Now().After(deadline) {
			t.Fatalf("no discovered node list: %+v", nodes)
		}
		if nodes, err = h.Source.Nodes(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(nodes, v202Nodes) {
		t.Errorf("Nodes = %+v, want %+v", nodes, v202Nodes)
	}
	if got, want := last.urls(), []string{"http://localhost:8081", "http://localhost:8082", "http://localhost:8083"}; !reflect.DeepEqual(got, want) {
		t.Errorf("the status API tries %q, want the nodes listed last %q", got, want)
	}
	h.Close()
	if err := h.DB.Ping(t.Context()); err == nil {
		t.Error("the pool still answers after Close")
	}
}

// TestOpenWithoutNodes: neither status URLs nor discovery: no node, no
// status API; a malformed SQL URL fails naming the redacted URL only.
func TestOpenWithoutNodes(t *testing.T) {
	t.Parallel()
	h, err := Open(t.Context(), Spec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if nodes, err := h.Source.Nodes(t.Context()); len(nodes) != 0 || err != nil || h.API != nil || h.DB != nil {
		t.Errorf("empty spec: nodes %v (%v), API %v, DB %v", nodes, err, h.API, h.DB)
	}

	_, err = Open(t.Context(), Spec{SQLURL: "postgres://u:s3cret-pw@host:notaport/db", RedactedSQLURL: "postgres://u:xxxxx@host:notaport/db"}, nil)
	if err == nil || !strings.Contains(err.Error(), "sql_url postgres://u:xxxxx@host:notaport/db") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("malformed sql_url: error %v", err)
	}
}
