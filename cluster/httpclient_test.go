package cluster

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roachdog/roachdog/internal/certtest"
)

// tlsNode is a node's HTTPS endpoint with a certificate from serverCA that
// requires a client certificate from clientCA, as a CockroachDB node asked
// for client certificates does.
func tlsNode(t *testing.T, serverCA, clientCA *certtest.CA, maxVersion uint16) *httptest.Server {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			t.Errorf("request without a verified client certificate")
		}
		io.WriteString(w, "hello "+r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	s.TLS = serverCA.TLSServerConfig(t, clientCA)
	s.TLS.MaxVersion = maxVersion
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func httpGet(t *testing.T, c *http.Client, u string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestHTTPClientTLS(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "ca")
	otherCA := certtest.NewCA(t, "other-ca")
	client := ca.Client(t, "roachdog")
	strangerCert := otherCA.Client(t, "roachdog")

	for _, version := range []struct {
		name string
		max  uint16
	}{{"TLS 1.3", tls.VersionTLS13}, {"TLS 1.2", tls.VersionTLS12}} {
		node := tlsNode(t, ca, ca, version.max)
		localhost := strings.Replace(node.URL, "127.0.0.1", "localhost", 1)
		for _, tc := range []struct {
			name string
			opts HTTPOptions
			url  string
			want string // body, or a part of the error
		}{
			{"verify-full with a client certificate", HTTPOptions{CAFile: ca.File, CertFile: client.CertFile, KeyFile: client.KeyFile},
				node.URL, "hello roachdog"},
			{"by host name", HTTPOptions{CAFile: ca.File, CertFile: client.CertFile, KeyFile: client.KeyFile},
				localhost, "hello roachdog"},
			{"server_name checked instead of the host", HTTPOptions{CAFile: ca.File, CertFile: client.CertFile, KeyFile: client.KeyFile, ServerName: "node"},
				node.URL, "hello roachdog"},
			{"wrong CA", HTTPOptions{CAFile: otherCA.File, CertFile: client.CertFile, KeyFile: client.KeyFile},
				node.URL, "TLS verification of the server's certificate failed: it is not signed by a trusted CA; check that tls.ca_file is the CA that signed the server's certificate"},
			{"system roots", HTTPOptions{CertFile: client.CertFile, KeyFile: client.KeyFile},
				node.URL, "check that tls.ca_file (unset, so the system's roots) is the CA"},
			{"wrong server name", HTTPOptions{CAFile: ca.File, CertFile: client.CertFile, KeyFile: client.KeyFile, ServerName: "roach9"},
				node.URL, "it is not valid for the name connected to; connect with a name the certificate lists, or set tls.server_name"},
			{"no client certificate", HTTPOptions{CAFile: ca.File},
				node.URL, "a client certificate: set tls.cert_file and tls.key_file"},
			{"client certificate of another CA", HTTPOptions{CAFile: ca.File, CertFile: strangerCert.CertFile, KeyFile: strangerCert.KeyFile},
				node.URL, "the server refused the client certificate; check that tls.cert_file and tls.key_file hold a certificate signed by a CA the server trusts"},
			{"https to a plain HTTP server", HTTPOptions{CAFile: ca.File}, "", "the server does not speak TLS"},
		} {
			t.Run(version.name+"/"+tc.name, func(t *testing.T) {
				u := tc.url
				if u == "" {
					plain := httptest.NewServer(http.NotFoundHandler())
					defer plain.Close()
					u = strings.Replace(plain.URL, "http://", "https://", 1)
				}
				c, err := NewHTTPClient(tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseIdleConnections()
				body, err := httpGet(t, c, u)
				if tc.want == "hello roachdog" {
					if err != nil || body != tc.want {
						t.Fatalf("GET %s = %q, %v", u, body, err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("GET %s: error %v, want it to contain %q", u, err, tc.want)
				}
				t.Log(err)
				if !strings.Contains(err.Error(), u) {
					t.Errorf("error %v does not name the endpoint %s", err, u)
				}
			})
		}
	}
}

func TestHTTPClientBadFiles(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "ca")
	pair := ca.Client(t, "roachdog")
	for _, tc := range []struct {
		name string
		opts HTTPOptions
		want string
	}{
		{"missing CA", HTTPOptions{CAFile: "/nonexistent/ca.crt"}, "tls.ca_file: open /nonexistent/ca.crt"},
		{"CA not PEM", HTTPOptions{CAFile: pair.KeyFile}, "no PEM certificate found"},
		{"cert without key", HTTPOptions{CertFile: pair.CertFile}, "tls.cert_file and tls.key_file go together"},
		{"key of another certificate", HTTPOptions{CertFile: pair.CertFile, KeyFile: ca.Client(t, "x").KeyFile}, "private key does not match public key"},
	} {
		if _, err := NewHTTPClient(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestAPITLSError: the status API's errors name the node once and carry
// the TLS hint.
func TestAPITLSError(t *testing.T) {
	t.Parallel()
	ca, otherCA := certtest.NewCA(t, "ca"), certtest.NewCA(t, "other-ca")
	pair := ca.Client(t, "roachdog")
	node := tlsNode(t, ca, ca, tls.VersionTLS13)
	c, err := NewHTTPClient(HTTPOptions{CAFile: otherCA.File, CertFile: pair.CertFile, KeyFile: pair.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	api := NewAPI(c, func() []string { return []string{node.URL} }, "roachdog", "pw")
	err = api.Post(apiCtx(t), "/_status/critical_nodes", nil, nil)
	want := "POST " + node.URL + "/_status/critical_nodes: tls: failed to verify certificate: x509: certificate signed by unknown authority; " +
		"TLS verification of the server's certificate failed: it is not signed by a trusted CA; check that tls.ca_file is the CA that signed the server's certificate"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// A cluster of more nodes than the default transport keeps idle
// connections for (100) is scraped again over the same connections: the
// second round dials no node.
func TestHTTPClientKeepsEveryNodesConnection(t *testing.T) {
	t.Parallel()
	const nodes = 150
	var dials atomic.Int64
	urls := make([]string, nodes)
	for i := range urls {
		s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "sys_uptime 1\n")
		}))
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				dials.Add(1)
			}
		}
		s.Start()
		t.Cleanup(s.Close)
		urls[i] = s.URL
	}
	c, err := NewHTTPClient(HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	round := func() {
		for _, u := range urls {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/_status/vars", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	round()
	first := dials.Load()
	round()
	if again := dials.Load() - first; again != 0 {
		t.Errorf("second round over %d nodes dialled %d new connections, want 0 (first round: %d)", nodes, again, first)
	}
}
