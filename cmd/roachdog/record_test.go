package main

import (
	"bytes"
	"context"
	"encoding/json"
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
	pg := pgtest.Start(t) // stopped before the replay
	load := func(files ...string) string {
		db := pg.NewDB(t, "record")
		for _, f := range files {
			pg.LoadFile(t, db, filepath.Join(testenv.Testdata(t), "sql", f))
		}
		return db
	}
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
}
