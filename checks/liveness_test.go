package checks_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// livenessStates are the liveness states in the contract's order.
var livenessStates = []string{"live", "suspect", "dead", "draining", "decommissioning", "decommissioned"}

// heartbeat renews the liveness records of nodes that stay live in a
// scenario, as their heartbeats would: a slow test run must not let them
// expire.
func (c *sqlCluster) heartbeat(t *testing.T, table string, ids ...int) {
	t.Helper()
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = fmt.Sprint(id)
	}
	c.exec(t, fmt.Sprintf(`UPDATE crdb_internal.%s SET expiration = public.test_hlc('9 seconds') WHERE node_id IN (%s)`,
		table, strings.Join(list, ", ")))
}

// livenessWant builds the exact gauge set for node states.
func livenessWant(states map[int]string, expected int) map[string]float64 {
	want := map[string]float64{}
	counts := map[string]int{}
	for id, st := range states {
		counts[st]++
		for _, s := range livenessStates {
			v := 0.0
			if s == st {
				v = 1
			}
			want[series("node.liveness", fmt.Sprintf("node_id:%d", id), "state:"+s)] = v
		}
	}
	for _, s := range livenessStates {
		want[series("nodes."+s)] = float64(counts[s])
	}
	if expected > 0 {
		want[series("nodes.expected")] = float64(expected)
	}
	return want
}

type livenessWantEvent struct {
	node     int
	from, to string
	alert    checks.AlertType
}

func livenessCheckEvents(t *testing.T, got []checks.Event, want []livenessWantEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Title < got[j].Title })
	for i, w := range want {
		e := got[i]
		title := fmt.Sprintf("CockroachDB node %d liveness: %s → %s", w.node, strings.ToUpper(w.from), strings.ToUpper(w.to))
		if e.Title != title {
			t.Errorf("event %d title %q, want %q", i, e.Title, title)
		}
		tags := []string{fmt.Sprintf("node_id:%d", w.node), "old_state:" + w.from, "new_state:" + w.to}
		if strings.Join(e.Tags, " ") != strings.Join(tags, " ") {
			t.Errorf("event %d tags %v, want %v", i, e.Tags, tags)
		}
		if e.AlertType != w.alert {
			t.Errorf("event %d alert type %q, want %q", i, e.AlertType, w.alert)
		}
		if e.AggregationKey != fmt.Sprintf("crdb-liveness-test-node-%d", w.node) {
			t.Errorf("event %d aggregation key %q", i, e.AggregationKey)
		}
		if !strings.Contains(e.Text, fmt.Sprintf("Node %d changed from %s to %s at ", w.node, w.from, w.to)) {
			t.Errorf("event %d text %q lacks node, states and time", i, e.Text)
		}
		if e.Timestamp.IsZero() || time.Since(e.Timestamp).Abs() > time.Minute {
			t.Errorf("event %d timestamp %v is not the cluster's now", i, e.Timestamp)
		}
	}
}

// TestLivenessTransitions walks node 4 through LIVE → DRAINING → SUSPECT →
// DEAD → LIVE and node 5 from DECOMMISSIONING to DECOMMISSIONED on the v23.2
// schema (kv_node_liveness), as a graceful stop then a kill would.
func TestLivenessTransitions(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "liveness_v23", nil, "crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql")
	clock := newTestClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	l, err := checks.NewLiveness(checks.LivenessOptions{ExpectedNodes: 4, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		sql    string
		states map[int]string
		events []livenessWantEvent
		status checks.Status
		msg    string
	}{
		{
			name:   "initial states, no events",
			states: map[int]string{1: "live", 2: "live", 3: "live", 4: "live", 5: "decommissioning"},
			status: checks.Warning,
			msg:    "4 live of 4 expected; decommissioning: n5",
		},
		{
			name: "node 4 drains, node 5 finishes decommissioning",
			sql: `UPDATE crdb_internal.kv_node_liveness SET draining = true, expiration = public.test_hlc('9 seconds') WHERE node_id = 4;
				UPDATE crdb_internal.kv_node_liveness SET membership = 'decommissioned', expiration = public.test_hlc('-1 hour') WHERE node_id = 5`,
			states: map[int]string{1: "live", 2: "live", 3: "live", 4: "draining", 5: "decommissioned"},
			events: []livenessWantEvent{
				{4, "live", "draining", checks.WarningAlert},
				{5, "decommissioning", "decommissioned", checks.Info},
			},
			status: checks.Warning,
			msg:    "3 live of 4 expected; draining: n4",
		},
		{
			name:   "node 4 stops heartbeating",
			sql:    `UPDATE crdb_internal.kv_node_liveness SET expiration = public.test_hlc('-30 seconds') WHERE node_id = 4`,
			states: map[int]string{1: "live", 2: "live", 3: "live", 4: "suspect", 5: "decommissioned"},
			events: []livenessWantEvent{{4, "draining", "suspect", checks.WarningAlert}},
			status: checks.Warning,
			msg:    "3 live of 4 expected; suspect: n4",
		},
		{
			name:   "node 4 down longer than time_until_store_dead (1m15s)",
			sql:    `UPDATE crdb_internal.kv_node_liveness SET expiration = public.test_hlc('-80 seconds') WHERE node_id = 4`,
			states: map[int]string{1: "live", 2: "live", 3: "live", 4: "dead", 5: "decommissioned"},
			events: []livenessWantEvent{{4, "suspect", "dead", checks.Error}},
			status: checks.Critical,
			msg:    "3 live of 4 expected; dead: n4",
		},
		{
			name:   "nothing changes: no event",
			states: map[int]string{1: "live", 2: "live", 3: "live", 4: "dead", 5: "decommissioned"},
			status: checks.Critical,
			msg:    "3 live of 4 expected; dead: n4",
		},
		{
			name:   "node 4 restarts",
			sql:    `UPDATE crdb_internal.kv_node_liveness SET expiration = public.test_hlc('9 seconds'), draining = false, epoch = 2 WHERE node_id = 4`,
			states: map[int]string{1: "live", 2: "live", 3: "live", 4: "live", 5: "decommissioned"},
			events: []livenessWantEvent{{4, "dead", "live", checks.Success}},
			status: checks.OK,
			msg:    "4 live of 4 expected",
		},
		{
			name:   "node 3 lost: fewer nodes up than expected",
			sql:    `DELETE FROM crdb_internal.kv_node_liveness WHERE node_id = 3`,
			states: map[int]string{1: "live", 2: "live", 4: "live", 5: "decommissioned"},
			status: checks.Critical,
			msg:    "3 live of 4 expected; only 3 nodes up, 4 expected",
		},
	}
	for _, st := range steps {
		c.heartbeat(t, "kv_node_liveness", 1, 2)
		if st.states[3] == "live" {
			c.heartbeat(t, "kv_node_liveness", 3)
		}
		if st.sql != "" {
			c.exec(t, st.sql)
		}
		clock.Add(10 * time.Second)
		rec, err := c.run(t, l)
		if err != nil {
			t.Fatalf("%s: Run: %v", st.name, err)
		}
		t.Run(st.name, func(t *testing.T) {
			diffGauges(t, gauges(t, rec), livenessWant(st.states, 4))
			livenessCheckEvents(t, rec.Events, st.events)
			sc := serviceCheck(t, rec, "cluster.nodes_live")
			if sc.Status != st.status || sc.Message != st.msg {
				t.Errorf("cluster.nodes_live = %s %q, want %s %q", sc.Status, sc.Message, st.status, st.msg)
			}
			if len(sc.Tags) != 0 {
				t.Errorf("cluster.nodes_live tags %v, want none (cluster is added by the sink)", sc.Tags)
			}
			q := canQuery(t, rec, "liveness")
			if q.Status != checks.OK {
				t.Errorf("sql.can_query = %s %q, want OK", q.Status, q.Message)
			}
		})
	}
	if strings.Contains(c.logs.String(), "gossip_liveness") {
		t.Errorf("v23.2 read gossip_liveness:\n%s", c.logs)
	}
}

// TestLivenessGossipV20 reads the v20.2 schema, which has no
// kv_node_liveness: the check must use gossip_liveness and say so once.
func TestLivenessGossipV20(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []cluster.Option
	}{
		// Version from node_build_info: v20.2.0-beta.1 is known to lack it.
		{"known v20.2", nil},
		// A version where the table is expected: probed, 42P01, fallback.
		{"probed on v21.1", []cluster.Option{cluster.WithAssumedVersion("v21.1.0")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newSQLCluster(t, "liveness_v20", tc.opts, "crdb_v20.2.sql", "crdb_v20.2_liveness.sql", "scenario_v20.2_liveness.sql")
			l, err := checks.NewLiveness(checks.LivenessOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for cycle := 1; cycle <= 2; cycle++ {
				c.heartbeat(t, "gossip_liveness", 1, 2, 3)
				rec, err := c.run(t, l)
				if err != nil {
					t.Fatalf("cycle %d: %v", cycle, err)
				}
				diffGauges(t, gauges(t, rec), livenessWant(map[int]string{1: "live", 2: "live", 3: "live", 4: "dead"}, 0))
				if sc := serviceCheck(t, rec, "cluster.nodes_live"); sc.Status != checks.Critical || sc.Message != "3 live; dead: n4" {
					t.Errorf("cycle %d: cluster.nodes_live = %s %q", cycle, sc.Status, sc.Message)
				}
				if q := canQuery(t, rec, "liveness"); q.Status != checks.OK {
					t.Errorf("cycle %d: sql.can_query = %s %q", cycle, q.Status, q.Message)
				}
				if len(rec.Events) != 0 {
					t.Errorf("cycle %d: events %+v", cycle, rec.Events)
				}
			}
			if n := strings.Count(c.logs.String(), "reading crdb_internal.gossip_liveness"); n != 1 {
				t.Errorf("fallback logged %d times, want once:\n%s", n, c.logs)
			}
		})
	}
}

// TestLivenessStoreDead checks that server.time_until_store_dead decides
// between suspect and dead, with 5m when it cannot be read.
func TestLivenessStoreDead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		sql       string
		state     string
		queryOK   bool
		queryText string
	}{
		{"setting 1m15s: 2 min is dead", "", "dead", true, ""},
		{"setting 3m: 2 min is suspect", `UPDATE crdb_internal.cluster_settings SET value = '3m0s'`, "suspect", true, ""},
		{"no row: default 5m", `DELETE FROM crdb_internal.cluster_settings`, "suspect", true, ""},
		{"unreadable: default 5m and CRITICAL", `DROP TABLE crdb_internal.cluster_settings`, "suspect", false,
			"liveness: read server.time_until_store_dead (assuming 5m0s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newSQLCluster(t, "liveness_dead", nil, "crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql")
			c.exec(t, `UPDATE crdb_internal.kv_node_liveness SET expiration = public.test_hlc('-2 minutes') WHERE node_id = 4`)
			if tc.sql != "" {
				c.exec(t, tc.sql)
			}
			l, err := checks.NewLiveness(checks.LivenessOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := c.run(t, l)
			if err != nil {
				t.Fatal(err)
			}
			if p := rec.One(t, "node.liveness", "node_id:4", "state:"+tc.state); p.Value != 1 {
				t.Errorf("node 4 is not %s:\n%s", tc.state, rec)
			}
			q := canQuery(t, rec, "liveness")
			if (q.Status == checks.OK) != tc.queryOK || !strings.HasPrefix(q.Message, tc.queryText) {
				t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
			}
		})
	}
}

// TestLivenessForgetsAbsentNodes: a node absent for less than ForgetAfter
// keeps its state (its return is a transition); after that it is new.
func TestLivenessForgetsAbsentNodes(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "liveness_forget", nil, "crdb_v23.2.sql", "crdb_v23.2_liveness.sql", "scenario_v23.2_liveness.sql")
	clock := newTestClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	l, err := checks.NewLiveness(checks.LivenessOptions{Now: clock.Now, ForgetAfter: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	run := func() *sinktest.Recorder {
		t.Helper()
		c.heartbeat(t, "kv_node_liveness", 1, 2, 3)
		rec, err := c.run(t, l)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	run()
	c.exec(t, `CREATE TABLE saved AS SELECT * FROM crdb_internal.kv_node_liveness WHERE node_id = 4;
		DELETE FROM crdb_internal.kv_node_liveness WHERE node_id = 4`)
	clock.Add(10 * time.Minute)
	if rec := run(); len(rec.Find("node.liveness", "node_id:4")) != 0 || len(rec.Events) != 0 {
		t.Fatalf("absent node still reported or evented:\n%s\n%+v", rec, rec.Events)
	}
	// Back within ForgetAfter, dead: LIVE → DEAD.
	c.exec(t, `INSERT INTO crdb_internal.kv_node_liveness SELECT node_id, epoch, public.test_hlc('-10 minutes'), draining, membership FROM saved`)
	clock.Add(10 * time.Minute)
	livenessCheckEvents(t, run().Events, []livenessWantEvent{{4, "live", "dead", checks.Error}})

	c.exec(t, `DELETE FROM crdb_internal.kv_node_liveness WHERE node_id = 4`)
	clock.Add(31 * time.Minute)
	run() // forgets node 4
	c.exec(t, `INSERT INTO crdb_internal.kv_node_liveness SELECT node_id, epoch, public.test_hlc('9 seconds'), draining, membership FROM saved`)
	clock.Add(10 * time.Second)
	if rec := run(); len(rec.Events) != 0 {
		t.Errorf("forgotten node's return is an event: %+v", rec.Events)
	}
	if !strings.Contains(c.logs.String(), "forgetting node absent from liveness records") {
		t.Errorf("forgetting not logged:\n%s", c.logs)
	}
}

// TestLivenessQueryFails: no liveness table at all → an error, CRITICAL
// sql.can_query, UNKNOWN cluster.nodes_live and no gauges.
func TestLivenessQueryFails(t *testing.T) {
	t.Parallel()
	c := newSQLCluster(t, "liveness_fail", nil, "crdb_v20.2.sql", "crdb_v20.2_liveness.sql", "scenario_v20.2_liveness.sql")
	c.exec(t, `DROP TABLE crdb_internal.gossip_liveness`)
	l, err := checks.NewLiveness(checks.LivenessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := c.run(t, l)
	if err == nil || !strings.Contains(err.Error(), "crdb_internal.gossip_liveness") {
		t.Fatalf("Run error = %v, want the failed query", err)
	}
	if q := canQuery(t, rec, "liveness"); q.Status != checks.Critical || !strings.Contains(q.Message, "gossip_liveness") {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}
	if sc := serviceCheck(t, rec, "cluster.nodes_live"); sc.Status != checks.Unknown {
		t.Errorf("cluster.nodes_live = %s %q, want UNKNOWN", sc.Status, sc.Message)
	}
	if g := gauges(t, rec); len(g) != 0 {
		t.Errorf("gauges sent without data: %v", g)
	}
}

func TestLivenessWithoutSQL(t *testing.T) {
	t.Parallel()
	l, err := checks.NewLiveness(checks.LivenessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := runCheck(t, l, &checks.Target{Cluster: "test"})
	if err == nil || len(rec.Points) != 0 {
		t.Fatalf("Run without SQL = %v, %d points", err, len(rec.Points))
	}
}

func TestNewLivenessRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for _, o := range []checks.LivenessOptions{{ExpectedNodes: -1}, {ForgetAfter: -time.Second}} {
		if _, err := checks.NewLiveness(o); err == nil {
			t.Errorf("NewLiveness(%+v) accepted", o)
		}
	}
	l, err := checks.NewLiveness(checks.LivenessOptions{})
	if err != nil || l.Name() != "liveness" {
		t.Fatalf("NewLiveness = %v, %v", l, err)
	}
}
