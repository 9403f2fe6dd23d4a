package checks_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/testenv"
)

// hotFake is a node's HTTP API serving the hot ranges endpoints: per path a
// status, a content type and a body, changeable between runs.
type hotFake struct {
	*httptest.Server
	mu    sync.Mutex
	paths map[string]hotReply
	hits  map[string]int
}

type hotReply struct {
	status int
	ctype  string
	body   []byte
}

func newHotFake(t *testing.T) *hotFake {
	f := &hotFake{paths: map[string]hotReply{}, hits: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		rep, ok := f.paths[r.URL.Path]
		f.hits[r.URL.Path]++
		f.mu.Unlock()
		if !ok || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", rep.ctype)
		w.WriteHeader(rep.status)
		w.Write(rep.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *hotFake) serve(path string, status int, ctype string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paths[path] = hotReply{status, ctype, body}
}

func (f *hotFake) json(path string, body []byte) {
	f.serve(path, http.StatusOK, "application/json", body)
}

func (f *hotFake) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func hotAPI(urls ...string) *cluster.API {
	return cluster.NewAPI(nil, func() []string { return urls }, "roachdog", "s3cret")
}

func newHot(t *testing.T, o checks.HotRangesOptions) *checks.HotRanges {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) }
	}
	h, err := checks.NewHotRanges(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// hotSeries lists the gauges of one group: qps, max, ranges and, when
// rates is non-nil, writes, reads, write bytes, read bytes and CPU.
func hotSeries(want map[string]float64, db, table, index string, node int, qps, maxQPS, n float64, rates []float64) {
	tags := []string{checks.Tag("database", db), checks.Tag("table", table), checks.Tag("index", index), "node_id:" + strconv.Itoa(node)}
	want[series("hot_ranges.qps", tags...)] = qps
	want[series("hot_ranges.max_range_qps", tags...)] = maxQPS
	want[series("hot_ranges.ranges", tags...)] = n
	if rates != nil {
		for i, name := range []string{"writes_per_second", "reads_per_second", "write_bytes_per_second", "read_bytes_per_second", "cpu_nanos_per_second"} {
			want[series("hot_ranges."+name, tags...)] = rates[i]
		}
	}
}

func hotV23Cluster(t *testing.T) (*sqlCluster, []byte) {
	c := newSQLCluster(t, "hot_v23", nil, "crdb_v23.2.sql", "crdb_v23.2_health.sql", "crdb_v23.2_ranges.sql", "crdb_v23.2_schema.sql",
		"scenario_schema_shop.sql", "scenario_schema_crdb_v23.2.sql", "scenario_v23.2_hot_ranges.sql")
	body := bytes.ReplaceAll(rangesStatus(t, "hot_ranges_v23.json"), []byte("DBNAME"), []byte(c.dbName))
	c.target.Nodes = []cluster.Node{
		{ID: 1, Locality: []cluster.Tier{{Key: "region", Value: "us-east1"}, {Key: "zone", Value: "a"}}},
		{ID: 2, Locality: []cluster.Tier{{Key: "region", Value: "us-east1"}, {Key: "zone", Value: "b"}}},
	}
	return c, body
}

// TestHotRangesV23 reads the newer /api/v2/ranges/hot/ shape: merged
// replicas, grouped gauges, hostile names made safe, the unnamed range
// resolved over SQL, events with the hash-sharded fix, a failed node as a
// warning, and series zeroed once when they leave the top N.
func TestHotRangesV23(t *testing.T) {
	c, body := hotV23Cluster(t)
	node := newHotFake(t)
	node.json("/api/v2/ranges/hot/", body)
	c.target.API = hotAPI(node.URL)
	h := newHot(t, checks.HotRangesOptions{})

	rec, err := c.runCataloged(t, h)
	if err != nil {
		t.Fatal(err)
	}
	db := c.dbName
	want := map[string]float64{}
	hotSeries(want, db, "public.orders", "orders_created_at_idx", 1, 1200.5, 900.5, 2, []float64{1140, 60.5, 160000, 10000, 60000000})
	hotSeries(want, db, "public.customers", "customers_pkey", 2, 400, 400, 1, []float64{100, 300, 10000, 60000, 20000000})
	hotSeries(want, db, "public.evil\ntable:with,comma\x1b[31m", "idx|x #1", 3, 200, 200, 1, []float64{0, 200, 0, 5000, 1000000})
	hotSeries(want, db, "public.rides", "rides_vehicle_idx", 3, 150, 150, 1, []float64{150, 0, 0, 0, 0})
	diffGauges(t, gauges(t, rec), want)
	for _, p := range rec.Points {
		for _, tag := range p.Tags {
			if strings.ContainsAny(tag, "\n\x1b,|# ") || len(tag) > 200 {
				t.Errorf("%s: unsafe tag %q", p.Name, tag)
			}
		}
	}

	// sql.can_query: WARNING naming node 4, one bounded line.
	q := canQuery(t, rec, "hot_ranges")
	if q.Status != checks.Warning || !strings.Contains(q.Message, "nodes 4 did not report") ||
		strings.ContainsAny(q.Message, "\n\x1b") || len(q.Message) > 2000 {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}

	// Four tables or indexes entered the top N: one event each, busiest
	// first, the sequential index with its fix.
	var titles []string
	for _, e := range rec.Events {
		titles = append(titles, e.Title)
		if strings.ContainsAny(e.Title, "\n\x1b") || len(e.Title) > 100 || len(e.Text) > 4000 {
			t.Errorf("unsafe event %q: %q", e.Title, e.Text)
		}
	}
	wantTitles := []string{
		"Hot range in " + db + ".public.orders@orders_created_at_idx",
		"Hot range in " + db + ".public.customers@customers_pkey",
		"Hot range in " + db + ".public.evil table:with,comma [31m@idx|x #1",
		"Hot range in " + db + ".public.rides@rides_vehicle_idx",
	}
	if strings.Join(titles, "\n") != strings.Join(wantTitles, "\n") {
		t.Errorf("event titles:\n%s\nwant:\n%s", strings.Join(titles, "\n"), strings.Join(wantTitles, "\n"))
	}
	if len(rec.Events) > 0 {
		e := rec.Events[0]
		for _, s := range []string{
			"Range 101 of " + db + ".public.orders, index orders_created_at_idx, entered the cluster's top 10 ranges by QPS: 900.5 queries/s.",
			"2 of the top ranges are in this index on this leaseholder (1200.5 queries/s together).",
			"Leaseholder: node 1, locality region=us-east1,zone=a.",
			"Writes 850.0/s (120000 B/s), reads 50.5/s (9000 B/s), CPU 45.0 ms/s.",
			"Index orders_created_at_idx of " + db + ".public.orders starts with created_at, a sequential value, and is not hash sharded",
			"CREATE INDEX ON " + db + ".public.orders (created_at) USING HASH;\nDROP INDEX " + db + ".public.orders@orders_created_at_idx;",
		} {
			if !strings.Contains(e.Text, s) {
				t.Errorf("event text lacks %q:\n%s", s, e.Text)
			}
		}
		if !equalStrings(e.Tags, []string{"database:" + db, "table:public.orders", "index:orders_created_at_idx"}) {
			t.Errorf("event tags %v", e.Tags)
		}
		if e.AlertType != checks.WarningAlert {
			t.Errorf("event alert type %q", e.AlertType)
		}
	}
	if len(rec.Events) > 1 && (strings.Contains(rec.Events[1].Text, "USING HASH") || !strings.Contains(rec.Events[1].Text, "Leaseholder: node 2, locality region=us-east1,zone=b.")) {
		t.Errorf("customers event:\n%s", rec.Events[1].Text)
	}
	if len(rec.Events) > 2 && !strings.Contains(rec.Events[2].Text, "Leaseholder: node 3, locality unknown.") {
		t.Errorf("evil event:\n%s", rec.Events[2].Text)
	}

	// Same answer: same gauges, no event.
	rec, err = c.run(t, h)
	if err != nil {
		t.Fatal(err)
	}
	diffGauges(t, gauges(t, rec), want)
	if len(rec.Events) != 0 {
		t.Errorf("events on an unchanged top N: %v", rec.Events)
	}

	// customers cools down: its series get one 0, then stop.
	var resp map[string]any
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	var kept []any
	for _, r := range resp["ranges"].([]any) {
		if r.(map[string]any)["range_id"].(float64) != 102 {
			kept = append(kept, r)
		}
	}
	resp["ranges"] = kept
	cooled, _ := json.Marshal(resp)
	node.json("/api/v2/ranges/hot/", cooled)
	rec, err = c.run(t, h)
	if err != nil {
		t.Fatal(err)
	}
	want2 := map[string]float64{}
	for k, v := range want {
		want2[k] = v
		if strings.Contains(k, "customers") {
			want2[k] = 0
		}
	}
	diffGauges(t, gauges(t, rec), want2)
	rec, err = c.run(t, h)
	if err != nil {
		t.Fatal(err)
	}
	for k := range want2 {
		if strings.Contains(k, "customers") {
			delete(want2, k)
		}
	}
	diffGauges(t, gauges(t, rec), want2)
}

func equalStrings(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// TestHotRangesV20Capture serves the real v20.2 /_status/hotranges
// capture, behind an /api/v2/ranges/hot/ that answers the capture's 200
// text/html page: the check falls back, takes every range's busiest
// replica as its leaseholder (checked against the captured
// crdb_internal.ranges lease_holder column) and names ranges from
// ranges_no_leases and table_indexes.
func TestHotRangesV20Capture(t *testing.T) {
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	capture, err := os.ReadFile(filepath.Join(dir, "http", "status_hotranges.json"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "http", "api_v2_nodes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	c := newSQLCluster(t, "hot_v20", nil, "crdb_v20.2.sql", "crdb_v20.2_liveness.sql", "crdb_v20.2_health.sql", "crdb_v20.2_schema.sql",
		"scenario_health_v20.2.sql", "scenario_v20.2_hot_ranges.sql")
	node := newHotFake(t)
	node.serve("/api/v2/ranges/hot/", http.StatusOK, "text/html; charset=utf-8", page)
	node.json("/_status/hotranges", capture)
	c.target.API = hotAPI(node.URL)
	clock := newTestClock(time.Date(2026, 11, 22, 2, 45, 10, 0, time.UTC))
	h := newHot(t, checks.HotRangesOptions{Now: clock.Now})

	rec, err := c.runCataloged(t, h)
	if err != nil {
		t.Fatal(err)
	}
	db := c.dbName
	want := map[string]float64{}
	// Ranges 6 (system config span) and 1 (/Min) have no table: one group.
	hotSeries(want, "unknown", "unknown", "unknown", 1, 151.65290146525223+1.7842757036197239, 151.65290146525223, 2, nil)
	hotSeries(want, "system", "lease", "unknown", 3, 63.03231671504072, 63.03231671504072, 1, nil)
	hotSeries(want, "system", "namespace2", "unknown", 3, 27.41683874935104, 27.41683874935104, 1, nil)
	hotSeries(want, db, "orders", "unknown", 1, 18.21989805014411, 18.21989805014411, 1, nil)
	hotSeries(want, db, "order_items", "unknown", 3, 16.238368410583746, 16.238368410583746, 1, nil)
	hotSeries(want, db, "customers", "primary", 1, 12.751451594476848, 12.751451594476848, 1, nil)
	hotSeries(want, db, "customers", "customers_region_idx", 1, 3.9223991690709323, 3.9223991690709323, 1, nil)
	hotSeries(want, "system", "sqlliveness", "unknown", 1, 3.2328691896428685, 3.2328691896428685, 1, nil)
	hotSeries(want, "system", "jobs", "unknown", 2, 1.8416808864083, 1.8416808864083, 1, nil)
	diffGauges(t, gauges(t, rec), want)
	if q := canQuery(t, rec, "hot_ranges"); q.Status != checks.OK {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}

	// The leaseholders inferred are those the capture's crdb_internal.ranges
	// reports for the same ranges.
	f, err := os.Open(filepath.Join(dir, "sql", "crdb_internal.ranges_summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	lease := map[string]string{}
	for _, r := range rows[1:] {
		lease[r[0]] = r[7]
	}
	for id, node := range map[string]int{"6": 1, "1": 1, "7": 3, "26": 3, "37": 1, "38": 3, "41": 1, "39": 1, "35": 1, "11": 2} {
		if lease[id] != strconv.Itoa(node) {
			t.Errorf("range %s: leaseholder %s in the capture, the test expects node %d", id, lease[id], node)
		}
	}

	// 8 named tables or indexes entered: 5 events and a summary of 3.
	if len(rec.Events) != 6 {
		t.Fatalf("%d events, want 6: %v", len(rec.Events), rec.Events)
	}
	if got := rec.Events[5].Title; got != "3 more tables or indexes entered the top 10 hot ranges" {
		t.Errorf("summary title %q", got)
	}
	if got := rec.Events[0].Title; got != "Hot range in system.lease@unknown" {
		t.Errorf("first event %q", got)
	}
	// The endpoint is remembered as missing: the next run asks only the
	// old one.
	before := node.hitCount("/api/v2/ranges/hot/")
	clock.Add(time.Minute)
	if _, err := c.run(t, h); err != nil {
		t.Fatal(err)
	}
	if n := node.hitCount("/api/v2/ranges/hot/"); n != before {
		t.Errorf("/api/v2/ranges/hot/ asked again within the hour (%d, then %d)", before, n)
	}
	clock.Add(time.Hour)
	if _, err := c.run(t, h); err != nil {
		t.Fatal(err)
	}
	if n := node.hitCount("/api/v2/ranges/hot/"); n != before+1 {
		t.Errorf("/api/v2/ranges/hot/ not asked again after an hour (%d, then %d)", before, n)
	}
}

// TestHotRangesV21Shape reads the first /api/v2/ranges/hot/ shape (QPS and
// keys only, by node) on a version whose ranges_no_leases has names.
func TestHotRangesV21Shape(t *testing.T) {
	c := newSQLCluster(t, "hot_v21", []cluster.Option{cluster.WithAssumedVersion("v21.2.0")}, "crdb_v20.2.sql", "crdb_v20.2_liveness.sql",
		"crdb_v20.2_health.sql", "crdb_v20.2_schema.sql", "scenario_health_v20.2.sql", "scenario_v20.2_hot_ranges.sql")
	node := newHotFake(t)
	node.json("/api/v2/ranges/hot/", rangesStatus(t, "hot_ranges_v21.json"))
	c.target.API = hotAPI(node.URL)
	h := newHot(t, checks.HotRangesOptions{TopN: 3})
	rec, err := c.runCataloged(t, h)
	if err != nil {
		t.Fatal(err)
	}
	db := c.dbName
	want := map[string]float64{}
	hotSeries(want, db, "orders", "unknown", 1, 18.25, 18.25, 1, nil)
	hotSeries(want, db, "order_items", "unknown", 3, 16, 16, 1, nil)
	hotSeries(want, db, "customers", "primary", 1, 12.5, 12.5, 1, nil)
	diffGauges(t, gauges(t, rec), want)
	if q := canQuery(t, rec, "hot_ranges"); q.Status != checks.Warning || !strings.Contains(q.Message, `nodes 2 did not report their hot ranges (first error: operation "hot ranges" timed out)`) {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}
	if n := node.hitCount("/_status/hotranges"); n != 0 {
		t.Errorf("/_status/hotranges asked %d times although /api/v2/ranges/hot/ answered", n)
	}
}

// TestHotRangesManyNodesFail: when hundreds of nodes report an error the
// WARNING names the first few and counts the rest, on one bounded line.
func TestHotRangesManyNodesFail(t *testing.T) {
	c := newSQLCluster(t, "hot_many_fail", nil, "crdb_v23.2.sql")
	var errs []string
	for id := 1; id <= 500; id++ {
		errs = append(errs, fmt.Sprintf(`{"node_id": %d, "error_message": "rpc error:\nnode %d unreachable\u001b[0m"}`, id, id))
	}
	node := newHotFake(t)
	node.json("/api/v2/ranges/hot/", []byte(`{"ranges": [], "response_error": [`+strings.Join(errs, ",")+`]}`))
	c.target.API = hotAPI(node.URL)
	rec, err := c.run(t, newHot(t, checks.HotRangesOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	q := canQuery(t, rec, "hot_ranges")
	if q.Status != checks.Warning ||
		!strings.Contains(q.Message, "nodes 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, and 490 more did not report their hot ranges (first error: rpc error: node 1 unreachable [0m)") ||
		strings.ContainsAny(q.Message, "\n\x1b") || len(q.Message) > 400 {
		t.Errorf("sql.can_query = %s %q (%d bytes)", q.Status, q.Message, len(q.Message))
	}
}

// TestHotRangesTopNBounded: 10,000 ranges in 10,000 tables, in both API
// shapes; only the top N are sent, the busiest ones.
func TestHotRangesTopNBounded(t *testing.T) {
	const total = 10000
	flat := make([]map[string]any, 0, total)
	byNode := map[string][]map[string]any{}
	for i := 1; i <= total; i++ {
		qps := float64((i*7919)%total) + 0.5 // a permutation: every value once
		flat = append(flat, map[string]any{"range_id": i, "node_id": i%5 + 1, "leaseholder_node_id": i%5 + 1, "qps": qps,
			"writes_per_second": 1, "reads_per_second": 2, "write_bytes_per_second": 3, "read_bytes_per_second": 4, "cpu_time_per_second": 5,
			"database_name": "db", "schema_name": "public", "table_name": fmt.Sprintf("t%d", i), "index_name": "pk"})
		n := strconv.Itoa(i%5 + 1)
		byNode[n] = append(byNode[n], map[string]any{"range_id": i, "queries_per_second": qps, "store_id": i%5 + 1})
	}
	flatBody, _ := json.Marshal(map[string]any{"ranges": flat})
	oldBody, _ := json.Marshal(map[string]any{"ranges_by_node_id": byNode})
	for _, tc := range []struct {
		name     string
		body     []byte
		perGroup int
		topN     int
		// named: every range is its own table, so one group per range;
		// else (no names without SQL) one group per leaseholder node.
		named bool
	}{
		{"ranges", flatBody, 8, 10, true},
		{"ranges_by_node_id", oldBody, 3, 10, false},
		{"ranges top 100", flatBody, 8, 100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := newHotFake(t)
			node.json("/api/v2/ranges/hot/", tc.body)
			h := newHot(t, checks.HotRangesOptions{TopN: tc.topN})
			rec, err := runCheck(t, h, &checks.Target{Cluster: "test", API: hotAPI(node.URL)})
			if err != nil {
				t.Fatal(err)
			}
			g := gauges(t, rec)
			groups := 0
			for k := range g {
				if strings.HasPrefix(k, "hot_ranges.qps|") {
					groups++
				}
			}
			if (tc.named && groups != tc.topN) || (!tc.named && (groups < 1 || groups > 5)) || len(g) != groups*tc.perGroup {
				t.Fatalf("%d series in %d groups (top %d)", len(g), groups, tc.topN)
			}
			var sum float64
			for k, v := range g {
				if strings.HasPrefix(k, "hot_ranges.qps|") {
					sum += v
				}
			}
			// The busiest N: qps total-1+0.5 down to total-N+0.5.
			wantSum := 0.0
			for i := 1; i <= tc.topN; i++ {
				wantSum += float64(total-i) + 0.5
			}
			if sum != wantSum {
				t.Errorf("qps of the series sum to %g, want %g (the busiest %d)", sum, wantSum, tc.topN)
			}
			if tc.name == "ranges" {
				// The catalog's cost (series per cycle at the default top
				// N) is what a full top N sends.
				cost := 0
				for _, m := range checks.Catalog() {
					if m.Check == "hot_ranges" && m.Kind == checks.KindGauge {
						cost += m.PerNode
					}
				}
				if len(g) != cost {
					t.Errorf("%d series at the default top N, the catalog says %d", len(g), cost)
				}
				// qps 9999.5: i*7919 = 9999 mod 10000 for i = 2321 (7919*2321 = 18379999), on node 2321%5+1 = 2.
				if v := g[series("hot_ranges.max_range_qps", "database:db", "table:public.t2321", "index:pk", "node_id:2")]; v != 9999.5 {
					t.Errorf("busiest range's series = %g", v)
				}
			}
		})
	}
}

// TestHotRangesRefused: a 403 names the missing grant, in the error and in
// sql.can_query, without the server's body.
func TestHotRangesRefused(t *testing.T) {
	c := newSQLCluster(t, "hot_denied", nil, "crdb_v23.2.sql")
	node := newHotFake(t)
	node.serve("/api/v2/ranges/hot/", http.StatusForbidden, "text/plain", []byte("this operation requires the VIEWCLUSTERMETADATA system privilege\n<script>secret=hunter2</script>"))
	c.target.API = hotAPI(node.URL)
	h := newHot(t, checks.HotRangesOptions{})
	rec, err := c.run(t, h)
	if err == nil || !strings.Contains(err.Error(), "GRANT SYSTEM VIEWCLUSTERMETADATA TO roachdog") {
		t.Fatalf("Run = %v", err)
	}
	q := canQuery(t, rec, "hot_ranges")
	if q.Status != checks.Critical || !strings.Contains(q.Message, "hot_ranges: hot ranges refused (HTTP 403): the user roachdog logs in as needs the VIEWCLUSTERMETADATA system privilege") ||
		!strings.Contains(q.Message, "GET "+strings.TrimPrefix(node.URL, "http://")+"/api/v2/ranges/hot/: HTTP 403") ||
		strings.Contains(q.Message, "hunter2") || strings.Contains(q.Message, "\n") {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}
	if g := gauges(t, rec); len(g) != 0 || len(rec.Events) != 0 {
		t.Errorf("sent %v and %v", g, rec.Events)
	}
}

// TestHotRangesNodeFails: a node whose endpoint fails is skipped for the
// next; when every node fails the error names the endpoint and each node,
// and the contention check on the same target is not affected.
func TestHotRangesNodeFails(t *testing.T) {
	c := newSQLCluster(t, "hot_fail", nil, "crdb_v23.2.sql", "crdb_v23.2_contention.sql")
	down := newHotFake(t)
	down.serve("/api/v2/ranges/hot/", http.StatusServiceUnavailable, "text/plain", []byte("node is draining\x1b[0m"))
	up := newHotFake(t)
	up.json("/api/v2/ranges/hot/", rangesStatus(t, "hot_ranges_v21.json"))
	c.target.API = hotAPI(down.URL, up.URL)
	h := newHot(t, checks.HotRangesOptions{})
	rec, err := c.run(t, h)
	if err != nil {
		t.Fatalf("Run with one node down: %v", err)
	}
	if g := gauges(t, rec); g[series("hot_ranges.qps", "database:unknown", "table:unknown", "index:unknown", "node_id:1")] != 18.25+12.5+3.75 {
		t.Errorf("gauges: %v", g)
	}

	c.target.API = hotAPI(down.URL)
	rec, err = c.run(t, h)
	if err == nil || !strings.Contains(err.Error(), "/api/v2/ranges/hot/") {
		t.Fatalf("Run with every node down = %v", err)
	}
	q := canQuery(t, rec, "hot_ranges")
	if q.Status != checks.Critical || !strings.Contains(q.Message, "reading hot ranges failed: GET "+strings.TrimPrefix(down.URL, "http://")+"/api/v2/ranges/hot/: HTTP 503") ||
		strings.Contains(q.Message, "draining") {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}
	// Nothing sent on a failed read: the remembered series keep their
	// values until the endpoint answers again.
	if g := gauges(t, rec); len(g) != 0 {
		t.Errorf("gauges on a failed read: %v", g)
	}

	ct, err := checks.NewContention(checks.ContentionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err = c.run(t, ct)
	if err != nil {
		t.Fatalf("contention after hot_ranges failed: %v", err)
	}
	if q := canQuery(t, rec, "contention"); q.Status != checks.OK {
		t.Errorf("contention: sql.can_query = %s %q", q.Status, q.Message)
	}
}

func TestHotRangesWithoutAPI(t *testing.T) {
	h := newHot(t, checks.HotRangesOptions{})
	if h.Name() != "hot_ranges" {
		t.Errorf("Name = %q", h.Name())
	}
	rec, err := runCheck(t, h, &checks.Target{})
	if err == nil || !strings.Contains(err.Error(), "needs the HTTP API") || len(rec.Points) != 0 {
		t.Fatalf("Run without an API = %v, %v", err, rec)
	}
	neg, nan := -1.0, math.NaN()
	for _, o := range []checks.HotRangesOptions{{TopN: -1}, {TopN: checks.HotRangesMaxTopN + 1}, {MaxEvents: -1}, {MinQPS: &neg}, {MinQPS: &nan}} {
		if _, err := checks.NewHotRanges(o); err == nil {
			t.Errorf("NewHotRanges(%+v) accepted", o)
		}
	}
}

// TestHotRangesMinQPSZero: with min_qps 0 every range with traffic counts,
// and ranges with none never do.
func TestHotRangesMinQPSZero(t *testing.T) {
	node := newHotFake(t)
	node.json("/api/v2/ranges/hot/", []byte(`{"ranges": [
		{"range_id": 1, "leaseholder_node_id": 1, "qps": 0.25, "database_name": "d", "table_name": "a", "index_name": "p"},
		{"range_id": 2, "leaseholder_node_id": 1, "qps": 0, "database_name": "d", "table_name": "b", "index_name": "p"}]}`))
	zero := 0.0
	h := newHot(t, checks.HotRangesOptions{MinQPS: &zero})
	rec, err := runCheck(t, h, &checks.Target{API: hotAPI(node.URL)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	hotSeries(want, "d", "a", "p", 1, 0.25, 0.25, 1, nil)
	diffGauges(t, gauges(t, rec), want)
}

// TestHotRangesNotServed: no node serves either endpoint (404 for one, an
// HTML page for the other): not a failure, a WARNING, logged once.
func TestHotRangesNotServed(t *testing.T) {
	c := newSQLCluster(t, "hot_none", nil, "crdb_v23.2.sql")
	node := newHotFake(t)
	node.serve("/_status/hotranges", http.StatusOK, "text/html", []byte("<html>no UI</html>"))
	c.target.API = hotAPI(node.URL)
	h := newHot(t, checks.HotRangesOptions{})
	for i := 0; i < 2; i++ {
		rec, err := c.run(t, h)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		q := canQuery(t, rec, "hot_ranges")
		if q.Status != checks.Warning || !strings.Contains(q.Message, "neither /api/v2/ranges/hot/ nor /_status/hotranges is served") || len(rec.Points) != 1 {
			t.Errorf("run %d: %s %q\n%s", i, q.Status, q.Message, rec)
		}
	}
	if n := strings.Count(c.logs.String(), "serve neither"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, c.logs)
	}

	// One node without the endpoints and one down: a failure, not a
	// missing endpoint.
	down := newHotFake(t)
	down.serve("/api/v2/ranges/hot/", http.StatusServiceUnavailable, "text/plain", nil)
	down.serve("/_status/hotranges", http.StatusServiceUnavailable, "text/plain", nil)
	c.target.API = hotAPI(node.URL, down.URL)
	h = newHot(t, checks.HotRangesOptions{})
	rec, err := c.run(t, h)
	if err == nil {
		t.Fatal("Run succeeded with a node down and the other without the endpoints")
	}
	if q := canQuery(t, rec, "hot_ranges"); q.Status != checks.Critical || !strings.Contains(q.Message, "HTTP 503") {
		t.Errorf("sql.can_query = %s %q", q.Status, q.Message)
	}
}
