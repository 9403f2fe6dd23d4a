package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/exporter"
	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// newTestReloader builds the first generation from the file at path, as
// cmdRun does, with a dry-run sink into out.
func newTestReloader(t *testing.T, path string, out *syncBuffer) *reloader {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(out, nil))
	sink := exporter.NewText(out, cfg.Init.Namespace, cfg.Init.Tags)
	self := exporter.NewSelfMetrics("test", "abc")
	instances, closeAll, err := buildInstances(t.Context(), cfg, sink, logger)
	if err != nil {
		t.Fatal(err)
	}
	gen := &generation{cfg: cfg, instances: instances, close: closeAll, runner: exporter.NewRunner(instances, self, logger)}
	t.Cleanup(func() { gen.close() })
	var current atomic.Pointer[exporter.Runner]
	current.Store(gen.runner)
	return &reloader{path: path, sink: sink, self: self, logger: logger, current: &current, gen: gen}
}

func checksOf(g *generation) map[string]checks.Check {
	out := map[string]checks.Check{}
	for _, in := range g.instances {
		for _, j := range in.Jobs {
			out[in.Cluster+"/"+j.Check.Name()] = j.Check.(*checks.Bound).Check
		}
	}
	return out
}

// TestReloadKeepsUnchangedChecks: a reload keeps the check (and its state)
// of a cluster whose source and check settings did not change, and builds
// anew a check whose settings, or whose cluster's addresses, changed.
func TestReloadKeepsUnchangedChecks(t *testing.T) {
	t.Parallel()
	const sqlURL = "postgres://roachdog@127.0.0.1:1/defaultdb?sslmode=disable"
	file := func(bTimeout, cSQL string) string {
		return fmt.Sprintf(`init_config:
  listen_address: "off"
instances:
  - cluster: a
    status_urls: [http://a1:8080]
    sql_url: %[1]s
  - cluster: b
    status_urls: [http://b1:8080]
    checks: {vars: {timeout: %[2]s}}
  - cluster: c
    status_urls: [http://c1:8080]
    sql_url: %[3]s
`, sqlURL, bTimeout, cSQL)
	}
	path := writeConfig(t, file("5", sqlURL))
	rl := newTestReloader(t, path, &syncBuffer{})
	before := checksOf(rl.gen)

	if err := os.WriteFile(path, []byte(file("4", strings.Replace(sqlURL, "defaultdb", "otherdb", 1))+
		"  - cluster: d\n    status_urls: [http://d1:8080]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	next, err := rl.prepare(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rl.swap(next)
	after := checksOf(rl.gen)
	for k, want := range map[string]bool{
		"a/vars": true, "a/liveness": true, "a/jobs": true, "a/schema": true, // unchanged
		"b/vars":     false, // its timeout changed
		"c/vars":     false, // another database: another cluster, maybe
		"c/liveness": false,
	} {
		if after[k] == nil || before[k] == nil {
			t.Fatalf("%s: missing before (%v) or after (%v) the reload", k, before[k] != nil, after[k] != nil)
		}
		if kept := after[k] == before[k]; kept != want {
			t.Errorf("%s kept across the reload: %v, want %v", k, kept, want)
		}
	}
	if after["d/vars"] == nil {
		t.Error("the new cluster d has no vars check")
	}
	if rl.current.Load() != rl.gen.runner {
		t.Error("readiness still asks the old runner")
	}
}

// TestReloadKeepsCounterBaselines: a kept vars check sends counter deltas on
// its first cycle after a reload (its baselines survived); one whose
// settings changed starts over (no deltas on its first cycle), as after a
// restart.
func TestReloadKeepsCounterBaselines(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	for _, tc := range []struct {
		name      string
		change    string
		wantDelta bool
	}{
		{"unchanged", "", true},
		{"settings changed", "    checks: {vars: {timeout: 4}}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := newFakeNode(t, filepath.Join(dir, "node1_status_vars_t0.txt"), filepath.Join(dir, "node1_status_vars_t1.txt"))
			base := fmt.Sprintf("instances:\n  - cluster: k\n    status_urls: [%s]\n", node.srv.URL)
			path := writeConfig(t, base)
			out := &syncBuffer{}
			rl := newTestReloader(t, path, out)
			if err := rl.gen.runner.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(base+tc.change), 0o600); err != nil {
				t.Fatal(err)
			}
			next, err := rl.prepare(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			rl.swap(next)
			out.Reset()
			if err := rl.gen.runner.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(l, "crdb.") || strings.HasPrefix(l, "_sc|") {
					lines = append(lines, l)
				}
			}
			snap, err := dsdtest.Parse(strings.Join(lines, "\n"))
			if err != nil {
				t.Fatal(err)
			}
			got := len(snap.FindMetrics("crdb.sql.statements", "node_id:1", "statement_type:select")) > 0
			if got != tc.wantDelta {
				t.Errorf("select count sent on the first cycle after the reload: %v, want %v", got, tc.wantDelta)
			}
		})
	}
}

// TestReloadRefusedKeepsGeneration: a file that parses but cannot be built
// (a CA file that does not exist) or changes a setting built once per
// process is refused with the reason, and the running generation is left
// as it was.
func TestReloadRefusedKeepsGeneration(t *testing.T) {
	t.Parallel()
	const good = "init_config:\n  listen_address: \"off\"\ninstances:\n  - cluster: a\n    status_urls: [https://a1:8080]\n"
	path := writeConfig(t, good)
	rl := newTestReloader(t, path, &syncBuffer{})
	before := *rl.gen
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"missing CA file", good + "    tls: {ca_file: /nonexistent/ca.crt}\n", []string{`instance "a"`, "tls.ca_file", "/nonexistent/ca.crt"}},
		{"new DogStatsD address", strings.Replace(good, "init_config:\n", "init_config:\n  dogstatsd_url: udp://10.0.0.1:8125\n", 1),
			[]string{"conf.yaml", "init_config.dogstatsd_url changed", "restarts"}},
		{"unreadable file", "", []string{"read config"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.body == "" {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			next, err := rl.prepare(t.Context())
			if err == nil {
				next.close()
				t.Fatal("reload accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if rl.gen.cfg != before.cfg || rl.gen.runner != before.runner || rl.current.Load() != before.runner {
				t.Error("the running generation changed")
			}
		})
	}
}
