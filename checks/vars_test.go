package checks_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// varsT0 is when testdata/vars/*_t0.txt were "scraped" (unix 1710410400).
var varsT0 = time.Date(2024, 3, 14, 10, 0, 0, 0, time.UTC)

// v20.2 captures: t0 at 02:45:20.42, t1 exactly 20 s later.
var v20T0 = time.Date(2026, 11, 22, 2, 45, 20, 420000000, time.UTC)

// varsFake is a node's HTTP endpoint: /_status/vars answers like
// CockroachDB (gzip when asked, text/plain), /_status/nodes/local answers
// local or localCode.
type varsFake struct {
	*httptest.Server
	mu        sync.Mutex
	payload   []byte
	gzipped   []byte // payload compressed once, so benchmarks measure the client
	local     []byte
	localCode int
	varsHits  atomic.Int64
	localHits atomic.Int64
	gzipAsked atomic.Bool
}

func newVarsFake(t testing.TB, payload []byte) *varsFake {
	f := &varsFake{localCode: http.StatusNotFound}
	f.set(payload)
	mux := http.NewServeMux()
	mux.HandleFunc("/_status/vars", func(w http.ResponseWriter, r *http.Request) {
		f.varsHits.Add(1)
		f.mu.Lock()
		body, gz := f.payload, f.gzipped
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Cache-Control", "no-cache")
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Write(body)
			return
		}
		f.gzipAsked.Store(true)
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz)
	})
	mux.HandleFunc("/_status/nodes/local", func(w http.ResponseWriter, r *http.Request) {
		f.localHits.Add(1)
		f.mu.Lock()
		body, code := f.local, f.localCode
		f.mu.Unlock()
		if body == nil {
			http.Error(w, http.StatusText(code), code)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *varsFake) set(payload []byte) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(payload)
	zw.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.payload, f.gzipped = payload, gz.Bytes()
}

func (f *varsFake) node() cluster.Node { return cluster.Node{StatusURL: f.URL} }

func (f *varsFake) instance() string { return "instance:" + strings.TrimPrefix(f.URL, "http://") }

func varsRead(t testing.TB, path ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func v20Payload(t testing.TB, node int, at string) []byte {
	return varsRead(t, testenv.Fixtures(t), "cockroach-v20.2", "healthy", fmt.Sprintf("node%d_status_vars_%s.txt", node, at))
}

func v23Payload(t testing.TB, name string) []byte {
	return varsRead(t, testenv.Testdata(t), "vars", name)
}

// varsSample reads one sample's value straight from the payload text: an
// independent check of what the parser and the check computed.
func varsSample(t testing.TB, payload []byte, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(string(payload), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", series, err)
			}
			return x
		}
	}
	t.Fatalf("no sample %s in payload", series)
	return 0
}

type varsRun struct {
	t       testing.TB
	v       *checks.Vars
	errsMu  sync.Mutex
	errs    map[string][]error
	logs    syncBuffer
	catalog map[string]checks.Metric
	// localityKeys are the tag keys accepted for catalog "locality".
	localityKeys map[string]bool
	// includes: extra families are sent under names outside the catalog.
	includes bool
	// dropped sums the series reported dropped, by reason.
	dropped map[string]int
}

func newVarsRun(t testing.TB, o checks.VarsOptions) *varsRun {
	t.Helper()
	if o.Histograms == "" {
		// Both, so that every test covers the gauges and the distribution.
		o.Histograms = checks.HistogramBoth
	}
	v, err := checks.NewVars(o)
	if err != nil {
		t.Fatal(err)
	}
	r := &varsRun{t: t, v: v, errs: map[string][]error{}, catalog: map[string]checks.Metric{},
		localityKeys: map[string]bool{"region": true, "zone": true}, includes: len(o.Include) > 0}
	for _, m := range checks.Catalog() {
		r.catalog[m.Name] = m
	}
	return r
}

// cycle runs the check once over nodes and checks that everything sent is
// in the catalog with the right kind and tag keys.
func (r *varsRun) cycle(nodes ...cluster.Node) *sinktest.Recorder {
	r.t.Helper()
	rec := &sinktest.Recorder{}
	tgt := &checks.Target{
		Cluster: "test",
		Nodes:   nodes,
		HTTP:    &http.Client{},
		Logger:  slog.New(slog.NewTextHandler(&r.logs, nil)),
		NodeErrors: func(node string, err error) {
			r.errsMu.Lock()
			defer r.errsMu.Unlock()
			r.errs[node] = append(r.errs[node], err)
		},
		SeriesDropped: func(reason string, n int) {
			r.errsMu.Lock()
			defer r.errsMu.Unlock()
			if r.dropped == nil {
				r.dropped = map[string]int{}
			}
			r.dropped[reason] += n
		},
	}
	if err := r.v.Run(context.Background(), tgt, rec); err != nil {
		r.t.Fatalf("Run: %v", err)
	}
	r.checkCatalog(rec)
	return rec
}

func (r *varsRun) checkCatalog(rec *sinktest.Recorder) {
	r.t.Helper()
	for _, p := range rec.Points {
		if r.isExtra(p.Name) {
			continue
		}
		m, ok := r.catalog[p.Name]
		if !ok {
			r.t.Errorf("%s %s sent but not in the catalog", p.Kind, p.Name)
			continue
		}
		if m.Kind != p.Kind || m.Check != "vars" {
			r.t.Errorf("%s sent as %s, catalog says %s from %q", p.Name, p.Kind, m.Kind, m.Check)
		}
		keys := map[string]bool{}
		for _, k := range m.Tags {
			keys[k] = true
		}
		for _, tag := range p.Tags {
			k, _, _ := strings.Cut(tag, ":")
			if !keys[k] && !(keys["locality"] && r.localityKeys[k]) {
				r.t.Errorf("%s tagged %s, catalog tags are %v", p.Name, tag, m.Tags)
			}
		}
		if m.ClusterLevel && len(p.Tags) > 0 {
			r.t.Errorf("%s: cluster-level in the catalog, sent with tags %v", p.Name, p.Tags)
		}
	}
}

// isExtra tells included families apart (sent under their own name).
func (r *varsRun) isExtra(name string) bool {
	_, curated := r.catalog[name]
	return !curated && r.includes
}

func varsOne(t testing.TB, rec *sinktest.Recorder, kind checks.Kind, name string, tags ...string) float64 {
	t.Helper()
	p := rec.One(t, name, tags...)
	if p.Kind != kind {
		t.Fatalf("%s %v: kind %s, want %s", name, tags, p.Kind, kind)
	}
	return p.Value
}

func varsNone(t testing.TB, rec *sinktest.Recorder, name string, tags ...string) {
	t.Helper()
	if ps := rec.Find(name, tags...); len(ps) > 0 {
		t.Errorf("%s %v: want nothing, got %v", name, tags, ps)
	}
}

func varsNear(t testing.TB, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.12g, want %.12g", what, got, want)
	}
}

func varsKinds(rec *sinktest.Recorder, kind checks.Kind) []sinktest.Point {
	var out []sinktest.Point
	for _, p := range rec.Points {
		if p.Kind == kind {
			out = append(out, p)
		}
	}
	return out
}

// TestVarsV20TwoCycles scrapes the real 3-node v20.2 captures taken 20 s
// apart: gauges on the first cycle only, exact deltas and histogram windows
// on the second.
func TestVarsV20TwoCycles(t *testing.T) {
	t.Parallel()
	clock := newTestClock(v20T0)
	// gzip, as across machines (loopback defaults to plain text).
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now, Compression: checks.VarsCompressionGzip})
	var fakes []*varsFake
	var nodes []cluster.Node
	for n := 1; n <= 3; n++ {
		f := newVarsFake(t, v20Payload(t, n, "t0"))
		fakes = append(fakes, f)
		nodes = append(nodes, f.node())
	}

	rec := r.cycle(nodes...)
	for i, f := range fakes {
		id := fmt.Sprintf("node_id:%d", i+1) // from the node_id gauge family
		if got := varsOne(t, rec, checks.KindGauge, "node.up", f.instance(), id); got != 1 {
			t.Errorf("node %d up = %v", i+1, got)
		}
		if p := rec.One(t, "node.can_scrape", id); p.Status != checks.OK {
			t.Errorf("node %d can_scrape = %v %q", i+1, p.Status, p.Message)
		}
		if !f.gzipAsked.Load() {
			t.Errorf("node %d: the scrape did not ask for gzip", i+1)
		}
		payload := v20Payload(t, i+1, "t0")
		store := fmt.Sprintf("store:%d", i+1)
		ranges := varsSample(t, payload, fmt.Sprintf(`ranges{store="%d"}`, i+1))
		if got := varsOne(t, rec, checks.KindGauge, "ranges", id, store); got != ranges {
			t.Errorf("node %d ranges = %v, want %v", i+1, got, ranges)
		}
		capacity := varsSample(t, payload, fmt.Sprintf(`capacity{store="%d"}`, i+1))
		avail := varsSample(t, payload, fmt.Sprintf(`capacity_available{store="%d"}`, i+1))
		varsNear(t, "capacity.used_ratio", varsOne(t, rec, checks.KindGauge, "capacity.used_ratio", id, store), (capacity-avail)/capacity)
		varsNear(t, "clock.offset.mean", varsOne(t, rec, checks.KindGauge, "clock.offset.mean", id),
			varsSample(t, payload, "clock_offset_meannanos")*1e-9)
		varsOne(t, rec, checks.KindGauge, "node.build", id, "crdb_version:v20.2.0-beta.1-localbuild")
		varsOne(t, rec, checks.KindGauge, "requests.slow", id, store, "kind:raft")
		varsOne(t, rec, checks.KindGauge, "requests.slow", id, "kind:distsender")
	}
	if counts := varsKinds(rec, checks.KindCount); len(counts) > 0 {
		t.Errorf("first cycle sent counts (nothing to diff yet): %v", counts)
	}
	varsNone(t, rec, "sql.service_latency.p99")
	varsNone(t, rec, "sql.service_latency.count")

	var sumRanges float64
	for n := 1; n <= 3; n++ {
		sumRanges += varsSample(t, v20Payload(t, n, "t0"), fmt.Sprintf(`ranges{store="%d"}`, n))
	}
	if got := varsOne(t, rec, checks.KindGauge, "cluster.ranges"); got != sumRanges || got != 41 {
		t.Errorf("cluster.ranges = %v, want %v (41: only node 1 counts them)", got, sumRanges)
	}
	for name, want := range map[string]float64{
		"cluster.live_nodes.max": 3, "cluster.live_nodes.min": 3, "cluster.live_nodes.spread": 0,
		"cluster.ranges.underreplicated": 0, "cluster.ranges.unavailable": 0,
		"cluster.versions": 1, "cluster.nodes.scraped": 3, "cluster.nodes.targets": 3,
	} {
		if got := varsOne(t, rec, checks.KindGauge, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	// Second cycle, 20 s later.
	for i, f := range fakes {
		f.set(v20Payload(t, i+1, "t1"))
	}
	clock.Add(20 * time.Second)
	rec = r.cycle(nodes...)
	for n := 1; n <= 3; n++ {
		t0, t1 := v20Payload(t, n, "t0"), v20Payload(t, n, "t1")
		id := fmt.Sprintf("node_id:%d", n)
		for _, c := range []struct {
			family, name string
			tags         []string
		}{
			{"sql_select_count", "sql.statements", []string{"statement_type:select"}},
			{"sql_insert_count", "sql.statements", []string{"statement_type:insert"}},
			{"sql_update_count", "sql.statements", []string{"statement_type:update"}},
			{"sql_delete_count", "sql.statements", []string{"statement_type:delete"}},
			{"sql_misc_count", "sql.statements", []string{"statement_type:misc"}},
			{"sql_failure_count", "sql.failures", nil},
			{"sql_new_conns", "sql.new_conns", nil},
			{"sql_txn_commit_count", "sql.txn.commits", nil},
			{"txn_commits", "txn.commits", nil},
			{"txn_restarts_serializable", "txn.restarts", []string{"reason:serializable"}},
			{"txn_restarts_writetooold", "txn.restarts", []string{"reason:writetooold"}},
			{"liveness_heartbeatfailures", "liveness.heartbeat_failures", nil},
			{"changefeed_emitted_messages", "changefeed.emitted_messages", nil},
		} {
			want := varsSample(t, t1, c.family) - varsSample(t, t0, c.family)
			got := varsOne(t, rec, checks.KindCount, c.name, append([]string{id}, c.tags...)...)
			if got != want {
				t.Errorf("node %d %s %v = %v, want %v", n, c.name, c.tags, got, want)
			}
		}
		if got := varsOne(t, rec, checks.KindCount, "node.restarts", id); got != 0 {
			t.Errorf("node %d restarts = %v", n, got)
		}
		want := varsSample(t, t1, "sql_service_latency_count") - varsSample(t, t0, "sql_service_latency_count")
		if got := varsOne(t, rec, checks.KindCount, "sql.service_latency.count", id); got != want {
			t.Errorf("node %d sql.service_latency.count = %v, want %v", n, got, want)
		}
	}
	// Hand computation, node 1, sql_service_latency between t0 and t1:
	// _count 5303 → 6053: 750 statements, rank of p99 = 0.99×750 = 742.5.
	// le=2.3068671e+07: 4885 → 5627 (742 in the window, below the rank);
	// le=2.4117247e+07: 4932 → 5675 (743, reaches it). So p99 lies in
	// (23068671, 24117247] ns, at (742.5−742)/(743−742) = 0.5 of the bucket:
	// 23068671 + 0.5×1048576 = 23592959 ns.
	varsNear(t, "node 1 sql.service_latency.p99", varsOne(t, rec, checks.KindGauge, "sql.service_latency.p99", "node_id:1"), 0.023592959)
	// The sum grew by 5621218578 ns over 750 observations.
	varsNear(t, "node 1 sql.service_latency.avg", varsOne(t, rec, checks.KindGauge, "sql.service_latency.avg", "node_id:1"), 5621218578e-9/750)
	// Nodes 2 and 3 saw no statement: a zero count and no quantiles.
	if got := varsOne(t, rec, checks.KindCount, "sql.service_latency.count", "node_id:2"); got != 0 {
		t.Errorf("node 2 service latency count = %v", got)
	}
	varsNone(t, rec, "sql.service_latency.p50", "node_id:2")
	for _, p := range varsKinds(rec, checks.KindCount) {
		if p.Value < 0 {
			t.Errorf("negative count %s", p.Key())
		}
	}
	for _, p := range rec.Points {
		if strings.Contains(p.Name, "bucket") {
			t.Errorf("per-bucket series sent: %s", p.Name)
		}
	}
}

// TestVarsV23SecureCluster uses roachdog's own v23.2-style payloads: a
// secure 3-node cluster in the middle of an upgrade (node 3 on v23.2.1) with
// node 3 partitioned (it sees 2 live nodes).
func TestVarsV23SecureCluster(t *testing.T) {
	t.Parallel()
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	var fakes []*varsFake
	var nodes []cluster.Node
	for n := 1; n <= 3; n++ {
		f := newVarsFake(t, v23Payload(t, fmt.Sprintf("v23_secure_node%d_t0.txt", n)))
		fakes = append(fakes, f)
		nodes = append(nodes, f.node())
	}
	rec := r.cycle(nodes...)

	const gib = 1 << 30
	for name, want := range map[string]float64{
		"cluster.live_nodes.max": 3, "cluster.live_nodes.min": 2, "cluster.live_nodes.spread": 1,
		"cluster.ranges": 22 + 14 + 9, "cluster.ranges.underreplicated": 1 + 0 + 2,
		"cluster.ranges.overreplicated": 1, "cluster.ranges.unavailable": 1,
		"cluster.capacity.total": 300 * gib, "cluster.capacity.available": (60 + 50 + 20) * gib,
		"cluster.capacity.used_ratio": 170.0 / 300, "cluster.versions": 2,
		"cluster.nodes.scraped": 3, "cluster.nodes.targets": 3,
	} {
		varsNear(t, name, varsOne(t, rec, checks.KindGauge, name), want)
	}
	// Node ids come from the node_id label (no node_id family in v23).
	varsOne(t, rec, checks.KindGauge, "node.build", "node_id:3", "crdb_version:v23.2.1")
	varsOne(t, rec, checks.KindGauge, "node.build", "node_id:1", "crdb_version:v23.2.2")
	varsNear(t, "used_ratio", varsOne(t, rec, checks.KindGauge, "capacity.used_ratio", "node_id:1", "store:1"), 0.4)
	varsOne(t, rec, checks.KindGauge, "requests.slow", "node_id:3", "store:3", "kind:latch")
	varsOne(t, rec, checks.KindGauge, "kv.circuit_breaker.tripped_replicas", "node_id:3", "store:3")
	varsNear(t, "admission.io_overload", varsOne(t, rec, checks.KindGauge, "admission.io_overload", "node_id:2", "store:2"), 0.12)
	varsNear(t, "changefeed.max_behind", varsOne(t, rec, checks.KindGauge, "changefeed.max_behind", "node_id:1"), 2.5)

	// Certificates: unix expiry − now; zero means no such certificate.
	for cert, want := range map[string]float64{"ca": 5 * 365 * 86400, "node": 30 * 86400, "node_client": 300 * 86400} {
		varsNear(t, "expires_in "+cert, varsOne(t, rec, checks.KindGauge, "security.certificate.expires_in", "node_id:1", "certificate:"+cert), want)
	}
	if n := len(rec.Find("security.certificate.expires_in", "node_id:1")); n != 3 {
		t.Errorf("%d certificate series for node 1, want 3 (ui, ui_ca... are 0: absent)", n)
	}
	varsNear(t, "license", varsOne(t, rec, checks.KindGauge, "license.expires_in", "node_id:1"), 14*86400)
	varsNear(t, "backup age", varsOne(t, rec, checks.KindGauge, "backup.last_completed_age", "node_id:1"), 3600)

	// Sparse job gauges: only types that have been non-zero.
	varsNear(t, "changefeed jobs", varsOne(t, rec, checks.KindGauge, "jobs.running", "node_id:1", "job_type:changefeed"), 2)
	varsNone(t, rec, "jobs.running", "job_type:backup")
	varsNone(t, rec, "jobs.running", "job_type:import")
	varsNone(t, rec, "jobs.running", "job_type:running_non")
	varsNear(t, "paused ttl", varsOne(t, rec, checks.KindGauge, "jobs.paused", "node_id:1", "job_type:row_level_ttl"), 1)
	// admission_wait_durations_kv_normal_pri is not curated; txn_restarts
	// (the histogram) is not a reason.
	varsNone(t, rec, "admission.wait_duration.count", "queue:kv_normal_pri")
	varsNone(t, rec, "txn.restarts", "reason:bucket")

	// Second cycle: node 1 moved on by 20 s, nodes 2 and 3 did not change.
	fakes[0].set(v23Payload(t, "v23_secure_node1_t1.txt"))
	clock.Add(20 * time.Second)
	rec = r.cycle(nodes...)
	for typ, want := range map[string]float64{"select": 420, "insert": 60, "update": 21, "delete": 0, "ddl": 0, "misc": 7} {
		if got := varsOne(t, rec, checks.KindCount, "sql.statements", "node_id:1", "statement_type:"+typ); got != want {
			t.Errorf("sql.statements %s = %v, want %v", typ, got, want)
		}
		if got := varsOne(t, rec, checks.KindCount, "sql.statements", "node_id:2", "statement_type:"+typ); got != 0 {
			t.Errorf("node 2 sql.statements %s = %v, want 0", typ, got)
		}
	}
	for _, c := range []struct {
		name string
		tags []string
		want float64
	}{
		{"txn.restarts", []string{"reason:serializable"}, 25},
		{"txn.restarts", []string{"reason:writetooold"}, 1},
		{"txn.restarts", []string{"reason:commitdeadlineexceeded"}, 0},
		{"storage.write_stalls", []string{"store:1"}, 3}, // TYPE gauge, cumulative
		{"sql.failures", nil, 4},
		{"sql.full_scans", nil, 3},
		{"sql.txn.commits", nil, 350},
		{"sql.txn.aborts", nil, 2},
		{"sql.txn.rollbacks", nil, 0},
		{"txn.commits", nil, 600},
		{"ttl.rows_deleted", nil, 990},
		{"ttl.rows_selected", nil, 1000},
		{"changefeed.error_retries", nil, 2},
		{"jobs.resume_failed", []string{"job_type:changefeed"}, 1},
		{"node.restarts", nil, 0},
		{"admission.wait_duration.count", []string{"queue:kv"}, 12481 - 12322},
		{"admission.wait_duration.count", []string{"queue:sql_kv_response"}, 0},
	} {
		if got := varsOne(t, rec, checks.KindCount, c.name, append([]string{"node_id:1"}, c.tags...)...); got != c.want {
			t.Errorf("%s %v = %v, want %v", c.name, c.tags, got, c.want)
		}
	}
	// Zero deltas of sparse counts are not sent.
	varsNone(t, rec, "jobs.resume_failed", "job_type:backup")
	varsNone(t, rec, "jobs.resume_failed", "node_id:2")
	// A job type that became non-zero is sent from then on; one that was
	// non-zero keeps being sent at zero.
	varsNear(t, "backup running", varsOne(t, rec, checks.KindGauge, "jobs.running", "node_id:1", "job_type:backup"), 1)
	varsNear(t, "ttl paused", varsOne(t, rec, checks.KindGauge, "jobs.paused", "node_id:1", "job_type:row_level_ttl"), 0)
	varsNone(t, rec, "jobs.running", "job_type:import")

	// Hand computation for sql_service_latency between t0 and t1 (bounds in
	// ns): 100 new observations, 20 in (5e5,1e6], 50 in (1e6,2e6], 29 in
	// (2e6,5e6], 1 in (5e6,1e7]; window cumulative 0,0,20,70,99,100.
	//   p50: rank 50 in (1e6,2e6]: 1e6 + 1e6×(50−20)/50 = 1.6e6
	//   p75: rank 75 in (2e6,5e6]: 2e6 + 3e6×(75−70)/29
	//   p90: rank 90 in (2e6,5e6]: 2e6 + 3e6×(90−70)/29
	//   p99: rank 99 in (2e6,5e6]: 2e6 + 3e6×29/29 = 5e6
	//   max: 1e7 (highest bucket that grew); avg: (1.7e9−1.5e9)/100 = 2e6.
	for name, want := range map[string]float64{
		"sql.service_latency.p50": 1.6e6, "sql.service_latency.p75": 2e6 + 3e6*5/29,
		"sql.service_latency.p90": 2e6 + 3e6*20/29, "sql.service_latency.p99": 5e6,
		"sql.service_latency.max": 1e7, "sql.service_latency.avg": 2e6,
	} {
		varsNear(t, name, varsOne(t, rec, checks.KindGauge, name, "node_id:1"), want*1e-9)
	}
	if got := varsOne(t, rec, checks.KindCount, "sql.service_latency.count", "node_id:1"); got != 100 {
		t.Errorf("sql.service_latency.count = %v, want 100", got)
	}
	varsNear(t, "backup age", varsOne(t, rec, checks.KindGauge, "backup.last_completed_age", "node_id:1"), 3620)
	varsNear(t, "cert", varsOne(t, rec, checks.KindGauge, "security.certificate.expires_in", "node_id:1", "certificate:node"), 30*86400-20)
}

// TestVarsCounterReset: a node restarted between two scrapes. Counters went
// down: the count is the new value (increments since the restart), never
// negative, and node.restarts says 1.
func TestVarsCounterReset(t *testing.T) {
	t.Parallel()
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	f := newVarsFake(t, v23Payload(t, "v23_secure_node1_t0.txt"))
	r.cycle(f.node())

	restarted := v23Payload(t, "v23_secure_node1_restarted.txt")
	f.set(restarted)
	clock.Add(40 * time.Second)
	rec := r.cycle(f.node())
	if got := varsOne(t, rec, checks.KindCount, "sql.statements", "statement_type:select"); got != varsSample(t, restarted, `sql_select_count{node_id="1"}`) || got != 15 {
		t.Errorf("select after restart = %v, want 15", got)
	}
	if got := varsOne(t, rec, checks.KindCount, "sql.service_latency.count"); got != 12 {
		t.Errorf("service latency count after restart = %v, want 12", got)
	}
	if got := varsOne(t, rec, checks.KindCount, "node.restarts"); got != 1 {
		t.Errorf("node.restarts = %v, want 1", got)
	}
	for _, p := range varsKinds(rec, checks.KindCount) {
		if p.Value < 0 {
			t.Errorf("negative count %s = %v", p.Key(), p.Value)
		}
	}

	// Ten minutes later the uptime (300 s) is larger than before (8 s) but
	// shorter than the time elapsed: it restarted again in between.
	f.set(bytes.Replace(restarted, []byte(`sys_uptime{node_id="1"} 8`), []byte(`sys_uptime{node_id="1"} 300`), 1))
	clock.Add(10 * time.Minute)
	rec = r.cycle(f.node())
	if got := varsOne(t, rec, checks.KindCount, "node.restarts"); got != 1 {
		t.Errorf("node.restarts after a short uptime = %v, want 1", got)
	}
	// And 20 s later with 320 s of uptime, no restart.
	f.set(bytes.Replace(restarted, []byte(`sys_uptime{node_id="1"} 8`), []byte(`sys_uptime{node_id="1"} 320`), 1))
	clock.Add(20 * time.Second)
	rec = r.cycle(f.node())
	if got := varsOne(t, rec, checks.KindCount, "node.restarts"); got != 0 {
		t.Errorf("node.restarts = %v, want 0", got)
	}
}

// TestVarsV23Fixtures serves each v23.2 subset (and the v22.2.8 security
// file) as a node: node ids from labels, duplicated families tolerated, and
// every name sent is in the catalog.
func TestVarsV23Fixtures(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-vars")
	files, err := filepath.Glob(filepath.Join(dir, "v2*.txt"))
	if err != nil || len(files) < 10 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	var nodes []cluster.Node
	byURL := map[string]string{}
	for _, file := range files {
		f := newVarsFake(t, varsRead(t, file))
		nodes = append(nodes, f.node())
		byURL[f.instance()] = filepath.Base(file)
	}
	r.cycle(nodes...)
	clock.Add(20 * time.Second)
	rec := r.cycle(nodes...)
	for inst, file := range byURL {
		p := rec.One(t, "node.up", inst)
		if p.Value != 1 {
			t.Errorf("%s: node.up = %v (%v)", file, p.Value, rec.Find("node.can_scrape", inst))
		}
		v23 := strings.HasPrefix(file, "v23.")
		if has := slicesContains(p.Tags, "node_id:1"); has != v23 {
			t.Errorf("%s: node.up tags %v: node_id label expected only in v23 files", file, p.Tags)
		}
	}
	// Same payload twice: every count is 0, and histogram windows are
	// empty (no quantiles).
	for _, p := range varsKinds(rec, checks.KindCount) {
		if p.Value != 0 {
			t.Errorf("%s = %v on an unchanged payload", p.Key(), p.Value)
		}
	}
	varsNone(t, rec, "sql.service_latency.p99")
	varsOne(t, rec, checks.KindCount, "sql.service_latency.count", "node_id:1")
	varsOne(t, rec, checks.KindGauge, "storage.l0_sublevels", "node_id:1", "store:1")
	varsOne(t, rec, checks.KindGauge, "sys.uptime", "node_id:1")
	varsOne(t, rec, checks.KindGauge, "kv.circuit_breaker.tripped_replicas", "node_id:1", "store:1")
	varsOne(t, rec, checks.KindCount, "txn.restarts", "node_id:1", "reason:serializable")
	varsOne(t, rec, checks.KindCount, "admission.wait_duration.count", "node_id:1", "queue:kv")
	varsOne(t, rec, checks.KindCount, "ttl.rows_deleted", "node_id:1")
	varsOne(t, rec, checks.KindGauge, "jobs.running", "node_id:1", "job_type:key_visualizer")
	// v22.2.8 security file: node certificate expires at 1.841077264e9.
	varsNear(t, "node cert", varsOne(t, rec, checks.KindGauge, "security.certificate.expires_in", "certificate:node"),
		1.841077264e9-float64(clock.Now().Unix()))
	if len(rec.Find("node.build", "crdb_version:v22.2.8")) == 0 {
		t.Error("no node.build for v22.2.8")
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestVarsNodeFailures: one bad node among two good ones. The bad one is
// reported (node.up 0, CRITICAL with the reason, node error), the others
// are untouched.
func TestVarsNodeFailures(t *testing.T) {
	t.Parallel()
	good := v23Payload(t, "v23_secure_node2_t0.txt")
	bad := v23Payload(t, "v23_secure_node1_t0.txt")
	cut := bytes.Index(bad, []byte("sql_service_latency_bucket"))
	// A server the node redirects to, serving a valid payload: what it says
	// is not the configured node's metrics.
	other := newVarsFake(t, bytes.ReplaceAll(good, []byte(`node_id="2"`), []byte(`node_id="9"`)))
	cases := []struct {
		name    string
		opts    checks.VarsOptions
		handler http.HandlerFunc // nil: a closed server (connection refused)
		want    string
	}{
		{name: "refused", want: "connection refused"},
		{name: "hangs", opts: checks.VarsOptions{Timeout: 300 * time.Millisecond},
			handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			want:    "scrape /_status/vars: timeout after 300ms"},
		{name: "truncated", handler: func(w http.ResponseWriter, r *http.Request) { w.Write(bad[:cut+30]) },
			want: "parse /_status/vars: "},
		{name: "garbage", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<html><body>Binary built without web UI.</body></html>\n\x00\x01\x02 {{{\n"))
		}, want: "parse /_status/vars: "},
		{name: "too large", opts: checks.VarsOptions{MaxPayloadBytes: 50000}, // the good ones are 24 kB
			handler: func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat(bad, 3)) },
			want:    "payload larger than 50000 bytes"},
		{name: "http 503", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "node is draining\nplease retry", http.StatusServiceUnavailable)
		}, want: "HTTP 503 Service Unavailable: node is draining please retry"},
		{name: "redirected", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/_status/vars?remote_node_id=9", http.StatusFound)
		}, want: `scrape /_status/vars: refused to follow HTTP 302 redirect to "` + other.URL + `/_status/vars?…"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newVarsRun(t, c.opts)
			g1, g2 := newVarsFake(t, good), newVarsFake(t, bytes.ReplaceAll(good, []byte(`node_id="2"`), []byte(`node_id="3"`)))
			var badURL string
			if c.handler == nil {
				s := httptest.NewServer(http.NotFoundHandler())
				badURL = s.URL
				s.Close()
			} else {
				s := httptest.NewServer(c.handler)
				t.Cleanup(s.Close)
				badURL = s.URL
			}
			inst := "instance:" + strings.TrimPrefix(badURL, "http://")
			rec := r.cycle(g1.node(), cluster.Node{StatusURL: badURL, ID: 9}, g2.node())

			if got := varsOne(t, rec, checks.KindGauge, "node.up", inst, "node_id:9"); got != 0 {
				t.Errorf("bad node up = %v", got)
			}
			sc := rec.One(t, "node.can_scrape", inst)
			if sc.Status != checks.Critical || !strings.Contains(sc.Message, c.want) ||
				!strings.HasPrefix(sc.Message, "node 9 ("+badURL+"): ") {
				t.Errorf("can_scrape = %v %q, want CRITICAL with %q", sc.Status, sc.Message, c.want)
			}
			host := strings.TrimPrefix(badURL, "http://")
			if errs := r.errs[host]; len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
				t.Errorf("node errors for %s = %v", host, r.errs)
			}
			if len(r.errs) != 1 {
				t.Errorf("node errors for other nodes: %v", r.errs)
			}
			for _, id := range []string{"node_id:2", "node_id:3"} {
				if got := varsOne(t, rec, checks.KindGauge, "node.up", id); got != 1 {
					t.Errorf("%s up = %v", id, got)
				}
				varsOne(t, rec, checks.KindGauge, "sys.uptime", id)
			}
			varsNone(t, rec, "sys.uptime", "node_id:9")
			if got := varsOne(t, rec, checks.KindGauge, "cluster.nodes.scraped"); got != 2 {
				t.Errorf("nodes scraped = %v", got)
			}
			if got := varsOne(t, rec, checks.KindGauge, "cluster.nodes.targets"); got != 3 {
				t.Errorf("nodes targets = %v", got)
			}
			if !strings.Contains(r.logs.String(), "level=WARN") {
				t.Errorf("no warning logged: %s", r.logs.String())
			}
		})
	}
	if n := other.varsHits.Load(); n != 0 {
		t.Errorf("the redirect target was scraped %d times", n)
	}
}

// TestVarsNodeGoesDown: a node that answered once keeps its node id and
// locality on node.up after it stops answering; a cluster with no node
// answering sends only the node counts.
func TestVarsNodeGoesDown(t *testing.T) {
	t.Parallel()
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	f := newVarsFake(t, v23Payload(t, "v23_secure_node3_t0.txt"))
	f.local = varsRead(t, testenv.Fixtures(t), "cockroach-v20.2", "healthy", "http", "status_nodes_local.json")
	node := f.node()
	r.cycle(node)
	f.Close()
	clock.Add(20 * time.Second)
	rec := r.cycle(node)
	if got := varsOne(t, rec, checks.KindGauge, "node.up", f.instance(), "node_id:3", "region:us-east", "zone:a"); got != 0 {
		t.Errorf("node.up = %v", got)
	}
	if got := varsOne(t, rec, checks.KindGauge, "cluster.nodes.scraped"); got != 0 {
		t.Errorf("scraped = %v", got)
	}
	varsOne(t, rec, checks.KindGauge, "cluster.nodes.targets")
	for _, p := range rec.Points {
		if strings.HasPrefix(p.Name, "cluster.") && p.Name != "cluster.nodes.scraped" && p.Name != "cluster.nodes.targets" {
			t.Errorf("%s sent with no node scraped", p.Name)
		}
	}
}

// TestVarsNodeIDFallback: without node_id label or family, the discovered
// id is used.
func TestVarsNodeIDFallback(t *testing.T) {
	t.Parallel()
	r := newVarsRun(t, checks.VarsOptions{})
	f := newVarsFake(t, []byte("# TYPE sys_uptime gauge\nsys_uptime 42\n"))
	rec := r.cycle(cluster.Node{StatusURL: f.URL, ID: 7})
	varsNear(t, "uptime", varsOne(t, rec, checks.KindGauge, "sys.uptime", "node_id:7"), 42)
	// No id at all: no node_id tag.
	g := newVarsFake(t, []byte("# TYPE sys_uptime gauge\nsys_uptime 42\n"))
	rec = r.cycle(g.node())
	if p := rec.One(t, "sys.uptime"); len(p.Tags) != 0 {
		t.Errorf("tags %v, want none", p.Tags)
	}
}

func TestVarsIncludeExclude(t *testing.T) {
	t.Parallel()
	// Node 1 alone: as a single-node cluster, so that the cluster sums are
	// complete (the captures come from a 3-node cluster).
	single := func(b []byte) []byte {
		return bytes.Replace(b, []byte(`liveness_livenodes{node_id="1"} 3`), []byte(`liveness_livenodes{node_id="1"} 1`), 1)
	}
	payload := single(v23Payload(t, "v23_secure_node1_t0.txt"))
	payload1 := single(v23Payload(t, "v23_secure_node1_t1.txt"))
	cases := []struct {
		name    string
		include []string
		exclude []string
		check   func(t *testing.T, rec *sinktest.Recorder)
	}{
		{name: "include counter by name", include: []string{"rocksdb_block_cache_hits"},
			check: func(t *testing.T, rec *sinktest.Recorder) {
				if got := varsOne(t, rec, checks.KindCount, "rocksdb_block_cache_hits", "node_id:1", "store:1"); got != 1234 {
					t.Errorf("block cache hits = %v, want 1234", got)
				}
				varsNone(t, rec, "rocksdb_block_cache_misses")
			}},
		{name: "include by regex", include: []string{"/^(sql_mem_root_current|rocksdb_block_cache_.*)$/"},
			check: func(t *testing.T, rec *sinktest.Recorder) {
				varsNear(t, "mem", varsOne(t, rec, checks.KindGauge, "sql_mem_root_current", "node_id:1"), 1.2e7)
				varsOne(t, rec, checks.KindCount, "rocksdb_block_cache_misses", "node_id:1", "store:1")
				varsOne(t, rec, checks.KindCount, "rocksdb_block_cache_hits", "node_id:1", "store:1")
			}},
		{name: "include histogram", include: []string{"admission_wait_durations_kv_normal_pri", "txn_restarts"},
			check: func(t *testing.T, rec *sinktest.Recorder) {
				// Unchanged between t0 and t1: an empty window.
				if got := varsOne(t, rec, checks.KindCount, "admission_wait_durations_kv_normal_pri.count", "node_id:1"); got != 0 {
					t.Errorf("count = %v", got)
				}
				// txn_restarts (restarts per transaction, 1..8): 27 more
				// transactions restarted, 22 once, 5 twice (2 buckets of the
				// window: 22 at le=1, 27 at le=2). p50: rank 13.5 ≤ 22 in
				// (0,1]: 13.5/22.
				if got := varsOne(t, rec, checks.KindCount, "txn_restarts.count", "node_id:1"); got != 27 {
					t.Errorf("txn_restarts.count = %v", got)
				}
				varsNear(t, "txn_restarts.p50", varsOne(t, rec, checks.KindGauge, "txn_restarts.p50", "node_id:1"), 13.5/22)
				varsNear(t, "txn_restarts.max", varsOne(t, rec, checks.KindGauge, "txn_restarts.max", "node_id:1"), 4)
				for _, p := range rec.Points {
					if strings.Contains(strings.Join(p.Tags, ","), "le:") {
						t.Errorf("le tag on %s", p.Key())
					}
				}
			}},
		{name: "exclude curated", exclude: []string{"ranges", "/^sql_.*_count$/"},
			check: func(t *testing.T, rec *sinktest.Recorder) {
				varsNone(t, rec, "ranges")
				varsNone(t, rec, "cluster.ranges")
				varsNone(t, rec, "sql.statements")
				varsNone(t, rec, "sql.failures")
				varsOne(t, rec, checks.KindGauge, "ranges.underreplicated", "node_id:1")
				varsOne(t, rec, checks.KindGauge, "cluster.ranges.underreplicated")
				varsOne(t, rec, checks.KindGauge, "sql.conns", "node_id:1")
			}},
		{name: "exclude wins over include", include: []string{"rocksdb_block_cache_hits"}, exclude: []string{"/^rocksdb_/"},
			check: func(t *testing.T, rec *sinktest.Recorder) {
				varsNone(t, rec, "rocksdb_block_cache_hits")
				varsNone(t, rec, "storage.read_amplification")
			}},
		{name: "exclude node_id keeps identity", exclude: []string{"node_id"},
			check: func(t *testing.T, rec *sinktest.Recorder) {
				varsOne(t, rec, checks.KindGauge, "sys.uptime", "node_id:1")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := newTestClock(varsT0)
			r := newVarsRun(t, checks.VarsOptions{Include: c.include, Exclude: c.exclude, Now: clock.Now})
			f := newVarsFake(t, payload)
			first := r.cycle(f.node())
			for _, name := range c.include {
				if !strings.HasPrefix(name, "/") {
					varsNone(t, first, name+".count") // no window on the first scrape
				}
			}
			f.set(payload1)
			clock.Add(20 * time.Second)
			c.check(t, r.cycle(f.node()))
		})
	}
}

func TestNewVarsErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		o    checks.VarsOptions
		want string
	}{
		{checks.VarsOptions{Include: []string{"/[/"}}, `vars: include "/[/": error parsing regexp`},
		{checks.VarsOptions{Exclude: []string{"not a name"}}, `vars: exclude "not a name" is neither`},
		{checks.VarsOptions{Quantiles: []float64{0.5, 1.5}}, "quantile 1.5 is outside"},
		{checks.VarsOptions{Quantiles: []float64{0.5, 0.5}}, "given twice"},
		{checks.VarsOptions{Timeout: -time.Second}, "negative"},
		{checks.VarsOptions{MaxPayloadBytes: -1}, "negative"},
	} {
		if _, err := checks.NewVars(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewVars(%+v) = %v, want %q", c.o, err, c.want)
		}
	}
	v, err := checks.NewVars(checks.VarsOptions{})
	if err != nil || v.Name() != "vars" {
		t.Errorf("defaults: %v %+v", err, v)
	}
}

// TestVarsQuantileNames: a configured quantile is sent as p<100q>, dots
// as underscores.
func TestVarsQuantileNames(t *testing.T) {
	t.Parallel()
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Quantiles: []float64{0.999}, Now: clock.Now})
	f := newVarsFake(t, v23Payload(t, "v23_secure_node1_t0.txt"))
	r.v.Run(context.Background(), &checks.Target{Nodes: []cluster.Node{f.node()}}, &sinktest.Recorder{})
	f.set(v23Payload(t, "v23_secure_node1_t1.txt"))
	clock.Add(20 * time.Second)
	rec := &sinktest.Recorder{}
	if err := r.v.Run(context.Background(), &checks.Target{Nodes: []cluster.Node{f.node()}}, rec); err != nil {
		t.Fatal(err)
	}
	// rank 99.9 of 100 in (5e6,1e7]: 5e6 + 5e6×0.9/1.
	varsNear(t, "p99_9", varsOne(t, rec, checks.KindGauge, "sql.service_latency.p99_9"), 9.5e-3)
	varsNone(t, rec, "sql.service_latency.p99")
}

func TestVarsLocality(t *testing.T) {
	t.Parallel()
	local := varsRead(t, testenv.Fixtures(t), "cockroach-v20.2", "healthy", "http", "status_nodes_local.json")
	clock := newTestClock(v20T0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	r.localityKeys["cloud_x"] = true

	fetched := newVarsFake(t, v20Payload(t, 1, "t0"))
	fetched.local = local // region=us-east,zone=a
	discovered := newVarsFake(t, v20Payload(t, 2, "t0"))
	discovered.local = local
	denied := newVarsFake(t, v20Payload(t, 3, "t0"))
	denied.localCode = http.StatusUnauthorized
	nodes := []cluster.Node{
		fetched.node(),
		{StatusURL: discovered.URL, Locality: []cluster.Tier{{Key: "Region", Value: "EU West"}, {Key: "cloud:x", Value: "gcp"}}},
		denied.node(),
	}
	for i := 0; i < 3; i++ {
		rec := r.cycle(nodes...)
		varsOne(t, rec, checks.KindGauge, "node.up", fetched.instance(), "node_id:1", "region:us-east", "zone:a")
		varsOne(t, rec, checks.KindGauge, "ranges", "node_id:1", "region:us-east", "zone:a", "store:1")
		p := rec.One(t, "sys.uptime", "node_id:2")
		if strings.Join(p.Tags, ",") != "node_id:2,region:eu_west,cloud_x:gcp" {
			t.Errorf("discovered locality tags %v", p.Tags)
		}
		if p := rec.One(t, "sys.uptime", "node_id:3"); len(p.Tags) != 1 {
			t.Errorf("node without locality: tags %v", p.Tags)
		}
		clock.Add(20 * time.Second)
	}
	if n := fetched.localHits.Load(); n != 1 {
		t.Errorf("/_status/nodes/local fetched %d times, want once (cached)", n)
	}
	if n := discovered.localHits.Load(); n != 0 {
		t.Errorf("/_status/nodes/local fetched %d times despite discovered locality", n)
	}
	if n := denied.localHits.Load(); n != 1 {
		t.Errorf("denied /_status/nodes/local fetched %d times, want 1 (retry after 10 min)", n)
	}
	clock.Add(10 * time.Minute)
	r.cycle(nodes...)
	if n := denied.localHits.Load(); n != 2 {
		t.Errorf("denied /_status/nodes/local fetched %d times after 10 min, want 2", n)
	}
	logs := r.logs.String()
	if n := strings.Count(logs, "locality unavailable"); n != 1 || !strings.Contains(logs, "level=INFO") ||
		!strings.Contains(logs, "HTTP 401 Unauthorized") {
		t.Errorf("want one info log about the missing locality, got %d:\n%s", n, logs)
	}
}

// TestVarsCancelled: on shutdown (parent context cancelled) nothing is
// reported: the nodes are not down.
func TestVarsCancelled(t *testing.T) {
	t.Parallel()
	v, err := checks.NewVars(checks.VarsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	rec := &sinktest.Recorder{}
	err = v.Run(ctx, &checks.Target{Nodes: []cluster.Node{{StatusURL: hang.URL}}, HTTP: &http.Client{}}, rec)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if len(rec.Points) > 0 {
		t.Errorf("sent on shutdown:\n%s", rec.String())
	}
}

// TestVarsDuplicateNode: a URL listed twice is scraped once.
func TestVarsDuplicateNode(t *testing.T) {
	t.Parallel()
	r := newVarsRun(t, checks.VarsOptions{})
	f := newVarsFake(t, v23Payload(t, "v23_secure_node2_t0.txt"))
	rec := r.cycle(f.node(), f.node())
	if n := f.varsHits.Load(); n != 1 {
		t.Errorf("scraped %d times", n)
	}
	varsOne(t, rec, checks.KindGauge, "node.up", "node_id:2")
	if got := varsOne(t, rec, checks.KindGauge, "cluster.nodes.targets"); got != 1 {
		t.Errorf("targets = %v", got)
	}
}

type varsNopSink struct{}

func (varsNopSink) Gauge(string, float64, []string)                      {}
func (varsNopSink) Count(string, int64, []string)                        {}
func (varsNopSink) Distribution(string, []checks.Sample, []string)       {}
func (varsNopSink) ServiceCheck(string, checks.Status, string, []string) {}
func (varsNopSink) Event(checks.Event)                                   {}

// BenchmarkVarsRun is one steady-state cycle over 3 nodes serving the
// v20.2 captures (523 families, ~225 kB each): scrape over loopback HTTP
// with gzip, select, parse, convert.
func BenchmarkVarsRun(b *testing.B) {
	clock := newTestClock(v20T0)
	v, err := checks.NewVars(checks.VarsOptions{Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	var nodes []cluster.Node
	for n := 1; n <= 3; n++ {
		nodes = append(nodes, newVarsFake(b, v20Payload(b, n, "t0")).node())
	}
	tgt := &checks.Target{Nodes: nodes, HTTP: &http.Client{}}
	ctx := context.Background()
	if err := v.Run(ctx, tgt, varsNopSink{}); err != nil { // baseline cycle
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		clock.Add(10 * time.Second)
		if err := v.Run(ctx, tgt, varsNopSink{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVarsChildSeries: with child metrics enabled, a family has an aggregate
// series and labelled children (per-table TTL metrics); only the aggregate
// is read.
func TestVarsChildSeries(t *testing.T) {
	t.Parallel()
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	payload := func(total, a, b int) []byte {
		return []byte(fmt.Sprintf(`# HELP jobs_row_level_ttl_rows_deleted Number of rows deleted by the row level TTL job.
# TYPE jobs_row_level_ttl_rows_deleted counter
jobs_row_level_ttl_rows_deleted{node_id="4"} %d
jobs_row_level_ttl_rows_deleted{node_id="4",relation="defaultdb_public_events__events_pkey_"} %d
jobs_row_level_ttl_rows_deleted{node_id="4",relation="default"} %d
`, total, a, b))
	}
	f := newVarsFake(t, payload(100, 60, 40))
	r.cycle(f.node())
	f.set(payload(130, 80, 50))
	clock.Add(20 * time.Second)
	rec := r.cycle(f.node())
	if got := varsOne(t, rec, checks.KindCount, "ttl.rows_deleted", "node_id:4"); got != 30 {
		t.Errorf("ttl.rows_deleted = %v, want 30 (the aggregate only)", got)
	}
}

// TestVarsNodeReplaced: another node answering at a known URL starts from a
// new baseline rather than diffing against the previous node's counters.
func TestVarsNodeReplaced(t *testing.T) {
	t.Parallel()
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	f := newVarsFake(t, v23Payload(t, "v23_secure_node1_t0.txt"))
	r.cycle(f.node())
	f.set(bytes.ReplaceAll(v23Payload(t, "v23_secure_node1_t1.txt"), []byte(`node_id="1"`), []byte(`node_id="5"`)))
	clock.Add(20 * time.Second)
	rec := r.cycle(f.node())
	varsOne(t, rec, checks.KindGauge, "node.up", "node_id:5")
	if counts := varsKinds(rec, checks.KindCount); len(counts) > 0 {
		t.Errorf("counts diffed across two different nodes: %v", counts)
	}
}

// varsTiny is a minimal node payload: its id, one store's range counts, its
// uptime and, when live >= 0, its view of the live-node count.
func varsTiny(id, unavailable, uptime, live int) []byte {
	s := fmt.Sprintf(`# TYPE node_id gauge
node_id{advertise_addr="h%d:26257"} %d
# TYPE ranges_unavailable gauge
ranges_unavailable{store="%d"} %d
# TYPE ranges gauge
ranges{store="%d"} 100
# TYPE capacity gauge
capacity{store="%d"} 1000
# TYPE capacity_available gauge
capacity_available{store="%d"} 600
# TYPE sys_uptime gauge
sys_uptime %d
`, id, id, id, unavailable, id, id, id, uptime)
	if live >= 0 {
		s += fmt.Sprintf("# TYPE liveness_livenodes gauge\nliveness_livenodes %d\n", live)
	}
	return []byte(s)
}

// TestVarsPartialScrapeWithholdsSums: the cluster sums (ranges, capacity)
// are sent only when every live node was scraped. A live node roachdog
// cannot reach holds counts nobody else reports (7 unavailable ranges here):
// a sum without it would read 0 and resolve the monitor mid-outage. A dead
// node is not live, and the live nodes count its ranges: the sum is then
// complete and sent.
func TestVarsPartialScrapeWithholdsSums(t *testing.T) {
	t.Parallel()
	sums := []string{"cluster.ranges", "cluster.ranges.unavailable", "cluster.capacity.total",
		"cluster.capacity.available", "cluster.capacity.used_ratio"}
	cases := []struct {
		name string
		// live is each node's liveness_livenodes (-1: family absent); down
		// lists the nodes (0-based) that do not answer roachdog.
		live     []int
		down     []int
		complete bool
	}{
		{name: "every node scraped", live: []int{2, 2}, complete: true},
		{name: "live node unreachable", live: []int{2, 2}, down: []int{1}},
		{name: "live node unreachable, no liveness family", live: []int{-1, -1}, down: []int{1}},
		{name: "dead node: not live, its ranges counted by the others", live: []int{1, 0}, down: []int{1}, complete: true},
		{name: "node list misses a live node", live: []int{3, 3}},
		{name: "scraped node not live itself does not stand in for a live one", live: []int{2, 0, 2}, down: []int{2}},
		{name: "no liveness family, every target scraped", live: []int{-1, -1}, complete: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newVarsRun(t, checks.VarsOptions{Timeout: 2 * time.Second})
			var nodes []cluster.Node
			for i, live := range c.live {
				f := newVarsFake(t, varsTiny(i+1, 7*i, 1000, live))
				if containsInt(c.down, i) {
					f.Close()
				}
				nodes = append(nodes, f.node())
			}
			rec := r.cycle(nodes...)
			if got := varsOne(t, rec, checks.KindGauge, "cluster.nodes.scraped"); got != float64(len(c.live)-len(c.down)) {
				t.Errorf("scraped = %v", got)
			}
			if got := varsOne(t, rec, checks.KindGauge, "cluster.nodes.targets"); got != float64(len(c.live)) {
				t.Errorf("targets = %v", got)
			}
			if !c.complete {
				for _, name := range sums {
					varsNone(t, rec, name)
				}
				if !strings.Contains(r.logs.String(), "totals not sent") {
					t.Errorf("withholding the sums was not logged:\n%s", r.logs.String())
				}
				return
			}
			want := 0.0
			for i := range c.live {
				if !containsInt(c.down, i) {
					want += float64(7 * i)
				}
			}
			varsNear(t, "cluster.ranges.unavailable", varsOne(t, rec, checks.KindGauge, "cluster.ranges.unavailable"), want)
			varsNear(t, "cluster.capacity.used_ratio", varsOne(t, rec, checks.KindGauge, "cluster.capacity.used_ratio"), 0.4)
		})
	}

	// The live-node view and the versions are still sent from a partial
	// scrape; the sums come back, and that is logged, once every live node
	// answers again.
	r := newVarsRun(t, checks.VarsOptions{Timeout: 2 * time.Second})
	a := newVarsFake(t, varsTiny(1, 0, 1000, 2))
	b := newVarsFake(t, varsTiny(2, 7, 1000, 2))
	rec := r.cycle(a.node(), b.node())
	varsNear(t, "both scraped", varsOne(t, rec, checks.KindGauge, "cluster.ranges.unavailable"), 7)
	bURL := b.URL
	b.Close()
	rec = r.cycle(a.node(), cluster.Node{StatusURL: bURL})
	varsNone(t, rec, "cluster.ranges.unavailable")
	varsNear(t, "live max", varsOne(t, rec, checks.KindGauge, "cluster.live_nodes.max"), 2)
	varsOne(t, rec, checks.KindGauge, "cluster.live_nodes.spread")
	rec = r.cycle(a.node())
	varsNone(t, rec, "cluster.ranges.unavailable")
	if n := strings.Count(r.logs.String(), "totals not sent"); n != 1 {
		t.Errorf("withholding logged %d times over two cycles, want once per streak", n)
	}
	c := newVarsFake(t, varsTiny(2, 7, 1000, 2))
	rec = r.cycle(a.node(), c.node())
	varsNear(t, "back", varsOne(t, rec, checks.KindGauge, "cluster.ranges.unavailable"), 7)
	if !strings.Contains(r.logs.String(), "totals sent again") {
		t.Errorf("recovery not logged:\n%s", r.logs.String())
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestVarsOutOfTimeIsNotDown: nodes the cycle deadline leaves unscraped
// (still queued for a scrape slot, or cut short of their own timeout) are
// roachdog's capacity problem, not the nodes': nothing is sent for them
// (no node.up 0, no CRITICAL, no node error) and Run says how many.
func TestVarsOutOfTimeIsNotDown(t *testing.T) {
	t.Parallel()
	t.Run("queued and cut short", func(t *testing.T) {
		// Three nodes that answer only when the request ends, one slot: the
		// first holds the slot until the cycle ends, the others queue.
		var nodes []cluster.Node
		for range 3 {
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
			t.Cleanup(s.Close)
			nodes = append(nodes, cluster.Node{StatusURL: s.URL})
		}
		fast := newVarsFake(t, varsTiny(4, 0, 1000, -1))
		nodes = append(nodes, fast.node())
		v, err := checks.NewVars(checks.VarsOptions{MaxConcurrent: 1, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		var reported []string
		var mu sync.Mutex
		rec := &sinktest.Recorder{}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond) // the cycle deadline
		defer cancel()
		err = v.Run(ctx, &checks.Target{Nodes: nodes, HTTP: &http.Client{}, NodeErrors: func(node string, _ error) {
			mu.Lock()
			defer mu.Unlock()
			reported = append(reported, node)
		}}, rec)
		up := 0
		for _, p := range rec.Find("node.up") {
			if p.Value != 1 {
				t.Errorf("node reported down for lack of time: %v %v", p.Tags, rec.Find("node.can_scrape"))
			}
			up++
		}
		for _, p := range rec.Find("node.can_scrape") {
			if p.Status != checks.OK {
				t.Errorf("CRITICAL for lack of time: %q", p.Message)
			}
		}
		if len(reported) > 0 {
			t.Errorf("node errors reported for nodes never tried: %v", reported)
		}
		want := fmt.Sprintf("%d of 4 nodes could be scraped", 4-up)
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Run = %v, want an error saying %q", err, want)
		}
		if got := varsOne(t, rec, checks.KindGauge, "cluster.nodes.targets"); got != 4 {
			t.Errorf("targets = %v", got)
		}
		varsNone(t, rec, "cluster.ranges")
	})

	// Reviewer's case: healthy nodes that take 400ms, two at a time, in a 1s
	// cycle: the last ones are cut by the cycle, not reported down.
	t.Run("slow healthy nodes", func(t *testing.T) {
		var nodes []cluster.Node
		for i := 1; i <= 6; i++ {
			body := varsTiny(i, 0, 1000, -1)
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(400 * time.Millisecond):
					w.Write(body)
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(s.Close)
			nodes = append(nodes, cluster.Node{StatusURL: s.URL})
		}
		v, err := checks.NewVars(checks.VarsOptions{MaxConcurrent: 2, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		rec := &sinktest.Recorder{}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		err = v.Run(ctx, &checks.Target{Nodes: nodes, HTTP: &http.Client{}}, rec)
		for _, p := range rec.Find("node.up") {
			if p.Value != 1 {
				t.Errorf("healthy node reported down because the cycle ran out of time: %v (Run: %v)", p.Tags, err)
			}
		}
	})

	// A node that had its whole timeout within the cycle is down, even when
	// the cycle ends at the same moment.
	t.Run("own timeout", func(t *testing.T) {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		t.Cleanup(s.Close)
		v, err := checks.NewVars(checks.VarsOptions{Timeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		rec := &sinktest.Recorder{}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := v.Run(ctx, &checks.Target{Nodes: []cluster.Node{{StatusURL: s.URL}}, HTTP: &http.Client{}}, rec); err != nil {
			t.Errorf("Run = %v", err)
		}
		if got := varsOne(t, rec, checks.KindGauge, "node.up"); got != 0 {
			t.Errorf("node.up = %v, want 0", got)
		}
		if sc := rec.One(t, "node.can_scrape"); !strings.HasSuffix(sc.Message, "scrape /_status/vars: timeout after 200ms") ||
			strings.Contains(sc.Message, "node node") {
			t.Errorf("can_scrape message %q", sc.Message)
		}
	})
}

// TestVarsRestartCountsFromZero: a node restarted between two scrapes and
// its counters climbed past their old values before the second one (100 →
// restart → 130). sys_uptime tells the restart: the deltas are what was
// counted since (130, and the whole histogram), not the difference (30).
func TestVarsRestartCountsFromZero(t *testing.T) {
	t.Parallel()
	payload := func(uptime, selects, count int) []byte {
		return []byte(fmt.Sprintf(`# TYPE sys_uptime gauge
sys_uptime{node_id="1"} %d
# TYPE sql_select_count counter
sql_select_count{node_id="1"} %d
# TYPE sql_service_latency histogram
sql_service_latency_bucket{node_id="1",le="1e+06"} %d
sql_service_latency_bucket{node_id="1",le="+Inf"} %d
sql_service_latency_sum{node_id="1"} %d
sql_service_latency_count{node_id="1"} %d
`, uptime, selects, count, count, count*1000, count))
	}
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	f := newVarsFake(t, payload(5000, 100, 40))
	r.cycle(f.node())

	f.set(payload(20, 130, 50)) // restarted 20s ago
	clock.Add(60 * time.Second)
	rec := r.cycle(f.node())
	if got := varsOne(t, rec, checks.KindCount, "node.restarts"); got != 1 {
		t.Fatalf("node.restarts = %v, want 1", got)
	}
	if got := varsOne(t, rec, checks.KindCount, "sql.statements", "statement_type:select"); got != 130 {
		t.Errorf("selects after the restart = %v, want 130 (everything since the restart)", got)
	}
	if got := varsOne(t, rec, checks.KindCount, "sql.service_latency.count"); got != 50 {
		t.Errorf("latency observations after the restart = %v, want 50", got)
	}
	if got := varsOne(t, rec, checks.KindDistribution, "sql.service_latency"); got != 50 {
		t.Errorf("distribution weight after the restart = %v, want 50", got)
	}

	f.set(payload(40, 135, 52))
	clock.Add(20 * time.Second)
	rec = r.cycle(f.node())
	if got := varsOne(t, rec, checks.KindCount, "node.restarts"); got != 0 {
		t.Errorf("node.restarts = %v, want 0", got)
	}
	if got := varsOne(t, rec, checks.KindCount, "sql.statements", "statement_type:select"); got != 5 {
		t.Errorf("selects = %v, want 5", got)
	}
	if got := varsOne(t, rec, checks.KindCount, "sql.service_latency.count"); got != 2 {
		t.Errorf("latency observations = %v, want 2", got)
	}
	if got := varsOne(t, rec, checks.KindDistribution, "sql.service_latency"); got != 2 {
		t.Errorf("distribution weight = %v, want 2", got)
	}
}

// TestVarsExpiredLicense: the licence's time left is sent while it runs and
// after it expired (negative), never when there is none (0).
func TestVarsExpiredLicense(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		value string
		want  []float64
	}{
		{"86400", []float64{86400}},
		{"-3600", []float64{-3600}},
		{"0", nil},
	} {
		f := newVarsFake(t, []byte("# TYPE node_id gauge\nnode_id 1\n# TYPE seconds_until_enterprise_license_expiry gauge\nseconds_until_enterprise_license_expiry "+c.value+"\n"))
		r := newVarsRun(t, checks.VarsOptions{})
		var got []float64
		for _, p := range r.cycle(f.node()).Find("license.expires_in") {
			got = append(got, p.Value)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("seconds_until_enterprise_license_expiry %s: license.expires_in %v, want %v", c.value, got, c.want)
		}
	}
}

// TestVarsOptionsForCompletenessJudges: a caller that judges completeness
// itself (roachdog health, against SQL liveness) gets the sums of what was
// scraped, and the nodes left unscraped by the deadline as failures.
func TestVarsOptionsForCompletenessJudges(t *testing.T) {
	t.Parallel()
	a := newVarsFake(t, varsTiny(1, 0, 1000, 2))
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hung.Close)
	v, err := checks.NewVars(checks.VarsOptions{Timeout: time.Minute, PartialSums: true, ReportUnscraped: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := &sinktest.Recorder{}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	if err := v.Run(ctx, &checks.Target{Nodes: []cluster.Node{a.node(), {StatusURL: hung.URL}}, HTTP: &http.Client{}}, rec); err != nil {
		t.Fatalf("Run = %v, want nil: unscraped nodes are reported, not a failure", err)
	}
	varsNear(t, "partial sum", varsOne(t, rec, checks.KindGauge, "cluster.ranges"), 100)
	inst := "instance:" + strings.TrimPrefix(hung.URL, "http://")
	if got := varsOne(t, rec, checks.KindGauge, "node.up", inst); got != 0 {
		t.Errorf("unscraped node.up = %v, want 0", got)
	}
	want := "node " + hung.URL + ": scrape /_status/vars: not scraped before the cycle's deadline"
	if sc := rec.One(t, "node.can_scrape", inst); sc.Status != checks.Critical || !strings.HasPrefix(sc.Message, want) {
		t.Errorf("can_scrape %v %q, want CRITICAL starting %q", sc.Status, sc.Message, want)
	}
}

// TestVarsFailureStreakLoggedOnce: a node that keeps failing is logged when
// it starts failing, again only when it fails in a new way, and once when it
// recovers, with how long it was down; node.up and node.can_scrape still
// report every cycle.
func TestVarsFailureStreakLoggedOnce(t *testing.T) {
	t.Parallel()
	clock := newTestClock(varsT0)
	// The node timeout ends the "hang" cycles; the others answer well within it.
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now, Timeout: 2 * time.Second})
	good := newVarsFake(t, v23Payload(t, "v23_secure_node2_t0.txt"))
	var mode atomic.Value
	mode.Store("good")
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch mode.Load() {
		case "503":
			http.Error(w, "node is draining", http.StatusServiceUnavailable)
		case "hang":
			<-req.Context().Done()
		default:
			good.Config.Handler.ServeHTTP(w, req)
		}
	}))
	t.Cleanup(flaky.Close)
	node := cluster.Node{StatusURL: flaky.URL, ID: 4}
	count := func(s string) int { return strings.Count(r.logs.String(), s) }

	r.cycle(node)
	steps := []struct {
		mode             string
		started, changed int // lines so far
	}{
		{"503", 1, 0}, {"503", 1, 0}, {"503", 1, 0},
		{"hang", 1, 1}, {"hang", 1, 1},
		{"503", 1, 1}, // a kind seen in this streak already
	}
	for i, s := range steps {
		mode.Store(s.mode)
		clock.Add(2 * time.Second)
		rec := r.cycle(node)
		if sc := rec.One(t, "node.can_scrape"); sc.Status != checks.Critical {
			t.Fatalf("cycle %d: can_scrape %s", i, sc.Status)
		}
		if got := varsOne(t, rec, checks.KindGauge, "node.up"); got != 0 {
			t.Fatalf("cycle %d: node.up %v", i, got)
		}
		if got, got2 := count("level=WARN msg=\"scrape failed"), count("level=WARN msg=\"scrape still failing, differently\""); got != s.started || got2 != s.changed {
			t.Fatalf("cycle %d (%s): %d 'scrape failed' and %d 'differently' warnings, want %d and %d:\n%s",
				i, s.mode, got, got2, s.started, s.changed, r.logs.String())
		}
	}
	logs := r.logs.String()
	for _, want := range []string{`kind="HTTP 503"`, "kind=timeout", "failing_for=6s", "failed_cycles=4"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if count("scrape works again") != 0 {
		t.Fatalf("recovery logged while failing:\n%s", logs)
	}

	mode.Store("good")
	clock.Add(2 * time.Second)
	r.cycle(node)
	r.cycle(node)
	if n := count("level=INFO msg=\"scrape works again\""); n != 1 {
		t.Fatalf("%d recovery lines:\n%s", n, r.logs.String())
	}
	if !strings.Contains(r.logs.String(), "down_for=12s failed_cycles=6") {
		t.Errorf("recovery line lacks how long:\n%s", r.logs.String())
	}

	// A new streak is logged again.
	mode.Store("503")
	clock.Add(2 * time.Second)
	r.cycle(node)
	if n := count("level=WARN msg=\"scrape failed"); n != 2 {
		t.Errorf("%d 'scrape failed' lines after a second streak began:\n%s", n, r.logs.String())
	}
}

// TestVarsCompression: by default a node on loopback is asked for plain
// text and any other for gzip; the option forces either. A node that sends
// gzip unasked is read all the same.
func TestVarsCompression(t *testing.T) {
	payload := v20Payload(t, 1, "t0")
	for _, c := range []struct {
		mode checks.VarsCompression
		ask  bool
	}{
		{checks.VarsCompressionAuto, false}, // the fake listens on 127.0.0.1
		{checks.VarsCompressionGzip, true},
		{checks.VarsCompressionNone, false},
	} {
		f := newVarsFake(t, payload)
		r := newVarsRun(t, checks.VarsOptions{Compression: c.mode})
		rec := r.cycle(f.node())
		if got := f.gzipAsked.Load(); got != c.ask {
			t.Errorf("%q: asked for gzip %v, want %v", c.mode, got, c.ask)
		}
		varsOne(t, rec, checks.KindGauge, "ranges", "node_id:1", "store:1")
	}
	unasked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(payload)
		zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	}))
	t.Cleanup(unasked.Close)
	rec := newVarsRun(t, checks.VarsOptions{Compression: checks.VarsCompressionNone}).cycle(cluster.Node{StatusURL: unasked.URL})
	varsOne(t, rec, checks.KindGauge, "ranges", "node_id:1", "store:1")
	if _, err := checks.NewVars(checks.VarsOptions{Compression: "zstd"}); err == nil || !strings.Contains(err.Error(), `compression "zstd"`) {
		t.Errorf("unknown compression: %v", err)
	}
}
