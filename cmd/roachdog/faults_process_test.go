package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// startProcess runs roachdog as a real process (the test binary standing in
// for it) and returns it with its stderr and a channel that receives its
// exit.
func startProcess(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ROACHDOG_TEST_AS_MAIN=1")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, stderr, exited
}

// waitExit waits (bounded: a hang detector) for the process to exit and
// returns its exit status.
func waitExit(t *testing.T, exited <-chan error, stderr *syncBuffer, within time.Duration) int {
	t.Helper()
	select {
	case err := <-exited:
		if err == nil {
			return 0
		}
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		t.Fatalf("wait: %v", err)
	case <-time.After(within):
		t.Fatalf("still running after %s; stderr:\n%s", within, stderr.String())
	}
	return -1
}

// TestProcessSIGTERMDuringOnce: SIGTERM while `run --once` waits for a node
// that hangs is a requested stop, as without --once: exit status 0, what
// was collected is flushed, and no error line (it used to exit 1 with
// "vars: context canceled").
func TestProcessSIGTERMDuringOnce(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	good := newFakeNode(t, filepath.Join(dir, "node1_status_vars.txt"))
	hanging := make(chan struct{}, 1)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case hanging <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	dsd := dsdtest.Listen(t)
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://%s
instances:
  - cluster: once
    status_urls: [%s, %s]
    min_collection_interval: 60
    checks:
      vars:
        timeout: 30
`, dsd.Addr(), good.srv.URL, slow))

	cmd, stderr, exited := startProcess(t, "run", "--once", "--config", cfg)
	select {
	case <-hanging:
	case err := <-exited:
		t.Fatalf("exited (%v) before scraping the hanging node; stderr:\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the hanging node was not scraped within 30s; stderr:\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, exited, stderr, 20*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM during --once, want 0; stderr:\n%s", code, stderr.String())
	}
	out := stderr.String()
	if strings.Contains(out, "roachdog run:") {
		t.Errorf("an error was printed for a requested stop:\n%s", out)
	}
	if !strings.Contains(out, "stopped by a signal") {
		t.Errorf("the stop is not logged:\n%s", out)
	}
}

// syncBuffer collects the output of concurrent writers.
type syncBuffer = testenv.SyncBuffer

// metricValue reads one sample from a running roachdog's /metrics by its
// exact series text (e.g. `roachdog_config_reloads_total{result="ok"}`);
// -1 when absent.
func metricValue(t *testing.T, listen, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	return -1
}

// waitUntil polls cond (a hang detector, not a speed assertion).
func waitUntil(t *testing.T, within time.Duration, what string, stderr *syncBuffer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s; stderr:\n%s", within, what, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestProcessSIGHUPReloads: SIGHUP re-reads the file. A valid new file
// replaces the clusters (the removed one's self-metric series go, the new
// one sends through the same DogStatsD client: its counters keep growing
// from where they were); an invalid one keeps the running configuration,
// logs why with file and line, and is counted; a change that needs a
// restart is refused the same way. SIGTERM still stops cleanly.
func TestProcessSIGHUPReloads(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	node := newFakeNode(t, filepath.Join(dir, "node1_status_vars.txt"))
	dsd := dsdtest.Listen(t)
	listen := freeAddr(t)
	initConfig := fmt.Sprintf(`init_config:
  dogstatsd_url: udp://%s
  listen_address: %s
`, dsd.Addr(), listen)
	instance := func(name string) string {
		return fmt.Sprintf(`  - cluster: %s
    status_urls: [%s]
    min_collection_interval: 0.5
`, name, node.srv.URL)
	}
	cfg := writeConfig(t, initConfig+"instances:\n"+instance("before"))
	rewrite := func(body string) {
		t.Helper()
		// Write then rename, as editors and config management do: the
		// reader never sees half a file.
		tmp := cfg + ".tmp"
		if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, cfg); err != nil {
			t.Fatal(err)
		}
	}
	cmd, stderr, exited := startProcess(t, "run", "--config", cfg)
	hasCluster := func(name string) func(dsdtest.Snapshot) bool {
		return func(s dsdtest.Snapshot) bool { return len(s.FindMetrics("crdb.node.up", "cluster:"+name)) > 0 }
	}
	dsd.WaitFor(t, 20*time.Second, hasCluster("before"))
	waitUntil(t, 10*time.Second, "a completed vars cycle in /metrics", stderr, func() bool {
		return metricValue(t, listen, `roachdog_check_runs_total{check="vars",cluster="before",result="ok"}`) >= 1
	})
	sentBefore := metricValue(t, listen, "roachdog_dogstatsd_packets_sent_total")
	if sentBefore <= 0 {
		t.Fatalf("roachdog_dogstatsd_packets_sent_total = %v before the reload", sentBefore)
	}

	// A valid new file: cluster "before" is replaced by "after".
	rewrite(initConfig + "instances:\n" + instance("after"))
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "reload counted ok", stderr, func() bool {
		return metricValue(t, listen, `roachdog_config_reloads_total{result="ok"}`) == 1
	})
	dsd.Reset()
	dsd.WaitFor(t, 20*time.Second, hasCluster("after"))
	if v := metricValue(t, listen, `roachdog_last_success_timestamp_seconds{check="vars",cluster="before"}`); v != -1 {
		t.Errorf("the removed cluster's last-success series is still served (%v)", v)
	}
	if sent := metricValue(t, listen, "roachdog_dogstatsd_packets_sent_total"); sent < sentBefore {
		t.Errorf("packets sent went from %v to %v: the DogStatsD client or its telemetry was replaced", sentBefore, sent)
	}

	// An invalid file: the running configuration stays, the reason is
	// logged with file and line, and the failure counted.
	rewrite(initConfig + "instances:\n" + instance("broken") + "    scrape_timout: 5\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "reload counted failed", stderr, func() bool {
		return metricValue(t, listen, `roachdog_config_reloads_total{result="failed"}`) == 1
	})
	out := stderr.String()
	for _, w := range []string{"configuration not reloaded", "conf.yaml:8:", "instances[0].scrape_timout", "unknown key"} {
		if !strings.Contains(out, w) {
			t.Errorf("the failed reload's log lacks %q:\n%s", w, out)
		}
	}
	// A setting built once per process: refused, named.
	rewrite(strings.Replace(initConfig, "init_config:\n", "init_config:\n  namespace: other\n", 1) + "instances:\n" + instance("renamed"))
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "second failed reload counted", stderr, func() bool {
		return metricValue(t, listen, `roachdog_config_reloads_total{result="failed"}`) == 2
	})
	if out := stderr.String(); !strings.Contains(out, "init_config.namespace changed") {
		t.Errorf("the refused reload does not name the key:\n%s", out)
	}
	dsd.Reset()
	snap := dsd.WaitFor(t, 20*time.Second, hasCluster("after"))
	for _, c := range []string{"broken", "renamed", "before"} {
		if hasCluster(c)(snap) {
			t.Errorf("cluster %q sends after failed reloads", c)
		}
	}
	if metricValue(t, listen, `roachdog_config_reloads_total{result="ok"}`) != 1 {
		t.Errorf("a failed reload was counted ok")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, exited, stderr, 20*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0; stderr:\n%s", code, stderr.String())
	}
}
