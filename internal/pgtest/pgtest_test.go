package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func queryInt(t *testing.T, url, sql string) (int64, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, sql).Scan(&n)
	return n, err
}

func TestSharedExecAndLoad(t *testing.T) {
	t.Parallel()
	s := Shared(t)
	if s2 := Shared(t); s2 != s {
		t.Fatal("Shared returned a second server")
	}
	db := s.NewDB(t, t.Name())
	s.Exec(t, db, "CREATE SCHEMA crdb_internal; CREATE TABLE crdb_internal.t (n bigint); INSERT INTO crdb_internal.t VALUES (1), (2)")
	file := filepath.Join(t.TempDir(), "more.sql")
	if err := os.WriteFile(file, []byte("INSERT INTO crdb_internal.t VALUES (39);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.LoadFile(t, db, file)
	n, err := queryInt(t, s.URL(db), "SELECT sum(n) FROM crdb_internal.t")
	if err != nil {
		t.Fatal(err)
	}
	if n != 42 {
		t.Fatalf("sum = %d, want 42", n)
	}
}

func TestPasswordAuthForOtherRoles(t *testing.T) {
	t.Parallel()
	s := Shared(t)
	db := s.NewDB(t, t.Name())
	s.Exec(t, "postgres", "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pw_user') THEN CREATE ROLE pw_user LOGIN PASSWORD 'right pass/@:'; END IF; END $$")
	if _, err := queryInt(t, s.UserURL(db, "pw_user", "right pass/@:"), "SELECT 1"); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if _, err := queryInt(t, s.UserURL(db, "pw_user", "wrong"), "SELECT 1"); err == nil {
		t.Fatal("wrong password accepted")
	}
}

func TestStartRestartStop(t *testing.T) {
	t.Parallel()
	s := Start(t)
	db := s.NewDB(t, "restart")
	s.Exec(t, db, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")

	s.Kill(t)
	if _, err := queryInt(t, s.URL(db), "SELECT 1"); err == nil {
		t.Fatal("query succeeded on a killed server")
	}
	s.Restart(t)
	n, err := queryInt(t, s.URL(db), "SELECT n FROM kept")
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if n != 7 {
		t.Fatalf("after restart n = %d, want 7", n)
	}

	dir := s.dir
	s.Stop()
	s.Stop() // idempotent
	if _, err := queryInt(t, s.URL(db), "SELECT 1"); err == nil {
		t.Fatal("query succeeded on a stopped server")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Stop left %s behind (stat: %v)", dir, err)
	}
}

func TestPgMajorOrdering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dir  string
		want float64
	}{
		{"/usr/lib/postgresql/15/bin", 15},
		{"/usr/lib/postgresql/9.6/bin", 9.6},
		{"/usr/lib/postgresql/x/bin", -1},
	} {
		if got := pgMajor(tc.dir); got != tc.want {
			t.Errorf("pgMajor(%q) = %v, want %v", tc.dir, got, tc.want)
		}
	}
}

// TestFixture: every copy holds the files' content and is a database of its
// own; the files are loaded once, into a template nobody connects to, even
// when tests ask for copies at the same time.
func TestFixture(t *testing.T) {
	t.Parallel()
	s := Shared(t)
	dir := t.TempDir()
	schema, rows := filepath.Join(dir, "schema.sql"), filepath.Join(dir, "rows.sql")
	if err := os.WriteFile(schema, []byte("CREATE SCHEMA crdb_internal; CREATE TABLE crdb_internal.t (n bigint);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rows, []byte("INSERT INTO crdb_internal.t VALUES (40), (2);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const copies = 6
	names := make(chan string, copies)
	var wg sync.WaitGroup
	for range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			names <- s.Fixture(t, "fixture", schema, rows)
		}()
	}
	wg.Wait()
	close(names)
	seen := map[string]bool{}
	for db := range names {
		if seen[db] {
			t.Fatalf("database %s handed out twice", db)
		}
		seen[db] = true
		if n, err := queryInt(t, s.URL(db), "SELECT sum(n) FROM crdb_internal.t"); err != nil || n != 42 {
			t.Fatalf("%s: sum = %d (%v), want 42", db, n, err)
		}
		s.Exec(t, db, "DELETE FROM crdb_internal.t") // its own: the others keep their rows
	}
	db := s.Fixture(t, "fixture", schema, rows)
	if n, err := queryInt(t, s.URL(db), "SELECT sum(n) FROM crdb_internal.t"); err != nil || n != 42 {
		t.Fatalf("after the copies were changed: sum = %d (%v), want 42", n, err)
	}

	s.templatesMu.Lock()
	tm := s.templates[schema+"\x00"+rows]
	s.templatesMu.Unlock()
	if tm == nil {
		t.Fatal("no template recorded for the files")
	}
	if n, err := queryInt(t, s.URL("postgres"), "SELECT count(*) FROM pg_database WHERE datname = '"+tm.name+"' AND datistemplate AND NOT datallowconn"); err != nil || n != 1 {
		t.Fatalf("template %s: %d rows (%v), want one template refusing connections", tm.name, n, err)
	}

	// A file reading the clock is loaded into each copy, after the
	// template: its times are the test's.
	clock := filepath.Join(dir, "clock.sql")
	if err := os.WriteFile(clock, []byte("CREATE TABLE crdb_internal.c (at timestamptz); INSERT INTO crdb_internal.c VALUES (NOW());\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Fixture(t, "fixture", schema, clock) // makes the template of schema alone
	before := time.Now()
	db = s.Fixture(t, "fixture", schema, clock)
	if n, err := queryInt(t, s.URL(db), fmt.Sprintf("SELECT count(*) FROM crdb_internal.c WHERE at >= to_timestamp(%f)", float64(before.UnixMicro())/1e6)); err != nil || n != 1 {
		t.Fatalf("clock file: %d rows at or after the call (%v), want 1: loaded into the template?", n, err)
	}

	// Another order is another content.
	if db := s.Fixture(t, "fixture", schema); db == "" {
		t.Fatal("no database")
	} else if n, err := queryInt(t, s.URL(db), "SELECT count(*) FROM crdb_internal.t"); err != nil || n != 0 {
		t.Fatalf("schema only: %d rows (%v), want 0", n, err)
	}
}
