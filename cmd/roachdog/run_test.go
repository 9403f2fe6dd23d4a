package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// fakeNode serves one real /_status/vars capture per request, in order,
// repeating the last one: t0 then t1 of the same node, 20 s apart.
type fakeNode struct {
	srv      *httptest.Server
	payloads [][]byte
	mu       sync.Mutex
	served   int
}

func newFakeNode(t *testing.T, files ...string) *fakeNode {
	t.Helper()
	n := &fakeNode{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n.payloads = append(n.payloads, b)
	}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_status/vars" {
			http.NotFound(w, r)
			return
		}
		n.mu.Lock()
		i := min(n.served, len(n.payloads)-1)
		n.served++
		n.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write(n.payloads[i])
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "conf.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sampleValue reads one sample's value from a Prometheus text file, by the
// exact text before the value (e.g. `sql_select_count`), for expectations
// computed from the captures themselves.
func sampleValue(t *testing.T, file, series string) float64 {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %s: %v", file, series, err)
			}
			return v
		}
	}
	t.Fatalf("%s: no sample %q", file, series)
	return 0
}

var storeRanges = regexp.MustCompile(`(?m)^ranges\{store="\d+"\} (\S+)$`)

func sumRanges(t *testing.T, files ...string) float64 {
	t.Helper()
	var sum float64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range storeRanges.FindAllStringSubmatch(string(b), -1) {
			v, _ := strconv.ParseFloat(m[1], 64)
			sum += v
		}
	}
	return sum
}

// TestRunSendsDatagramsFromRealCaptures runs the real `run` command path
// against three nodes serving a real v20.2 cluster's captures (t0, then t1)
// and checks the datagrams that the real datadog-go client delivers.
func TestRunSendsDatagramsFromRealCaptures(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	var nodes []*fakeNode
	var t0files []string
	for i := 1; i <= 3; i++ {
		t0 := filepath.Join(dir, fmt.Sprintf("node%d_status_vars_t0.txt", i))
		t1 := filepath.Join(dir, fmt.Sprintf("node%d_status_vars_t1.txt", i))
		nodes = append(nodes, newFakeNode(t, t0, t1))
		t0files = append(t0files, t0)
	}
	dsd := dsdtest.Listen(t)
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://%s
  tags: [env:e2e]
  listen_address: "off"
instances:
  - cluster: e2e
    status_urls: [%s, %s, %s]
    min_collection_interval: 0.5
    tags: [team:db]
`, dsd.Addr(), nodes[0].srv.URL, nodes[1].srv.URL, nodes[2].srv.URL))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"run", "--config", cfg}, &stdout, &stderr) }()

	selectDelta := sampleValue(t, filepath.Join(dir, "node1_status_vars_t1.txt"), "sql_select_count") -
		sampleValue(t, filepath.Join(dir, "node1_status_vars_t0.txt"), "sql_select_count")
	// Wait for the second cycle (the first count deltas appear then) and for
	// the gauges of the whole flush: one flush spans many datagrams.
	snap := dsd.WaitFor(t, 30*time.Second, func(s dsdtest.Snapshot) bool {
		return len(s.FindMetrics("crdb.sql.statements", "node_id:1", "statement_type:select")) > 0 &&
			len(s.FindMetrics("crdb.cluster.nodes.scraped")) > 0 &&
			len(s.FindMetrics("crdb.node.up")) >= 3 && len(s.FindMetrics("crdb.liveness.live_nodes")) >= 3 &&
			len(s.FindMetrics("crdb.node.build")) >= 3
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("run exited %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}

	common := []string{"env:e2e", "cluster:e2e", "team:db"}
	for id := 1; id <= 3; id++ {
		up := snap.FindMetrics("crdb.node.up", append(common, "node_id:"+strconv.Itoa(id))...)
		if len(up) == 0 || up[0].Value != 1 || up[0].Type != "g" {
			t.Errorf("node %d: crdb.node.up = %+v, want gauge 1 with tags %v", id, up, common)
		}
		sc := snap.FindServiceChecks("crdb.node.can_scrape", "node_id:"+strconv.Itoa(id), "cluster:e2e")
		if len(sc) == 0 || sc[0].Status != 0 {
			t.Errorf("node %d: crdb.node.can_scrape = %+v, want OK", id, sc)
		}
		live := snap.FindMetrics("crdb.liveness.live_nodes", "node_id:"+strconv.Itoa(id))
		if len(live) == 0 || live[0].Value != 3 {
			t.Errorf("node %d: crdb.liveness.live_nodes = %+v, want 3", id, live)
		}
	}
	sel := snap.FindMetrics("crdb.sql.statements", "node_id:1", "statement_type:select", "cluster:e2e")
	if sel[0].Type != "c" || sel[0].Value != selectDelta {
		t.Errorf("crdb.sql.statements{node_id:1,select} = %+v, want count %v (t1 - t0 of sql_select_count)", sel[0], selectDelta)
	}
	if got, want := snap.FindMetrics("crdb.cluster.ranges", "cluster:e2e"), sumRanges(t, t0files...); len(got) == 0 || got[0].Value != want {
		t.Errorf("crdb.cluster.ranges = %+v, want %v (sum over the three stores)", got, want)
	}
	if got := snap.FindMetrics("crdb.cluster.nodes.scraped"); len(got) == 0 || got[0].Value != 3 {
		t.Errorf("crdb.cluster.nodes.scraped = %+v, want 3", got)
	}
	if got := snap.FindMetrics("crdb.cluster.versions"); len(got) == 0 || got[0].Value != 1 {
		t.Errorf("crdb.cluster.versions = %+v, want 1", got)
	}
	if got := snap.FindMetrics("crdb.node.build", "crdb_version:v20.2.0-beta.1-localbuild"); len(got) < 3 {
		t.Errorf("crdb.node.build with crdb_version tag: %d series, want one per node", len(got))
	}
}

// TestRunOnceDryRun prints datagrams instead of sending them: every line is a
// well-formed DogStatsD datagram, and a dead node is reported, not fatal.
func TestRunOnceDryRun(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	good := newFakeNode(t, filepath.Join(dir, "node2_status_vars.txt"))
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // refuses connections from now on
	cfg := writeConfig(t, fmt.Sprintf(`init_config:
  dogstatsd_url: udp://127.0.0.1:1
instances:
  - cluster: dry
    status_urls: [%s, %s]
`, good.srv.URL, deadURL))
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "--once", "--dry-run", "--config", cfg}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	snap, err := dsdtest.Parse(stdout.String())
	if err != nil {
		t.Fatalf("dry-run output is not DogStatsD: %v\n%s", err, stdout.String())
	}
	if got := snap.FindMetrics("crdb.node.up", "cluster:dry", "node_id:2"); len(got) != 1 || got[0].Value != 1 {
		t.Errorf("good node: crdb.node.up = %+v", got)
	}
	deadHost := strings.TrimPrefix(deadURL, "http://")
	if got := snap.FindMetrics("crdb.node.up", "instance:"+deadHost); len(got) != 1 || got[0].Value != 0 {
		t.Errorf("dead node: crdb.node.up = %+v, want 0", got)
	}
	sc := snap.FindServiceChecks("crdb.node.can_scrape", "instance:"+deadHost)
	if len(sc) != 1 || sc[0].Status != 2 || !strings.Contains(sc[0].Message, "connection refused") {
		t.Errorf("dead node: can_scrape = %+v, want CRITICAL mentioning connection refused", sc)
	}
	if got := snap.FindMetrics("crdb.cluster.nodes.targets"); len(got) != 1 || got[0].Value != 2 {
		t.Errorf("crdb.cluster.nodes.targets = %+v, want 2", got)
	}
}

// TestRunConfigErrors: a bad config stops roachdog at start with the file,
// line and key in the message, and exit status 1.
func TestRunConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       []string
	}{
		{"unknown key", "init_config:\ninstances:\n  - cluster: a\n    status_urls: [http://h:8080]\n    scrape_timout: 5\n",
			[]string{"conf.yaml:5:", "instances[0].scrape_timout", "unknown key"}},
		{"bad url", "instances:\n  - cluster: a\n    status_urls: [\"h:8080\"]\n",
			[]string{"conf.yaml:3:", "status_urls[0]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, tc.body)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"run", "--once", "--config", cfg}, &stdout, &stderr)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr does not mention %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"frobnicate"}, {"run", "--no-such-flag"}, {"catalog", "--format", "xml"},
		{"run", "--cycles", "-1"}, {"run", "--once", "--cycles", "3"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestVarsCycleLeavesRoom: a vars cycle may use four fifths of its
// interval, and a node scrape no more than the cycle: a cycle that used its
// whole interval would end just after the next tick, which the runner then
// skips, halving the check's rate whenever one node is slow.
func TestVarsCycleLeavesRoom(t *testing.T) {
	t.Parallel()
	cfgPath := writeConfig(t, `instances:
  - cluster: a
    status_urls: [http://h:8080]
    sql_url: postgres://roachdog@127.0.0.1:1/defaultdb?sslmode=disable
    min_collection_interval: 15
    checks:
      vars:
        timeout: 15
      liveness:
        timeout: 15
    custom_queries:
      - metric_prefix: app
        query: SELECT 1
        columns: [{name: one, type: gauge}]
`)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	in := cfg.Instances[0]
	jobs, err := buildJobs(in, &checks.Instance{Cluster: in.Cluster})
	if err != nil {
		t.Fatal(err)
	}
	timeouts := map[string]time.Duration{}
	for _, j := range jobs {
		timeouts[j.Check.Name()] = j.Timeout
	}
	for _, name := range []string{"vars", "custom_queries", "liveness"} {
		if got := timeouts[name]; got != 12*time.Second {
			t.Errorf("%s cycle timeout %s, want 12s (0.8 x 15s)", name, got)
		}
	}
	// The node timeout is capped by the same rule (deadline.Cycle): a
	// scrape started with the cycle times out within it.
	if vars, _ := in.Checks.Get("vars"); vars.Timeout != 12*time.Second {
		t.Errorf("config gave a node timeout of %s, want it capped to the 12s cycle", vars.Timeout)
	}
}

// TestRunOnceAgentHostDoesNotResolve: a mistyped Agent host fails --once
// after a few seconds (it used to retry DNS forever), with the address named
// once in a single-prefix error. The wait is shortened: giving up is the
// point, not its 5 s.
func TestRunOnceAgentHostDoesNotResolve(t *testing.T) {
	orig := agentWaitOnce
	agentWaitOnce = 300 * time.Millisecond
	t.Cleanup(func() { agentWaitOnce = orig })
	cfg := writeConfig(t, `init_config:
  dogstatsd_url: udp://roachdog-no-such-agent.invalid:8125
instances:
  - cluster: a
    status_urls: [http://127.0.0.1:1]
`)
	var stdout, stderr bytes.Buffer
	code := -1
	done := make(chan struct{})
	go func() {
		defer close(done)
		code = run(context.Background(), []string{"run", "--once", "--config", cfg}, &stdout, &stderr)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("run --once still waiting for the Agent's DNS name after 60s")
	}
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	var last string
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		last = l
	}
	if !strings.HasPrefix(last, "roachdog run: dogstatsd client for \"roachdog-no-such-agent.invalid:8125\": gave up") ||
		strings.Count(last, "dogstatsd client for") != 1 {
		t.Errorf("error line %q: want one prefix naming the address", last)
	}
}

// TestLogLinesNameClusterOnce: every log line of a check names its cluster
// once (the instance logger carried it and the runner added it again).
func TestLogLinesNameClusterOnce(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	cfg := writeConfig(t, fmt.Sprintf(`instances:
  - cluster: dry
    status_urls: [%s]
`, deadURL))
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"run", "--once", "--dry-run", "--config", cfg}, &stdout, &stderr)
	found := false
	for _, line := range strings.Split(stderr.String(), "\n") {
		if !strings.Contains(line, "scrape failed") {
			continue
		}
		found = true
		if n := strings.Count(line, "cluster=dry"); n != 1 {
			t.Errorf("cluster named %d times: %s", n, line)
		}
	}
	if !found {
		t.Fatalf("no scrape failure logged:\n%s", stderr.String())
	}
}
