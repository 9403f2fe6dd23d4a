package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/faultnet"
	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// gatewayOutage is how long the SQL gateway refuses connections in
// TestSQLGatewayOutage: short by default so the test is fast;
// ROACHDOG_TEST_GATEWAY_OUTAGE=1m runs the real minute.
func gatewayOutage(t *testing.T) time.Duration {
	v := os.Getenv("ROACHDOG_TEST_GATEWAY_OUTAGE")
	if v == "" {
		return 2 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("ROACHDOG_TEST_GATEWAY_OUTAGE: %v", err)
	}
	return d
}

// TestSQLGatewayOutage: the SQL gateway (a TCP proxy in front of the test
// PostgreSQL) refuses connections and cuts the open ones for a while, then
// comes back on the same address. Meanwhile the SQL checks report
// sql.can_query CRITICAL and the vars check goes on; once it is back they
// resume by the first cycle that starts after it (at most the one in flight
// fails), in the same process.
func TestSQLGatewayOutage(t *testing.T) {
	t.Parallel()
	pg := pgtest.Shared(t)
	db := sqlDB(t, pg, "gateway", "crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql")
	gw := faultnet.Start(t, fmt.Sprintf("127.0.0.1:%d", pg.Port()))
	sqlURL := strings.Replace(pg.URL(db), fmt.Sprintf("127.0.0.1:%d", pg.Port()), gw.Addr(), 1)
	node := newFakeNode(t, filepath.Join(testenv.Testdata(t), "vars", "v23_secure_node1_t0.txt"))
	dsd := dsdtest.Listen(t)
	listen := freeAddr(t)
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://%s
  listen_address: %s
instances:
  - cluster: gw
    sql_url: %s
    status_urls: [%s]
    min_collection_interval: 0.5
    checks: {liveness: {timeout: 0.4}, ranges: {enabled: false}, jobs: {enabled: false}, ttl: {enabled: false}, schema: {enabled: false}}
    custom_queries:
      - metric_prefix: gw
        query: SELECT 1
        columns: [{name: one, type: gauge}]
`, dsd.Addr(), listen, sqlURL, node.srv.URL))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"run", "--config", cfg}, &bytes.Buffer{}, stderr) }()

	canQuery := func(check string, status int) func(dsdtest.Snapshot) bool {
		return func(s dsdtest.Snapshot) bool {
			for _, sc := range s.FindServiceChecks("crdb.sql.can_query", "cluster:gw", "check:"+check) {
				if sc.Status == status {
					return true
				}
			}
			return false
		}
	}
	both := func(status int) func(dsdtest.Snapshot) bool {
		return func(s dsdtest.Snapshot) bool {
			return canQuery("liveness", status)(s) && canQuery("custom_queries", status)(s)
		}
	}
	dsd.WaitFor(t, 20*time.Second, both(0))

	gw.Down()
	dsd.Reset()
	snap := dsd.WaitFor(t, 20*time.Second, both(2))
	for _, sc := range snap.FindServiceChecks("crdb.sql.can_query", "check:liveness") {
		if sc.Status != 2 {
			continue
		}
		said := false
		for _, w := range []string{"connection refused", "closed", "EOF", "reset", "broken pipe"} {
			said = said || strings.Contains(sc.Message, w)
		}
		if !said || !strings.Contains(sc.Message, "liveness") {
			t.Errorf("liveness CRITICAL does not say the gateway is unreachable: %q", sc.Message)
		}
	}
	time.Sleep(gatewayOutage(t)) // the outage itself, not a timing assertion
	dsd.Reset()
	dsd.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool {
		return len(s.FindMetrics("crdb.node.up", "cluster:gw")) > 0
	}) // vars went on meanwhile

	errSeries := func(check string) string {
		return fmt.Sprintf(`roachdog_check_runs_total{check=%q,cluster="gw",result="error"}`, check)
	}
	okSeries := func(check string) string {
		return fmt.Sprintf(`roachdog_check_runs_total{check=%q,cluster="gw",result="ok"}`, check)
	}
	gw.Up()
	up := time.Now()
	// Read once the gateway is back: a cycle that started before can still
	// fail after this (at most one per check: cycles never overlap); one
	// that starts after must not.
	failedAtUp := map[string]float64{}
	okAtUp := map[string]float64{}
	for _, c := range []string{"liveness", "custom_queries"} {
		failedAtUp[c] = metricValue(t, listen, errSeries(c))
		okAtUp[c] = metricValue(t, listen, okSeries(c))
	}
	dsd.Reset()
	dsd.WaitFor(t, 20*time.Second, both(0))
	t.Logf("sql.can_query OK again %s after the gateway came back (interval 500ms)", time.Since(up).Round(time.Millisecond))
	for _, c := range []string{"liveness", "custom_queries"} {
		waitUntil(t, 20*time.Second, c+" succeeds again", stderr, func() bool {
			return metricValue(t, listen, okSeries(c)) > okAtUp[c]
		})
		// Failed cycles since the gateway came back: only the one in
		// flight at that moment may have failed.
		if extra := metricValue(t, listen, errSeries(c)) - failedAtUp[c]; extra > 1 {
			t.Errorf("%s: %v failed cycles after the gateway came back, want at most 1 (the one in flight)", c, extra)
		}
		if failedAtUp[c] < 1 {
			t.Errorf("%s: no failed cycle counted during the outage", c)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("run exited %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
}
