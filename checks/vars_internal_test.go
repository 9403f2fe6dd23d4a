package checks

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sync/semaphore"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/testenv"
	"github.com/roachdog/roachdog/internal/yamlx"
)

func TestVarsQuantileSuffix(t *testing.T) {
	t.Parallel()
	for q, want := range map[float64]string{0.5: "p50", 0.75: "p75", 0.9: "p90", 0.99: "p99",
		0.999: "p99_9", 0.9999: "p99_99", 1: "p100", 0.05: "p5"} {
		if got := varsQuantileSuffix(q); got != want {
			t.Errorf("%v: %s, want %s", q, got, want)
		}
	}
}

func TestVarsDefaults(t *testing.T) {
	t.Parallel()
	v, err := NewVars(VarsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.timeout != 5*time.Second || v.maxBytes != 16<<20 || len(v.quantiles) != 4 || v.now == nil {
		t.Errorf("defaults: timeout %s, max %d, quantiles %v", v.timeout, v.maxBytes, v.quantiles)
	}
}

// TestVarsTable checks the curated table itself: every family read by one
// metric only, patterns that compile with one group, names and tags in
// Datadog's alphabet, and a catalog without duplicates.
func TestVarsTable(t *testing.T) {
	t.Parallel()
	families := map[string]string{}
	name := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)
	for _, m := range varsMetrics {
		if !name.MatchString(m.Name) {
			t.Errorf("%q: not a Datadog metric name", m.Name)
		}
		if m.Desc == "" || m.PerNode < 1 {
			t.Errorf("%s: description %q, per node %d", m.Name, m.Desc, m.PerNode)
		}
		computed := m.Conv == varsComputedGauge || m.Conv == varsComputedCount || m.Conv == varsServiceCheck
		if computed != (len(m.Sources) == 0) {
			t.Errorf("%s: computed %v with %d sources", m.Name, computed, len(m.Sources))
		}
		for _, s := range m.Sources {
			if (s.Family == "") == (s.Pattern == "") {
				t.Errorf("%s: source %+v needs exactly one of Family, Pattern", m.Name, s)
			}
			if s.Pattern != "" {
				if re := regexp.MustCompile(s.Pattern); re.NumSubexp() != 1 || m.TagKey == "" {
					t.Errorf("%s: pattern %s needs one group and a TagKey", m.Name, s.Pattern)
				}
			}
			if s.Family != "" && (m.TagKey != "") != (s.TagValue != "") && m.Conv != varsBuild {
				t.Errorf("%s: family %s: TagKey %q with TagValue %q", m.Name, s.Family, m.TagKey, s.TagValue)
			}
			key := s.Family + s.Pattern
			if other, dup := families[key]; dup {
				t.Errorf("%s read by %s and %s", key, other, m.Name)
			}
			families[key] = m.Name
		}
	}
	// Patterns must not capture exact families of other metrics.
	v, err := NewVars(VarsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for fam, r := range v.exact {
		for _, p := range v.patterns {
			if p.re.MatchString(fam) {
				t.Errorf("pattern %s of %s also matches %s (%s)", p.re, p.metric.Name, fam, r.metric.Name)
			}
		}
	}

	seen := map[string]bool{}
	for _, m := range Catalog() {
		if m.Check != "vars" {
			continue
		}
		if seen[m.Name] {
			t.Errorf("catalog: %s twice", m.Name)
		}
		seen[m.Name] = true
		if m.Check != "vars" || m.Kind == "" || m.Description == "" {
			t.Errorf("catalog entry %+v", m)
		}
		if strings.Contains(m.Name, "bucket") {
			t.Errorf("catalog: per-bucket series %s", m.Name)
		}
	}
	for _, want := range []string{"node.up", "node.can_scrape", "sql.service_latency.p99", "sql.service_latency.count",
		"cluster.live_nodes.spread", "capacity.used_ratio", "node.restarts"} {
		if !seen[want] {
			t.Errorf("catalog lacks %s", want)
		}
	}
	if m, ok := Lookup("node.can_scrape"); !ok || m.Kind != KindServiceCheck {
		t.Errorf("Lookup(node.can_scrape) = %+v, %v", m, ok)
	}
	// Nothing else in the package registers the same names.
	count := map[string]int{}
	for _, m := range Catalog() {
		count[m.Name]++
	}
	for n := range seen {
		if count[n] != 1 {
			t.Errorf("%s appears %d times in Catalog()", n, count[n])
		}
	}
}

type varsDiscard struct{}

func (varsDiscard) Gauge(string, float64, []string)               {}
func (varsDiscard) Count(string, int64, []string)                 {}
func (varsDiscard) Distribution(string, []Sample, []string)       {}
func (varsDiscard) ServiceCheck(string, Status, string, []string) {}
func (varsDiscard) Event(Event)                                   {}

// TestVarsForgetsRemovedNodes: the state of a node no longer listed is
// dropped after 10 minutes, not before.
func TestVarsForgetsRemovedNodes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# TYPE sys_uptime gauge\nsys_uptime 5\n"))
	}))
	defer srv.Close()
	now := time.Unix(1710410400, 0)
	v, err := NewVars(VarsOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	a, b := cluster.Node{StatusURL: srv.URL}, cluster.Node{StatusURL: srv.URL + "/"}
	run := func(nodes ...cluster.Node) {
		if err := v.Run(context.Background(), &Target{Nodes: nodes}, varsDiscard{}); err != nil {
			t.Fatal(err)
		}
	}
	run(a, b)
	now = now.Add(9 * time.Minute)
	run(a)
	if len(v.nodes) != 2 {
		t.Errorf("after 9 min: %d node states, want 2", len(v.nodes))
	}
	now = now.Add(2 * time.Minute)
	run(a)
	if len(v.nodes) != 1 || v.nodes[srv.URL] == nil {
		t.Errorf("after 11 min: node states %v, want only %s", v.nodes, srv.URL)
	}
}

// TestVarsSeriesStateBounded: the state kept between cycles (counter and
// histogram baselines) holds only the series within the caps, however many
// a payload carries: 5,000 store values of a counter and of a histogram
// family leave max_series_per_family baselines each, and a cycle cap below
// that leaves no more than the cap in all.
func TestVarsSeriesStateBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("# TYPE sys_uptime gauge\nsys_uptime 5\n# TYPE storage_write_stalls counter\n")
	for s := 5000; s >= 1; s-- {
		fmt.Fprintf(&b, "storage_write_stalls{store=\"%d\"} %d\n", s, s)
	}
	b.WriteString("# TYPE storage_wal_fsync_latency histogram\n")
	for s := 5000; s >= 1; s-- {
		fmt.Fprintf(&b, "storage_wal_fsync_latency_bucket{store=\"%d\",le=\"1000\"} 1\n", s)
		fmt.Fprintf(&b, "storage_wal_fsync_latency_bucket{store=\"%d\",le=\"+Inf\"} 2\n", s)
		fmt.Fprintf(&b, "storage_wal_fsync_latency_sum{store=\"%d\"} 1500\nstorage_wal_fsync_latency_count{store=\"%d\"} 2\n", s, s)
	}
	payload := []byte(b.String())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(payload) }))
	defer srv.Close()
	for _, c := range []struct {
		opts         VarsOptions
		counts, hist int
	}{
		{VarsOptions{MaxSeriesPerFamily: 100}, 100, 100},
		// The cycle cap: families in name order, storage_wal_fsync_latency
		// before storage_write_stalls.
		{VarsOptions{MaxSeriesPerFamily: 100, MaxSeriesPerCycle: 150}, 50, 100},
		{VarsOptions{MaxSeriesPerCycle: 60}, 0, 60},
	} {
		now := time.Unix(1710410400, 0)
		c.opts.Now = func() time.Time { return now }
		v, err := NewVars(c.opts)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			now = now.Add(10 * time.Second)
			if err := v.Run(context.Background(), &Target{Nodes: []cluster.Node{{StatusURL: srv.URL}}}, varsDiscard{}); err != nil {
				t.Fatal(err)
			}
		}
		st := v.nodes[srv.URL]
		if got, got2 := st.counters.Len(), st.hists.Len(); got != c.counts || got2 != c.hist {
			t.Errorf("%+v: %d counter and %d histogram baselines, want %d and %d", c.opts, got, got2, c.counts, c.hist)
		}
	}
}

// TestVarsBigPayloadBudget: payloads are read through a small buffer, which
// grows past varsBigLine only for a line longer than that, and then from a
// budget: more nodes with such lines than the budget lets be read at once
// are all read (they wait for their turn, none fails), no more is held at
// once than the budget, and it is whole again after the cycle. Payloads of
// many ordinary lines, however large, take nothing from it.
func TestVarsBigPayloadBudget(t *testing.T) {
	if RaceEnabled {
		t.Skip("measures memory and volume: run without -race (make unit does)")
	}
	t.Parallel()
	gzipped := func(s string) []byte {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte(s))
		zw.Close()
		return gz.Bytes()
	}
	var many strings.Builder
	many.WriteString("# TYPE sys_uptime gauge\nsys_uptime 5\n")
	for i := 0; many.Len() < 2<<20; i++ {
		fmt.Fprintf(&many, "# TYPE padding_%d gauge\npadding_%d %d\n", i, i, i)
	}
	huge := "# TYPE sys_uptime gauge\nsys_uptime 5\n# TYPE padding gauge\npadding{v=\"" + strings.Repeat("x", 5<<20) + "\"} 1\n"
	for _, c := range []struct {
		name     string
		payload  []byte
		budgeted bool
	}{
		{"many lines", gzipped(many.String()), false},
		{"huge line", gzipped(huge), true},
	} {
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/_status/vars" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(c.payload)
		})
		v, err := NewVars(VarsOptions{MaxConcurrent: 6, MaxPayloadBytes: 8 << 20, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		// Room for 2 buffers of 8 MiB at once, of the 6 scrapes.
		v.budget.bytes = 2*(8<<20) + 1
		v.budget.sem = semaphore.NewWeighted(v.budget.bytes)
		var nodes []cluster.Node
		for range 6 {
			srv := httptest.NewServer(handler)
			defer srv.Close()
			nodes = append(nodes, cluster.Node{StatusURL: srv.URL})
		}
		rec := &varsCounter{}
		if err := v.Run(context.Background(), &Target{Nodes: nodes}, rec); err != nil {
			t.Fatal(err)
		}
		if rec.up != 6 {
			t.Errorf("%s: %d of 6 nodes up", c.name, rec.up)
		}
		if !v.budget.sem.TryAcquire(v.budget.bytes) || v.budget.used != 0 {
			t.Errorf("%s: budget not released after the cycle (%d bytes held)", c.name, v.budget.used)
		}
		if v.budget.peak > v.budget.bytes || (v.budget.peak > 0) != c.budgeted {
			t.Errorf("%s: peak %d bytes of the budget's %d", c.name, v.budget.peak, v.budget.bytes)
		}
	}
}

type varsCounter struct {
	varsDiscard
	up int
}

func (c *varsCounter) Gauge(name string, x float64, _ []string) {
	if name == varsNodeUp.Name && x == 1 {
		c.up++
	}
}

// TestVarsResolveOwnsNames: the names a rule keeps (the name sent for an
// included family) must not alias the payload buffer the family name was
// read from: that buffer is reused by the next scrape.
func TestVarsResolveOwnsNames(t *testing.T) {
	t.Parallel()
	v, err := NewVars(VarsOptions{Include: []string{"/^sql_mem_root_current$/"}})
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte("sql_mem_root_current")
	r := v.resolve(unsafe.String(unsafe.SliceData(buf), len(buf)))
	if r == nil || r.name != "sql_mem_root_current" {
		t.Fatalf("rule %+v", r)
	}
	copy(buf, "XXXXXXXXXXXXXXXXXXXX") // the buffer reused by another payload
	if r.name != "sql_mem_root_current" || r.hist.count != "sql_mem_root_current.count" {
		t.Errorf("the rule's names changed with the buffer: %q, %q", r.name, r.hist.count)
	}
	if again := v.resolve("sql_mem_root_current"); again != r {
		t.Errorf("not cached under its own name")
	}
}

// TestVarsResolvePublished: resolve answers the same from the lock-free
// copy as from decide, concurrently with the names being added and
// published (run with -race), and caches at most varsRuleCacheMax names.
func TestVarsResolvePublished(t *testing.T) {
	t.Parallel()
	v, err := NewVars(VarsOptions{Include: []string{"/^extra_/"}, Exclude: []string{"ranges"}})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"ranges", "replicas", "sys_uptime", "node_id", "extra_a", "nothing", "liveness_livenodes"}
	for i := range varsRuleCacheMax + 500 {
		names = append(names, fmt.Sprintf("junk_%d", i))
	}
	want := make([]*varsRule, len(names))
	for i, n := range names {
		want[i] = v.decide(n)
	}
	same := func(a, b *varsRule) bool { return reflect.DeepEqual(a, b) }
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < len(names); i += 3 {
				if got := v.resolve(names[i]); !same(got, want[i]) {
					t.Errorf("%s: %+v, want %+v", names[i], got, want[i])
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			v.publishRules()
		}
	})
	wg.Wait()
	v.publishRules()
	if n := len(*v.published.Load()); n != varsRuleCacheMax {
		t.Errorf("%d names published, want the cap %d", n, varsRuleCacheMax)
	}
	for i, n := range names {
		if got := v.resolve(n); !same(got, want[i]) {
			t.Errorf("%s after publishing: %+v, want %+v", n, got, want[i])
		}
	}
}

// TestVarsAskGzip: auto asks for gzip except from loopback hosts.
func TestVarsAskGzip(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mode VarsCompression
		url  string
		want bool
	}{
		{VarsCompressionAuto, "http://127.0.0.1:8080", false},
		{VarsCompressionAuto, "http://127.0.0.2:8080", false},
		{VarsCompressionAuto, "http://[::1]:8080", false},
		{VarsCompressionAuto, "http://localhost:8080", false},
		{VarsCompressionAuto, "https://LOCALHOST:8080", false},
		{VarsCompressionAuto, "http://10.0.0.5:8080", true},
		{VarsCompressionAuto, "https://roach1.example:8080", true},
		{VarsCompressionAuto, "http://localhost.example:8080", true},
		{VarsCompressionGzip, "http://127.0.0.1:8080", true},
		{VarsCompressionNone, "http://10.0.0.5:8080", false},
	} {
		v, err := NewVars(VarsOptions{Compression: c.mode})
		if err != nil {
			t.Fatal(err)
		}
		if got := v.askGzip(c.url); got != c.want {
			t.Errorf("%q %s: %v, want %v", c.mode, c.url, got, c.want)
		}
	}
}

// TestVarsCompressionKey: checks.vars.compression decodes auto, gzip and
// none, and refuses anything else naming the key.
func TestVarsCompressionKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		src  string
		want VarsCompression
		err  string
	}{
		{src: "{}", want: VarsCompressionAuto},
		{src: "{vars: {compression: auto}}", want: VarsCompressionAuto},
		{src: "{vars: {compression: gzip}}", want: VarsCompressionGzip},
		{src: "{vars: {compression: none}}", want: VarsCompressionNone},
		{src: "{vars: {compression: zstd}}", err: `instances[0].checks.vars.compression: want auto, gzip or none, got "zstd"`},
	} {
		d := yamlx.NewDecoder("c", nil)
		cd := NewConfigDecoder(d)
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(c.src), &doc); err != nil {
			t.Fatal(err)
		}
		cd.Checks(doc.Content[0], "instances[0].checks")
		cs := cd.Finish(InstanceScope{Path: "instances[0]", MinInterval: 15 * time.Second}, nil)
		if err := d.Err(); c.err != "" || err != nil {
			if c.err == "" || err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.src, err, c.err)
			}
			continue
		}
		if got := OptionsOf[VarsOptions](cs).Compression; got != c.want {
			t.Errorf("%s: %q, want %q", c.src, got, c.want)
		}
	}
}

// TestVarsPatternPrefixes: every curated pattern has a literal prefix, the
// cheap test decide runs before the regex on each new family name, and
// the prefix never excludes a name the pattern matches.
func TestVarsPatternPrefixes(t *testing.T) {
	t.Parallel()
	v, err := NewVars(VarsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.patterns) == 0 {
		t.Fatal("no curated patterns")
	}
	for _, p := range v.patterns {
		if p.prefix == "" || strings.HasPrefix(p.prefix, "^") {
			t.Errorf("pattern %s: prefix %q, want the literal after '^'", p.re, p.prefix)
		}
		if !strings.HasPrefix(p.re.String(), "^"+regexp.QuoteMeta(p.prefix)) {
			t.Errorf("pattern %s does not start with its prefix %q", p.re, p.prefix)
		}
	}
}

// TestVarsPointsOutliveTheParse: a scrape's points are sent after every
// node's parse was released and its arena reused by other nodes' parses
// (promtext.Parsed): nothing in them may point into it. A node's points
// stay the same while other payloads are parsed after them.
func TestVarsPointsOutliveTheParse(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	v, err := NewVars(VarsOptions{Histograms: HistogramBoth, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	now := time.Date(2026, 11, 22, 2, 45, 20, 0, time.UTC)
	scrape := func(st *varsNodeState, payload []byte) *varsResult {
		client := &http.Client{Transport: &varsMemTransport{payloads: [][]byte{payload}}}
		r := &varsResult{node: cluster.Node{StatusURL: st.url}, st: st, quota: varsDefaultMaxSeriesPerCycle}
		v.scrape(ctx, client, log, r, now, now)
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	}
	a, b := newVarsNodeState("http://a"), newVarsNodeState("http://b")
	scrape(a, read("node1_status_vars_t0.txt"))
	now = now.Add(20 * time.Second)
	r := scrape(a, read("node1_status_vars_t1.txt"))
	if len(r.points) < 50 {
		t.Fatalf("%d points", len(r.points))
	}
	want := fmt.Sprintf("%+v %+v", r.points, r.agg)
	for i := range 20 {
		now = now.Add(20 * time.Second)
		scrape(b, read(fmt.Sprintf("node%d_status_vars_t%d.txt", 2+i%2, i%2)))
	}
	if got := fmt.Sprintf("%+v %+v", r.points, r.agg); got != want {
		t.Errorf("node a's points changed while other payloads were parsed:\n%s\nwant\n%s", got, want)
	}
}

// The node id comes from the first node_id label in the first
// varsIDScanBytes of a payload, however the reads cut it into runs; a
// payload without one there is left to the node_id gauge.
func TestVarsIDScan(t *testing.T) {
	t.Parallel()
	unlabelled := strings.Repeat("sys_uptime 12\n", varsIDScanBytes/len("sys_uptime 12\n")+1)
	tests := []struct {
		name    string
		payload string
		want    int
	}{
		{"labelled first", "# TYPE a gauge\na{node_id=\"7\",store=\"1\"} 1\nb{store=\"1\",node_id=\"8\"} 2\n", 7},
		{"second label", "a{store=\"1\",node_id=\"12\"} 1\n", 12},
		{"in help text only", "# HELP a counts x{node_id=\"3\"} and more\na 1\n", 3}, // as before: text after '{' counts
		{"not a label", "a{xnode_id=\"3\"} 1\n# HELP b node_id=\"4\"\nb 1\n", 0},
		{"not a number", "a{node_id=\"x\"} 1\nb{node_id=\"5\"} 1\n", 5},
		{"none", "a 1\n", 0},
		{"only after the scanned bytes", unlabelled + "a{node_id=\"9\"} 1\n", 0},
	}
	for _, tc := range tests {
		for _, piece := range []int{1, 7, 4096, len(tc.payload)} {
			s := varsIDScan{left: varsIDScanBytes}
			rest := tc.payload
			for len(rest) > 0 {
				// Runs of whole lines, as ReadOptions.Lines gets them.
				n := min(piece, len(rest))
				if i := strings.IndexByte(rest[n-1:], '\n'); i >= 0 {
					n += i
				} else {
					n = len(rest)
				}
				s.lines([]byte(rest[:n]))
				rest = rest[n:]
			}
			if s.id != tc.want {
				t.Errorf("%s, runs of about %d bytes: id %d, want %d", tc.name, piece, s.id, tc.want)
			}
		}
	}
}

// TestVarsWantFilter: the filter in front of resolve never rules out a
// name decide would read, under every kind of configuration, over every
// family name of every capture and names made to sit near the rules
// (curated names cut or extended, pattern prefixes alone, node_id); and
// with the defaults it rules out 90% of what decide rules out, or it
// would only cost.
func TestVarsWantFilter(t *testing.T) {
	t.Parallel()
	names := map[string]bool{"node_id": true, "node_id_x": true, "": true, "j": true}
	files, err := filepath.Glob(filepath.Join(testenv.Fixtures(t), "*", "*", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(testenv.Fixtures(t), "*", "*.txt"))
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range bytes.Lines(b) {
			if f := strings.Fields(string(line)); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
				names[f[2]] = true
			}
		}
	}
	for _, m := range varsMetrics {
		for _, s := range m.Sources {
			if n := s.Family; n != "" {
				names[n], names[n+"_x"], names[n[:len(n)-1]], names["x"+n] = true, true, true, true
			}
			if p := varsLiteralPrefix(s.Pattern); p != "" {
				names[p], names[p+"x"], names[p+"x_resume_failed"], names[p[:len(p)-1]] = true, true, true, true
				x := varsLiteralSuffix(s.Pattern)
				names[p+"x"+x], names[p+x], names[p+"x"+x+"s"], names[p+"x_y"+x] = true, true, true, true
			}
		}
	}
	if len(names) < 1500 {
		t.Fatalf("only %d names", len(names))
	}
	for _, tc := range []struct {
		name string
		o    VarsOptions
		all  bool
	}{
		{"defaults", VarsOptions{}, false},
		{"include names", VarsOptions{Include: []string{"sys_uptime", "totally_new_family", "node_id"}}, false},
		{"include regex", VarsOptions{Include: []string{"/^raft_/"}}, true},
		{"exclude", VarsOptions{Exclude: []string{"ranges", "/^sql_/", "node_id"}}, false},
	} {
		v, err := NewVars(tc.o)
		if err != nil {
			t.Fatal(err)
		}
		if v.maybe.all != tc.all {
			t.Errorf("%s: filter off = %v, want %v", tc.name, v.maybe.all, tc.all)
		}
		unwanted, ruledOut := 0, 0
		for n := range names {
			r := v.decide(n)
			may := v.maybe.mayWant(n)
			if r != nil && !may {
				t.Errorf("%s: %q is read, but the filter rules it out", tc.name, n)
			}
			if want := r != nil; v.want(n) != want {
				t.Errorf("%s: want(%q) = %v, decide says %v", tc.name, n, !want, want)
			}
			if r == nil {
				unwanted++
				if !may {
					ruledOut++
				}
			}
		}
		if !tc.all && ruledOut < unwanted*9/10 {
			t.Errorf("%s: the filter rules out %d of %d unwanted names, want at least 90%%", tc.name, ruledOut, unwanted)
		}
		t.Logf("%s: %d names, %d unwanted, %d of them ruled out by the filter", tc.name, len(names), unwanted, ruledOut)
	}
	for _, tc := range []struct{ pattern, prefix, suffix string }{
		{`^jobs_([a-z0-9_]+)_currently_running$`, "jobs_", "_currently_running"},
		{`^txn_restarts_([a-z_]+)$`, "txn_restarts_", ""},
		{`^a(b|c)d$`, "a", "d"},
		{`^a(b|c)d`, "a", ""},
		{`^a(b|c)(?i)d$`, "a", ""},
		{`a(b|c)d$`, "", "d"},
		{`^abc$`, "abc", "abc"}, // one literal is both
	} {
		if p, x := varsLiteralPrefix(tc.pattern), varsLiteralSuffix(tc.pattern); p != tc.prefix || x != tc.suffix {
			t.Errorf("%s: prefix %q suffix %q, want %q %q", tc.pattern, p, x, tc.prefix, tc.suffix)
		}
	}
	// A pattern without a literal prefix can match any name.
	f := newVarsWantFilter([]string{"a"}, []varsPattern{{prefix: "jobs_"}, {prefix: "", suffix: "_x"}}, 0)
	if !f.all || !f.mayWant("anything") || !f.mayWant("") {
		t.Errorf("a pattern without a prefix: the filter rules names out")
	}
	f = newVarsWantFilter(nil, []varsPattern{{prefix: "jobs_", suffix: "_paused"}}, 0)
	for name, want := range map[string]bool{"jobs_x_paused": true, "jobs__paused": true, "jobs_paused": true,
		"jobs_x": false, "job_x_paused": false, "jobs_x_paused_": false, "": false} {
		if f.mayWant(name) != want {
			t.Errorf("prefix jobs_, suffix _paused: %q %v, want %v", name, !want, want)
		}
	}
	// Prefix and suffix overlap in the one name the pattern matches.
	re := `^ab$`
	f = newVarsWantFilter(nil, []varsPattern{{prefix: varsLiteralPrefix(re), suffix: varsLiteralSuffix(re)}}, 0)
	if !f.mayWant("ab") {
		t.Errorf("%s: the filter rules out ab", re)
	}
}
