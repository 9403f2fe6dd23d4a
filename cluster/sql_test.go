package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// One PostgreSQL server for the package; each test works in its own
// database, or starts a private server when it stops or restarts it.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	t.Helper()
	buf := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log output:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// schemaDB creates a database of the test's own on srv holding the given
// testdata/sql files (copied from a template loaded once, see
// pgtest.Fixture).
func schemaDB(t *testing.T, srv *pgtest.Server, files ...string) string {
	t.Helper()
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(testenv.Testdata(t), "sql", f)
	}
	return srv.Fixture(t, t.Name(), paths...)
}

func openDB(t *testing.T, url string, logger *slog.Logger, opts ...Option) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if logger == nil {
		logger, _ = testLogger(t)
	}
	db, err := OpenDB(ctx, url, logger, opts...)
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var roleSeq atomic.Int64

// createRole makes a login role with a password and returns its name:
// prefix plus a sequence number, as roles are server-wide and the shared
// server outlives a test (go test -count=N).
func createRole(t *testing.T, srv *pgtest.Server, prefix, password string) string {
	t.Helper()
	name := fmt.Sprintf("%s_%d", prefix, roleSeq.Add(1))
	srv.Exec(t, "postgres", fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'",
		pgx.Identifier{name}.Sanitize(), strings.ReplaceAll(password, "'", "''")))
	return name
}

// queryErr runs sql and returns its error, whether Query or the rows report
// it.
func queryErr(t *testing.T, db *DB, sql string) error {
	t.Helper()
	rows, err := db.Query(ctxT(t), sql)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	return rows.Err()
}

func TestServerInfoPlainPostgreSQL(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	db := openDB(t, srv.URL(srv.NewDB(t, "plain")), nil)
	if err := db.Ping(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if got := db.Server(); got != (ServerInfo{}) {
		t.Fatalf("Server() = %+v, want the zero ServerInfo (PostgreSQL, no emulated version)", got)
	}
	var n int
	if err := db.QueryRow(ctxT(t), "SELECT 1 + $1::int", 41).Scan(&n); err != nil || n != 42 {
		t.Fatalf("QueryRow = %d, %v", n, err)
	}
}

func TestServerInfoFromNodeBuildInfo(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	for _, tc := range []struct {
		schema string
		want   Version
		raw    string
	}{
		{"crdb_v20.2.sql", Version{20, 2, 0, "v20.2.0-beta.1-localbuild"},
			"CockroachDB CCL v20.2.0-beta.1-localbuild (x86_64-pc-linux-gnu, built 2026/11/22 02:27:23, go1.15.15)"},
		{"crdb_v23.2.sql", Version{23, 2, 0, "v23.2.0"},
			"CockroachDB CCL v23.2.0 (x86_64-pc-linux-gnu, built 2024/01/16 00:00:00, go1.21.5)"},
	} {
		t.Run(tc.schema, func(t *testing.T) {
			db := openDB(t, srv.URL(schemaDB(t, srv, tc.schema)), nil)
			want := ServerInfo{IsCockroach: false, Version: tc.want, Raw: tc.raw, Source: VersionFromBuildInfo}
			if got := db.Server(); got != want {
				t.Fatalf("Server() = %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestAssumedVersion(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	url := srv.URL(schemaDB(t, srv, "crdb_v20.2.sql"))
	db := openDB(t, url, nil, WithAssumedVersion("v22.2.5"))
	got := db.Server()
	if got.Version != (Version{22, 2, 5, "v22.2.5"}) || got.Source != VersionAssumed || got.IsCockroach {
		t.Fatalf("Server() = %+v, want assumed v22.2.5", got)
	}
	if _, err := OpenDB(ctxT(t), url, nil, WithAssumedVersion("22.2")); err == nil {
		t.Fatal("OpenDB accepted an invalid assumed version")
	}
}

func TestOpenDBRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]Option{
		"timeout": {WithQueryTimeout(0)},
		"conns":   {WithMaxConns(0)},
	} {
		if _, err := OpenDB(ctxT(t), "postgres://u@127.0.0.1:1/db", nil, opts...); err == nil {
			t.Errorf("%s: OpenDB accepted an invalid option", name)
		}
	}
	_, err := OpenDB(ctxT(t), "postgres://u:Hunter2-secret@127.0.0.1:notaport/db", nil)
	if err == nil {
		t.Fatal("OpenDB accepted an invalid URL")
	}
	if strings.Contains(err.Error(), "Hunter2-secret") {
		t.Fatalf("URL error leaks the password: %v", err)
	}
}

func TestQueryTimeout(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	db := openDB(t, srv.URL(srv.NewDB(t, "timeout")), nil, WithQueryTimeout(300*time.Millisecond))

	var setting string
	if err := db.QueryRow(ctxT(t), "SHOW statement_timeout").Scan(&setting); err != nil {
		t.Fatal(err)
	}
	if setting != "300ms" {
		t.Errorf("server statement_timeout = %q, want 300ms", setting)
	}

	_, err := db.Exec(ctxT(t), "SELECT pg_sleep(10)")
	if err == nil || !strings.Contains(err.Error(), "timeout after 300ms") {
		t.Fatalf("Exec(pg_sleep(10)) error = %v, want a timeout after 300ms", err)
	}

	// A shorter caller deadline wins and is the one reported; the client-side
	// cancel path (context), not the server's statement_timeout.
	ctx, cancel := context.WithTimeout(ctxT(t), 100*time.Millisecond)
	defer cancel()
	rows, err := db.Query(ctx, "SELECT pg_sleep(10)")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
	}
	if err == nil || !strings.Contains(err.Error(), "timeout after") {
		t.Fatalf("Query with a 100ms deadline: error = %v, want a timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
			t.Errorf("timeout error %v is neither a deadline nor a query_canceled", err)
		}
	}

	// The pool recovers: the next query works.
	var n int
	if err := db.QueryRow(ctxT(t), "SELECT 7").Scan(&n); err != nil || n != 7 {
		t.Fatalf("after timeouts: %d, %v", n, err)
	}
}

func TestReconnectAfterServerRestart(t *testing.T) {
	t.Parallel()
	srv := pgtest.Start(t)
	url := srv.URL(srv.NewDB(t, "restart"))
	db := openDB(t, url, nil)
	var n int
	if err := db.QueryRow(ctxT(t), "SELECT 1").Scan(&n); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	// The pooled connection is dead; the health check must notice and dial
	// again rather than fail the query.
	if err := db.QueryRow(ctxT(t), "SELECT 2").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after restart: %d, %v", n, err)
	}

	srv.Kill(t)
	if err := db.Ping(ctxT(t)); err == nil {
		t.Fatal("Ping succeeded with the server down")
	}
	srv.Restart(t)
	if err := db.Ping(ctxT(t)); err != nil {
		t.Fatalf("Ping after the server came back: %v", err)
	}
}

func TestErrorsNeverContainThePassword(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	dbName := srv.NewDB(t, "secrets")
	const password = "Sup3r/Secret:pw@x"
	user := createRole(t, srv, "secrets", password)

	check := func(t *testing.T, what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: want an error", what)
		}
		for _, form := range []string{password, "Sup3r%2FSecret%3Apw%40x", "Sup3r"} {
			if strings.Contains(err.Error(), form) {
				t.Fatalf("%s: error contains the password (%q): %v", what, form, err)
			}
		}
	}

	t.Run("wrong password", func(t *testing.T) {
		logger, logs := testLogger(t)
		wrongPW := "Sup3r/Secret:pw@y"
		url := srv.UserURL(dbName, user, wrongPW)
		db := openDB(t, url, logger) // not fatal: the server may come later
		err := db.Ping(ctxT(t))
		check(t, "Ping", err)
		if strings.Contains(err.Error(), "Secret") {
			t.Fatalf("error leaks the wrong password: %v", err)
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
			t.Errorf("error %v does not unwrap to SQLSTATE 28P01", err)
		}
		if !strings.Contains(err.Error(), db.RedactedURL()) || !strings.Contains(db.RedactedURL(), "xxxxx") {
			t.Errorf("error %v should name the redacted URL %s", err, db.RedactedURL())
		}
		var connectErr *pgconn.ConnectError
		if errors.As(err, &connectErr) {
			t.Error("error chain still holds pgconn.ConnectError, whose Config has the password")
		}
		_, err = db.Query(ctxT(t), "SELECT 1")
		check(t, "Query", err)
		if out := logs.String(); strings.Contains(out, "Secret") || !strings.Contains(out, "not reachable") {
			t.Errorf("log leaks the password or misses the warning:\n%s", out)
		}
	})

	t.Run("right password, failing query", func(t *testing.T) {
		logger, logs := testLogger(t)
		db := openDB(t, srv.UserURL(dbName, user, password), logger)
		_, err := db.Exec(ctxT(t), "SELECT * FROM no_such_table")
		check(t, "Exec", err)
		_, err = db.Exec(ctxT(t), "SELECT $1::int", "Sup3r/Secret:pw@x")
		check(t, "Exec echoing the password", err)
		if strings.Contains(logs.String(), "Sup3r") {
			t.Errorf("log leaks the password:\n%s", logs.String())
		}
	})

	t.Run("server down", func(t *testing.T) {
		private := pgtest.Start(t)
		url := private.UserURL("postgres", user, password)
		private.Stop()
		db := openDB(t, url, nil)
		check(t, "Ping", db.Ping(ctxT(t)))
	})
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://roachdog:s3cret@h:26257/defaultdb?sslmode=verify-full", "postgres://roachdog:xxxxx@h:26257/defaultdb?sslmode=verify-full"},
		{"postgresql://roachdog@h:26257/db", "postgresql://roachdog@h:26257/db"},
		{"postgres://h/db?user=r&password=s3cret", "postgres://h/db?password=xxxxx&user=r"},
		{"host=h user=r password=s3cret sslmode=disable", "host=h user=r password=xxxxx sslmode=disable"},
		{"host=h password='s3 cret' user=r", "host=h password=xxxxx user=r"},
		{"postgres://r:s3cret@h:bad port/db", "postgres://r:xxxxx@h:bad port/db"},
		{"postgresql://r:s3@cr@h1:26257,h2:26257/db?sslmode=require&password=p2", "postgresql://r:xxxxx@h1:26257,h2:26257/db?password=xxxxx&sslmode=require"},
		{"postgresql://r@h1:26257,h2:26257/db", "postgresql://r@h1:26257,h2:26257/db"},
	} {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	secrets := urlSecrets("postgres://r:p%40ss%2Fw0rd@h/db")
	msg := scrub("auth failed for p@ss/w0rd (p%40ss%2Fw0rd)", secrets)
	if strings.Contains(msg, "ss/w0rd") || strings.Contains(msg, "%2Fw0rd") {
		t.Errorf("scrub left a password form: %q (secrets %q)", msg, secrets)
	}
}

func TestAccessErrors(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	const password = "access-pw-123"

	t.Run("allow_unsafe_internals gate", func(t *testing.T) {
		dbName := schemaDB(t, srv, "crdb_v23.2.sql")
		// The exact refusal of CockroachDB v26.1, raised by a view.
		srv.Exec(t, dbName, `
CREATE FUNCTION crdb_internal.refuse() RETURNS SETOF crdb_internal.gossip_nodes LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'Access to crdb_internal and system is restricted.'
		USING ERRCODE = '42501', HINT = 'These tables are not supported for public use.';
END $$;
ALTER TABLE crdb_internal.gossip_nodes RENAME TO gossip_nodes_data;
CREATE VIEW crdb_internal.gossip_nodes AS SELECT * FROM crdb_internal.refuse();`)
		db := openDB(t, srv.URL(dbName), nil)
		err := queryErr(t, db, "SELECT node_id FROM crdb_internal.gossip_nodes")
		var ae *AccessError
		if !errors.As(err, &ae) {
			t.Fatalf("error %T %v is not an AccessError", err, err)
		}
		if !strings.Contains(ae.Hint, `ALTER ROLE "postgres" SET allow_unsafe_internals = on`) {
			t.Errorf("hint = %q", ae.Hint)
		}
		if !strings.Contains(err.Error(), "restricted") || !strings.Contains(err.Error(), "ALTER ROLE") {
			t.Errorf("message = %q", err)
		}
	})

	for _, tc := range []struct {
		schema, hint string
	}{
		{"crdb_v20.2.sql", `GRANT admin TO "%s"`},
		{"crdb_v23.2.sql", `GRANT SYSTEM VIEWCLUSTERMETADATA, VIEWACTIVITY, VIEWCLUSTERSETTING, VIEWJOB TO "%s"`},
	} {
		t.Run("missing privilege "+tc.schema, func(t *testing.T) {
			dbName := schemaDB(t, srv, tc.schema)
			role := createRole(t, srv, "ro", password)
			// The role may learn the version but not read the node tables.
			srv.Exec(t, dbName, fmt.Sprintf("GRANT USAGE ON SCHEMA crdb_internal TO %[1]s; GRANT SELECT ON crdb_internal.node_build_info TO %[1]s",
				pgx.Identifier{role}.Sanitize()))
			db := openDB(t, srv.UserURL(dbName, role, password), nil)
			var id int
			err := db.QueryRow(ctxT(t), "SELECT node_id FROM crdb_internal.gossip_nodes").Scan(&id)
			var ae *AccessError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T %v is not an AccessError", err, err)
			}
			if want := fmt.Sprintf(tc.hint, role); ae.Hint != want {
				t.Errorf("hint = %q, want %q", ae.Hint, want)
			}
			if ae.Err.Code != "42501" || ae.User != role {
				t.Errorf("AccessError = %+v", ae)
			}
		})
	}
}

func TestPoolBoundsConnections(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	dbName := srv.NewDB(t, "pool")
	db := openDB(t, srv.URL(dbName), nil, WithMaxConns(2))
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				rows, err := db.Query(ctxT(t), "SELECT g, pg_sleep(0.01) FROM generate_series(1, 3) AS g")
				if err != nil {
					errs <- err
					return
				}
				n := 0
				for rows.Next() {
					n++
				}
				if err := rows.Err(); err != nil || n != 3 {
					errs <- fmt.Errorf("rows: %d, %v", n, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every connection the DB opened is still there, idle: count them.
	check := openDB(t, srv.URL(dbName), nil)
	var conns int
	if err := check.QueryRow(ctxT(t), "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'roachdog' AND pid <> pg_backend_pid()", dbName).Scan(&conns); err != nil {
		t.Fatal(err)
	}
	if conns < 1 || conns > 2 {
		t.Fatalf("%d connections open, want 1..2 (pool size 2)", conns)
	}

	db.Close()
	if _, err := db.Query(ctxT(t), "SELECT 1"); !errors.Is(err, errPoolClosed) {
		t.Fatalf("Query after Close: %v, want errPoolClosed", err)
	}
}

func TestQueryRowNoRows(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	db := openDB(t, srv.URL(srv.NewDB(t, "norows")), nil, WithMaxConns(1))
	var n int
	if err := db.QueryRow(ctxT(t), "SELECT 1 WHERE false").Scan(&n); !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("err = %v, want pgx.ErrNoRows", err)
	}
	// With one connection, a leaked one would block this forever (bounded by
	// the context): rows were released.
	if err := db.QueryRow(ctxT(t), "SELECT 3").Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d, %v", n, err)
	}
	rows, err := db.Query(ctxT(t), "SELECT g FROM generate_series(1, 10) g")
	if err != nil {
		t.Fatal(err)
	}
	collected, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(collected) != 10 {
		t.Fatalf("CollectRows = %v, %v", collected, err)
	}
	// Early Close releases as well.
	rows, err = db.Query(ctxT(t), "SELECT g FROM generate_series(1, 10) g")
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	rows.Close()
	if err := db.QueryRow(ctxT(t), "SELECT 4").Scan(&n); err != nil || n != 4 {
		t.Fatalf("%d, %v", n, err)
	}
}

func TestCockroachDetectionAndSession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		crdbVersion string
		want        Version
		wantUnsafe  bool
	}{
		{"CockroachDB CCL v20.2.0-beta.1-localbuild (x86_64-pc-linux-gnu, built 2026/11/22 02:27:23, go1.15.15)", Version{20, 2, 0, "v20.2.0-beta.1-localbuild"}, false},
		{"CockroachDB CCL v23.2.4 (x86_64-pc-linux-gnu, built 2024/04/01 00:00:00, go1.21.8)", Version{23, 2, 4, "v23.2.4"}, false},
		{"CockroachDB CCL v25.3.2 (x86_64-pc-linux-gnu, built 2025/09/01 00:00:00, go1.23.7)", Version{25, 3, 2, "v25.3.2"}, false},
		{"CockroachDB CCL v25.4.0 (x86_64-pc-linux-gnu, built 2025/11/01 00:00:00, go1.23.7)", Version{25, 4, 0, "v25.4.0"}, true},
		{"CockroachDB CCL v26.1.0 (aarch64-unknown-linux-gnu, built 2026/02/01 00:00:00, go1.23.7)", Version{26, 1, 0, "v26.1.0"}, true},
	} {
		t.Run(tc.want.Raw, func(t *testing.T) {
			f := startFakeCRDB(t, tc.crdbVersion)
			db := openDB(t, f.url(), nil, WithQueryTimeout(7*time.Second))
			want := ServerInfo{IsCockroach: true, Version: tc.want, Raw: tc.crdbVersion, Source: VersionFromParameter}
			if got := db.Server(); got != want {
				t.Fatalf("Server() = %+v\nwant %+v", got, want)
			}
			var n int
			if err := db.QueryRow(ctxT(t), "SELECT 1").Scan(&n); err != nil || n != 1 {
				t.Fatalf("SELECT 1 = %d, %v", n, err)
			}
			got := strings.Join(f.received(), "\n")
			if !strings.Contains(got, "SET statement_timeout = '7000ms'") {
				t.Errorf("no statement_timeout sent; got:\n%s", got)
			}
			if strings.Contains(got, "node_build_info") {
				t.Errorf("node_build_info queried although crdb_version was sent:\n%s", got)
			}
			if sent := strings.Contains(got, "SET allow_unsafe_internals = on"); sent != tc.wantUnsafe {
				t.Errorf("allow_unsafe_internals sent = %v, want %v; got:\n%s", sent, tc.wantUnsafe, got)
			}
		})
	}

	t.Run("assumed version does not send the SET", func(t *testing.T) {
		f := startFakeCRDB(t, "CockroachDB CCL v23.2.4 (x86_64-pc-linux-gnu, built 2024/04/01 00:00:00, go1.21.8)")
		db := openDB(t, f.url(), nil, WithAssumedVersion("v26.1.0"))
		if got := db.Server(); !got.IsCockroach || got.Version.Raw != "v26.1.0" || got.Source != VersionAssumed {
			t.Fatalf("Server() = %+v", got)
		}
		if got := strings.Join(f.received(), "\n"); strings.Contains(got, "allow_unsafe_internals") {
			t.Errorf("SET sent to a v23.2 server because of an assumed version:\n%s", got)
		}
	})

	t.Run("v26.1 refusal", func(t *testing.T) {
		f := startFakeCRDB(t, "CockroachDB CCL v26.1.0 (x86_64-pc-linux-gnu, built 2026/02/01 00:00:00, go1.23.7)")
		f.failOn("allow_unsafe_internals", &pgproto3.ErrorResponse{Severity: "ERROR", Code: "42501", Message: "permission denied to set allow_unsafe_internals"})
		f.failOn("crdb_internal.gossip_nodes", &pgproto3.ErrorResponse{Severity: "ERROR", Code: "42501",
			Message: "Access to crdb_internal and system is restricted.", Hint: "These tables are not supported for public use."})
		logger, logs := testLogger(t)
		db := openDB(t, f.url(), logger)
		_, err := db.Exec(ctxT(t), "SELECT node_id FROM crdb_internal.gossip_nodes")
		var ae *AccessError
		if !errors.As(err, &ae) {
			t.Fatalf("error %T %v is not an AccessError", err, err)
		}
		if want := `ALTER ROLE "roachdog" SET allow_unsafe_internals = on`; !strings.Contains(ae.Hint, want) {
			t.Errorf("hint %q lacks %q", ae.Hint, want)
		}
		if strings.Contains(err.Error(), "fake-Secret-77") || strings.Contains(logs.String(), "fake-Secret-77") {
			t.Error("password leaked")
		}
		if !strings.Contains(logs.String(), "cannot enable allow_unsafe_internals") {
			t.Errorf("refused SET not logged:\n%s", logs.String())
		}
	})
}

func TestRedactRawURL(t *testing.T) {
	t.Parallel()
	// URLs net/url refuses go through the manual masking.
	for _, tc := range []struct{ in, want string }{
		{"postgres://r:p@ss/w@h:bad port/db?password=x&a=b", "postgres://r:xxxxx@h:bad port/db?password=xxxxx&a=b"},
		{"postgres://r@h:bad port/db", "postgres://r@h:bad port/db"},
		{"postgres://h:bad port/db?sslpassword=k", "postgres://h:bad port/db?sslpassword=xxxxx"},
	} {
		if got := redactRawURL(tc.in); got != tc.want {
			t.Errorf("redactRawURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A refused table gets a hint naming it, not the system privileges.
func TestAccessErrorTableHint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		build, msg, want string
	}{
		{"CockroachDB CCL v23.2.4 (x86_64-pc-linux-gnu, built 2024/04/01 00:00:00, go1.21.8)",
			"user roachdog does not have SELECT privilege on relation events",
			`GRANT SELECT ON TABLE events TO "roachdog" (in the table's database; for a system table: GRANT SYSTEM VIEWSYSTEMTABLE TO "roachdog" (it reads every system table; before v23.2: GRANT admin TO "roachdog"))`},
		{"CockroachDB CCL v22.2.19 (x86_64-pc-linux-gnu, built 2024/01/01 00:00:00, go1.19.13)",
			"user roachdog does not have SELECT privilege on table scheduled_jobs",
			`GRANT SELECT ON TABLE scheduled_jobs TO "roachdog" (in the table's database; for a system table: GRANT admin TO "roachdog")`},
	} {
		t.Run(tc.msg, func(t *testing.T) {
			f := startFakeCRDB(t, tc.build)
			f.failOn("FROM shop_table", &pgproto3.ErrorResponse{Severity: "ERROR", Code: "42501", Message: tc.msg})
			db := openDB(t, f.url(), nil)
			_, err := db.Exec(ctxT(t), "SELECT count(*) FROM shop_table")
			var ae *AccessError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T %v is not an AccessError", err, err)
			}
			if ae.Hint != tc.want {
				t.Errorf("hint = %q\nwant   %q", ae.Hint, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q lacks the server's", err)
			}
		})
	}
}
