package cluster

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/certtest"
	"github.com/roachdog/roachdog/internal/pgtest"
)

// TestSQLTLS connects to a PostgreSQL server that speaks TLS with a
// certificate from a CA made here and logs SQL users in by client
// certificate (pg_hba "cert": the certificate's common name is the user),
// as a secure CockroachDB cluster does.
func TestSQLTLS(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "ca")
	otherCA := certtest.NewCA(t, "other-ca")
	srv := pgtest.StartTLS(t, func() pgtest.TLSFiles {
		p := ca.Server(t)
		return pgtest.TLSFiles{CAFile: ca.File, CertFile: p.CertFile, KeyFile: p.KeyFile}
	}())
	srv.Exec(t, "postgres", "CREATE ROLE roachdog LOGIN")
	client := ca.Client(t, "roachdog")
	stranger := otherCA.Client(t, "roachdog")
	wrongUser := ca.Client(t, "someone")

	type params map[string]string
	dsn := func(host string, p params) string {
		q := url.Values{}
		for k, v := range p {
			q.Set(k, v)
		}
		u := fmt.Sprintf("postgres://roachdog@%s:%d/postgres", host, srv.Port())
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		return u
	}
	full := func(p params) params {
		out := params{"sslmode": "verify-full", "sslrootcert": ca.File, "sslcert": client.CertFile, "sslkey": client.KeyFile}
		for k, v := range p {
			if v == "" {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		host string
		p    params
		want string // "" : connects, over TLS, logged in by certificate
		warn string // a warning OpenDB must log
	}{
		{name: "verify-full with a client certificate", host: "127.0.0.1", p: full(nil)},
		{name: "verify-full by host name", host: "localhost", p: full(nil)},
		{name: "no sslmode: verify-full implied", host: "localhost", p: full(params{"sslmode": ""})},
		{name: "require with sslrootcert verifies the CA", host: "127.0.0.1", p: full(params{"sslmode": "require"})},
		{name: "require without sslrootcert", host: "127.0.0.1", p: full(params{"sslmode": "require", "sslrootcert": ""}),
			warn: "sql_url's sslmode does not verify the server's certificate"},
		{name: "prefer", host: "127.0.0.1", p: full(params{"sslmode": "prefer", "sslrootcert": ""}),
			warn: "sql_url's sslmode lets the connection fall back to plain text"},

		{name: "wrong CA", host: "127.0.0.1", p: full(params{"sslrootcert": otherCA.File}),
			want: "TLS verification of the server's certificate failed: it is not signed by a trusted CA; check that sslrootcert in sql_url is the CA"},
		{name: "no sslmode, no CA: system roots", host: "127.0.0.1", p: full(params{"sslmode": "", "sslrootcert": ""}),
			want: "check that sslrootcert in sql_url (unset, so the system's roots) is the CA"},
		{name: "host not in the certificate", host: "127.0.0.2", p: full(nil),
			want: "it is not valid for the name connected to; use in sql_url a host name or address the certificate lists"},
		{name: "no client certificate", host: "127.0.0.1", p: full(params{"sslcert": "", "sslkey": ""}),
			want: "the server requires a client certificate for this user: set sslcert and sslkey in sql_url"},
		{name: "client certificate of another CA", host: "127.0.0.1", p: full(params{"sslcert": stranger.CertFile, "sslkey": stranger.KeyFile}),
			// The alert itself, or (TLS 1.3: the server's alert may race
			// the client's first write) a reset explained the same way.
			want: "the client certificate; check that sslcert and sslkey in sql_url hold a certificate signed by a CA the server trusts"},
		{name: "client certificate of another user", host: "127.0.0.1", p: full(params{"sslcert": wrongUser.CertFile, "sslkey": wrongUser.KeyFile}),
			want: "the client certificate does not match the SQL user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.host == "127.0.0.2" && !canListenOn("127.0.0.2") {
				t.Skip("127.0.0.2 is not a loopback address here")
			}
			if tc.host == "127.0.0.2" {
				// The server listens on 127.0.0.1 only: forward.
				tc.host = forwardLoopback(t, "127.0.0.2", srv.Port())
			}
			logger, logs := testLogger(t)
			db, err := OpenDB(ctxT(t), dsn(tc.host, tc.p), logger, WithMaxConns(1))
			if err != nil {
				t.Fatalf("OpenDB: %v", err)
			}
			defer db.Close()
			if tc.warn != "" && !strings.Contains(logs.String(), tc.warn) {
				t.Errorf("no warning %q in the log", tc.warn)
			}
			var ssl bool
			var dn string
			err = db.QueryRow(ctxT(t), "SELECT ssl, coalesce(client_dn, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl, &dn)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("query: %v", err)
				}
				if !ssl || !strings.Contains(dn, "CN=roachdog") {
					t.Errorf("connection ssl=%v client_dn=%q, want TLS with the roachdog certificate", ssl, dn)
				}
				return
			}
			if err == nil {
				t.Fatalf("connected; want an error containing %q", tc.want)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "connect to postgres://roachdog@"+tc.host) {
				t.Errorf("error %q does not name the endpoint", err)
			}
		})
	}
}

// TestSQLNoSSLModeNeverFallsBackToPlainText: libpq's default (prefer) would
// log in over plain text to a server without TLS; roachdog implies
// verify-full and says how to choose plain text knowingly.
func TestSQLNoSSLModeNeverFallsBackToPlainText(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	db := srv.NewDB(t, "nossl")
	u := strings.Replace(srv.URL(db), "?sslmode=disable", "", 1)
	logger, _ := testLogger(t)
	d, err := OpenDB(ctxT(t), u, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.Ping(ctxT(t))
	if err == nil {
		t.Fatal("connected without TLS to a server that offers none")
	}
	for _, want := range []string{"sslmode=verify-full", "server refused TLS connection", "for an insecure cluster say sslmode=disable in sql_url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// Said explicitly, plain text works.
	d2, err := OpenDB(ctxT(t), srv.URL(db), logger)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if err := d2.Ping(ctxT(t)); err != nil {
		t.Fatalf("sslmode=disable: %v", err)
	}
}

func TestWithSSLMode(t *testing.T) {
	t.Parallel()
	none := func(string) string { return "" }
	for _, tc := range []struct{ in, want string }{
		{"postgres://u@h/db", "postgres://u@h/db?sslmode=verify-full"},
		{"postgres://u@h/db?application_name=x", "postgres://u@h/db?application_name=x&sslmode=verify-full"},
		{"postgres://u@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable"},
		{"postgres://u:a%26sslmode=x@h/db", "postgres://u:a%26sslmode=x@h/db?sslmode=verify-full"},
		{"postgresql://u:p&sslmode=disable@h/db", "postgresql://u:p&sslmode=disable@h/db?sslmode=verify-full"},
		{"postgresql://u@h1:26257,h2:26257/db", "postgresql://u@h1:26257,h2:26257/db?sslmode=verify-full"},
		{"postgresql://u@h1:26257,h2:26257/db?sslmode=require", "postgresql://u@h1:26257,h2:26257/db?sslmode=require"},
		{"host=h user=u", "host=h user=u sslmode=verify-full"},
		{"host=h sslmode = disable", "host=h sslmode = disable"},
	} {
		if got := withSSLMode(tc.in, none); got != tc.want {
			t.Errorf("withSSLMode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	env := func(k string) string { return map[string]string{"PGSSLMODE": "disable"}[k] }
	if got := withSSLMode("postgres://u@h/db", env); got != "postgres://u@h/db" {
		t.Errorf("with PGSSLMODE set: %q", got)
	}
}

func canListenOn(ip string) bool {
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// forwardLoopback listens on ip at the server's port number and forwards
// every connection to 127.0.0.1:port; it returns ip, the host for a URL.
func forwardLoopback(t *testing.T, ip string, port int) string {
	t.Helper()
	l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", ip, port))
	if err != nil {
		t.Skipf("cannot listen on %s:%d: %v", ip, port, err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err != nil {
					return
				}
				defer s.Close()
				go io.Copy(s, c)
				io.Copy(c, s)
			}()
		}
	}()
	return ip
}
