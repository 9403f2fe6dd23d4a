package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roachdog/roachdog/internal/pgtest"
)

// fakeClock is the discovery's clock in tests: refresh intervals pass
// without sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 22, 2, 45, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestDiscovery(t *testing.T, db *DB, opts DiscoveryOptions) (*Discovery, *fakeClock, *logBuffer) {
	t.Helper()
	logger, logs := testLogger(t)
	d := NewDiscovery(db, opts, logger)
	clock := newFakeClock()
	d.now = clock.Now
	return d, clock, logs
}

func mustNodes(t *testing.T, d *Discovery) []Node {
	t.Helper()
	nodes, err := d.Nodes(ctxT(t))
	if err != nil {
		t.Fatalf("Nodes: %v", err)
	}
	return nodes
}

// nodesRefreshed calls Nodes, which serves a stale list at once and
// refreshes it in the background, waits for that refresh, and returns what
// Nodes says after it.
func nodesRefreshed(t *testing.T, d *Discovery) ([]Node, error) {
	t.Helper()
	_, _ = d.Nodes(ctxT(t))
	d.mu.Lock()
	inflight := d.inflight
	d.mu.Unlock()
	if inflight != nil {
		select {
		case <-inflight:
		case <-time.After(30 * time.Second):
			t.Fatal("background refresh still running after 30s")
		}
	}
	return d.Nodes(ctxT(t))
}

func mustNodesRefreshed(t *testing.T, d *Discovery) []Node {
	t.Helper()
	nodes, err := nodesRefreshed(t, d)
	if err != nil {
		t.Fatalf("Nodes: %v", err)
	}
	return nodes
}

func urls(nodes []Node) map[int]string {
	m := map[int]string{}
	for _, n := range nodes {
		m[n.ID] = n.StatusURL
	}
	return m
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// testNode is a node to add to an emulated cluster.
type testNode struct {
	id         int
	address    string
	locality   string
	started    string   // gossip_nodes.started_at
	membership string   // "" for no gossip_liveness row
	args       []string // nil for no kv_node_status row
}

func addNode(t *testing.T, srv *pgtest.Server, db string, n testNode) {
	t.Helper()
	if n.started == "" {
		n.started = "2026-11-22 02:50:00"
	}
	sql := fmt.Sprintf(`INSERT INTO crdb_internal.gossip_nodes VALUES
	(%d, 'tcp', %[2]s, %[2]s, 'tcp', %[2]s, %[2]s, '[]', %s, '', '23.2', 'v23.2.0', %s, true, 0, 0);`,
		n.id, sqlQuote(n.address), sqlQuote(n.locality), sqlQuote(n.started))
	if n.membership != "" {
		sql += fmt.Sprintf(`INSERT INTO crdb_internal.gossip_liveness VALUES (%d, 1, '1795315514.749737273,0', false, %t, %s, now());`,
			n.id, n.membership != "active", sqlQuote(n.membership))
	}
	if n.args != nil {
		js, err := json.Marshal(n.args)
		if err != nil {
			t.Fatal(err)
		}
		sql += fmt.Sprintf(`INSERT INTO crdb_internal.kv_node_status VALUES
	(%d, 'tcp', %s, '[]', %s, '23.2', 'go1.21.5', 'v23.2.0', '', '', '', '', 'CCL', '', '', %s, %[4]s, '{}', %s::jsonb, '[]', '{}');`,
			n.id, sqlQuote(n.address), sqlQuote(n.locality), sqlQuote(n.started), sqlQuote(string(js)))
	}
	srv.Exec(t, db, sql)
}

// The real v20.2 cluster of the fixtures: nodes, HTTP ports from
// --http-addr, locality tiers.
var v202Nodes = []Node{
	{ID: 1, StatusURL: "http://localhost:8081", Locality: []Tier{{"region", "us-east"}, {"zone", "a"}}},
	{ID: 2, StatusURL: "http://localhost:8082", Locality: []Tier{{"region", "us-east"}, {"zone", "b"}}},
	{ID: 3, StatusURL: "http://localhost:8083", Locality: []Tier{{"region", "us-east"}, {"zone", "c"}}},
}

func v202Cluster(t *testing.T) (*pgtest.Server, string, *DB) {
	t.Helper()
	srv := pgtest.Shared(t)
	dbName := schemaDB(t, srv, "crdb_v20.2.sql", "seed_v20.2_healthy.sql")
	return srv, dbName, openDB(t, srv.URL(dbName), nil)
}

// grantRead lets role read the emulated crdb_internal tables.
func grantRead(t *testing.T, srv *pgtest.Server, db, role string) {
	t.Helper()
	r := pgx.Identifier{role}.Sanitize()
	srv.Exec(t, db, fmt.Sprintf("GRANT USAGE ON SCHEMA crdb_internal TO %[1]s; GRANT SELECT ON ALL TABLES IN SCHEMA crdb_internal TO %[1]s", r))
}

func TestDiscoveryV202Healthy(t *testing.T) {
	t.Parallel()
	_, _, db := v202Cluster(t)
	d, _, logs := newTestDiscovery(t, db, DiscoveryOptions{HTTPPort: 9999})
	got := mustNodes(t, d)
	if !reflect.DeepEqual(got, v202Nodes) {
		t.Fatalf("Nodes() =\n%+v\nwant\n%+v", got, v202Nodes)
	}
	if !strings.Contains(logs.String(), "discovered nodes") {
		t.Errorf("first discovery not logged:\n%s", logs)
	}
	// Callers own the returned slice.
	got[0].StatusURL = "mutated"
	got[0].Locality[0].Value = "mutated"
	if again := mustNodes(t, d); !reflect.DeepEqual(again, v202Nodes) {
		t.Fatalf("the cache was mutated through a returned slice: %+v", again)
	}
}

func TestDiscoveryFollowsJoinsAndDecommissions(t *testing.T) {
	t.Parallel()
	srv, dbName, db := v202Cluster(t)
	d, clock, logs := newTestDiscovery(t, db, DiscoveryOptions{RefreshInterval: time.Minute})
	mustNodes(t, d)

	addNode(t, srv, dbName, testNode{id: 4, address: "roach4:26257", locality: "region=us-west,zone=d", membership: "active",
		args: []string{"/cockroach/cockroach", "start", "--insecure", "--http-addr=:9090", "--locality=region=us-west,zone=d"}})

	clock.Advance(59 * time.Second)
	if got := mustNodes(t, d); len(got) != 3 {
		t.Fatalf("list refreshed before the interval: %v", urls(got))
	}
	clock.Advance(2 * time.Second)
	if got := mustNodes(t, d); len(got) != 3 {
		t.Fatalf("a stale list is served at once while it is refreshed: got %v", urls(got))
	}
	got := mustNodesRefreshed(t, d)
	want := append(append([]Node(nil), v202Nodes...),
		Node{ID: 4, StatusURL: "http://roach4:9090", Locality: []Tier{{"region", "us-west"}, {"zone", "d"}}})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after node 4 joined:\n%+v\nwant\n%+v", got, want)
	}
	if !strings.Contains(logs.String(), "node 4 joined: http://roach4:9090") {
		t.Errorf("join not logged:\n%s", logs)
	}

	srv.Exec(t, dbName, "UPDATE crdb_internal.gossip_liveness SET membership = 'decommissioned', decommissioning = true WHERE node_id = 3")
	clock.Advance(time.Minute)
	if got := urls(mustNodesRefreshed(t, d)); !reflect.DeepEqual(got, map[int]string{1: "http://localhost:8081", 2: "http://localhost:8082", 4: "http://roach4:9090"}) {
		t.Fatalf("after decommissioning node 3: %v", got)
	}
	if !strings.Contains(logs.String(), "node 3 left (decommissioned): http://localhost:8083") {
		t.Errorf("removal not logged:\n%s", logs)
	}

	// Decommissioning (not yet decommissioned) nodes still serve metrics.
	srv.Exec(t, dbName, "UPDATE crdb_internal.gossip_liveness SET membership = 'decommissioning', decommissioning = true WHERE node_id = 2")
	srv.Exec(t, dbName, "DELETE FROM crdb_internal.gossip_nodes WHERE node_id = 4")
	clock.Advance(time.Minute)
	if got := urls(mustNodesRefreshed(t, d)); !reflect.DeepEqual(got, map[int]string{1: "http://localhost:8081", 2: "http://localhost:8082"}) {
		t.Fatalf("after node 4 vanished from gossip: %v", got)
	}
	if !strings.Contains(logs.String(), "node 4 left (gone from gossip)") {
		t.Errorf("removal not logged:\n%s", logs)
	}
}

func TestDiscoveryFallsBackWithoutKVNodeStatus(t *testing.T) {
	t.Parallel()
	srv, dbName, db := v202Cluster(t)
	srv.Exec(t, dbName, "DROP TABLE crdb_internal.kv_node_status")
	d, _, logs := newTestDiscovery(t, db, DiscoveryOptions{HTTPPort: 18080, Scheme: "HTTPS"})
	got := urls(mustNodes(t, d))
	want := map[int]string{1: "https://localhost:18080", 2: "https://localhost:18080", 3: "https://localhost:18080"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Nodes() = %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "cannot read node command lines") {
		t.Errorf("fallback not logged:\n%s", logs)
	}
}

func TestDiscoveryReadsArgsOnlyForNewOrRestartedNodes(t *testing.T) {
	t.Parallel()
	srv, dbName, db := v202Cluster(t)
	d, clock, _ := newTestDiscovery(t, db, DiscoveryOptions{HTTPPort: 18080})
	mustNodes(t, d)

	// kv_node_status now fails; known nodes keep their ports from the cache.
	srv.Exec(t, dbName, "ALTER TABLE crdb_internal.kv_node_status RENAME TO kv_node_status_gone")
	clock.Advance(time.Hour)
	if got := mustNodesRefreshed(t, d); !reflect.DeepEqual(got, v202Nodes) {
		t.Fatalf("cached ports lost: %v", urls(got))
	}

	// Node 2 restarts (new started_at): its command line may have changed
	// and cannot be read, so it falls back to the configured port.
	srv.Exec(t, dbName, "UPDATE crdb_internal.gossip_nodes SET started_at = '2026-11-22 03:00:00' WHERE node_id = 2")
	clock.Advance(time.Hour)
	want := map[int]string{1: "http://localhost:8081", 2: "http://localhost:18080", 3: "http://localhost:8083"}
	if got := urls(mustNodesRefreshed(t, d)); !reflect.DeepEqual(got, want) {
		t.Fatalf("after node 2 restarted: %v, want %v", got, want)
	}

	// Readable again: node 2's real port comes back.
	srv.Exec(t, dbName, "ALTER TABLE crdb_internal.kv_node_status_gone RENAME TO kv_node_status")
	clock.Advance(time.Hour)
	if got := mustNodesRefreshed(t, d); !reflect.DeepEqual(got, v202Nodes) {
		t.Fatalf("after kv_node_status came back: %v", urls(got))
	}
}

func TestDiscoveryStatusQueryTimeout(t *testing.T) {
	t.Parallel()
	srv, dbName, db := v202Cluster(t)
	// An unhealthy cluster's kv_node_status RPC hangs.
	srv.Exec(t, dbName, `ALTER TABLE crdb_internal.kv_node_status RENAME TO kv_node_status_data;
CREATE VIEW crdb_internal.kv_node_status AS SELECT s.* FROM crdb_internal.kv_node_status_data s, pg_sleep(30)`)
	d, _, _ := newTestDiscovery(t, db, DiscoveryOptions{StatusTimeout: 200 * time.Millisecond})
	got := urls(mustNodes(t, d))
	want := map[int]string{1: "http://localhost:8080", 2: "http://localhost:8080", 3: "http://localhost:8080"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Nodes() = %v, want %v", got, want)
	}
}

func TestDiscoveryKeepsLastGoodListWhenSQLFails(t *testing.T) {
	t.Parallel()
	srv := pgtest.Start(t)
	dbName := schemaDB(t, srv, "crdb_v20.2.sql", "seed_v20.2_healthy.sql")
	const password = "Disc0-Secret-Pw"
	user := createRole(t, srv, "disco", password)
	grantRead(t, srv, dbName, user)
	db := openDB(t, srv.UserURL(dbName, user, password), nil)
	d, clock, logs := newTestDiscovery(t, db, DiscoveryOptions{RefreshInterval: time.Minute, Seeds: []string{"http://seed:8080/"}})
	mustNodes(t, d)

	srv.Kill(t)
	clock.Advance(time.Minute)
	got, err := nodesRefreshed(t, d)
	if err == nil {
		t.Fatal("no error with the server down")
	}
	if !reflect.DeepEqual(got, v202Nodes) {
		t.Fatalf("with the server down: %v, want the last good list", urls(got))
	}
	if strings.Contains(err.Error(), password) || strings.Contains(logs.String(), password) {
		t.Fatalf("password leaked: %v", err)
	}
	if !strings.Contains(err.Error(), "discover nodes via SQL") || !strings.Contains(err.Error(), "xxxxx") {
		t.Errorf("error %q should say what failed and name the redacted URL", err)
	}

	// Failures are not retried at once: the same error is served for a while.
	got2, err2 := d.Nodes(ctxT(t))
	if err2 != err || !reflect.DeepEqual(got2, v202Nodes) {
		t.Fatalf("within the retry delay: %v, %v; want the cached failure", urls(got2), err2)
	}

	srv.Restart(t)
	clock.Advance(maxRetryDelay)
	if got := mustNodesRefreshed(t, d); !reflect.DeepEqual(got, v202Nodes) {
		t.Fatalf("after recovery: %v", urls(got))
	}
	if !strings.Contains(logs.String(), "node discovery recovered") {
		t.Errorf("recovery not logged:\n%s", logs)
	}
}

func TestDiscoveryUsesSeedsUntilFirstSuccess(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	dbName := schemaDB(t, srv, "crdb_v20.2.sql", "seed_v20.2_healthy.sql")
	const password = "Seed-Secret-Pw-9"
	user := createRole(t, srv, "seed", password)
	grantRead(t, srv, dbName, user)

	db := openDB(t, srv.UserURL(dbName, user, "wrong-"+password), nil)
	d, _, logs := newTestDiscovery(t, db, DiscoveryOptions{Seeds: []string{" http://seed1:8080/", "http://seed2:8080", ""}})
	got, err := d.Nodes(ctxT(t))
	want := []Node{{StatusURL: "http://seed1:8080"}, {StatusURL: "http://seed2:8080"}}
	if err == nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Nodes() = %+v, %v; want the seeds and an error", got, err)
	}
	if strings.Contains(err.Error(), password) || strings.Contains(logs.String(), password) {
		t.Fatalf("password leaked: %v", err)
	}

	// An empty gossip table is a failure too, not an empty cluster.
	empty := openDB(t, srv.URL(schemaDB(t, srv, "crdb_v20.2.sql")), nil)
	d2, _, _ := newTestDiscovery(t, empty, DiscoveryOptions{Seeds: []string{"http://seed1:8080"}})
	got, err = d2.Nodes(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "no nodes") || len(got) != 1 {
		t.Fatalf("empty gossip: %+v, %v", got, err)
	}
}

func TestDiscoveryKeepsListWhenEveryNodeIsDecommissioned(t *testing.T) {
	t.Parallel()
	srv, dbName, db := v202Cluster(t)
	d, clock, _ := newTestDiscovery(t, db, DiscoveryOptions{})
	mustNodes(t, d)
	srv.Exec(t, dbName, "UPDATE crdb_internal.gossip_liveness SET membership = 'decommissioned'")
	clock.Advance(time.Hour)
	got, err := nodesRefreshed(t, d)
	if err == nil || !strings.Contains(err.Error(), "none of the 3 gossiped nodes") || !reflect.DeepEqual(got, v202Nodes) {
		t.Fatalf("all decommissioned: %v, %v; want the last good list and an error", urls(got), err)
	}
}

func TestDiscoveryHonoursContext(t *testing.T) {
	t.Parallel()
	_, _, db := v202Cluster(t)
	d, _, _ := newTestDiscovery(t, db, DiscoveryOptions{Seeds: []string{"http://seed:8080"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := d.Nodes(ctx)
	if err == nil || len(got) != 1 || got[0].StatusURL != "http://seed:8080" {
		t.Fatalf("cancelled context: %+v, %v; want the seeds and an error", got, err)
	}
}

func TestDiscoveryV232(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	dbName := schemaDB(t, srv, "crdb_v23.2.sql")
	for _, n := range []testNode{
		// IPv6 everywhere, listening on all addresses.
		{id: 1, address: "[fd00::1]:26257", locality: "region=eu-west1,zone=eu-west1-b", membership: "active",
			args: []string{"cockroach", "start", "--advertise-addr=[fd00::1]:26257", "--http-addr=[::]:8080"}},
		// The advertised HTTP address wins (its port too).
		{id: 2, address: "roach2:26257", locality: "region=eu-west1,zone=eu-west1-c", membership: "active",
			args: []string{"cockroach", "start", "--http-addr=0.0.0.0:8080", "--advertise-http-addr=roach2.example.com:8443"}},
		// Two-argument flag form; listen host 0.0.0.0 is not advertised.
		{id: 3, address: "10.0.0.3:26257", locality: "region=eu-west1,zone=eu-west1-d", membership: "active",
			args: []string{"cockroach", "start", "--http-addr", "0.0.0.0:8090"}},
		// No kv_node_status row: the configured port.
		{id: 4, address: "roach4:26257", locality: "region=eu-west1", membership: "active"},
		// Decommissioned: dropped.
		{id: 5, address: "roach5:26257", locality: "region=eu-west1", membership: "decommissioned",
			args: []string{"cockroach", "start"}},
		// No liveness row yet (gossip lags): kept; no HTTP flag: port 8080.
		{id: 6, address: "roach6:26257", locality: "", args: []string{"cockroach", "start-single-node"}},
		// Args that are not a string array: the configured port.
		{id: 7, address: "roach7:26257", locality: "region=eu-west1", membership: "decommissioning",
			args: nil},
	} {
		addNode(t, srv, dbName, n)
	}
	srv.Exec(t, dbName, `INSERT INTO crdb_internal.kv_node_status
	SELECT 7, network, 'roach7:26257', attrs, locality, server_version, go_version, tag, "time", revision, cgo_compiler,
	       platform, distribution, type, dependencies, started_at, updated_at, metrics, '{"not": "an array"}', env, activity
	FROM crdb_internal.kv_node_status WHERE node_id = 1`)

	db := openDB(t, srv.URL(dbName), nil)
	if v := db.Server().Version; v.Raw != "v23.2.0" {
		t.Fatalf("emulated version = %v, want v23.2.0", v)
	}
	d, _, _ := newTestDiscovery(t, db, DiscoveryOptions{Scheme: "https", HTTPPort: 8181})
	got := mustNodes(t, d)
	want := []Node{
		{ID: 1, StatusURL: "https://[fd00::1]:8080", Locality: []Tier{{"region", "eu-west1"}, {"zone", "eu-west1-b"}}},
		{ID: 2, StatusURL: "https://roach2.example.com:8443", Locality: []Tier{{"region", "eu-west1"}, {"zone", "eu-west1-c"}}},
		{ID: 3, StatusURL: "https://10.0.0.3:8090", Locality: []Tier{{"region", "eu-west1"}, {"zone", "eu-west1-d"}}},
		{ID: 4, StatusURL: "https://roach4:8181", Locality: []Tier{{"region", "eu-west1"}}},
		{ID: 6, StatusURL: "https://roach6:8080"},
		{ID: 7, StatusURL: "https://roach7:8181", Locality: []Tier{{"region", "eu-west1"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Nodes() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestDiscoveryConcurrentCallers(t *testing.T) {
	t.Parallel()
	srv, dbName, db := v202Cluster(t)
	d, clock, _ := newTestDiscovery(t, db, DiscoveryOptions{RefreshInterval: time.Second})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 8; j++ {
				if i == 0 {
					clock.Advance(700 * time.Millisecond)
				}
				nodes, err := d.Nodes(ctxT(t))
				if err != nil {
					errs <- err
					return
				}
				if len(nodes) < 3 {
					errs <- fmt.Errorf("%d nodes", len(nodes))
				}
			}
		}(i)
	}
	addNode(t, srv, dbName, testNode{id: 9, address: "roach9:26257", membership: "active"})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHTTPAddrFromArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		rpcHost string
		want    string
	}{
		{"fixture node 1", []string{"/usr/local/bin/cockroach", "start", "--insecure", "--store=/var/lib/cockroach/n1",
			"--listen-addr=localhost:26258", "--http-addr=localhost:8081", "--join=localhost:26258,localhost:26259,localhost:26260",
			"--locality=region=us-east,zone=a"}, "localhost", "localhost:8081"},
		{"no flags: CockroachDB's default port", []string{"cockroach", "start"}, "roach1", "roach1:8080"},
		{"port only", []string{"cockroach", "start", "--http-addr=:9000"}, "roach1", "roach1:9000"},
		{"host only keeps the default port", []string{"cockroach", "start", "--http-addr=10.1.1.1"}, "roach1", "roach1:8080"},
		{"listen host is not advertised", []string{"cockroach", "start", "--http-addr=10.1.1.1:9000"}, "roach1", "roach1:9000"},
		{"unspecified v4", []string{"cockroach", "start", "--http-addr=0.0.0.0:9000"}, "10.0.0.1", "10.0.0.1:9000"},
		{"unspecified v6", []string{"cockroach", "start", "--http-addr=[::]:9000"}, "fd00::5", "[fd00::5]:9000"},
		{"separate value", []string{"cockroach", "start", "--http-addr", ":9001"}, "h", "h:9001"},
		{"last wins", []string{"cockroach", "start", "--http-addr=:1", "--http-addr=:2"}, "h", "h:2"},
		{"deprecated --http-port", []string{"cockroach", "start", "--http-addr=:1", "--http-port=9002"}, "h", "h:9002"},
		{"--http-port separate", []string{"cockroach", "start", "--http-port", "9003"}, "h", "h:9003"},
		{"advertise host and port", []string{"cockroach", "start", "--http-addr=:1", "--advertise-http-addr=adv:2"}, "h", "adv:2"},
		{"advertise host, port from --http-addr", []string{"cockroach", "start", "--http-addr=:1234", "--advertise-http-addr=adv"}, "h", "adv:1234"},
		{"advertise port only", []string{"cockroach", "start", "--advertise-http-addr=:4444"}, "h", "h:4444"},
		{"advertise v6", []string{"cockroach", "start", "--advertise-http-addr=[fd00::9]:8443"}, "h", "[fd00::9]:8443"},
		{"flags after -- are not flags", []string{"cockroach", "start", "--", "--http-addr=:9"}, "h", "h:8080"},
		{"missing value", []string{"cockroach", "start", "--http-addr"}, "h", "h:8080"},
		{"lookalike flag", []string{"cockroach", "start", "--http-addr-x=:9"}, "h", "h:8080"},
		{"empty", nil, "h", "h:8080"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := httpAddrFromArgs(tc.args).hostPort(tc.rpcHost); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitHost(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"roach1:26257":    "roach1",
		"[fd00::1]:26257": "fd00::1",
		"[fd00::1]":       "fd00::1",
		"10.0.0.1":        "10.0.0.1",
		"":                "",
		":26257":          "",
	} {
		got, ok := splitHost(in)
		if got != want || ok != (want != "") {
			t.Errorf("splitHost(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// openMuteDB opens a pool on a server that accepts connections and never
// answers a statement: the hanging SQL endpoint. Opening does not wait for it.
func openMuteDB(t *testing.T) *DB {
	t.Helper()
	url, _ := startMuteServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	logger, _ := testLogger(t)
	db, err := OpenDB(ctx, url, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// TestDiscoveryFirstCallWaitsAtMostHalf: before any list is known, the
// first callers wait for the first refresh, but never more than half of
// their remaining time: a hanging SQL endpoint leaves them the seeds and
// the other half of their budget for their own work.
func TestDiscoveryFirstCallWaitsAtMostHalf(t *testing.T) {
	t.Parallel()
	db := openMuteDB(t)
	d, _, _ := newTestDiscovery(t, db, DiscoveryOptions{Seeds: []string{"http://seed1:8080", "http://seed2:8080"}})
	defer d.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
	defer cancel()
	got, err := d.Nodes(ctx)
	if ctx.Err() != nil {
		t.Fatal("Nodes used the caller's whole budget waiting for SQL")
	}
	if err == nil || !strings.Contains(err.Error(), "first refresh not done") || len(got) != 2 {
		t.Fatalf("Nodes = %v, %v; want the 2 seeds and an error saying the refresh is still running", got, err)
	}
}

// TestDiscoveryNeverWaitsForAHangingSQL: once a list is known, a stale list
// is served at once while SQL hangs (a refresh in the caller's path would
// eat its budget, and vars would report every healthy node down); the
// background refresh is bounded by RefreshTimeout, and Close stops it.
func TestDiscoveryNeverWaitsForAHangingSQL(t *testing.T) {
	t.Parallel()
	srv, dbName, db := v202Cluster(t)
	d, clock, logs := newTestDiscovery(t, db, DiscoveryOptions{RefreshInterval: time.Minute, RefreshTimeout: time.Minute})
	defer d.Close()
	mustNodes(t, d)
	// gossip_nodes now hangs, as on a cluster that lost quorum on its
	// system ranges.
	srv.Exec(t, dbName, `ALTER TABLE crdb_internal.gossip_nodes RENAME TO gossip_nodes_data;
CREATE VIEW crdb_internal.gossip_nodes AS SELECT g.* FROM crdb_internal.gossip_nodes_data g, pg_sleep(60)`)
	clock.Advance(2 * time.Minute)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	got, err := d.Nodes(ctx)
	if err != nil || ctx.Err() != nil || !reflect.DeepEqual(got, v202Nodes) {
		t.Fatalf("Nodes = %v, %v (caller's context: %v); want the last list at once", urls(got), err, ctx.Err())
	}
	d.mu.Lock()
	inflight := d.inflight
	d.mu.Unlock()
	if inflight == nil {
		t.Fatal("no background refresh started for the stale list")
	}

	closed := make(chan struct{})
	go func() { d.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(15 * time.Second):
		t.Fatal("Close did not stop the refresh in flight")
	}
	if got, _ := d.Nodes(ctx); !reflect.DeepEqual(got, v202Nodes) {
		t.Errorf("after Close: %v, want the last list", urls(got))
	}
	if strings.Contains(logs.String(), "node discovery failed") {
		t.Errorf("a refresh stopped by Close was logged as a discovery failure:\n%s", logs)
	}

	// RefreshTimeout bounds a refresh that nobody waits for.
	d2, _, _ := newTestDiscovery(t, db, DiscoveryOptions{RefreshTimeout: 300 * time.Millisecond,
		Seeds: []string{"http://seed:8080"}})
	defer d2.Close()
	got, err = d2.Refresh(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "timeout") || len(got) != 1 {
		t.Errorf("Refresh against a hanging query = %v, %v; want the seeds and a timeout", urls(got), err)
	}
}
