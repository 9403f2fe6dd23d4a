package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/dashboards"
	"github.com/roachdog/roachdog/monitors"
)

func runValidate(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = cmdValidate(args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestValidateEmbedded(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := runValidate(t)
	if err != nil {
		t.Fatalf("shipped files must validate: %v\n%s", err, stderr)
	}
	if stderr != "" {
		t.Fatalf("stderr: %s", stderr)
	}
	dash, _ := fs.Glob(dashboards.FS, "*.json")
	mon, _ := fs.Glob(monitors.FS, "*.json")
	if got, want := strings.Count(stdout, ".json: ok\n"), len(dash)+len(mon); got != want || len(dash) == 0 || len(mon) == 0 {
		t.Fatalf("%d ok lines for %d dashboards and %d monitors:\n%s", got, len(dash), len(mon), stdout)
	}
	// It says which copies it checked: not files on disk.
	v, _ := buildVersion()
	if first, _, _ := strings.Cut(stdout, "\n"); first != "embedded copies (roachdog "+v+"), not files on disk; pass files or directories to validate yours" {
		t.Errorf("first line %q", first)
	}
	for _, f := range []string{"dashboards/cluster_overview.json: ok\n", "dashboards/replication.json: ok\n",
		"dashboards/sql_performance.json: ok\n", "dashboards/ttl_jobs.json: ok\n"} {
		if !strings.Contains(stdout, f) {
			t.Errorf("missing %q in:\n%s", f, stdout)
		}
	}
}

// writeTree writes files (relative path → content) under a temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func embedded(t *testing.T, fsys fs.FS, name string) string {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("%q not found", old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestValidateDirReportsBrokenFiles(t *testing.T) {
	t.Parallel()
	good := embedded(t, dashboards.FS, "cluster_overview.json")
	bad := replaceOnce(t, embedded(t, dashboards.FS, "replication.json"),
		"crdb.replication.constraint_violations{", "crdb.replication.constraint_violation{")
	bad = replaceOnce(t, bad, `"title": "CockroachDB Replication and Ranges (roachdog)"`, `"title": "Copy"`)
	monitor := `{
  "name": "Disk {{node_id.name}}",
  "type": "query alert",
  "query": "avg(last_15m):max:crdb.capacity.used_ratio{*} by {cluster,node_id,store} > 0.85",
  "message": "{{#is_alert}}disk full on {{node_id.name}} @roachdog-notify",
  "options": {"thresholds": {"critical": 0.85, "warning": 0.9}}
}`
	dir := writeTree(t, map[string]string{
		"dashboards/good.json":  good,
		"dashboards/bad.json":   bad,
		"dashboards/README.md":  "not a dashboard",
		"monitors/broken.json":  monitor,
		"monitors/invalid.json": `{"name": "x",`,
	})
	stdout, stderr, err := runValidate(t, "--dir", dir)
	if err == nil {
		t.Fatalf("broken files must fail; stdout:\n%s", stdout)
	}
	if got, want := err.Error(), "4 problem(s) in 3 of 4 file(s)"; got != want {
		t.Errorf("error %q, want %q\nstderr:\n%s", got, want, stderr)
	}
	if stdout != "dashboards/good.json: ok\n" {
		t.Errorf("stdout:\n%s", stdout)
	}
	for _, want := range []string{
		"dashboards/bad.json: widgets[2].definition.widgets[0].definition.requests[0].queries[0].query: at column 5: metric crdb.replication.constraint_violation is not in roachdog's catalog (did you mean crdb.replication.constraint_violations?)\n",
		"monitors/broken.json: options.thresholds.warning: 0.9 is at or above critical 0.85: for a > alert the warning threshold must be below critical\n",
		"monitors/broken.json: message: line 1: {{#is_alert}} is never closed (add {{/is_alert}})\n",
		"monitors/invalid.json: line 1, column 14: invalid JSON: unexpected end of file\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks\n  %s\ngot:\n%s", want, stderr)
		}
	}
}

func TestValidateDirErrors(t *testing.T) {
	t.Parallel()
	onlyDash := writeTree(t, map[string]string{"dashboards/a.json": embedded(t, dashboards.FS, "ttl_jobs.json")})
	if _, _, err := runValidate(t, "--dir", onlyDash); err == nil || !strings.Contains(err.Error(), "no monitors directory") {
		t.Errorf("missing monitors dir: %v", err)
	}
	empty := writeTree(t, map[string]string{"dashboards/x.txt": "", "monitors/y.txt": ""})
	if _, _, err := runValidate(t, "--dir", empty); err == nil || !strings.Contains(err.Error(), "no dashboards/*.json or monitors/*.json") {
		t.Errorf("nothing to validate: %v", err)
	}
	if _, _, err := runValidate(t, "missing.json"); err == nil || !strings.Contains(err.Error(), "validate missing.json: ") ||
		!errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := runValidate(t, "--dir", empty, "x.json"); !errors.Is(err, errUsage) {
		t.Errorf("--dir and a file: %v", err)
	}
	if _, _, err := runValidate(t, "--bogus"); !errors.Is(err, errUsage) {
		t.Errorf("unknown flag: %v", err)
	}
}

func TestValidateNamespaceAndAllowTag(t *testing.T) {
	t.Parallel()
	// The shipped files name crdb.* metrics: another namespace must fail.
	if _, stderr, err := runValidate(t, "--namespace", "cockroach"); err == nil ||
		!strings.Contains(stderr, "is not one of roachdog's: they all start with cockroach.") {
		t.Errorf("namespace cockroach: %v\n%.500s", err, stderr)
	}
	dash := replaceOnce(t, embedded(t, dashboards.FS, "ttl_jobs.json"),
		"max:crdb.ttl.tables{$cluster,$env}", "max:crdb.ttl.tables{$cluster,$env,team:db}")
	mons, _ := fs.Glob(monitors.FS, "*.json")
	if len(mons) == 0 {
		t.Fatal("no embedded monitors")
	}
	dir := writeTree(t, map[string]string{"dashboards/t.json": dash, "monitors/m.json": embedded(t, monitors.FS, mons[0])})
	if _, stderr, err := runValidate(t, "--dir", dir); err == nil || !strings.Contains(stderr, "crdb.ttl.tables has no tag team") {
		t.Errorf("team tag without --allow-tag: %v\n%s", err, stderr)
	}
	if _, stderr, err := runValidate(t, "--dir", dir, "--allow-tag", "owner,team"); err != nil {
		t.Errorf("with --allow-tag team: %v\n%s", err, stderr)
	}
}

// TestValidateArguments: files and directories given as arguments are the
// ones validated (not the embedded copies), each named as given.
func TestValidateArguments(t *testing.T) {
	t.Parallel()
	good := embedded(t, dashboards.FS, "ttl_jobs.json")
	broken := replaceOnce(t, embedded(t, dashboards.FS, "cluster_overview.json"), "crdb.liveness.", "crdb.livenes.")
	mon := embedded(t, monitors.FS, "ttl_lag.json")
	clone := writeTree(t, map[string]string{
		"dashboards/cluster_overview.json": broken,
		"dashboards/ttl_jobs.json":         good,
		"monitors/ttl_lag.json":            mon,
		"elsewhere/board.json":             good,
		"elsewhere/alert.json":             mon,
		"elsewhere/neither.json":           `{"title": "x"}`,
		"empty/README.md":                  "",
	})
	at := func(p string) string { return filepath.ToSlash(filepath.Join(clone, p)) }

	// The edited file itself: its problem, not "ok".
	stdout, stderr, err := runValidate(t, filepath.Join(clone, "dashboards", "cluster_overview.json"))
	if err == nil || stdout != "" || !strings.Contains(stderr, at("dashboards/cluster_overview.json")+": ") ||
		!strings.Contains(stderr, "crdb.livenes.") {
		t.Errorf("edited file: err %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}

	// A good file, a directory of dashboards, a clone.
	stdout, _, err = runValidate(t, filepath.Join(clone, "dashboards", "ttl_jobs.json"), filepath.Join(clone, "monitors"))
	if err != nil || stdout != at("dashboards/ttl_jobs.json")+": ok\n"+at("monitors/ttl_lag.json")+": ok\n" {
		t.Errorf("file and directory: %v\n%s", err, stdout)
	}
	stdout, stderr, err = runValidate(t, clone)
	if err == nil || err.Error() != "1 problem(s) in 1 of 3 file(s)" ||
		stdout != at("dashboards/ttl_jobs.json")+": ok\n"+at("monitors/ttl_lag.json")+": ok\n" {
		t.Errorf("clone: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}

	// Elsewhere the kind comes from the content; a file that says neither
	// is a problem of its own, and the same title twice is caught across
	// arguments; a file given twice is read once.
	stdout, stderr, err = runValidate(t, filepath.Join(clone, "elsewhere"), filepath.Join(clone, "dashboards", "ttl_jobs.json"),
		filepath.Join(clone, "elsewhere", "board.json"))
	if err == nil || err.Error() != "2 problem(s) in 2 of 4 file(s)" {
		t.Errorf("elsewhere: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if stdout != at("elsewhere/alert.json")+": ok\n"+at("elsewhere/board.json")+": ok\n" ||
		!strings.Contains(stderr, at("elsewhere/neither.json")+": cannot tell a dashboard from a monitor") ||
		!strings.Contains(stderr, at("dashboards/ttl_jobs.json")+": title: ") {
		t.Errorf("elsewhere:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}

	// A directory with nothing to validate is an error, not "ok".
	if _, _, err := runValidate(t, filepath.Join(clone, "empty")); err == nil || !strings.Contains(err.Error(), "no *.json files") {
		t.Errorf("empty directory: %v", err)
	}
}

// TestValidateEmbeddedNotesLocalCopies: run in a clone without arguments,
// validate checks the embedded copies and says the local ones were not.
func TestValidateEmbeddedNotesLocalCopies(t *testing.T) {
	dir := writeTree(t, map[string]string{"dashboards/mine.json": "{}", "monitors/yours.json": "{}"})
	t.Chdir(dir)
	stdout, stderr, err := runValidate(t)
	if err != nil {
		t.Fatalf("embedded copies: %v", err)
	}
	if !strings.HasPrefix(stdout, "embedded copies (roachdog ") || strings.Contains(stdout, "mine.json") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if want := "note: dashboards and monitors in the current directory not validated; to validate them: roachdog validate dashboards monitors\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if _, _, err := runValidate(t, "dashboards"); err == nil {
		t.Error("the local copies, given, were not validated")
	}
}
