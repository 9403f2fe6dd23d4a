package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/pgwire"
	"github.com/roachdog/roachdog/internal/testenv"
)

// replaySet replays every check of a recorded set (a directory written by
// `roachdog record`) against a fake server answering from its recordings,
// and fails unless each check sends the datagrams it sent when recorded.
func replaySet(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, os.ErrNotExist) {
		// Sessions recorded in proxy mode: nothing to compare, but they
		// must still read and index.
		if _, err := pgwire.LoadDir(dir); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: no manifest.json (proxy-mode sessions): loaded only", dir)
		return
	}
	if err != nil {
		t.Fatalf("recorded set %s: %v", dir, err)
	}
	var man recordManifest
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatalf("%s/manifest.json: %v", dir, err)
	}
	if len(man.Checks) == 0 {
		t.Fatalf("%s/manifest.json: no check recorded", dir)
	}
	names := make([]string, 0, len(man.Checks))
	for name := range man.Checks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			rec, err := pgwire.LoadFiles(filepath.Join(dir, name+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, name+".datagrams"))
			if err != nil {
				t.Fatal(err)
			}
			srv, err := pgwire.Start(rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			var logs, out bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// The database name is whatever the recording's answers say.
			_, runErr := runRecordedCheck(ctx, name, srv.URL("recorded"), man.Checks[name], 20*time.Second, &out, logger)
			if m := srv.Misses(); len(m) > 0 {
				t.Errorf("statements missing from the recording: %q", m)
			}
			if got, w := sortedLines(out.String()), sortedLines(string(want)); !slices.Equal(got, w) {
				t.Errorf("replayed datagrams differ from the recorded ones (run error: %v)\n got:\n  %s\nwant:\n  %s\nlogs:\n%s",
					runErr, strings.Join(got, "\n  "), strings.Join(w, "\n  "), logs.String())
			}
		})
	}
}

// sortedLines: datagrams of several series come in map order.
func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(lines)
	return lines
}

// TestRecordThenReplay records every SQL check with `roachdog record`
// through the recording proxy against PostgreSQL loaded with a v23.2
// cluster's tables, stops PostgreSQL, and replays the recordings: the
// checks must send the same datagrams from the recorded bytes alone.
func TestRecordThenReplay(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t) // stopped before the replay
	load := func(files ...string) string { return sqlDB(t, pg, "record", files...) }
	// Three emulated clusters: the TTL and the schema scenarios both have
	// an orders table, and the ranges check reads SQL (the replication
	// reports) only before v23.1.
	ops := load("crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql",
		"crdb_v23.2_jobs.sql", "scenario_v23.2_jobs.sql", "crdb_v23.2_ttl.sql", "scenario_v23.2_ttl.sql")
	shop := load("crdb_v23.2.sql", "crdb_v23.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v23.2.sql")
	reports := load("crdb_v20.2.sql", "crdb_v20.2_ranges.sql", "scenario_v20.2_reports.sql")
	opsDir, shopDir, reportsDir := t.TempDir(), t.TempDir(), t.TempDir()
	record := func(db, dir string, extra ...string) string {
		var stdout, stderr bytes.Buffer
		// A password-less superuser URL: the proxy forwards it as given.
		args := append([]string{"record", "--sql-url", pg.URL(db), "--dir", dir, "--timeout", "20s"}, extra...)
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("record: exit %d\nstderr:\n%s", code, stderr.String())
		}
		return stdout.String()
	}
	out := record(ops, opsDir, "--checks", "liveness,jobs,ttl")
	out += record(shop, shopDir, "--checks", "schema")
	out += record(reports, reportsDir, "--checks", "ranges")
	for _, name := range recordChecks {
		if !strings.Contains(out, "recorded "+name+": ") {
			t.Errorf("record output lacks %s:\n%s", name, out)
		}
		dir := map[string]string{"schema": shopDir, "ranges": reportsDir}[name]
		if dir == "" {
			dir = opsDir
		}
		wire, err := os.ReadFile(filepath.Join(dir, name+".jsonl"))
		if err != nil || !bytes.Contains(wire, []byte(`"type":"DataRow"`)) {
			t.Errorf("%s.jsonl: %v, or no data row recorded", name, err)
		}
	}
	// What the checks found on the emulated clusters, to be found again.
	for file, wants := range map[string][]string{
		filepath.Join(shopDir, "schema.datagrams"): {
			"crdb.schema.fk_without_index:1|g|#cluster:recorded,database:" + shop + ",table:public.orders",
			"_sc|crdb.sql.can_query|0|#cluster:recorded,check:schema"},
		filepath.Join(opsDir, "liveness.datagrams"):   {"crdb.nodes.live:4|g"},
		filepath.Join(opsDir, "ttl.datagrams"):        {"crdb.ttl.job_age_seconds:"},
		filepath.Join(opsDir, "jobs.datagrams"):       {"crdb.jobs.count:"},
		filepath.Join(reportsDir, "ranges.datagrams"): {"crdb.replication.constraint_violations:4|g|"},
	} {
		dg, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range wants {
			if !strings.Contains(string(dg), want) {
				t.Errorf("%s lacks %q:\n%s", filepath.Base(file), want, dg)
			}
		}
	}
	pg.Stop()
	t.Run("ops", func(t *testing.T) { replaySet(t, opsDir) })
	t.Run("shop", func(t *testing.T) { replaySet(t, shopDir) })
	t.Run("reports", func(t *testing.T) { replaySet(t, reportsDir) })
}

// TestReplayFixtureRecordings replays every recorded set found under the
// shared fixtures (<fixtures>/<version>/recordings/<set>/, written by
// `roachdog record` against a real cluster): each check must still send
// what it sent on the real server. Sets recorded by an older roachdog
// whose queries have changed fail with the statements to record again.
func TestReplayFixtureRecordings(t *testing.T) {
	t.Parallel()
	root := testenv.Fixtures(t)
	sets, err := pgwire.FixturesRecordings(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) == 0 {
		t.Skip("no recorded sets under the shared fixtures (*/recordings/*/) yet")
	}
	for _, dir := range sets {
		rel, _ := filepath.Rel(root, dir)
		t.Run(rel, func(t *testing.T) { replaySet(t, dir) })
	}
}

// TestRecordSessions: in proxy mode, `roachdog run --once` pointed at the
// proxy is recorded, and the same run on the replay answers as PostgreSQL
// did.
func TestRecordSessions(t *testing.T) {
	t.Parallel()
	pg := pgtest.Shared(t)
	db := sqlDB(t, pg, "sessions", "crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql")
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"record", "--sql-url", pg.URL(db), "--dir", dir, "--listen", "127.0.0.1:0"}, pw, &stderr)
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	go io.Copy(io.Discard, pr)
	_, after, ok := strings.Cut(line, "point sql_url at ")
	proxyURL, _, _ := strings.Cut(after, " ")
	if !ok || !strings.Contains(proxyURL, "sslmode=disable") {
		t.Fatalf("record said %q", line)
	}
	node := newFakeNode(t, filepath.Join(testenv.Testdata(t), "vars", "v23_secure_node1_t0.txt"))
	liveness := func(sqlURL string) {
		t.Helper()
		cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: rec
    sql_url: %s
    status_urls: [%s]
    checks: {vars: {enabled: false}, ranges: {enabled: false}, jobs: {enabled: false}, ttl: {enabled: false}, schema: {enabled: false}}
`, sqlURL, node.srv.URL))
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"run", "--once", "--dry-run", "--config", cfg}, &out, &errOut); code != 0 {
			t.Fatalf("run through %s: exit %d\n%s", sqlURL, code, errOut.String())
		}
		for _, want := range []string{"crdb.nodes.live:4|g|#cluster:rec", "_sc|crdb.sql.can_query|0|#cluster:rec,check:liveness"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run through %s lacks %q:\n%s", sqlURL, want, out.String())
			}
		}
	}
	liveness(proxyURL)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("record: exit %d\n%s", code, stderr.String())
	}
	rec, err := pgwire.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := pgwire.Start(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	liveness(srv.URL(db))
	if m := srv.Misses(); len(m) > 0 {
		t.Errorf("misses: %q", m)
	}
}

// TestRecordFailingCheck: a check that fails on the server is recorded
// all the same (exit 1), and its failure replays: the same CRITICAL
// service check from the recorded error.
func TestRecordFailingCheck(t *testing.T) {
	t.Parallel()
	pg := pgtest.Shared(t)
	db := pg.NewDB(t, "failing") // plain PostgreSQL: no crdb_internal
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"record", "--sql-url", pg.URL(db), "--dir", dir, "--checks", "liveness"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "liveness failed (recorded all the same)") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	wire, err := os.ReadFile(filepath.Join(dir, "liveness.jsonl"))
	if err != nil || !bytes.Contains(wire, []byte(`"code":"42P01"`)) {
		t.Fatalf("liveness.jsonl: %v, or no 42P01 error recorded:\n%s", err, wire)
	}
	dg, _ := os.ReadFile(filepath.Join(dir, "liveness.datagrams"))
	if !bytes.Contains(dg, []byte("_sc|crdb.sql.can_query|2|")) {
		t.Fatalf("liveness.datagrams lacks the CRITICAL service check:\n%s", dg)
	}
	replaySet(t, dir)
}

func TestRecordUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"record"},
		{"record", "--sql-url", "postgres://x@h/db"},
		{"record", "--dir", "d"},
		{"record", "--sql-url", "postgres://x@h/db", "--dir", "d", "--checks", "vars"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)\n%s", args, code, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"record", "--sql-url", "host=h password=Secret1", "--dir", t.TempDir()}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "want a postgresql:// URL") || strings.Contains(stderr.String(), "Secret1") {
		t.Errorf("key=value URL: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	code = run(context.Background(), []string{"record", "--sql-url", "postgres://x@h/db", "--dir", t.TempDir(), "--listen", "0.0.0.0:0"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "not a loopback address") {
		t.Errorf("--listen 0.0.0.0: exit %d, stderr %q", code, stderr.String())
	}
}
