package checks_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/certtest"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// TestVarsOverVerifiedTLS scrapes a node over HTTPS with the client the
// cluster package builds: verified against the CA, with a client
// certificate the node requires; with the wrong CA the scrape fails and
// says what to check.
func TestVarsOverVerifiedTLS(t *testing.T) {
	t.Parallel()
	payload := v23Payload(t, "v23_secure_node2_t0.txt")
	ca, otherCA := certtest.NewCA(t, "ca"), certtest.NewCA(t, "other-ca")
	pair := ca.Client(t, "roachdog")
	node := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(payload)
	}))
	node.Config.ErrorLog = log.New(io.Discard, "", 0)
	node.TLS = ca.TLSServerConfig(t, ca)
	node.TLS.MinVersion = tls.VersionTLS12
	node.StartTLS()
	defer node.Close()
	inst := "instance:" + strings.TrimPrefix(node.URL, "https://")

	for _, tc := range []struct {
		name, caFile, want string
	}{
		{"right CA", ca.File, ""},
		{"wrong CA", otherCA.File, "scrape /_status/vars: tls: failed to verify certificate: x509: certificate signed by unknown authority; " +
			"TLS verification of the server's certificate failed: it is not signed by a trusted CA; check that tls.ca_file is the CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, err := cluster.NewHTTPClient(cluster.HTTPOptions{CAFile: tc.caFile, CertFile: pair.CertFile, KeyFile: pair.KeyFile})
			if err != nil {
				t.Fatal(err)
			}
			v, err := checks.NewVars(checks.VarsOptions{Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			rec := &sinktest.Recorder{}
			tgt := &checks.Target{Cluster: "test", Nodes: []cluster.Node{{StatusURL: node.URL}}, HTTP: client,
				Logger: slog.New(slog.DiscardHandler)}
			if err := v.Run(context.Background(), tgt, rec); err != nil {
				t.Fatalf("Run: %v", err)
			}
			sc := rec.One(t, "node.can_scrape", inst)
			if tc.want == "" {
				if sc.Status != checks.OK {
					t.Fatalf("can_scrape = %v %q", sc.Status, sc.Message)
				}
				varsOne(t, rec, checks.KindGauge, "sys.uptime", "node_id:2")
				return
			}
			if sc.Status != checks.Critical || !strings.HasPrefix(sc.Message, "node "+node.URL+": ") || !strings.Contains(sc.Message, tc.want) {
				t.Errorf("can_scrape = %v %q, want CRITICAL naming the node with %q", sc.Status, sc.Message, tc.want)
			}
		})
	}
}
