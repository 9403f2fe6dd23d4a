package checks

// The vars check scrapes every node's /_status/vars (Prometheus text),
// keeps only the curated families (plus Include, minus Exclude), and turns
// them into gauges, counts of counter increments and histograms (Datadog
// distributions of the interval's observations and/or per-node quantile
// gauges, vars_histmode.go).
// What it sends is described by varsMetrics (vars_metrics.go); cluster-level
// aggregates are in vars_cluster.go. A node whose own endpoint fails is read
// through a node that answered when the cluster can proxy (proxyFailed).

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"
	"golang.org/x/sync/semaphore"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/promtext"
	"github.com/roachdog/roachdog/internal/redirect"
)

// VarsOptions configures the vars check.
type VarsOptions struct {
	// Timeout bounds each node's scrape (connect, response, body); default 5s.
	Timeout time.Duration
	// MaxPayloadBytes caps one node's decompressed payload; default 16 MiB.
	MaxPayloadBytes int64
	// Include adds families to the curated set and Exclude removes families
	// (curated or included): exact family names or "/regex/".
	Include, Exclude []string
	// Quantiles computed for histograms; default 0.5, 0.75, 0.9, 0.99.
	Quantiles []float64
	// Histograms says how histograms are sent (HistogramDistribution when
	// empty); HistogramOverrides sets it per curated histogram, by the name
	// sent (without namespace), e.g. "sql.service_latency".
	Histograms         HistogramMode
	HistogramOverrides map[string]HistogramMode
	// MaxConcurrent bounds the scrapes in flight (default 16): at 100 nodes
	// of ~800 kB each, unbounded fan-out would hold every payload at once.
	// A slow node holds one slot for at most Timeout, so the others go on.
	MaxConcurrent int
	// MaxSeriesPerFamily caps the series read from one family of one
	// node's payload (default 1,000): a payload with 100,000 store values
	// would otherwise be 100,000 custom metrics. The first series in label
	// order are kept (promtext.SeriesOrder), so the same ones every cycle.
	MaxSeriesPerFamily int
	// MaxSeriesPerCycle caps the series read from all nodes in one cycle
	// (default 250,000), split evenly between the cycle's nodes; a node
	// over its share keeps its first series, families in name order. It
	// also bounds the per-series state (counter and histogram baselines).
	MaxSeriesPerCycle int
	// Now is the clock used for deltas, ages and retries; default time.Now.
	Now func() time.Time

	// For callers that judge completeness themselves from another source
	// (roachdog health compares the scraped nodes with SQL liveness); the
	// Datadog path leaves both off.
	//
	// PartialSums sends the cluster sums (ranges, capacity) whatever was
	// scraped, rather than only when every live node was.
	PartialSums bool
	// ReportUnscraped reports the nodes the cycle's deadline left unscraped
	// as failed (node.up 0, CRITICAL saying so), and Run does not fail for
	// them. Off, nothing is sent for them and Run returns an error.
	ReportUnscraped bool
}

const (
	varsDefaultTimeout       = 5 * time.Second
	varsDefaultMaxBytes      = 16 << 20
	varsDefaultMaxConcurrent = 16
	// A real node sends 100 to 400 series (more stores, more); a family
	// has one series per store, or per child with child metrics on.
	varsDefaultMaxSeriesPerFamily = 1000
	varsDefaultMaxSeriesPerCycle  = 250000
	// varsForgetAfter drops state of series and nodes not seen for that long
	// (removed nodes, vanished series).
	varsForgetAfter = 10 * time.Minute
	// varsLocalityRetry spaces attempts to read a node's locality from
	// /_status/nodes/local after a failure (401 on secure clusters...).
	varsLocalityRetry = 10 * time.Minute
	// varsMaxLocalityBytes caps /_status/nodes/local (it embeds every metric
	// of the node: ~37 kB on v20.2, more on later versions).
	varsMaxLocalityBytes = 8 << 20
	// varsRuleCacheMax bounds the family-name cache against garbage payloads.
	varsRuleCacheMax = 20000
	// varsUptimeSlack absorbs scrape jitter and sys_uptime's sampling period
	// (10s) when comparing uptime with the time between two scrapes.
	varsUptimeSlack = 15 * time.Second
)

// Vars is the vars check. One Vars serves one cluster.
type Vars struct {
	timeout   time.Duration
	partial   bool // VarsOptions.PartialSums
	unscraped bool // VarsOptions.ReportUnscraped
	maxBytes  int64
	slots     chan struct{} // scrape concurrency limit
	quantiles []float64
	histMode  HistogramMode
	histOver  map[string]HistogramMode
	now       func() time.Time
	// Series caps (VarsOptions.MaxSeriesPerFamily, MaxSeriesPerCycle).
	familyCap, cycleCap int

	exact    map[string]*varsRule // curated families by exact name
	patterns []varsPattern        // curated families with a variable part
	hists    map[*varsMetric]*varsHistNames
	incExact map[string]bool
	excExact map[string]bool
	incRe    []*regexp.Regexp
	excRe    []*regexp.Regexp

	// mu guards rules, the resolved family names. Node goroutines share it.
	mu    sync.RWMutex
	rules map[string]*varsRule

	// nodes is per status URL; only Run's goroutine adds or removes entries,
	// and each node goroutine touches only its own state.
	nodes map[string]*varsNodeState
	// withheld is set while the cluster sums are withheld (Run's goroutine
	// only), so that the reason is logged once per streak.
	withheld bool
	// big keeps the buffers of large payloads while they keep coming.
	big varsBigBufs
	// capWarned holds the families whose cut by the family cap was logged
	// (once per family); cycleCapped is set while the cycle cap cuts.
	capWarned   map[string]bool
	cycleCapped bool
}

var _ Check = (*Vars)(nil)

// varsRule is what to do with one family (nil: not wanted).
type varsRule struct {
	metric *varsMetric // curated, or nil for an included extra family
	tag    string      // metric.TagKey:value for this family, or ""
	extra  bool        // send as the family's own name, converted by its TYPE
	name   string      // name sent for an extra family
	hist   *varsHistNames
}

type varsPattern struct {
	re     *regexp.Regexp
	prefix string
	metric *varsMetric
}

// varsHistNames are the derived names of one histogram and how it is sent.
type varsHistNames struct {
	name            string // the distribution's
	quantiles       []string
	max, avg, count string
	dist, gauges    bool
}

// varsIdentityRule parses the node_id family (for the node id, see
// varsNodeID) without sending it, unless it is also included.
var varsIdentityRule = &varsRule{}

var varsFamilyName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// NewVars validates the options and builds the check.
func NewVars(o VarsOptions) (*Vars, error) {
	v := &Vars{
		partial:   o.PartialSums,
		unscraped: o.ReportUnscraped,
		timeout:   o.Timeout,
		maxBytes:  o.MaxPayloadBytes,
		now:       o.Now,
		exact:     map[string]*varsRule{},
		hists:     map[*varsMetric]*varsHistNames{},
		rules:     map[string]*varsRule{},
		nodes:     map[string]*varsNodeState{},
	}
	switch {
	case v.timeout < 0:
		return nil, fmt.Errorf("vars: timeout %s is negative", v.timeout)
	case v.timeout == 0:
		v.timeout = varsDefaultTimeout
	}
	switch {
	case v.maxBytes < 0:
		return nil, fmt.Errorf("vars: max payload bytes %d is negative", v.maxBytes)
	case v.maxBytes == 0:
		v.maxBytes = varsDefaultMaxBytes
	}
	switch {
	case o.MaxConcurrent < 0:
		return nil, fmt.Errorf("vars: max concurrent scrapes %d is negative", o.MaxConcurrent)
	case o.MaxConcurrent == 0:
		o.MaxConcurrent = varsDefaultMaxConcurrent
	}
	v.slots = make(chan struct{}, o.MaxConcurrent)
	// A scrape may hold a gzip body and its text: both fit in the budget.
	v.big.budget = varsBigAtOnce * (max(v.maxBytes, varsMaxLocalityBytes) + 1<<20)
	v.big.max = varsBigAtOnce
	v.big.sem = semaphore.NewWeighted(v.big.budget)
	switch {
	case o.MaxSeriesPerFamily < 0:
		return nil, fmt.Errorf("vars: max series per family %d is negative", o.MaxSeriesPerFamily)
	case o.MaxSeriesPerFamily == 0:
		o.MaxSeriesPerFamily = varsDefaultMaxSeriesPerFamily
	}
	switch {
	case o.MaxSeriesPerCycle < 0:
		return nil, fmt.Errorf("vars: max series per cycle %d is negative", o.MaxSeriesPerCycle)
	case o.MaxSeriesPerCycle == 0:
		o.MaxSeriesPerCycle = varsDefaultMaxSeriesPerCycle
	}
	v.familyCap, v.cycleCap = o.MaxSeriesPerFamily, o.MaxSeriesPerCycle
	v.capWarned = map[string]bool{}
	if v.now == nil {
		v.now = time.Now
	}
	// nil means the default set; an empty list means no quantiles (max, avg
	// and count only), as the config documents.
	v.quantiles = o.Quantiles
	if v.quantiles == nil {
		v.quantiles = varsDefaultQuantiles
	}
	seen := map[string]bool{}
	for _, q := range v.quantiles {
		if !(q > 0 && q <= 1) {
			return nil, fmt.Errorf("vars: quantile %v is outside (0, 1]", q)
		}
		s := varsQuantileSuffix(q)
		if seen[s] {
			return nil, fmt.Errorf("vars: quantile %v given twice (%s)", q, s)
		}
		seen[s] = true
	}
	if err := v.histogramModes(o.Histograms, o.HistogramOverrides); err != nil {
		return nil, err
	}
	var err error
	if v.incExact, v.incRe, err = varsCompileFilters("include", o.Include); err != nil {
		return nil, err
	}
	if v.excExact, v.excRe, err = varsCompileFilters("exclude", o.Exclude); err != nil {
		return nil, err
	}
	for _, m := range varsMetrics {
		var hn *varsHistNames
		if m.Conv == varsHistogram {
			hn = v.histNames(m.Name)
			v.hists[m] = hn
		}
		for _, s := range m.Sources {
			if s.Pattern != "" {
				re := regexp.MustCompile(s.Pattern)
				prefix, _ := re.LiteralPrefix()
				v.patterns = append(v.patterns, varsPattern{re: re, prefix: strings.TrimPrefix(prefix, "^"), metric: m})
				continue
			}
			r := &varsRule{metric: m, hist: hn}
			if m.TagKey != "" && s.TagValue != "" {
				r.tag = m.TagKey + ":" + s.TagValue
			}
			v.exact[s.Family] = r
		}
	}
	return v, nil
}

func varsCompileFilters(what string, list []string) (map[string]bool, []*regexp.Regexp, error) {
	exact := map[string]bool{}
	var res []*regexp.Regexp
	for _, s := range list {
		if len(s) >= 2 && s[0] == '/' && s[len(s)-1] == '/' {
			re, err := regexp.Compile(s[1 : len(s)-1])
			if err != nil {
				return nil, nil, fmt.Errorf("vars: %s %q: %w", what, s, err)
			}
			res = append(res, re)
			continue
		}
		if !varsFamilyName.MatchString(s) {
			return nil, nil, fmt.Errorf("vars: %s %q is neither a metric family name nor a /regex/", what, s)
		}
		exact[s] = true
	}
	return exact, res, nil
}

func (v *Vars) histNames(name string) *varsHistNames {
	mode, ok := v.histOver[name]
	if !ok {
		mode = v.histMode
	}
	hn := &varsHistNames{name: name, max: name + ".max", avg: name + ".avg", count: name + ".count",
		dist: mode != HistogramGauges, gauges: mode != HistogramDistribution}
	for _, q := range v.quantiles {
		hn.quantiles = append(hn.quantiles, name+"."+varsQuantileSuffix(q))
	}
	return hn
}

// Name implements Check.
func (v *Vars) Name() string { return "vars" }

// resolve says what to do with a family, caching the answer: the same few
// thousand names come back every cycle from every node.
func (v *Vars) resolve(name string) *varsRule {
	v.mu.RLock()
	r, ok := v.rules[name]
	v.mu.RUnlock()
	if ok {
		return r
	}
	r = v.decide(name)
	v.mu.Lock()
	if len(v.rules) < varsRuleCacheMax {
		// Clone: the name may point into a payload buffer that is reused.
		v.rules[strings.Clone(name)] = r
	}
	v.mu.Unlock()
	return r
}

func (v *Vars) decide(name string) *varsRule {
	identity := name == varsFamilyNodeID
	if varsMatch(name, v.excExact, v.excRe) {
		if identity {
			return varsIdentityRule
		}
		return nil
	}
	if r, ok := v.exact[name]; ok {
		return r
	}
	for _, p := range v.patterns {
		if !strings.HasPrefix(name, p.prefix) {
			continue
		}
		if sm := p.re.FindStringSubmatch(name); sm != nil {
			return &varsRule{metric: p.metric, tag: p.metric.TagKey + ":" + sanitizeTag(sm[1], false), hist: v.hists[p.metric]}
		}
	}
	if varsMatch(name, v.incExact, v.incRe) {
		// Cloned: name points into a payload buffer that is reused, and
		// ReplaceAll returns it as it is when it holds no ':'.
		sent := strings.ReplaceAll(strings.Clone(name), ":", "_")
		return &varsRule{extra: true, name: sent, hist: v.histNames(sent)}
	}
	if identity {
		return varsIdentityRule
	}
	return nil
}

// want says whether a family is read at all.
func (v *Vars) want(name string) bool { return v.resolve(name) != nil }

func varsMatch(name string, exact map[string]bool, res []*regexp.Regexp) bool {
	if exact[name] {
		return true
	}
	for _, re := range res {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// varsNodeState is what the check remembers about one status URL.
type varsNodeState struct {
	url      string
	instance string // host:port, the instance tag
	id       int    // node id learnt from a payload
	seen     time.Time

	counters   *promtext.Counters
	hists      *promtext.Histograms
	lastForget time.Time
	// sparse holds the series keys of sparse gauges that have been non-zero.
	sparse map[string]struct{}

	uptime    float64
	uptimeAt  time.Time
	hasUptime bool

	locality        []cluster.Tier
	localityKnown   bool
	localityRetryAt time.Time
	localityLogged  bool

	// viaLogged is set while the node's metrics are read through another
	// node, so that this is logged once per streak.
	viaLogged bool
	// streak is the run of failed scrapes, logged once (vars_streak.go).
	streak varsStreak

	// points is the buffer of the last cycle, reused.
	points []varsPoint
}

func newVarsNodeState(statusURL string) *varsNodeState {
	st := &varsNodeState{url: statusURL, instance: statusURL}
	if u, err := url.Parse(statusURL); err == nil && u.Host != "" {
		st.instance = u.Host
	}
	st.reset()
	return st
}

// reset forgets every series: a new node behind the same URL.
func (st *varsNodeState) reset() {
	st.counters = promtext.NewCounters()
	st.hists = promtext.NewHistograms()
	st.sparse = map[string]struct{}{}
	st.hasUptime = false
	st.locality, st.localityKnown, st.localityRetryAt = nil, false, time.Time{}
}

// label names the node in errors and logs.
func (st *varsNodeState) label() string {
	if st.id > 0 {
		return fmt.Sprintf("node %d (%s)", st.id, st.url)
	}
	return "node " + st.url
}

// short names the node in a message that already says where: "node 3",
// or its URL when the id is not known.
func (st *varsNodeState) short() string {
	if st.id > 0 {
		return "node " + strconv.Itoa(st.id)
	}
	return "node " + st.url
}

// varsPoint is one value to send, buffered so that the sink is only called
// from Run's goroutine, in node order.
type varsPoint struct {
	kind    Kind
	name    string
	value   float64
	count   int64
	samples []Sample // KindDistribution
	tags    []string
}

// varsResult is one node's outcome in one cycle.
type varsResult struct {
	node cluster.Node
	st   *varsNodeState
	err  error
	kind string // of err, for logging a failure streak (vars_streak.go)
	// unknown: the cycle ended before the node was scraped, or cut its
	// scrape short of the node's own timeout. That is roachdog running out
	// of time, not the node failing: nothing is sent for it.
	unknown bool
	base    []string // node_id and locality tags
	points  []varsPoint
	agg     varsNodeAgg

	// quota is the node's share of the cycle's series cap; series counts
	// those converted, cycleDropped those over the quota, and capped the
	// families cut by the family cap.
	quota        int
	series       int
	cycleDropped int
	capped       []promtext.Capped

	// fetchFailed: err is the node's endpoint failing to answer (refused,
	// timeout, HTTP error), which another node may get around.
	fetchFailed bool
	// proxies: the node answered and runs v23.1+, whose nodes proxy any
	// other node's endpoints (?remote_node_id=N).
	proxies bool
	// via is the node that answered for this one after its own endpoint
	// failed: err stays (node.up 0), but points and agg are its metrics.
	via *varsResult
}

// Run scrapes every node concurrently, reads the nodes that failed through
// one that answered where it can (proxyFailed), then sends per-node results
// in node order and the cluster aggregates.
func (v *Vars) Run(ctx context.Context, t *Target, s Sink) error {
	start := time.Now()
	now := v.now()
	log := t.Log()
	client := t.HTTP
	if client == nil {
		client = http.DefaultClient
	}

	results := make([]*varsResult, 0, len(t.Nodes))
	listed := make(map[string]bool, len(t.Nodes))
	for _, n := range t.Nodes {
		if listed[n.StatusURL] {
			// Two goroutines must never share one node's state.
			log.Warn("node listed twice, scraping it once", "url", n.StatusURL)
			continue
		}
		listed[n.StatusURL] = true
		st := v.nodes[n.StatusURL]
		if st == nil {
			st = newVarsNodeState(n.StatusURL)
			v.nodes[n.StatusURL] = st
		}
		st.seen = now
		results = append(results, &varsResult{node: n, st: st})
	}
	// An even share of the cycle's series cap per node: known before any
	// node is read, so nodes never wait for each other, the same every
	// cycle while the node list is, and within the cap all together.
	for i, r := range results {
		r.quota = v.cycleCap / len(results)
		if i < v.cycleCap%len(results) {
			r.quota++
		}
	}

	var wg sync.WaitGroup
	for _, r := range results {
		wg.Go(func() {
			select {
			case v.slots <- struct{}{}:
				defer func() { <-v.slots }()
			case <-ctx.Done():
				r.unknown = true // still waiting for a scrape slot
				return
			}
			if ctx.Err() != nil {
				r.unknown = true // got a slot as the cycle ended
				return
			}
			v.scrape(ctx, client, log, r, now, start)
		})
	}
	wg.Wait()
	if ctx.Err() == nil {
		v.proxyFailed(ctx, client, log, results, now, start)
	}

	if err := ctx.Err(); errors.Is(err, context.Canceled) {
		// Shutting down: every node would look down, which it is not.
		return fmt.Errorf("vars: %w", err)
	}

	agg := varsClusterAgg{targets: len(results), partialOK: v.partial}
	unknown := 0
	for _, r := range results {
		if r.unknown && v.unscraped {
			r.unknown = false
			r.kind = varsKindUnscraped
			r.err = fmt.Errorf("%s: scrape /_status/vars: not scraped before the cycle's deadline (%v after %s)",
				r.st.label(), ctx.Err(), time.Since(start).Round(time.Millisecond))
			r.base = v.baseTags(r.node, r.st)
		}
		if r.unknown {
			unknown++
			continue
		}
		tags := make([]string, 0, len(r.base)+1)
		tags = append(tags, "instance:"+sanitizeTag(r.st.instance, true))
		tags = append(tags, r.base...)
		if r.via == nil && r.st.viaLogged {
			r.st.viaLogged = false
			if r.err == nil {
				log.Info("node answers on its own endpoint again", "node", r.st.label())
			}
		}
		if r.err != nil {
			// The node's own endpoint failed, and says so even when its
			// metrics were read through another node.
			msg := r.err.Error()
			if r.via != nil {
				msg += " (metrics read through " + r.via.st.short() + ")"
			}
			s.Gauge(varsNodeUp.Name, 0, tags)
			s.ServiceCheck(varsCanScrape.Name, Critical, msg, tags)
			t.ReportNodeError(r.st.instance, r.err)
			r.st.streak.failed(log, r.st, r.kind, r.err, now)
			if r.via == nil {
				continue
			}
			if !r.st.viaLogged {
				r.st.viaLogged = true
				log.Info("node metrics read through another node while its own endpoint fails",
					"node", r.st.label(), "via", r.via.st.label())
			}
		} else {
			s.Gauge(varsNodeUp.Name, 1, tags)
			s.ServiceCheck(varsCanScrape.Name, OK, "", tags)
			r.st.streak.ok(log, r.st, now)
		}
		for _, p := range r.points {
			switch p.kind {
			case KindCount:
				s.Count(p.name, p.count, p.tags)
			case KindDistribution:
				s.Distribution(p.name, p.samples, p.tags)
			default:
				s.Gauge(p.name, p.value, p.tags)
			}
		}
		agg.add(&r.agg, r.via != nil)
		r.st.points = r.points[:0] // reused next cycle
	}
	v.logPartial(log, agg.emit(s), &agg)
	t.ReportNodesReached(agg.scraped+agg.proxied, len(results))
	v.reportCapped(t, log, results)

	for u, st := range v.nodes {
		if now.Sub(st.seen) > varsForgetAfter {
			delete(v.nodes, u)
		}
	}
	if unknown > 0 {
		// Not the nodes' failure but roachdog's (too many nodes, too slow,
		// for the interval): said once, by the runner, which logs it at
		// warn and counts it in roachdog_check_errors_total.
		return fmt.Errorf("vars: cycle deadline reached before %d of %d nodes could be scraped; nothing sent for them this cycle (raise the interval or max_concurrent_scrapes): %w",
			unknown, len(results), ctx.Err())
	}
	return nil
}

// logPartial says when the cluster sums start and stop being withheld.
func (v *Vars) logPartial(log *slog.Logger, complete bool, agg *varsClusterAgg) {
	switch {
	case !complete && agg.scraped > 0 && !v.withheld:
		v.withheld = true
		log.Warn("cluster range and capacity totals not sent: not every live node was scraped, and a partial sum would read as a healthy cluster",
			"scraped", agg.scraped, "read_through_others", agg.proxied, "targets", agg.targets,
			"live_nodes", agg.liveMax, "live_scraped", agg.liveScraped)
	case complete && v.withheld:
		v.withheld = false
		log.Info("cluster range and capacity totals sent again: every live node scraped", "scraped", agg.scraped,
			"read_through_others", agg.proxied)
	}
}

// reportCapped counts the series the caps dropped this cycle and logs each
// family cut by the family cap once, and the cycle cap once per streak.
func (v *Vars) reportCapped(t *Target, log *slog.Logger, results []*varsResult) {
	var family, cycle, nodes int
	for _, r := range results {
		for _, c := range r.capped {
			family += c.Dropped
			if v.capWarned[c.Family] || len(v.capWarned) >= varsRuleCacheMax {
				continue
			}
			v.capWarned[c.Family] = true
			log.Warn("family has more series than max_series_per_family: only the first ones in label order are sent (logged once per family; roachdog_series_dropped_total counts every cycle)",
				"family", c.Family, "node", r.st.label(), "series", c.Kept+c.Dropped, "max_series_per_family", v.familyCap)
		}
		if r.cycleDropped > 0 {
			cycle += r.cycleDropped
			nodes++
		}
	}
	if family > 0 {
		t.ReportSeriesDropped("family_cap", family)
	}
	if cycle > 0 {
		t.ReportSeriesDropped("cycle_cap", cycle)
	}
	switch {
	case cycle > 0 && !v.cycleCapped:
		v.cycleCapped = true
		log.Warn("nodes have more series than their share of max_series_per_cycle: only their first series are sent (logged once until it stops; roachdog_series_dropped_total counts every cycle)",
			"dropped", cycle, "nodes", nodes, "max_series_per_cycle", v.cycleCap, "share_per_node", v.cycleCap/max(len(results), 1))
	case cycle == 0 && v.cycleCapped:
		v.cycleCapped = false
		log.Info("every node within its share of max_series_per_cycle again")
	}
}

// scrape fetches and converts one node; it fills r and never touches the sink.
func (v *Vars) scrape(ctx context.Context, client *http.Client, log *slog.Logger, r *varsResult, now, start time.Time) {
	st := r.st
	// Whether the cycle ends before this node's own timeout: if it then
	// cuts the scrape, the node is not known to be down.
	dl, ok := ctx.Deadline()
	shortened := ok && dl.Before(time.Now().Add(v.timeout))
	nctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()

	if st.id == 0 && r.node.ID > 0 {
		st.id = r.node.ID
	}
	fail := func(err error) {
		r.err = err
		r.base = v.baseTags(r.node, st)
	}

	buf := v.getBuf()
	defer func() { buf.release() }()
	payload, err := varsGet(nctx, client, st.url+"/_status/vars", buf, v.maxBytes)
	if err != nil {
		if shortened && ctx.Err() != nil {
			r.unknown = true
			return
		}
		// Through another node the payload would be just as large.
		var large *varsTooLargeError
		r.fetchFailed = !errors.As(err, &large)
		r.kind = varsFetchKind(nctx, err)
		fail(fmt.Errorf("%s: scrape /_status/vars: %w", st.label(), v.explain(ctx, nctx, err, start)))
		return
	}
	fams, capped, err := promtext.ParseLimited(payload, v.want, promtext.Limits{MaxSeriesPerFamily: v.familyCap})
	if err != nil {
		r.kind = varsKindParse
		fail(fmt.Errorf("%s: parse /_status/vars: %w", st.label(), err))
		return
	}
	id, labelled := varsNodeID(payload, fams)
	// The payload is not needed any more: free (or reuse) it before the
	// conversion allocates.
	buf.release()
	buf = nil
	r.capped = capped
	v.convert(nctx, client, log, r, fams, id, now, st.url, "/_status/nodes/local")
	r.proxies = labelled || varsBuildAtLeast(r.agg.build, 23, 1)
}

// convert turns one node's parsed payload into r's points and aggregates.
// id is the node id the payload carries (0: none); locality is read from
// base+localityPath when not known yet.
func (v *Vars) convert(ctx context.Context, client *http.Client, log *slog.Logger, r *varsResult,
	fams map[string]*dto.MetricFamily, id int, now time.Time, base, localityPath string) {
	st := r.st
	if id > 0 {
		if st.id > 0 && st.id != id {
			// Another node now answers at this URL: its counters and
			// locality are not the previous node's.
			log.Info("node id changed at this URL, forgetting its series", "url", st.url, "was", st.id, "now", id)
			st.reset()
		}
		st.id = id
	}
	if len(r.node.Locality) == 0 && !st.localityKnown && !now.Before(st.localityRetryAt) {
		v.fetchLocality(ctx, client, log, st, base, localityPath, now)
	}
	r.base = v.baseTags(r.node, st)

	r.points = st.points[:0]
	r.agg = varsNodeAgg{}
	w := varsWork{v: v, st: st, r: r, now: now}
	// Before any counter: a restart makes every cumulative value of the
	// node count from zero again.
	if mf := fams[varsUptimeFamily]; mf != nil {
		w.uptime(mf)
	}
	// In name order: a node over its share of the cycle's series cap keeps
	// the same series every cycle.
	for _, name := range slices.Sorted(maps.Keys(fams)) {
		rule := v.resolve(name)
		if rule == nil {
			continue
		}
		w.family(name, rule, fams[name])
	}
	w.finish()

	if now.Sub(st.lastForget) >= time.Minute {
		st.counters.Forget(now.Add(-varsForgetAfter))
		st.hists.Forget(now.Add(-varsForgetAfter))
		st.lastForget = now
	}
}

// proxyFailed reads, through a node that answered this cycle, the metrics of
// the nodes whose own endpoint failed: from v23.1 any node proxies another
// node's HTTP endpoints with ?remote_node_id=N (it forwards the request to
// N's HTTP address over the cluster's network), which gets around a
// firewall between roachdog and one node, or a status_urls entry that no
// longer resolves. Without this, one such live node withholds the cluster
// sums for the whole cluster.
//
// Only nodes whose id is known are read: learnt from an earlier scrape of
// their URL, or given by discovery. A live node missing from the target
// list altogether (a static list short of a node: liveness_livenodes above
// the nodes scraped) is not: no payload names the other nodes' ids, so the
// sums stay withheld for it.
//
// A node that holds one of the ids that answered is not read again (two
// URLs of one node would count its ranges twice), nor a node id twice. At
// most MaxConcurrent nodes are read this way per cycle, in node order, each
// within the node timeout and what is left of the cycle; the others keep
// their own error (with that many nodes unreachable the sums are withheld
// anyway).
func (v *Vars) proxyFailed(ctx context.Context, client *http.Client, log *slog.Logger, results []*varsResult, now, start time.Time) {
	var proxies []*varsResult
	answered := map[int]bool{}
	for _, r := range results {
		if r.unknown || r.err != nil {
			continue
		}
		if r.st.id > 0 {
			answered[r.st.id] = true
		}
		if r.proxies {
			proxies = append(proxies, r)
		}
	}
	if len(proxies) == 0 {
		return // no node answered, or the cluster is older than v23.1
	}
	type job struct {
		r  *varsResult
		id int
	}
	var jobs []job
	for _, r := range results {
		if r.unknown || r.err == nil || !r.fetchFailed {
			continue
		}
		// Discovery's id is the current one; st.id may be a previous
		// node's at this URL.
		id := r.node.ID
		if id <= 0 {
			id = r.st.id
		}
		if id <= 0 || answered[id] {
			continue
		}
		answered[id] = true
		jobs = append(jobs, job{r, id})
	}
	if n := cap(v.slots); len(jobs) > n {
		log.Debug("more failed nodes than can be read through others this cycle",
			"failed", len(jobs), "read", n)
		jobs = jobs[:n]
	}

	var wg sync.WaitGroup
	for i, j := range jobs {
		// Spread the reads over the nodes that answered.
		via := proxies[i%len(proxies)]
		wg.Go(func() {
			select {
			case v.slots <- struct{}{}:
				defer func() { <-v.slots }()
			case <-ctx.Done():
				return // out of time: the node keeps its own error
			}
			if ctx.Err() != nil {
				return
			}
			if err := v.readThrough(ctx, client, log, j.r, via, j.id, now, start); err != nil {
				// Both failures are the operator's to read: why the node
				// itself failed, and why its metrics are still missing.
				j.r.err = fmt.Errorf("%w; not read through %s either: %w", j.r.err, via.st.short(), err)
				return
			}
			j.r.via = via
		})
	}
	wg.Wait()
}

// readThrough fetches node id's payload through via and, when it really is
// node id's, converts it into r. It touches r only on success.
func (v *Vars) readThrough(ctx context.Context, client *http.Client, log *slog.Logger, r, via *varsResult, id int, now, start time.Time) error {
	nctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	query := "?remote_node_id=" + strconv.Itoa(id)
	buf := v.getBuf()
	defer func() { buf.release() }()
	payload, err := varsGet(nctx, client, via.st.url+"/_status/vars"+query, buf, v.maxBytes)
	if err != nil {
		if ctx.Err() != nil {
			// The cycle's deadline, not the node timeout.
			return fmt.Errorf("scrape /_status/vars%s: cycle %v after %s", query, ctx.Err(), time.Since(start).Round(time.Millisecond))
		}
		return fmt.Errorf("scrape /_status/vars%s: %w", query, v.explain(ctx, nctx, err, start))
	}
	fams, capped, err := promtext.ParseLimited(payload, v.want, promtext.Limits{MaxSeriesPerFamily: v.familyCap})
	if err != nil {
		return fmt.Errorf("parse /_status/vars%s: %w", query, err)
	}
	got, _ := varsNodeID(payload, fams)
	buf.release()
	buf = nil
	// A node that ignores the parameter (an older version, a load balancer
	// in between) answers with its own payload: counting that one twice
	// would be a wrong sum, not a missing one.
	switch {
	case got == 0:
		return fmt.Errorf("/_status/vars%s carries no node id: cannot tell it is node %d's, discarded", query, id)
	case got != id:
		return fmt.Errorf("/_status/vars%s returned node %d's metrics, not node %d's: discarded", query, got, id)
	}
	r.capped = capped
	v.convert(nctx, client, log, r, fams, id, now, via.st.url, "/_status/nodes/local"+query)
	return nil
}

var varsBuildVersion = regexp.MustCompile(`^v(\d+)\.(\d+)(?:[.-]|$)`)

// varsBuildAtLeast reports whether a build tag (v23.2.2, v23.1.0-alpha.8)
// is major.minor or later; false when it does not parse.
func varsBuildAtLeast(tag string, major, minor int) bool {
	m := varsBuildVersion.FindStringSubmatch(tag)
	if m == nil {
		return false
	}
	maj, err1 := strconv.Atoi(m[1])
	mn, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		return false
	}
	return maj > major || maj == major && mn >= minor
}

// explain turns a transport error into what an operator needs to read. A
// scrape the cycle cut short of the node's timeout never gets here (the
// node is then unknown, not down), so a deadline is the node's own.
func (v *Vars) explain(parent, nctx context.Context, err error, start time.Time) error {
	switch {
	case errors.Is(nctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("timeout after %s", v.timeout)
	case parent.Err() != nil:
		return fmt.Errorf("cycle %v after %s", parent.Err(), time.Since(start).Round(time.Millisecond))
	}
	return err
}

// varsBuf holds one response while it is read and parsed: the body as
// received (gzip) and decompressed. Buffers up to varsKeepBytes are reused
// from scrape to scrape through a sync.Pool. Larger ones, for payloads
// larger than any real node's, go to the check's varsBigBufs, which keeps
// them only while such payloads keep coming.
type varsBuf struct {
	body, gz []byte
	big      *varsBigBufs
	now      time.Time // the check's clock at getBuf
	// Bytes of the check's budget for large buffers held for gz and body.
	gzHeld, bodyHeld int64
}

// reserve makes *held (gzHeld or bodyHeld) cover a buffer of n bytes from
// the check's budget for buffers larger than varsKeepBytes. It waits for
// the budget (within ctx) when b holds none yet; holding some already, it
// does not wait (two scrapes each holding part and waiting for more would
// wait for each other), and fails when the budget is short.
func (b *varsBuf) reserve(ctx context.Context, held *int64, n int64) error {
	if n <= varsKeepBytes || n <= *held || b.big == nil || b.big.sem == nil {
		return nil
	}
	extra := n - *held
	if b.gzHeld+b.bodyHeld == 0 {
		if err := b.big.sem.Acquire(ctx, extra); err != nil {
			return fmt.Errorf("waiting for memory for a %d-byte buffer (%d bytes of large payloads are read at once): %w", n, b.big.budget, err)
		}
	} else if !b.big.sem.TryAcquire(extra) {
		return fmt.Errorf("payload larger than it said (%d bytes and more), and no memory left for it this moment (%d bytes of large payloads are read at once)", n, b.big.budget)
	}
	*held += extra
	return nil
}

// varsKeepBytes is the largest buffer the pool keeps: several v23 payloads
// (~800 kB each).
const varsKeepBytes = 4 << 20

var varsBufs = sync.Pool{New: func() any { return new(varsBuf) }}

// getBuf returns a buffer for one response (release it after).
func (v *Vars) getBuf() *varsBuf {
	now := v.now()
	v.big.expire(now)
	b := varsBufs.Get().(*varsBuf)
	b.big, b.now = &v.big, now
	return b
}

// release returns b for reuse (nil is a no-op); b must not be used after.
func (b *varsBuf) release() {
	if b == nil {
		return
	}
	if cap(b.body) > varsKeepBytes {
		b.big.hold(-1)
		b.big.put(b.body, b.now)
		b.body = nil
	}
	if cap(b.gz) > varsKeepBytes {
		b.gz = nil
	}
	if held := b.gzHeld + b.bodyHeld; held > 0 {
		b.big.sem.Release(held)
		b.gzHeld, b.bodyHeld = 0, 0
	}
	b.body, b.gz, b.big = b.body[:0], b.gz[:0], nil
	varsBufs.Put(b)
}

// varsBigBufs bounds the memory of payloads larger than varsKeepBytes
// (larger than any real node's), whatever max_concurrent_scrapes:
//
//   - In use: scrapes reserve their buffers (gzip body and text) from a
//     budget of varsBigAtOnce payloads at max_payload_bytes (sem) before
//     allocating or taking them, and wait for their turn within their
//     timeout. 16 scrapes of 16 MiB payloads held 16 × 16 MiB at once (32
//     MiB each with a doubling bytes.Buffer). Smaller payloads never wait.
//   - Idle: at most varsBigAtOnce bodies are kept for the next scrapes
//     while such payloads keep coming: reused, they make no garbage (a new
//     buffer per scrape let the heap grow to twice the live set between two
//     collections). One not reused for varsBigIdle is dropped, so memory
//     falls back once the payloads shrink; the pool of bytes.Buffers kept
//     16 buffers of 32 MiB for good after one cycle of big payloads.
//
// So the bodies of large payloads hold at most 2 × varsBigAtOnce ×
// (max_payload_bytes + 1 MiB).
type varsBigBufs struct {
	mu   sync.Mutex
	max  int
	bufs []varsBigBuf

	sem    *semaphore.Weighted
	budget int64

	// held counts the large bodies scrapes hold, maxHeld its peak (tests).
	held, maxHeld int
}

// hold counts a large body taken (+1) or given back (-1) by a scrape.
func (l *varsBigBufs) hold(d int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held += d
	l.maxHeld = max(l.maxHeld, l.held)
}

// varsBigAtOnce is how many payloads at max_payload_bytes are read at
// once: the memory bound is this many, not max_concurrent_scrapes many.
const varsBigAtOnce = 4

type varsBigBuf struct {
	b    []byte
	used time.Time
}

// varsBigIdle is longer than any sensible vars interval.
const varsBigIdle = time.Minute

// get returns a buffer of capacity at least n, or nil.
func (l *varsBigBufs) get(n int) []byte {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	best := -1
	for i, e := range l.bufs {
		if cap(e.b) >= n && (best < 0 || cap(e.b) < cap(l.bufs[best].b)) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	b := l.bufs[best].b
	l.bufs = slices.Delete(l.bufs, best, best+1)
	return b[:0]
}

func (l *varsBigBufs) put(b []byte, now time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.bufs) < l.max {
		l.bufs = append(l.bufs, varsBigBuf{b[:0], now})
	}
}

// expire drops the buffers not used for varsBigIdle.
func (l *varsBigBufs) expire(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bufs = slices.DeleteFunc(l.bufs, func(e varsBigBuf) bool { return now.Sub(e.used) > varsBigIdle })
}

// varsGet reads url into buf and returns the body, at most limit bytes
// after decompression. A redirect is an error, whatever client's policy:
// what another address answers is not the configured node's metrics. It asks for gzip itself and reads the compressed body
// first: the gzip trailer gives the decompressed size, so the body is
// allocated once at its size (at most limit+1 bytes), without the
// doubling copies of a growing buffer.
func varsGet(ctx context.Context, client *http.Client, u string, buf *varsBuf, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := redirect.Client(client).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err // the URL is already in the caller's prefix
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &varsHTTPError{status: resp.Status, code: resp.StatusCode, excerpt: varsExcerpt(resp.Body)}
	}
	var body io.Reader = resp.Body
	hint := resp.ContentLength
	// A transport that gunzipped already says so; otherwise a gzip answer
	// is ours to decompress.
	if !resp.Uncompressed && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		// Compressed text is smaller than the text, except for garbage:
		// limit plus gzip's worst-case overhead.
		buf.gz, err = varsReadAll(resp.Body, buf.gz, resp.ContentLength, limit+limit/1000+64,
			func(n int64) error { return buf.reserve(ctx, &buf.gzHeld, n) })
		if err != nil {
			var large *varsTooLargeError
			if errors.As(err, &large) {
				return nil, &varsTooLargeError{limit}
			}
			return nil, err
		}
		zr, err := gzip.NewReader(bytes.NewReader(buf.gz))
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		defer zr.Close()
		body, hint = zr, -1
		if n := len(buf.gz); n >= 18 { // header (10) + trailer (8)
			// ISIZE: the size mod 2^32, of the last member only, from the
			// server: a hint, never trusted beyond limit.
			hint = int64(binary.LittleEndian.Uint32(buf.gz[n-4:]))
		}
	}
	if hint >= varsKeepBytes && hint <= limit && int64(cap(buf.body)) <= hint {
		// The budget first: a scrape that took a kept buffer and then
		// waited would hold memory outside it.
		if err := buf.reserve(ctx, &buf.bodyHeld, hint+1); err != nil {
			return nil, err
		}
		if b := buf.big.get(int(hint) + 1); b != nil {
			if buf.reserve(ctx, &buf.bodyHeld, int64(cap(b))) == nil {
				buf.body = b
			} else {
				buf.big.put(b, buf.now) // larger than reserved: a new one
			}
		}
	}
	buf.body, err = varsReadAll(body, buf.body, hint, limit,
		func(n int64) error { return buf.reserve(ctx, &buf.bodyHeld, n) })
	if cap(buf.body) > varsKeepBytes {
		buf.big.hold(+1)
	}
	if err != nil {
		if _, ok := body.(*gzip.Reader); ok && !errors.As(err, new(*varsTooLargeError)) {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		return nil, err
	}
	return buf.body, nil
}

// varsReadAll reads r into buf[:0], growing it at most to limit+1 bytes (a
// body of limit+1 bytes is too large), starting at hint+1 when 0 ≤ hint ≤
// limit. reserve is called before a buffer of n bytes is allocated.
func varsReadAll(r io.Reader, buf []byte, hint, limit int64, reserve func(n int64) error) ([]byte, error) {
	buf = buf[:0]
	if hint >= 0 && hint <= limit && int64(cap(buf)) < hint+1 {
		if err := reserve(hint + 1); err != nil {
			return buf, err
		}
		buf = make([]byte, 0, hint+1)
	}
	for {
		if len(buf) == cap(buf) {
			n := min(max(2*int64(cap(buf)), 64<<10), limit+1)
			if err := reserve(n); err != nil {
				return buf[:0], err
			}
			nb := make([]byte, len(buf), n)
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf[:0], &varsTooLargeError{limit}
		}
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf[:0], fmt.Errorf("read body after %d bytes: %w", len(buf), err)
		}
	}
}

// varsTooLargeError is a payload over MaxPayloadBytes.
type varsTooLargeError struct{ limit int64 }

func (e *varsTooLargeError) Error() string {
	return fmt.Sprintf("payload larger than %d bytes", e.limit)
}

// varsExcerpt returns the start of an error body on one printable line.
func varsExcerpt(r io.Reader) string {
	const max = 200
	b, _ := io.ReadAll(io.LimitReader(r, max+1))
	cut := len(b) > max
	if cut {
		b = b[:max]
	}
	s := strings.Map(func(c rune) rune {
		if c == utf8.RuneError || !unicode.IsPrint(c) {
			return ' '
		}
		return c
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(empty body)"
	}
	if cut {
		s += "..."
	}
	return s
}

// varsNodeID finds the node id in a payload: the node_id label every sample
// carries from v23.1 (read from the raw text, so that it does not depend on
// which families are wanted), else the value of the node_id gauge (earlier
// versions); 0 when neither. labelled says the id came from the label.
func varsNodeID(payload []byte, fams map[string]*dto.MetricFamily) (id int, labelled bool) {
	for rest := payload; ; {
		i := bytes.Index(rest, []byte(`node_id="`))
		if i < 0 {
			break
		}
		if i > 0 && (rest[i-1] == '{' || rest[i-1] == ',') {
			v := rest[i+len(`node_id="`):]
			if j := bytes.IndexByte(v, '"'); j > 0 {
				if id, err := strconv.Atoi(string(v[:j])); err == nil && id > 0 {
					return id, true
				}
			}
		}
		rest = rest[i+1:]
	}
	if mf := fams[varsFamilyNodeID]; mf != nil {
		for _, m := range mf.GetMetric() {
			if x, ok := varsValue(m); ok && x > 0 && x == math.Trunc(x) && x < math.MaxInt32 {
				return int(x), false
			}
		}
	}
	return 0, false
}

// fetchLocality reads the node's locality tiers from base+path
// (/_status/nodes/local, possibly through another node) once; on failure it
// goes without and retries at most every 10 minutes.
func (v *Vars) fetchLocality(ctx context.Context, client *http.Client, log *slog.Logger, st *varsNodeState, base, path string, now time.Time) {
	buf := v.getBuf()
	defer buf.release()
	body, err := varsGet(ctx, client, base+path, buf, varsMaxLocalityBytes)
	var ns struct {
		Desc struct {
			Locality struct {
				Tiers []struct{ Key, Value string } `json:"tiers"`
			} `json:"locality"`
		} `json:"desc"`
	}
	if err == nil {
		if err = json.Unmarshal(body, &ns); err != nil {
			err = fmt.Errorf("decode: %w", err)
		}
	}
	if err != nil {
		st.localityRetryAt = now.Add(varsLocalityRetry)
		if !st.localityLogged {
			st.localityLogged = true
			log.Info("node locality unavailable, sending without locality tags",
				"node", st.label(), "err", fmt.Errorf("fetch %s%s: %w", base, path, err), "retry_every", varsLocalityRetry)
		}
		return
	}
	st.locality = st.locality[:0]
	for _, t := range ns.Desc.Locality.Tiers {
		st.locality = append(st.locality, cluster.Tier{Key: t.Key, Value: t.Value})
	}
	st.localityKnown = true
}

// baseTags are node_id and locality tags, in that order.
func (v *Vars) baseTags(n cluster.Node, st *varsNodeState) []string {
	loc := n.Locality
	if len(loc) == 0 {
		loc = st.locality
	}
	tags := make([]string, 0, 1+len(loc))
	if st.id > 0 {
		tags = append(tags, "node_id:"+strconv.Itoa(st.id))
	}
	for _, t := range loc {
		k, val := sanitizeTag(t.Key, false), sanitizeTag(t.Value, true)
		if k == "" || val == "" {
			continue
		}
		tags = append(tags, k+":"+val)
	}
	return tags[:len(tags):len(tags)] // appends by callers must copy
}

// varsValue is a gauge, counter or untyped sample's value.
func varsValue(m *dto.Metric) (float64, bool) {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue(), true
	case m.Counter != nil:
		return m.Counter.GetValue(), true
	case m.Untyped != nil:
		return m.Untyped.GetValue(), true
	}
	return 0, false
}

func varsFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// varsWork converts one node's families into points.
type varsWork struct {
	v   *Vars
	st  *varsNodeState
	r   *varsResult
	now time.Time

	storeTags map[string][]string
	pairs     []string
	// capacity per store, for capacity.used_ratio.
	capacity map[string]*[2]varsSum
}

func (w *varsWork) gauge(name string, x float64, tags []string) {
	if varsFinite(x) {
		w.r.points = append(w.r.points, varsPoint{kind: KindGauge, name: name, value: x, tags: tags})
	}
}

func (w *varsWork) count(name string, n int64, tags []string) {
	w.r.points = append(w.r.points, varsPoint{kind: KindCount, name: name, count: n, tags: tags})
}

// key is the series' state key: family plus every label.
func (w *varsWork) key(family string, m *dto.Metric) string {
	w.pairs = w.pairs[:0]
	for _, l := range m.GetLabel() {
		w.pairs = append(w.pairs, l.GetName(), l.GetValue())
	}
	return promtext.Key(family, w.pairs...)
}

// tags returns the base tags plus store and one more tag when given. The
// result may be shared: never append to it in place.
func (w *varsWork) tags(store, extra string) []string {
	base := w.r.base
	if store == "" && extra == "" {
		return base
	}
	if store != "" && extra == "" {
		if t, ok := w.storeTags[store]; ok {
			return t
		}
	}
	t := make([]string, len(base), len(base)+2)
	copy(t, base)
	if store != "" {
		t = append(t, "store:"+sanitizeTag(store, true))
	}
	if extra != "" {
		t = append(t, extra)
	}
	if store != "" && extra == "" {
		if w.storeTags == nil {
			w.storeTags = map[string][]string{}
		}
		w.storeTags[store] = t
	}
	return t
}

func varsLabel(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func (w *varsWork) family(family string, rule *varsRule, mf *dto.MetricFamily) {
	if rule.extra {
		w.extra(family, rule, mf)
	}
	m := rule.metric
	if m == nil {
		return
	}
	isHist := mf.GetType() == dto.MetricType_HISTOGRAM
	if isHist != (m.Conv == varsHistogram) || mf.GetType() == dto.MetricType_SUMMARY {
		// A family whose type changed in some version: better nothing than
		// a wrong number.
		return
	}
	// With child metrics enabled (e.g. per-table TTL metrics, label
	// relation), a family holds an aggregate series plus labelled children:
	// only the series with the fewest labels are read, or they would count
	// twice.
	ms := mf.GetMetric()
	fewest, most := math.MaxInt, 0
	for _, pm := range ms {
		fewest, most = min(fewest, len(pm.GetLabel())), max(most, len(pm.GetLabel()))
	}
	if most > fewest {
		ms = slices.DeleteFunc(slices.Clone(ms), func(pm *dto.Metric) bool { return len(pm.GetLabel()) > fewest })
	}
	scale := m.scale()
	for _, pm := range w.admit(ms) {
		store := ""
		if m.Store {
			store = varsLabel(pm, "store")
		}
		if m.Conv == varsHistogram {
			w.histogram(family, rule.hist, scale, pm, w.tags(store, rule.tag))
			continue
		}
		x, ok := varsValue(pm)
		if !ok || !varsFinite(x) {
			continue
		}
		w.aggregate(m, store, x, pm)
		switch m.Conv {
		case varsGauge:
			w.gauge(m.Name, x*scale, w.tags(store, rule.tag))
		case varsCount, varsSparseCount:
			d, ok := w.st.counters.Delta(w.key(family, pm), x, w.now)
			if ok && (d != 0 || m.Conv == varsCount) {
				w.count(m.Name, d, w.tags(store, rule.tag))
			}
		case varsSparseGauge:
			k := w.key(family, pm)
			if _, seen := w.st.sparse[k]; !seen {
				if x == 0 {
					continue
				}
				w.st.sparse[k] = struct{}{}
			}
			w.gauge(m.Name, x*scale, w.tags(store, rule.tag))
		case varsNonZero:
			if x != 0 {
				w.gauge(m.Name, x*scale, w.tags(store, rule.tag))
			}
		case varsExpiresIn:
			if x > 0 {
				w.gauge(m.Name, x-varsUnix(w.now), w.tags(store, rule.tag))
			}
		case varsAge:
			if x > 0 {
				w.gauge(m.Name, varsUnix(w.now)-x, w.tags(store, rule.tag))
			}
		case varsBuild:
			tag := varsLabel(pm, "tag")
			if tag == "" {
				continue
			}
			w.r.agg.build = tag
			w.gauge(m.Name, 1, w.tags(store, m.TagKey+":"+sanitizeTag(tag, true)))
		}
	}
}

// admit returns the series of ms within what is left of the node's share of
// the cycle's series cap: all of them, or the first in label order.
// Series not admitted are not converted, so they leave no state either.
func (w *varsWork) admit(ms []*dto.Metric) []*dto.Metric {
	r := w.r
	left := max(r.quota-r.series, 0)
	if len(ms) <= left {
		r.series += len(ms)
		return ms
	}
	type keyed struct {
		pm  *dto.Metric
		key string
	}
	ks := make([]keyed, len(ms))
	for i, pm := range ms {
		ks[i] = keyed{pm, w.key("", pm)}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		return promtext.SeriesOrder(len(a.pm.GetLabel()), len(b.pm.GetLabel()), a.key, b.key)
	})
	out := make([]*dto.Metric, left)
	for i := range out {
		out[i] = ks[i].pm
	}
	r.series += left
	r.cycleDropped += len(ms) - left
	return out
}

func varsUnix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// aggregate keeps what the cluster view and the computed metrics need.
func (w *varsWork) aggregate(m *varsMetric, store string, x float64, pm *dto.Metric) {
	a := &w.r.agg
	switch m {
	case varsLiveNodes:
		a.liveNodes = varsSum{v: x, has: true}
	case varsRanges:
		a.ranges.add(x)
	case varsRangesUnder:
		a.under.add(x)
	case varsRangesOver:
		a.over.add(x)
	case varsRangesUnavailable:
		a.unavailable.add(x)
	case varsCapacity, varsCapacityAvailable:
		if w.capacity == nil {
			w.capacity = map[string]*[2]varsSum{}
		}
		c := w.capacity[store]
		if c == nil {
			c = new([2]varsSum)
			w.capacity[store] = c
		}
		if m == varsCapacity {
			a.capacity.add(x)
			c[0].add(x)
		} else {
			a.available.add(x)
			c[1].add(x)
		}
	}
}

// uptime detects a restart of the node since its previous scrape from
// sys_uptime and sends node.restarts. On a restart every counter and
// histogram baseline of the node is reset, so that their deltas are the
// values counted since the restart: Counters.Delta alone only notices a
// restart when a value went down, and under-counts one that climbed past its
// old value before this scrape.
func (w *varsWork) uptime(mf *dto.MetricFamily) {
	if mf.GetType() == dto.MetricType_HISTOGRAM || mf.GetType() == dto.MetricType_SUMMARY {
		return
	}
	var x float64
	var found bool
	for _, pm := range mf.GetMetric() {
		if v, ok := varsValue(pm); ok && varsFinite(v) {
			x, found = v, true
			break
		}
	}
	if !found {
		return
	}
	st := w.st
	if st.hasUptime {
		// Uptime went down, or is shorter than the time since the
		// previous scrape: the process started in between.
		elapsed := w.now.Sub(st.uptimeAt)
		var n int64
		if x < st.uptime || time.Duration(x*float64(time.Second))+varsUptimeSlack+w.v.timeout < elapsed {
			n = 1
			st.counters.Reset("")
			st.hists.Reset("")
		}
		w.count(varsRestarts.Name, n, w.r.base)
	}
	st.uptime, st.uptimeAt, st.hasUptime = x, w.now, true
}

// finish sends what needs several families.
func (w *varsWork) finish() {
	for store, c := range w.capacity {
		if c[0].has && c[1].has && c[0].v > 0 {
			w.gauge(varsUsedRatio.Name, (c[0].v-c[1].v)/c[0].v, w.tags(store, ""))
		}
	}
}

// histogram sends the observations since the previous scrape: as a
// distribution (see varsHistogramSamples), and/or as quantile, max and mean
// gauges (nothing when there were none) and their count. The first scrape
// and a layout change send nothing; after a restart, what was observed
// since (promtext.Histograms.Delta), as for counts.
func (w *varsWork) histogram(family string, hn *varsHistNames, scale float64, pm *dto.Metric, tags []string) {
	if pm.Histogram == nil {
		return
	}
	buckets, count, sum := promtext.HistogramBuckets(pm)
	win, ok := w.st.hists.Delta(w.key(family, pm), buckets, count, sum, w.now)
	if !ok {
		return
	}
	if hn.dist {
		if s := win.Samples(scale); len(s) > 0 {
			w.r.points = append(w.r.points, varsPoint{kind: KindDistribution, name: hn.name, samples: s, tags: tags})
		}
	}
	if hn.gauges {
		w.histogramGauges(hn, scale, win, tags)
	}
}

// histogramGauges sends a window's quantile, max and mean gauges and count.
func (w *varsWork) histogramGauges(hn *varsHistNames, scale float64, win promtext.Window, tags []string) {
	w.count(hn.count, int64(math.Round(win.Count)), tags)
	if win.Count <= 0 {
		return
	}
	for i, q := range w.v.quantiles {
		if x, ok := win.Quantile(q); ok {
			w.gauge(hn.quantiles[i], x*scale, tags)
		}
	}
	if x, ok := win.Max(); ok {
		w.gauge(hn.max, x*scale, tags)
	}
	if x, ok := win.Mean(); ok {
		w.gauge(hn.avg, x*scale, tags)
	}
}

// extra sends an included, non-curated family under its own name,
// converted by its type, tagged with its labels (except node_id and le).
func (w *varsWork) extra(family string, rule *varsRule, mf *dto.MetricFamily) {
	for _, pm := range w.admit(mf.GetMetric()) {
		tags := w.r.base
		if n := len(pm.GetLabel()); n > 0 {
			tags = make([]string, len(w.r.base), len(w.r.base)+n)
			copy(tags, w.r.base)
			for _, l := range pm.GetLabel() {
				if l.GetName() == "node_id" || l.GetName() == "le" {
					continue
				}
				k, val := sanitizeTag(l.GetName(), false), sanitizeTag(l.GetValue(), true)
				if k != "" && val != "" {
					tags = append(tags, k+":"+val)
				}
			}
		}
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM:
			w.histogram(family, rule.hist, 1, pm, tags)
		case dto.MetricType_COUNTER:
			if x, ok := varsValue(pm); ok {
				if d, ok := w.st.counters.Delta(w.key(family, pm), x, w.now); ok {
					w.count(rule.name, d, tags)
				}
			}
		case dto.MetricType_GAUGE, dto.MetricType_UNTYPED:
			if x, ok := varsValue(pm); ok {
				w.gauge(rule.name, x, tags)
			}
		}
	}
}
