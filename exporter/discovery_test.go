package exporter

// The runner with the real discovery and vars check: what SQL does to the
// node list must never make healthy nodes look down, nor stop the checks.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// varsNode serves a minimal healthy /_status/vars.
func varsNode(t *testing.T, id int) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_status/vars" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "# TYPE node_id gauge\nnode_id{advertise_addr=\"h:26257\"} %d\n# TYPE sys_uptime gauge\nsys_uptime 1000\n", id)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// blackHole accepts TCP connections and never answers: a hung SQL endpoint.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// openDB opens a pool without waiting for the server (OpenDB's first ping
// gets 100ms).
func openDB(t *testing.T, addr string) *cluster.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	db, err := cluster.OpenDB(ctx, "postgres://u@"+addr+"/db?sslmode=disable&connect_timeout=30", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// TestHangingDiscoveryKeepsNodesUp: SQL accepts connections and never
// answers. Discovery (seeded with three healthy nodes) must not eat the vars
// cycle: the nodes are scraped and reported up, not down with "cycle
// context deadline exceeded after 0s".
func TestHangingDiscoveryKeepsNodesUp(t *testing.T) {
	t.Parallel()
	db := openDB(t, blackHole(t))
	var seeds []string
	for i := 1; i <= 3; i++ {
		seeds = append(seeds, varsNode(t, i))
	}
	src := cluster.NewDiscovery(db, cluster.DiscoveryOptions{Seeds: seeds}, nil)
	defer src.Close()
	v, err := checks.NewVars(checks.VarsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &sinktest.Recorder{}
	r := newRunner([]testInstance{{Cluster: "c", Source: src, HTTP: http.DefaultClient, Sink: rec, SQL: db,
		Jobs: []testJob{{Check: v, Interval: 3 * time.Second, Timeout: 3 * time.Second}}}}, nil, nil)
	var runErr error
	runBounded(t, 20*time.Second, "RunOnce", func() { runErr = r.RunOnce(t.Context()) })
	up := 0
	for _, p := range rec.Find("node.up") {
		if p.Value != 1 {
			t.Errorf("healthy node reported down because SQL discovery hangs: %v %v", p.Tags, rec.Find("node.can_scrape"))
			continue
		}
		up++
	}
	if up != 3 || runErr != nil {
		t.Errorf("%d nodes up (RunOnce: %v), want the 3 seeds scraped", up, runErr)
	}
}

// TestSQLChecksRunWhileDiscoveryFails: a discover-only instance whose SQL
// refuses connections at start-up: no node is known, yet the SQL checks run
// (and report SQL down).
func TestSQLChecksRunWhileDiscoveryFails(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connection refused
	db := openDB(t, addr)
	src := cluster.NewDiscovery(db, cluster.DiscoveryOptions{}, nil)
	defer src.Close()
	var ran atomic.Bool
	probe := check("liveness", func(_ context.Context, _ *checks.Target, s checks.Sink) error {
		ran.Store(true)
		s.ServiceCheck("sql.can_query", checks.Critical, "down", nil)
		return nil
	})
	rec := &sinktest.Recorder{}
	r := newRunner([]testInstance{{Cluster: "c", Source: src, Sink: rec, SQL: db,
		Jobs: []testJob{{Check: probe, Interval: 5 * time.Second}}}}, nil, nil)
	var runErr error
	runBounded(t, 20*time.Second, "RunOnce", func() { runErr = r.RunOnce(t.Context()) })
	// RunOnce fails on the reported CRITICAL (the --once exit status).
	if !ran.Load() || runErr == nil || !strings.Contains(runErr.Error(), "sql.can_query CRITICAL: down") {
		t.Fatalf("SQL check ran: %v (RunOnce: %v); sql.can_query CRITICAL is never sent while SQL is down", ran.Load(), runErr)
	}
	if p := rec.One(t, "sql.can_query"); p.Status != checks.Critical {
		t.Errorf("sql.can_query = %v", p.Status)
	}
}
