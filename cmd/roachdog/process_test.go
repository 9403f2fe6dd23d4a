package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestProcessStopsCleanlyOnSIGTERM runs roachdog as a real process, waits
// until it is ready, sends SIGTERM and expects exit status 0 with the cycle
// finished or cancelled and the client flushed. A node that hangs forever is
// among the targets, so shutdown must not wait for it.
func TestProcessStopsCleanlyOnSIGTERM(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	good := newFakeNode(t, filepath.Join(dir, "node1_status_vars.txt"))
	hang := make(chan struct{})
	slow := newHangingNode(t, hang)
	dsd := dsdtest.Listen(t)
	listen := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://%s
  listen_address: %s
instances:
  - cluster: proc
    status_urls: [%s, %s]
    min_collection_interval: 1
    checks:
      vars:
        timeout: 30
`, dsd.Addr(), listen, good.srv.URL, slow))

	cmd := exec.Command(os.Args[0], "run", "--config", cfg, "--log-format", "json")
	cmd.Env = append(os.Environ(), "ROACHDOG_TEST_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		close(hang)
		_ = cmd.Process.Kill()
	})

	// Ready once every check finished a cycle: the hanging node holds the
	// first cycle until its 1 s interval deadline cancels it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + listen + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 20s; stderr:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The good node's datagrams arrived: the process really sends.
	dsd.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool {
		return len(s.FindMetrics("crdb.node.up", "cluster:proc", "node_id:1")) > 0
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) || err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after SIGTERM; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no shutdown log line; stderr:\n%s", stderr.String())
	}
}

// newHangingNode accepts the scrape and never answers until release closes
// (or the client gives up).
func newHangingNode(t *testing.T, release chan struct{}) string {
	t.Helper()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	return srv
}

// TestProcessSIGTERMDuringStartup: while start-up waits for the Agent's DNS
// name (here one that never resolves), /healthz already answers, and SIGTERM
// is a clean stop: exit status 0, no error line.
func TestProcessSIGTERMDuringStartup(t *testing.T) {
	t.Parallel()
	listen := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://roachdog-no-such-agent.invalid:8125
  listen_address: %s
instances:
  - cluster: proc
    status_urls: [http://127.0.0.1:1]
`, listen))
	cmd := exec.Command(os.Args[0], "run", "--config", cfg)
	cmd.Env = append(os.Environ(), "ROACHDOG_TEST_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + listen + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("exited (%v) before serving /healthz; stderr:\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz not served within 20s while waiting for the Agent; stderr:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get("http://" + listen + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d before any cycle, want 503", resp.StatusCode)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM during start-up: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after SIGTERM; stderr:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "roachdog run:") {
		t.Errorf("an error was printed for a requested stop:\n%s", stderr.String())
	}
}
