package checks_test

// Reading a node through another one: from v23.1 any node proxies another
// node's /_status/vars with ?remote_node_id=N. The vars check uses that for
// a node whose own endpoint failed, so that one unreachable live node does
// not withhold the cluster sums for the whole cluster.

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/sinktest"
)

// varsProxyNode is a node's HTTP endpoint that proxies like CockroachDB
// v23.1+: /_status/vars and /_status/nodes/local answer with the node's own
// data, or, with ?remote_node_id=N, with what remote (and remoteLocal) hold
// for N; an id it does not know gets 400 as CockroachDB answers it. Set
// remote and remoteLocal before the first request.
type varsProxyNode struct {
	*httptest.Server
	own         []byte
	remote      map[string][]byte
	remoteLocal map[string][]byte
	// remoteHits counts the requests that asked for another node's vars.
	remoteHits atomic.Int64
	// down makes the node's own /_status/vars answer 503 (its listener
	// overloaded); requests for other nodes are still proxied.
	down atomic.Bool
}

func newVarsProxyNode(t testing.TB, own []byte) *varsProxyNode {
	n := &varsProxyNode{own: own, remote: map[string][]byte{}, remoteLocal: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/_status/vars", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("remote_node_id")
		if id == "" {
			if n.down.Load() {
				http.Error(w, "overloaded", http.StatusServiceUnavailable)
				return
			}
			w.Write(n.own)
			return
		}
		n.remoteHits.Add(1)
		body, ok := n.remote[id]
		if !ok {
			http.Error(w, "unable to get address for n"+id, http.StatusBadRequest)
			return
		}
		w.Write(body)
	})
	mux.HandleFunc("/_status/nodes/local", func(w http.ResponseWriter, r *http.Request) {
		body, ok := n.remoteLocal[r.URL.Query().Get("remote_node_id")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	})
	n.Server = httptest.NewServer(mux)
	t.Cleanup(n.Close)
	return n
}

func (n *varsProxyNode) node() cluster.Node { return cluster.Node{StatusURL: n.URL} }

// varsClosedURL is the URL of a server that no longer listens (connection
// refused).
func varsClosedURL() string {
	s := httptest.NewServer(http.NotFoundHandler())
	s.Close()
	return s.URL
}

func varsInstance(u string) string { return "instance:" + strings.TrimPrefix(u, "http://") }

// varsCheckFullSums checks the cluster sums of the three v23 t0 payloads
// (testdata/vars/README.md): every node counted, once.
func varsCheckFullSums(t *testing.T, rec *sinktest.Recorder) {
	t.Helper()
	const gib = 1 << 30
	for name, want := range map[string]float64{
		"cluster.ranges": 22 + 14 + 9, "cluster.ranges.underreplicated": 1 + 0 + 2,
		"cluster.ranges.overreplicated": 1, "cluster.ranges.unavailable": 1,
		"cluster.capacity.total": 300 * gib, "cluster.capacity.available": (60 + 50 + 20) * gib,
		"cluster.capacity.used_ratio": 170.0 / 300,
		"cluster.live_nodes.max":      3, "cluster.live_nodes.min": 2, "cluster.versions": 2,
	} {
		varsNear(t, name, varsOne(t, rec, checks.KindGauge, name), want)
	}
}

var varsSums = []string{"cluster.ranges", "cluster.ranges.underreplicated", "cluster.ranges.overreplicated",
	"cluster.ranges.unavailable", "cluster.capacity.total", "cluster.capacity.available", "cluster.capacity.used_ratio"}

// TestVarsReadThroughAnotherNode: node 2's own endpoint refuses
// connections; its id comes from discovery. Node 1 proxies it: the cluster
// sums are complete again, node 2's metrics carry its own tags (locality
// read through node 1 too), and node 2 still says it is not reachable.
func TestVarsReadThroughAnotherNode(t *testing.T) {
	t.Parallel()
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	p2 := v23Payload(t, "v23_secure_node2_t0.txt")
	n1 := newVarsProxyNode(t, v23Payload(t, "v23_secure_node1_t0.txt"))
	n1.remote["2"] = p2
	n1.remoteLocal["2"] = []byte(`{"desc":{"nodeId":2,"locality":{"tiers":[{"key":"region","value":"us-east"},{"key":"zone","value":"b"}]}}}`)
	n3 := newVarsProxyNode(t, v23Payload(t, "v23_secure_node3_t0.txt"))
	url2 := varsClosedURL()
	nodes := []cluster.Node{n1.node(), {StatusURL: url2, ID: 2}, n3.node()}

	rec := r.cycle(nodes...)
	varsCheckFullSums(t, rec)
	if got := varsOne(t, rec, checks.KindGauge, "cluster.nodes.scraped"); got != 2 {
		t.Errorf("cluster.nodes.scraped = %v, want 2 (node 2 did not answer itself)", got)
	}
	varsNear(t, "node 2 ranges", varsOne(t, rec, checks.KindGauge, "ranges", "node_id:2", "store:2", "region:us-east", "zone:b"), 14)
	varsNear(t, "node 2 used ratio", varsOne(t, rec, checks.KindGauge, "capacity.used_ratio", "node_id:2", "store:2"), 0.5)
	varsOne(t, rec, checks.KindGauge, "node.build", "node_id:2", "crdb_version:v23.2.2")

	if got := varsOne(t, rec, checks.KindGauge, "node.up", varsInstance(url2), "node_id:2", "region:us-east"); got != 0 {
		t.Errorf("node 2 up = %v, want 0: its own endpoint failed", got)
	}
	sc := rec.One(t, "node.can_scrape", varsInstance(url2))
	if sc.Status != checks.Critical || !strings.HasPrefix(sc.Message, "node 2 ("+url2+"): scrape /_status/vars: ") ||
		!strings.Contains(sc.Message, "connection refused") || !strings.HasSuffix(sc.Message, " (metrics read through node 1)") {
		t.Errorf("node 2 can_scrape = %v %q, want CRITICAL with its own error, read through node 1", sc.Status, sc.Message)
	}
	for _, id := range []string{"node_id:1", "node_id:3"} {
		if got := varsOne(t, rec, checks.KindGauge, "node.up", id); got != 1 {
			t.Errorf("%s up = %v", id, got)
		}
	}
	host2 := strings.TrimPrefix(url2, "http://")
	if errs := r.errs[host2]; len(errs) != 1 || !strings.Contains(errs[0].Error(), "connection refused") {
		t.Errorf("node errors for node 2 = %v, want its own error once", errs)
	}
	if len(r.errs) != 1 {
		t.Errorf("node errors reported for other nodes: %v", r.errs)
	}
	if got := n1.remoteHits.Load() + n3.remoteHits.Load(); got != 1 {
		t.Errorf("%d proxied requests, want 1", got)
	}

	// Second cycle, still through node 1: counters of node 2 go on from the
	// previous proxied read; the proxy is logged once per streak.
	clock.Add(20 * time.Second)
	rec = r.cycle(nodes...)
	varsCheckFullSums(t, rec)
	if got := varsOne(t, rec, checks.KindCount, "sql.statements", "node_id:2", "statement_type:select"); got != 0 {
		t.Errorf("node 2 selects = %v, want 0 (same payload)", got)
	}
	logs := r.logs.String()
	if n := strings.Count(logs, "node metrics read through another node"); n != 1 {
		t.Errorf("proxy logged %d times over two cycles, want once:\n%s", n, logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "read through another node") && !strings.Contains(line, "level=INFO") {
			t.Errorf("proxy logged at another level than info: %s", line)
		}
	}
	if strings.Contains(logs, "totals not sent") {
		t.Errorf("sums reported withheld:\n%s", logs)
	}
}

// TestVarsReadThroughStreak: node 2's id is learnt from its own payload;
// then its endpoint answers 503 for two cycles (read through node 1), then
// answers again, then fails again: one log line per streak, and its
// counters carry on across direct and proxied reads.
func TestVarsReadThroughStreak(t *testing.T) {
	t.Parallel()
	clock := newTestClock(varsT0)
	r := newVarsRun(t, checks.VarsOptions{Now: clock.Now})
	p2 := v23Payload(t, "v23_secure_node2_t0.txt")
	n1 := newVarsProxyNode(t, v23Payload(t, "v23_secure_node1_t0.txt"))
	n1.remote["2"] = p2
	n2 := newVarsProxyNode(t, p2)
	n3 := newVarsProxyNode(t, v23Payload(t, "v23_secure_node3_t0.txt"))
	nodes := []cluster.Node{n1.node(), n2.node(), n3.node()} // no ids given

	for i, down := range []bool{false, true, true, false, true} {
		n2.down.Store(down)
		rec := r.cycle(nodes...)
		clock.Add(20 * time.Second)
		varsCheckFullSums(t, rec)
		up := varsOne(t, rec, checks.KindGauge, "node.up", varsInstance(n2.URL), "node_id:2")
		sc := rec.One(t, "node.can_scrape", varsInstance(n2.URL))
		if down {
			if up != 0 || sc.Status != checks.Critical || !strings.Contains(sc.Message, "HTTP 503") ||
				!strings.HasSuffix(sc.Message, "(metrics read through node 1)") {
				t.Errorf("cycle %d: node 2 up %v, can_scrape %v %q", i, up, sc.Status, sc.Message)
			}
		} else if up != 1 || sc.Status != checks.OK {
			t.Errorf("cycle %d: node 2 up %v, can_scrape %v %q", i, up, sc.Status, sc.Message)
		}
		if i > 0 {
			if got := varsOne(t, rec, checks.KindCount, "sql.statements", "node_id:2", "statement_type:select"); got != 0 {
				t.Errorf("cycle %d: node 2 selects = %v, want 0", i, got)
			}
		}
	}
	logs := r.logs.String()
	if n := strings.Count(logs, "node metrics read through another node"); n != 2 {
		t.Errorf("proxy logged %d times, want 2 (two streaks):\n%s", n, logs)
	}
	if n := strings.Count(logs, "answers on its own endpoint again"); n != 1 {
		t.Errorf("recovery logged %d times, want 1:\n%s", n, logs)
	}
	if got := n1.remoteHits.Load(); got != 3 {
		t.Errorf("%d proxied requests, want 3", got)
	}
}

// TestVarsReadThroughFails: whatever goes wrong through the proxy, the node
// keeps its own error plus why it could not be read either, nothing of its
// metrics is sent, and the sums stay withheld. A payload that is not node
// 2's (a proxy ignoring the parameter, a load balancer) is discarded: it
// would count a node twice.
func TestVarsReadThroughFails(t *testing.T) {
	t.Parallel()
	p1 := v23Payload(t, "v23_secure_node1_t0.txt")
	p3 := v23Payload(t, "v23_secure_node3_t0.txt")
	cases := []struct {
		name string
		opts checks.VarsOptions
		// remote is what node 1 answers for node 2 (nil: it does not know
		// node 2); hang makes it never answer.
		remote []byte
		hang   bool
		want   string
	}{
		{name: "another node's payload", remote: p3,
			want: "not read through node 1 either: /_status/vars?remote_node_id=2 returned node 3's metrics, not node 2's: discarded"},
		{name: "the proxy's own payload", remote: p1,
			want: "returned node 1's metrics, not node 2's: discarded"},
		{name: "no node id", remote: []byte("# TYPE ranges gauge\nranges{store=\"2\"} 14\n"),
			want: "/_status/vars?remote_node_id=2 carries no node id: cannot tell it is node 2's, discarded"},
		{name: "unknown to the proxy",
			want: "not read through node 1 either: scrape /_status/vars?remote_node_id=2: HTTP 400 Bad Request: unable to get address for n2"},
		{name: "proxy hangs", opts: checks.VarsOptions{Timeout: 300 * time.Millisecond}, hang: true,
			want: "scrape /_status/vars?remote_node_id=2: timeout after 300ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newVarsRun(t, c.opts)
			var n1URL string
			if c.hang {
				s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Has("remote_node_id") {
						<-r.Context().Done()
						return
					}
					w.Write(p1)
				}))
				t.Cleanup(s.Close)
				n1URL = s.URL
			} else {
				n1 := newVarsProxyNode(t, p1)
				if c.remote != nil {
					n1.remote["2"] = c.remote
				}
				n1URL = n1.URL
			}
			n3 := newVarsProxyNode(t, p3)
			url2 := varsClosedURL()
			rec := r.cycle(cluster.Node{StatusURL: n1URL}, cluster.Node{StatusURL: url2, ID: 2}, n3.node())

			sc := rec.One(t, "node.can_scrape", varsInstance(url2))
			if sc.Status != checks.Critical || !strings.Contains(sc.Message, "connection refused") ||
				!strings.Contains(sc.Message, c.want) || strings.Contains(sc.Message, "metrics read through") {
				t.Errorf("node 2 can_scrape = %v %q, want CRITICAL with its own error and %q", sc.Status, sc.Message, c.want)
			}
			if got := varsOne(t, rec, checks.KindGauge, "node.up", varsInstance(url2), "node_id:2"); got != 0 {
				t.Errorf("node 2 up = %v", got)
			}
			for _, p := range rec.Points {
				if p.Name != "node.up" && p.Name != "node.can_scrape" && slices.Contains(p.Tags, "node_id:2") {
					t.Errorf("%s %v sent for node 2 from a discarded read", p.Name, p.Tags)
				}
			}
			for _, name := range varsSums {
				varsNone(t, rec, name)
			}
			// Node 3's own view is still sent, once.
			varsNear(t, "node 3 ranges", varsOne(t, rec, checks.KindGauge, "ranges", "node_id:3"), 9)
			if !strings.Contains(r.logs.String(), "totals not sent") {
				t.Errorf("withheld sums not logged:\n%s", r.logs.String())
			}
		})
	}
}

// TestVarsNoProxyAttempt: cases where no node is asked for another's vars.
func TestVarsNoProxyAttempt(t *testing.T) {
	t.Parallel()
	p1 := v23Payload(t, "v23_secure_node1_t0.txt")
	p2 := v23Payload(t, "v23_secure_node2_t0.txt")
	p3 := v23Payload(t, "v23_secure_node3_t0.txt")
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>Binary built without web UI.</html>\n{{{\n"))
	}))
	t.Cleanup(garbage.Close)
	cases := []struct {
		name string
		// payloads of the nodes that answer (then node 2, failing, is
		// listed between the first and the others).
		payloads func(t *testing.T) [][]byte
		node2    cluster.Node
	}{
		{name: "v20.2 cluster: no node_id label, build v20.2",
			payloads: func(t *testing.T) [][]byte { return [][]byte{v20Payload(t, 1, "t0"), v20Payload(t, 3, "t0")} },
			node2:    cluster.Node{StatusURL: varsClosedURL(), ID: 2}},
		{name: "build tag before v23.1, no labels",
			payloads: func(*testing.T) [][]byte {
				return [][]byte{varsTinyBuild(1, "v22.2.8"), varsTinyBuild(3, "v22.2.8")}
			},
			node2: cluster.Node{StatusURL: varsClosedURL(), ID: 2}},
		{name: "node id unknown",
			payloads: func(*testing.T) [][]byte { return [][]byte{p1, p3} },
			node2:    cluster.Node{StatusURL: varsClosedURL()}},
		{name: "the node id answered itself (two URLs of node 1)",
			payloads: func(*testing.T) [][]byte { return [][]byte{p1, p3} },
			node2:    cluster.Node{StatusURL: varsClosedURL(), ID: 1}},
		{name: "endpoint answered garbage: not a reachability problem",
			payloads: func(*testing.T) [][]byte { return [][]byte{p1, p3} },
			node2:    cluster.Node{StatusURL: garbage.URL, ID: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newVarsRun(t, checks.VarsOptions{})
			var proxies []*varsProxyNode
			for _, p := range c.payloads(t) {
				n := newVarsProxyNode(t, p)
				n.remote["2"] = p2 // would be served if asked
				proxies = append(proxies, n)
			}
			nodes := []cluster.Node{proxies[0].node(), c.node2}
			for _, n := range proxies[1:] {
				nodes = append(nodes, n.node())
			}
			rec := r.cycle(nodes...)
			for i, n := range proxies {
				if got := n.remoteHits.Load(); got != 0 {
					t.Errorf("node %d was asked %d times for another node's vars", i, got)
				}
			}
			if sc := rec.One(t, "node.can_scrape", varsInstance(c.node2.StatusURL)); sc.Status != checks.Critical ||
				strings.Contains(sc.Message, "through") {
				t.Errorf("node 2 can_scrape = %v %q", sc.Status, sc.Message)
			}
			for _, name := range varsSums {
				varsNone(t, rec, name)
			}
		})
	}

	// The one node that could proxy is the one that failed: nobody answered.
	t.Run("no node answered", func(t *testing.T) {
		r := newVarsRun(t, checks.VarsOptions{})
		rec := r.cycle(cluster.Node{StatusURL: varsClosedURL(), ID: 1}, cluster.Node{StatusURL: varsClosedURL(), ID: 2})
		for _, sc := range rec.Find("node.can_scrape") {
			if strings.Contains(sc.Message, "through") {
				t.Errorf("can_scrape %q", sc.Message)
			}
		}
	})
}

// varsTinyBuild is a pre-v23.1-style payload (node_id family, no node_id
// label) of a live node in a 3-node cluster, with the given build tag.
func varsTinyBuild(id int, tag string) []byte {
	return append(varsTiny(id, 0, 1000, 3),
		[]byte("# TYPE build_timestamp gauge\nbuild_timestamp{tag=\""+tag+"\",go_version=\"go1.19\"} 1.7e+09\n")...)
}

// TestVarsReadThroughBuildTag: without node_id labels (a v23.1 binary whose
// payload lacks them, or labels excluded upstream) a build tag of v23.1 or
// later is enough, and the proxied payload is checked by its node_id gauge.
func TestVarsReadThroughBuildTag(t *testing.T) {
	t.Parallel()
	r := newVarsRun(t, checks.VarsOptions{})
	n1 := newVarsProxyNode(t, varsTinyBuild(1, "v23.1.0-alpha.8"))
	n1.remote["2"] = append(varsTiny(2, 7, 1000, 3), "# TYPE build_timestamp gauge\nbuild_timestamp{tag=\"v23.1.0-alpha.8\"} 1.7e+09\n"...)
	n3 := newVarsProxyNode(t, varsTinyBuild(3, "v23.1.0-alpha.8"))
	url2 := varsClosedURL()
	rec := r.cycle(n1.node(), cluster.Node{StatusURL: url2, ID: 2}, n3.node())
	if got := n1.remoteHits.Load(); got != 1 {
		t.Fatalf("%d proxied requests, want 1", got)
	}
	varsNear(t, "cluster.ranges", varsOne(t, rec, checks.KindGauge, "cluster.ranges"), 300)
	varsNear(t, "cluster.ranges.unavailable", varsOne(t, rec, checks.KindGauge, "cluster.ranges.unavailable"), 7)
	varsNear(t, "node 2 unavailable", varsOne(t, rec, checks.KindGauge, "ranges.unavailable", "node_id:2", "store:2"), 7)
}

// TestVarsReadThroughBounded: at most MaxConcurrent nodes are read through
// others per cycle; the rest keep their own error.
func TestVarsReadThroughBounded(t *testing.T) {
	t.Parallel()
	// Five live nodes, as every node sees it.
	five := func(p []byte, id string) []byte {
		p = bytes.ReplaceAll(p, []byte(`liveness_livenodes{node_id="`+id+`"} 3`), []byte(`liveness_livenodes{node_id="`+id+`"} 5`))
		if !bytes.Contains(p, []byte(`liveness_livenodes{node_id="`+id+`"} 5`)) {
			t.Fatalf("node %s payload: no liveness_livenodes 3 to replace", id)
		}
		return p
	}
	p1 := five(v23Payload(t, "v23_secure_node1_t0.txt"), "1")
	p2 := v23Payload(t, "v23_secure_node2_t0.txt")
	r := newVarsRun(t, checks.VarsOptions{MaxConcurrent: 2})
	n1 := newVarsProxyNode(t, p1)
	nodes := []cluster.Node{n1.node()}
	for _, id := range []string{"2", "3", "4", "5"} {
		n1.remote[id] = five(bytes.ReplaceAll(p2, []byte(`node_id="2"`), []byte(`node_id="`+id+`"`)), id)
		nodes = append(nodes, cluster.Node{StatusURL: varsClosedURL(), ID: int(id[0] - '0')})
	}
	rec := r.cycle(nodes...)
	if got := n1.remoteHits.Load(); got != 2 {
		t.Errorf("%d proxied requests, want 2 (MaxConcurrent)", got)
	}
	through := 0
	for _, sc := range rec.Find("node.can_scrape") {
		if strings.HasSuffix(sc.Message, "(metrics read through node 1)") {
			through++
		}
	}
	if through != 2 {
		t.Errorf("%d nodes read through node 1, want 2", through)
	}
	for _, name := range varsSums {
		varsNone(t, rec, name)
	}
}

// TestVarsReadThroughCycleDeadline: a proxied read is cut by the cycle's
// deadline, not only by the node timeout; the node keeps its own error and
// Run does not fail (every node was tried).
func TestVarsReadThroughCycleDeadline(t *testing.T) {
	t.Parallel()
	p1 := v23Payload(t, "v23_secure_node1_t0.txt")
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("remote_node_id") {
			<-r.Context().Done()
			return
		}
		w.Write(p1)
	}))
	t.Cleanup(s.Close)
	v, err := checks.NewVars(checks.VarsOptions{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	url2 := varsClosedURL()
	rec := &sinktest.Recorder{}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	begin := time.Now()
	if err := v.Run(ctx, &checks.Target{Nodes: []cluster.Node{{StatusURL: s.URL}, {StatusURL: url2, ID: 2}}, HTTP: &http.Client{}}, rec); err != nil {
		t.Errorf("Run = %v", err)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("Run took %s: the proxied read outlived the cycle", d)
	}
	sc := rec.One(t, "node.can_scrape", varsInstance(url2))
	if !strings.Contains(sc.Message, "connection refused") ||
		!strings.Contains(sc.Message, "not read through node 1 either: scrape /_status/vars?remote_node_id=2: cycle context deadline exceeded") {
		t.Errorf("can_scrape %q", sc.Message)
	}
}
