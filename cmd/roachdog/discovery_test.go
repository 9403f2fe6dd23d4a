package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// TestRunOnceDiscoversNodesThroughSQL: with discover: true and no usable
// status_urls, roachdog reads the node list from crdb_internal (a real
// PostgreSQL loaded with the v20.2 tables and the real 3-node rows, with the
// nodes' --http-addr pointed at local servers) and scrapes every node, tagged
// with the locality the cluster reports.
func TestRunOnceDiscoversNodesThroughSQL(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	pg := pgtest.Shared(t)
	db := sqlDB(t, pg, "discovery", "crdb_v20.2.sql", "seed_v20.2_healthy.sql")
	for id := 1; id <= 3; id++ {
		n := newFakeNode(t, filepath.Join(dir, fmt.Sprintf("node%d_status_vars.txt", id)))
		hostPort := strings.TrimPrefix(n.srv.URL, "http://")
		pg.Exec(t, db, fmt.Sprintf(`UPDATE crdb_internal.gossip_nodes SET address = '127.0.0.1:%d', advertise_address = '127.0.0.1:%d' WHERE node_id = %d`, 26256+id, 26256+id, id))
		pg.Exec(t, db, fmt.Sprintf(`UPDATE crdb_internal.kv_node_status SET args = '["start", "--insecure", "--http-addr=%s"]'::jsonb WHERE node_id = %d`, hostPort, id))
	}
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: disco
    discover: true
    sql_url: %s
    # A stale first guess: discovery replaces it.
    status_urls: [http://127.0.0.1:1]
    # Only discovery and vars here; the SQL checks have their own tests.
    checks: {liveness: {enabled: false}, ranges: {enabled: false}, jobs: {enabled: false}, ttl: {enabled: false}, schema: {enabled: false}}
`, pg.URL(db)))
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "--once", "--dry-run", "--config", cfg}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	snap, err := dsdtest.Parse(stdout.String())
	if err != nil {
		t.Fatalf("dry-run output: %v", err)
	}
	for id, zone := range map[int]string{1: "a", 2: "b", 3: "c"} {
		up := snap.FindMetrics("crdb.node.up", "cluster:disco", fmt.Sprintf("node_id:%d", id), "region:us-east", "zone:"+zone)
		if len(up) != 1 || up[0].Value != 1 {
			t.Errorf("node %d: crdb.node.up with locality tags = %+v\nstderr:\n%s", id, up, stderr.String())
		}
	}
	if got := snap.FindMetrics("crdb.cluster.nodes.targets"); len(got) != 1 || got[0].Value != 3 {
		t.Errorf("crdb.cluster.nodes.targets = %+v, want 3 (the stale status_url must be gone)", got)
	}
}
