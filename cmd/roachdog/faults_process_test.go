package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// syncBuffer is a bytes.Buffer safe for a writer (a process's stderr, a
// logger) and a reading test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
