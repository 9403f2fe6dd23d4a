package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roachdog/roachdog/health"
	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// The health tests run `roachdog health` against the real PostgreSQL
// emulation of CockroachDB (testdata/sql: the version's schema, the
// liveness check's cluster_settings, the ranges tables of
// crdb_<version>_health.sql and a scenario_health_* data set) and against
// httptest nodes serving /_status/vars and POST /_status/critical_nodes.
//
// Payloads: the real v20.2 captures for nodes 1-3 (shared fixtures), and
// hand-written ones in testdata/vars: health_v20_node4.txt (node 4 of the
// v20.2 quorum scenario, stores 4 and 5, nothing under-replicated) and
// health_v23_node{1..5}.txt (the healthy 5-node v23.2 scenario: 11 ranges,
// none under-replicated or unavailable). The vars check's
// v23_secure_node{1,2,3}_t0.txt report 1+0+2 under-replicated and 0+0+1
// unavailable ranges.

// fakeCRDBNode is one node's HTTP endpoint.
type fakeCRDBNode struct {
	srv           *httptest.Server
	critical      []byte // POST /_status/critical_nodes answer; nil: 404
	criticalCalls atomic.Int32
}

func newFakeCRDBNode(t *testing.T, varsFile, criticalFile string) *fakeCRDBNode {
	t.Helper()
	vars, err := os.ReadFile(varsFile)
	if err != nil {
		t.Fatal(err)
	}
	n := &fakeCRDBNode{}
	if criticalFile != "" {
		if n.critical, err = os.ReadFile(criticalFile); err != nil {
			t.Fatal(err)
		}
	}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_status/vars" && r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			_, _ = w.Write(vars)
		case r.URL.Path == "/_status/critical_nodes" && r.Method == http.MethodPost && n.critical != nil:
			n.criticalCalls.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(n.critical)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(n.srv.Close)
	return n
}

// closedURL is an address nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// healthDB loads a scenario into a new database and returns its URL.
func healthDB(t *testing.T, version string, scenarios ...string) (pg *pgtest.Server, db, url string) {
	t.Helper()
	pg = pgtest.Shared(t)
	db = sqlDB(t, pg, "health", append([]string{"crdb_" + version + ".sql", "crdb_" + version + "_liveness.sql", "crdb_" + version + "_health.sql"}, scenarios...)...)
	return pg, db, pg.URL(db)
}

func healthConfig(t *testing.T, sqlURL string, nodes ...string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: test
    sql_url: %s
    status_urls: [%s]
`, sqlURL, strings.Join(nodes, ", ")))
}

// runHealth runs the command and returns the exit status run() would give.
func runHealth(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := cmdHealth(context.Background(), args, &out, &errb)
	switch {
	case err == nil:
		code = 0
	case errors.Is(err, errUsage):
		code = 2
	default:
		code = 1
		fmt.Fprintf(&errb, "roachdog health: %v\n", err)
	}
	return code, out.String(), errb.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func v20Vars(t *testing.T, id int) string {
	return filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy", fmt.Sprintf("node%d_status_vars.txt", id))
}

func testVars(t *testing.T, name string) string {
	return filepath.Join(testenv.Testdata(t), "vars", name)
}

type healthCase struct {
	name  string
	setup string // SQL run on the scenario first
	args  []string
	code  int
	want  []string // substrings of stdout
	deny  []string // must not appear
	last  string   // the verdict line
}

func checkHealthCase(t *testing.T, tc healthCase, code int, stdout, stderr string) {
	t.Helper()
	if code != tc.code {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
	}
	for _, w := range tc.want {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", w, stdout, stderr)
		}
	}
	for _, d := range tc.deny {
		if strings.Contains(stdout, d) {
			t.Errorf("stdout has %q:\n%s", d, stdout)
		}
	}
	if tc.last != "" && lastLine(stdout) != tc.last {
		t.Errorf("last line %q, want %q", lastLine(stdout), tc.last)
	}
	// One line per finding.
	if _, block, ok := strings.Cut(stdout, "\nFindings:\n"); ok {
		block, _, _ = strings.Cut(block, "\n\n")
		for _, line := range strings.Split(block, "\n") {
			if !strings.HasPrefix(line, "  - ") {
				t.Errorf("findings line %q is not a finding of its own:\n%s", line, stdout)
			}
		}
	}
}

// TestHealthV20 runs the gate on the real 3-node v20.2 cluster (liveness
// in gossip_liveness, quorum computed from ranges_no_leases) as nodes
// change state.
func TestHealthV20(t *testing.T) {
	t.Parallel()
	var urls []string
	for id := 1; id <= 3; id++ {
		urls = append(urls, newFakeCRDBNode(t, v20Vars(t, id), "").srv.URL)
	}
	cases := []healthCase{{
		name: "healthy",
		code: 0,
		want: []string{
			"Cluster test (CockroachDB v20.2.0-beta.1-localbuild)\n",
			"Nodes (crdb_internal.gossip_liveness):\n",
			"  1     localhost:26258  live\n",
			"  3     localhost:26260  live\n",
			"Ranges (/_status/vars of 3/3 nodes): 41 total, 0 under-replicated, 0 unavailable\n",
			"Quorum (crdb_internal.ranges_no_leases, 41 ranges): no range loses quorum without any one node\n",
		},
		deny: []string{"Findings:"},
		last: "SAFE",
	}, {
		name: "healthy, node given",
		args: []string{"--node-id", "2"},
		code: 0,
		want: []string{", before stopping node 2\n", "no range loses quorum without node 2\n"},
		last: "SAFE",
	}, {
		// Stopped 20 s ago: suspect (time_until_store_dead is 1m15s). Its
		// voters no longer count, so nodes 1 and 2 become critical.
		name:  "one node suspect",
		setup: `UPDATE crdb_internal.gossip_liveness SET expiration = public.test_hlc('-20 seconds') WHERE node_id = 3`,
		code:  1,
		want: []string{
			"  3     localhost:26260  suspect\n",
			"  - node 3 (localhost:26260) is suspect\n",
			"  - stopping node 1 (localhost:26258) would lose quorum for 41 ranges\n",
			"  - stopping node 2 (localhost:26259) would lose quorum for 41 ranges\n",
		},
		last: "NOT SAFE: node 3 (localhost:26260) is suspect (and 2 more findings above)",
	}, {
		name:  "one node dead, the one to stop",
		setup: `UPDATE crdb_internal.gossip_liveness SET expiration = public.test_hlc('-10 minutes') WHERE node_id = 3`,
		args:  []string{"--node-id", "3"},
		code:  1,
		want:  []string{"  - node 3 (localhost:26260) is dead\n", "no range loses quorum without node 3\n"},
		deny:  []string{"stopping node 1"},
		last:  "NOT SAFE: node 3 (localhost:26260) is dead",
	}, {
		name:  "draining",
		setup: `UPDATE crdb_internal.gossip_liveness SET draining = true WHERE node_id = 2`,
		code:  1,
		// A draining node still votes: quorum holds.
		want: []string{"  - node 2 (localhost:26259) is draining\n", "no range loses quorum without any one node\n"},
		last: "NOT SAFE: node 2 (localhost:26259) is draining",
	}, {
		name:  "decommissioning",
		setup: `UPDATE crdb_internal.gossip_liveness SET decommissioning = true, membership = 'decommissioning' WHERE node_id = 1`,
		code:  1,
		want:  []string{"  - node 1 (localhost:26258) is decommissioning\n"},
	}, {
		// A decommissioned node, long gone: ignored.
		name: "decommissioned node ignored",
		setup: `INSERT INTO crdb_internal.gossip_liveness (node_id, epoch, expiration, draining, decommissioning, membership, updated_at)
			VALUES (4, 3, public.test_hlc('-2 days'), false, true, 'decommissioned', now()::timestamp)`,
		code: 0,
		want: []string{"  4     ?                decommissioned\n"},
		last: "SAFE",
	}, {
		name: "unknown node",
		args: []string{"--node-id", "9"},
		code: 1,
		want: []string{"  - node 9 is not in the cluster's liveness records (check --node-id)\n"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pg, db, url := healthDB(t, "v20.2", "scenario_health_v20.2.sql")
			if tc.setup != "" {
				pg.Exec(t, db, tc.setup)
			}
			cfg := healthConfig(t, url, urls...)
			code, stdout, stderr := runHealth(t, append([]string{"--config", cfg}, tc.args...)...)
			checkHealthCase(t, tc, code, stdout, stderr)
		})
	}
}

// TestHealthV20Quorum: ranges with two voters (one of them on a node with
// two stores) lose quorum when either voter's node stops; a learner does
// not vote.
func TestHealthV20Quorum(t *testing.T) {
	t.Parallel()
	var urls []string
	for id := 1; id <= 3; id++ {
		urls = append(urls, newFakeCRDBNode(t, v20Vars(t, id), "").srv.URL)
	}
	urls = append(urls, newFakeCRDBNode(t, testVars(t, "health_v20_node4.txt"), "").srv.URL)
	_, _, url := healthDB(t, "v20.2", "scenario_health_v20.2.sql", "scenario_health_v20.2_quorum.sql")
	cfg := healthConfig(t, url, urls...)

	cases := []healthCase{{
		name: "node 1",
		args: []string{"--node-id", "1"},
		code: 1,
		want: []string{
			"Ranges (/_status/vars of 4/4 nodes): 44 total, 0 under-replicated, 0 unavailable\n",
			"Quorum (crdb_internal.ranges_no_leases, 44 ranges): ranges losing quorum without: n1 (2 ranges)\n",
			"  - stopping node 1 (localhost:26258) would lose quorum for 2 ranges\n",
		},
		deny: []string{"stopping node 2", "stopping node 4"},
		last: "NOT SAFE: stopping node 1 (localhost:26258) would lose quorum for 2 ranges",
	}, {
		name: "node 2",
		args: []string{"--node-id", "2"},
		code: 1,
		last: "NOT SAFE: stopping node 2 (localhost:26259) would lose quorum for 1 range",
	}, {
		name: "node 4, two stores",
		args: []string{"--node-id", "4"},
		code: 1,
		last: "NOT SAFE: stopping node 4 (localhost:26261) would lose quorum for 3 ranges",
	}, {
		name: "node 3, learner only",
		args: []string{"--node-id", "3"},
		code: 0,
		want: []string{"no range loses quorum without node 3\n"},
		last: "SAFE",
	}, {
		name: "any node",
		code: 1,
		want: []string{
			"ranges losing quorum without: n1 (2 ranges), n2 (1 range), n4 (3 ranges)\n",
			"  - stopping node 1 (localhost:26258) would lose quorum for 2 ranges\n",
			"  - stopping node 2 (localhost:26259) would lose quorum for 1 range\n",
			"  - stopping node 4 (localhost:26261) would lose quorum for 3 ranges\n",
		},
		last: "NOT SAFE: stopping node 1 (localhost:26258) would lose quorum for 2 ranges (and 2 more findings above)",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runHealth(t, append([]string{"--config", cfg}, tc.args...)...)
			checkHealthCase(t, tc, code, stdout, stderr)
		})
	}

	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := runHealth(t, "--config", cfg, "--node-id", "4", "--format", "json")
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
		}
		var rep health.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout)
		}
		want := health.Report{
			Cluster: "test", Version: "CockroachDB v20.2.0-beta.1-localbuild", NodeID: 4,
			Safe: false, Verdict: "not_safe",
			Liveness: health.Liveness{Source: "crdb_internal.gossip_liveness"},
			Nodes: []health.Node{
				{NodeID: 1, Address: "localhost:26258", State: "live"}, {NodeID: 2, Address: "localhost:26259", State: "live"},
				{NodeID: 3, Address: "localhost:26260", State: "live"}, {NodeID: 4, Address: "localhost:26261", State: "live"},
			},
			Ranges: health.Ranges{Source: "/_status/vars", Total: 44, NodesScraped: 4, NodesTried: 4},
			Quorum: health.Quorum{
				Source: "crdb_internal.ranges_no_leases", RangesRead: 44,
				AtRisk: []health.Risk{{NodeID: 1, Ranges: 2}, {NodeID: 2, Ranges: 1}, {NodeID: 4, Ranges: 3}},
			},
			Findings: []string{"stopping node 4 (localhost:26261) would lose quorum for 3 ranges"},
		}
		if !reflect.DeepEqual(rep, want) {
			t.Errorf("report:\n%+v\nwant:\n%+v\n%s", rep, want, stdout)
		}
	})
}

// TestHealthV23 runs the gate on a 5-node v23.2 cluster: liveness from
// kv_node_liveness, quorum from POST /_status/critical_nodes, and over SQL
// (voting_replicas) when the endpoint is not there.
func TestHealthV23(t *testing.T) {
	t.Parallel()
	status := func(name string) string { return filepath.Join(testenv.Testdata(t), "status", name) }
	healthyVars := func(id int) string { return testVars(t, fmt.Sprintf("health_v23_node%d.txt", id)) }
	underVars := func(id int) string {
		if id <= 3 {
			return testVars(t, fmt.Sprintf("v23_secure_node%d_t0.txt", id))
		}
		return healthyVars(id)
	}
	cases := []struct {
		healthCase
		vars     func(id int) string
		critical string // file; "" = 404
		down     int    // node whose HTTP endpoint is closed
	}{{
		healthCase: healthCase{
			name: "healthy",
			code: 0,
			want: []string{
				"Cluster test (CockroachDB v23.2.0)\n",
				"Nodes (crdb_internal.kv_node_liveness):\n",
				"  5     10.0.0.5:26257  live\n",
				"Ranges (/_status/vars of 5/5 nodes): 11 total, 0 under-replicated, 0 unavailable\n",
				"Quorum (POST /_status/critical_nodes): no critical node\n",
			},
			last: "SAFE",
		},
		vars: healthyVars, critical: "critical_nodes_v23_healthy.json",
	}, {
		healthCase: healthCase{
			name: "under-replicated",
			code: 1,
			want: []string{
				"Ranges (/_status/vars of 5/5 nodes): 47 total, 3 under-replicated, 1 unavailable\n",
				"  - 3 ranges are under-replicated (sum of ranges_underreplicated over every node)\n",
				"  - 1 range is unavailable (sum of ranges_unavailable over every node)\n",
			},
			last: "NOT SAFE: 3 ranges are under-replicated (sum of ranges_underreplicated over every node) (and 1 more finding above)",
		},
		vars: underVars, critical: "critical_nodes_v23_healthy.json",
	}, {
		healthCase: healthCase{
			name: "critical node to stop",
			args: []string{"--node-id", "2"},
			code: 1,
			want: []string{"Quorum (POST /_status/critical_nodes): critical: n2 (3 ranges)\n"},
			last: "NOT SAFE: node 2 (10.0.0.2:26257) is critical (POST /_status/critical_nodes): it holds replicas of 3 under-replicated or unavailable ranges, which could lose quorum without it",
		},
		vars: healthyVars, critical: "critical_nodes_v23.json",
	}, {
		healthCase: healthCase{
			name: "node to stop not critical",
			args: []string{"--node-id", "1"},
			code: 0,
			want: []string{"Quorum (POST /_status/critical_nodes): node 1 is not critical\n"},
			last: "SAFE",
		},
		vars: healthyVars, critical: "critical_nodes_v23.json",
	}, {
		healthCase: healthCase{
			name: "critical nodes, any node",
			code: 1,
			want: []string{
				"Quorum (POST /_status/critical_nodes): critical: n2 (3 ranges), n3 (4 ranges)\n",
				"  - node 3 (10.0.0.3:26257) is critical (POST /_status/critical_nodes): it holds replicas of 4 under-replicated or unavailable ranges, which could lose quorum without it\n",
			},
		},
		vars: healthyVars, critical: "critical_nodes_v23.json",
	}, {
		// No critical_nodes endpoint: computed from voting_replicas. Node 2
		// is dead (its endpoint too): ranges 1-6, 71 and 72 keep voters on
		// nodes 1 and 3 only.
		healthCase: healthCase{
			name:  "computed over SQL, node 2 dead",
			setup: `UPDATE crdb_internal.kv_node_liveness SET expiration = public.test_hlc('-10 minutes') WHERE node_id = 2`,
			args:  []string{"--node-id", "1"},
			code:  1,
			want: []string{
				"Ranges (/_status/vars of 4/5 nodes): 8 total, 0 under-replicated, 0 unavailable\n",
				"Quorum (crdb_internal.ranges_no_leases, 11 ranges): ranges losing quorum without: n1 (8 ranges)\n",
				"  - POST /_status/critical_nodes failed, so quorum was computed over SQL: ",
				"  - node 2 (10.0.0.2:26257) is dead\n",
				"  - stopping node 1 (10.0.0.1:26257) would lose quorum for 8 ranges\n",
			},
			last: "NOT SAFE: node 2 (10.0.0.2:26257) is dead (and 1 more finding above)",
		},
		vars: healthyVars, down: 2,
	}, {
		healthCase: healthCase{
			name:  "computed over SQL, any node",
			setup: `UPDATE crdb_internal.kv_node_liveness SET expiration = public.test_hlc('-10 minutes') WHERE node_id = 2`,
			code:  1,
			want: []string{
				"ranges losing quorum without: n1 (8 ranges), n3 (10 ranges), n4 (2 ranges)\n",
				"  - stopping node 4 (10.0.0.4:26257) would lose quorum for 2 ranges\n",
			},
		},
		vars: healthyVars, down: 2,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var urls []string
			var nodes []*fakeCRDBNode
			for id := 1; id <= 5; id++ {
				crit := ""
				if tc.critical != "" {
					crit = status(tc.critical)
				}
				n := newFakeCRDBNode(t, tc.vars(id), crit)
				if id == tc.down {
					n.srv.Close()
				}
				nodes = append(nodes, n)
				urls = append(urls, n.srv.URL)
			}
			pg, db, url := healthDB(t, "v23.2", "scenario_health_v23.2.sql")
			if tc.setup != "" {
				pg.Exec(t, db, tc.setup)
			}
			code, stdout, stderr := runHealth(t, append([]string{"--config", healthConfig(t, url, urls...)}, tc.args...)...)
			checkHealthCase(t, tc.healthCase, code, stdout, stderr)
			if tc.critical != "" && nodes[0].criticalCalls.Load() != 1 {
				t.Errorf("critical_nodes asked %d times of the first node, want once", nodes[0].criticalCalls.Load())
			}
		})
	}
}

// TestHealthIncomplete: a node missing from status_urls, or nothing
// readable at all, is never SAFE.
func TestHealthIncomplete(t *testing.T) {
	t.Parallel()
	n1 := newFakeCRDBNode(t, v20Vars(t, 1), "")
	n2 := newFakeCRDBNode(t, v20Vars(t, 2), "")
	_, _, url := healthDB(t, "v20.2", "scenario_health_v20.2.sql")

	t.Run("live node not scraped", func(t *testing.T) {
		code, stdout, stderr := runHealth(t, "--config", healthConfig(t, url, n1.srv.URL, n2.srv.URL))
		checkHealthCase(t, healthCase{
			code: 1,
			want: []string{
				"Ranges (/_status/vars): could not determine: /_status/vars not read from running node(s) n3 (list every node in status_urls, or use discover: true)\n",
			},
			last: "NOT SAFE: could not determine range health: /_status/vars not read from running node(s) n3 (list every node in status_urls, or use discover: true)",
		}, code, stdout, stderr)
	})

	t.Run("no node answers", func(t *testing.T) {
		code, stdout, stderr := runHealth(t, "--config", healthConfig(t, url, "http://"+closedURL(t)))
		checkHealthCase(t, healthCase{
			code: 1,
			want: []string{"  - could not determine range health: no node's /_status/vars could be read (1 tried)\n"},
		}, code, stdout, stderr)
	})

	t.Run("cluster unreadable", func(t *testing.T) {
		sqlURL := "postgres://roachdog@" + closedURL(t) + "/defaultdb?sslmode=disable&connect_timeout=2"
		cfg := healthConfig(t, sqlURL, "http://"+closedURL(t))
		code, stdout, stderr := runHealth(t, "--config", cfg)
		checkHealthCase(t, healthCase{
			code: 1,
			want: []string{
				"Nodes: could not determine: ",
				"  - could not determine node liveness: ",
				"  - could not determine range health: ",
				"  - could not determine quorum: ",
			},
			last: "NOT SAFE: could not determine the cluster's health: nothing could be read (see the findings)",
		}, code, stdout, stderr)
		if !strings.Contains(stderr, "roachdog health: could not determine the cluster's health") {
			t.Errorf("stderr:\n%s", stderr)
		}

		code, stdout, _ = runHealth(t, "--config", cfg, "--format", "json")
		var rep health.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout)
		}
		if code != 1 || rep.Verdict != "unknown" || rep.Safe || len(rep.Findings) != 3 {
			t.Errorf("exit %d, report %+v", code, rep)
		}
	})

	// A node that never answers: the gate returns at --timeout with what it
	// could read.
	t.Run("hung node", func(t *testing.T) {
		hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		t.Cleanup(hung.Close)
		code, stdout, stderr := runHealth(t, "--config", healthConfig(t, url, n1.srv.URL, n2.srv.URL, hung.URL), "--timeout", "2s")
		checkHealthCase(t, healthCase{
			code: 1,
			want: []string{"  - could not determine range health: /_status/vars not read from running node(s) n3 (list every node in status_urls, or use discover: true): node " + hung.URL + ": scrape /_status/vars: "},
		}, code, stdout, stderr)
	})

	t.Run("no sql_url", func(t *testing.T) {
		cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: test
    status_urls: [%s, %s]
`, n1.srv.URL, n2.srv.URL))
		code, stdout, stderr := runHealth(t, "--config", cfg)
		checkHealthCase(t, healthCase{
			code: 1,
			want: []string{
				"  - could not determine node liveness: no sql_url configured for this cluster: node liveness is read over SQL\n",
				// Without liveness, two scraped nodes of two cannot be
				// known to be all of them, but nothing failed.
				"Ranges (/_status/vars of 2/2 nodes): 41 total, 0 under-replicated, 0 unavailable\n",
			},
		}, code, stdout, stderr)
	})
}

func TestHealthUsage(t *testing.T) {
	t.Parallel()
	one := healthConfig(t, "postgres://roachdog@127.0.0.1:1/defaultdb", "http://127.0.0.1:1")
	two := writeConfig(t, `init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: east
    status_urls: [http://127.0.0.1:1]
  - cluster: west
    status_urls: [http://127.0.0.1:2]
`)
	cases := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"unknown flag", []string{"--config", one, "--bogus"}, 2, "flag provided but not defined"},
		{"argument", []string{"--config", one, "extra"}, 2, `unexpected argument "extra"`},
		{"node id zero", []string{"--config", one, "--node-id", "0"}, 2, "--node-id must be a positive node ID"},
		{"node id negative", []string{"--config", one, "--node-id", "-3"}, 2, "--node-id must be a positive node ID"},
		{"timeout", []string{"--config", one, "--timeout", "0s"}, 2, "--timeout must be positive"},
		{"format", []string{"--config", one, "--format", "yaml"}, 2, `--format "yaml": want text or json`},
		{"several clusters", []string{"--config", two}, 2, "has 2 clusters; choose one with --cluster (east, west)"},
		{"unknown cluster", []string{"--config", two, "--cluster", "north"}, 2, `no cluster "north"`},
		{"missing config", []string{"--config", filepath.Join(t.TempDir(), "nope.yaml")}, 1, "read config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runHealth(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d (want %d), stdout %q, stderr:\n%s\nwant %q", code, tc.code, stdout, stderr, tc.want)
			}
		})
	}
}

// TestHealthClusterChoice: --cluster picks the instance to read.
func TestHealthClusterChoice(t *testing.T) {
	t.Parallel()
	var urls []string
	for id := 1; id <= 3; id++ {
		urls = append(urls, newFakeCRDBNode(t, v20Vars(t, id), "").srv.URL)
	}
	_, _, url := healthDB(t, "v20.2", "scenario_health_v20.2.sql")
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: other
    status_urls: [http://%s]
  - cluster: main
    sql_url: %s
    status_urls: [%s]
`, closedURL(t), url, strings.Join(urls, ", ")))
	code, stdout, stderr := runHealth(t, "--config", cfg, "--cluster", "main")
	checkHealthCase(t, healthCase{code: 0, want: []string{"Cluster main ("}, last: "SAFE"}, code, stdout, stderr)
}

// TestHealthDiscovery: with discover: true the nodes to scrape come from
// SQL (gossip_nodes addresses, --http-addr from kv_node_status.args), not
// from the stale status_urls.
func TestHealthDiscovery(t *testing.T) {
	t.Parallel()
	pg, db, url := healthDB(t, "v20.2", "scenario_health_v20.2.sql")
	for id := 1; id <= 3; id++ {
		n := newFakeCRDBNode(t, v20Vars(t, id), "")
		rpc := fmt.Sprintf("127.0.0.1:%d", 26256+id)
		pg.Exec(t, db, fmt.Sprintf(`UPDATE crdb_internal.gossip_nodes SET address = '%s', advertise_address = '%s' WHERE node_id = %d`, rpc, rpc, id))
		pg.Exec(t, db, fmt.Sprintf(`INSERT INTO crdb_internal.kv_node_status (node_id, network, address, attrs, locality, server_version, go_version, tag, "time", revision, cgo_compiler, platform, distribution, type, dependencies, started_at, updated_at, metrics, args, env, activity)
			SELECT node_id, network, address, attrs, locality, server_version, 'go1.15.15', build_tag, '', '', '', '', 'CCL', '', '', started_at, started_at, '{}', '["start", "--insecure", "--http-addr=%s"]', '[]', '{}'
			FROM crdb_internal.gossip_nodes WHERE node_id = %d`, strings.TrimPrefix(n.srv.URL, "http://"), id))
	}
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: disco
    discover: true
    sql_url: %s
    status_urls: [http://%s]
`, url, closedURL(t)))
	code, stdout, stderr := runHealth(t, "--config", cfg)
	checkHealthCase(t, healthCase{
		code: 0,
		want: []string{
			"  2     127.0.0.1:26258  live\n",
			"Ranges (/_status/vars of 3/3 nodes): 41 total, 0 under-replicated, 0 unavailable\n",
		},
		last: "SAFE",
	}, code, stdout, stderr)
}
