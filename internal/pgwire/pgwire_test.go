package pgwire_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/pgwire"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const testTimeout = 30 * time.Second

// startProxy records connections to srv into buf until the test ends.
func startProxy(t *testing.T, srv *pgtest.Server, buf *bytes.Buffer) (*pgwire.Recorder, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := pgwire.NewRecorder(buf)
	p := &pgwire.Proxy{Upstream: fmt.Sprintf("127.0.0.1:%d", srv.Port()), Rec: rec}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("proxy: %v", err)
		}
	})
	return rec, ln.Addr().String()
}

// result is what a client saw of one statement: the decoded rows, or the
// error's SQLSTATE and message.
type result struct {
	Rows [][]any
	Err  string
}

type stmt struct {
	sql     string
	args    []any
	formats pgx.QueryResultFormats // nil: pgx's choice (binary for known types)
}

func runAll(t *testing.T, url string, stmts []stmt) []result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(ctx)
	var out []result
	for _, s := range stmts {
		args := s.args
		if s.formats != nil {
			args = append([]any{s.formats}, args...)
		}
		rows, err := conn.Query(ctx, s.sql, args...)
		var r result
		if err == nil {
			for rows.Next() {
				v, err := rows.Values()
				if err != nil {
					t.Fatalf("%s: values: %v", s.sql, err)
				}
				r.Rows = append(r.Rows, v)
			}
			err = rows.Err()
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			r.Err = pgErr.Code + " " + pgErr.Message
		} else if err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
		out = append(out, r)
	}
	return out
}

func TestRecordAndReplay(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	db := srv.NewDB(t, "pgwire")
	// Roles are server-wide: one per database, so that the test repeats
	// (-count) on the shared server.
	role := db + "_rec"
	srv.Exec(t, db, `CREATE TABLE t (id INT8 PRIMARY KEY, name TEXT, keys INT2[], raw BYTEA, at TIMESTAMPTZ, iv INTERVAL, n NUMERIC);
		INSERT INTO t VALUES (1, 'one', '{1,2}', '\x00ff', '2026-11-22 02:45:00+00', '1 minute 15 seconds', 12.50),
			(2, NULL, NULL, NULL, NULL, NULL, NULL), (3, 'drei ü', '{}', '', '2000-01-01 00:00:00+00', '0', 0);
		CREATE ROLE `+role+` LOGIN PASSWORD 'S3cret-pass';
		GRANT SELECT ON t TO `+role)
	stmts := []stmt{
		{sql: "SELECT id, name, keys, raw, at, iv, n FROM t ORDER BY id"},
		{sql: "SELECT id FROM t WHERE id = $1", args: []any{int64(2)}},
		{sql: "SELECT id FROM t WHERE id = $1", args: []any{int64(3)}},
		{sql: "SELECT id, name FROM t ORDER BY id", formats: pgx.QueryResultFormats{pgx.TextFormatCode}},
		{sql: "SELECT * FROM missing_table"},
		{sql: "SELECT current_setting('server_version_num') <> ''"},
	}
	var buf bytes.Buffer
	rec, addr := startProxy(t, srv, &buf)
	// Through the proxy with SCRAM authentication.
	url := fmt.Sprintf("postgres://%s:S3cret-pass@%s/%s?sslmode=disable", role, addr, db)
	want := runAll(t, url, stmts)
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	if want[0].Rows == nil || len(want[0].Rows) != 3 || !strings.HasPrefix(want[4].Err, "42P01 ") {
		t.Fatalf("unexpected results on PostgreSQL itself: %+v", want)
	}
	if strings.Contains(buf.String(), "S3cret") {
		t.Fatalf("the recording holds the password:\n%s", buf.String())
	}
	for _, s := range []string{`"type":"SASLInitialResponse","auth":"redacted"`, `"type":"Bind"`, `"result_formats":[1`, `"type_oid":1005`} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("recording lacks %s:\n%s", s, buf.String())
		}
	}

	entries, err := pgwire.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	recording, err := pgwire.NewRecording(entries)
	if err != nil {
		t.Fatal(err)
	}
	replay, err := pgwire.Start(recording, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer replay.Close()
	got := runAll(t, replay.URL(db), stmts)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replayed results differ:\n got: %#v\nwant: %#v", got, want)
	}
	if m := replay.Misses(); len(m) > 0 {
		t.Errorf("misses: %q", m)
	}
	if v, _ := recording.Parameter("server_version"); v == "" {
		t.Errorf("no server_version recorded")
	}

	// What the recording does not hold, or holds in other formats, is an
	// error naming the statement, never a made-up answer.
	bad := runAll(t, replay.URL(db), []stmt{
		{sql: "SELECT 42"},
		{sql: "SELECT id, name, keys, raw, at, iv, n FROM t ORDER BY id", formats: pgx.QueryResultFormats{pgx.TextFormatCode}},
	})
	if !strings.Contains(bad[0].Err, `XX000 replay: no recording of statement "SELECT 42"`) {
		t.Errorf("unrecorded statement: %q", bad[0].Err)
	}
	if !strings.Contains(bad[1].Err, "the client asks for result formats [0 0 0 0 0 0 0], the recording holds [1 0 1 1 1 1 1]") {
		t.Errorf("other formats: %q", bad[1].Err)
	}
}

func TestReadRejects(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"not json", "{", "line 3"},
		{"unknown field", `{"conn":1,"from":"server","type":"DataRow","vals":[]}`, `unknown field "vals"`},
		{"direction", `{"conn":1,"from":"both","type":"Sync"}`, `from "both"`},
		{"no type", `{"conn":1,"from":"client"}`, "no type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := pgwire.Read(strings.NewReader("# comment\n\n" + tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// A bad hex value is found when the recording is indexed.
	entries, err := pgwire.Read(strings.NewReader(`{"conn":1,"from":"client","type":"Parse","query":"SELECT 1"}
{"conn":1,"from":"client","type":"Bind","params":[{"hex":"zz"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pgwire.NewRecording(entries); err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("bad hex: %v", err)
	}
}

func TestValueRoundTrip(t *testing.T) {
	t.Parallel()
	for _, b := range [][]byte{nil, {}, []byte("plain text"), {0, 1, 2}, []byte("tab\there"), {0xff, 0xfe}, []byte("é")} {
		v := pgwire.NewValue(b)
		got, err := v.Bytes()
		if err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		if (got == nil) != (b == nil) || !bytes.Equal(got, b) {
			t.Errorf("%q came back as %q", b, got)
		}
	}
}

// tlsFront is a server that answers the TLS request like PostgreSQL
// ('S', or 'N' when refuse), then relays the decrypted stream to target.
func tlsFront(t *testing.T, target string, refuse bool) (addr string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "crdb.test"},
		DNSNames: []string{"crdb.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req := make([]byte, 8)
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				var conn net.Conn = c
				if refuse {
					c.Write([]byte{'N'})
				} else {
					c.Write([]byte{'S'})
					tc := tls.Server(c, cfg)
					if tc.Handshake() != nil {
						return
					}
					conn = tc
				}
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(up, conn)
				io.Copy(conn, up)
			}()
		}
	}()
	return ln.Addr().String(), pool
}

// TestProxyTLSUpstream: the proxy speaks TLS to the server, verifying its
// certificate, and refuses a server that declines TLS unless told to fall
// back.
func TestProxyTLSUpstream(t *testing.T) {
	t.Parallel()
	entries, err := pgwire.Read(strings.NewReader(`{"conn":1,"from":"server","type":"ParameterStatus","param":"crdb_version","value":"CockroachDB CCL v23.2.0"}
{"conn":1,"from":"server","type":"ParameterStatus","param":"standard_conforming_strings","value":"on"}
{"conn":1,"from":"server","type":"ParameterStatus","param":"client_encoding","value":"UTF8"}
{"conn":1,"from":"client","type":"Query","query":"SELECT 1"}
{"conn":1,"from":"server","type":"RowDescription","fields":[{"name":"x","type_oid":20,"type_size":8,"type_mod":-1,"format":0}]}
{"conn":1,"from":"server","type":"DataRow","values":[{"text":"1"}]}
{"conn":1,"from":"server","type":"CommandComplete","tag":"SELECT 1"}
{"conn":1,"from":"server","type":"ReadyForQuery","tx_status":"I"}`))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := pgwire.NewRecording(entries)
	if err != nil {
		t.Fatal(err)
	}
	replay, err := pgwire.Start(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer replay.Close()
	query := func(p *pgwire.Proxy) error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		p.Rec = pgwire.NewRecorder(&buf)
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- p.Serve(ctx, ln) }()
		defer func() { cancel(); <-done }()
		conn, err := pgx.Connect(ctx, "postgres://u@"+ln.Addr().String()+"/db?sslmode=disable&default_query_exec_mode=simple_protocol")
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		var n int64
		if err := conn.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
			return fmt.Errorf("SELECT 1 = %d, %v", n, err)
		}
		if conn.PgConn().ParameterStatus("crdb_version") == "" {
			return errors.New("no crdb_version through the proxy")
		}
		return nil
	}
	addr, pool := tlsFront(t, replay.Addr(), false)
	if err := query(&pgwire.Proxy{Upstream: addr, TLS: &tls.Config{RootCAs: pool, ServerName: "crdb.test", MinVersion: tls.VersionTLS12}}); err != nil {
		t.Errorf("TLS upstream: %v", err)
	}
	if err := query(&pgwire.Proxy{Upstream: addr, TLS: &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "crdb.test", MinVersion: tls.VersionTLS12}}); err == nil {
		t.Errorf("TLS upstream with an unknown CA: no error")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown CA: %v", err)
	}
	plain, _ := tlsFront(t, replay.Addr(), true)
	tc := &tls.Config{RootCAs: pool, ServerName: "crdb.test", MinVersion: tls.VersionTLS12}
	if err := query(&pgwire.Proxy{Upstream: plain, TLS: tc}); err == nil || !strings.Contains(err.Error(), "server refused TLS") {
		t.Errorf("server declining TLS: %v", err)
	}
	if err := query(&pgwire.Proxy{Upstream: plain, TLS: tc, TLSFallback: true}); err != nil {
		t.Errorf("server declining TLS, with fallback: %v", err)
	}
}
