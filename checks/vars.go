package checks

// The vars check scrapes every node's /_status/vars (Prometheus text),
// keeps only the curated families (plus Include, minus Exclude), and turns
// them into gauges, counts of counter increments and histograms (Datadog
// distributions of the interval's observations and/or per-node quantile
// gauges, vars_histmode.go).
// What it sends is described by varsMetrics (vars_metrics.go); cluster-level
// aggregates are in vars_cluster.go. A node whose own endpoint fails is read
// through a node that answered when the cluster can proxy (vars_proxy.go).
// This file runs a cycle; fetching is in vars_fetch.go, the family filters
// in vars_filter.go, conversion in vars_convert.go, per-node state in
// vars_node.go.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"regexp/syntax"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/promtext"
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
	// Compression says whether scrapes ask for gzip: VarsCompressionAuto
	// (empty) asks except from loopback addresses.
	Compression VarsCompression
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
	maybe    varsWantFilter // rules most unwanted names out before resolve

	// The resolved family names (vars_filter.go): published, immutable,
	// is read without a lock; pending holds the names resolved since it
	// was, guarded by mu. Node goroutines share them.
	published atomic.Pointer[map[string]*varsRule]
	mu        sync.Mutex
	pending   map[string]*varsRule

	// nodes is per status URL; only Run's goroutine adds or removes entries,
	// and each node goroutine touches only its own state.
	nodes map[string]*varsNodeState
	// withheld is set while the cluster sums are withheld (Run's goroutine
	// only), so that the reason is logged once per streak.
	withheld bool
	// budget bounds the memory of read buffers grown past varsBigLine for
	// payloads with huge lines.
	budget      varsBudget
	compression VarsCompression
	// capWarned holds the families whose cut by the family cap was logged
	// (once per family); cycleCapped is set while the cycle cap cuts.
	capWarned   map[string]bool
	cycleCapped bool
}

var _ Check = (*Vars)(nil)

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
		pending:   map[string]*varsRule{},
		nodes:     map[string]*varsNodeState{},
	}
	v.published.Store(&map[string]*varsRule{})
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
	// A line buffer doubles: up to twice the payload limit.
	v.budget.bytes = varsBigAtOnce * 2 * (v.maxBytes + 1)
	v.budget.sem = semaphore.NewWeighted(v.budget.bytes)
	switch o.Compression {
	case VarsCompressionAuto, VarsCompressionGzip, VarsCompressionNone:
		v.compression = o.Compression
	default:
		return nil, fmt.Errorf("vars: compression %q: want %q, %q or empty (auto)", o.Compression, VarsCompressionGzip, VarsCompressionNone)
	}
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
				v.patterns = append(v.patterns, varsPattern{re: re, prefix: varsLiteralPrefix(s.Pattern), suffix: varsLiteralSuffix(s.Pattern), metric: m})
				continue
			}
			r := &varsRule{metric: m, hist: hn}
			if m.TagKey != "" && s.TagValue != "" {
				r.tag = m.TagKey + ":" + s.TagValue
			}
			v.exact[s.Family] = r
		}
	}
	byName := append(slices.Collect(maps.Keys(v.exact)), varsFamilyNodeID)
	byName = slices.AppendSeq(byName, maps.Keys(v.incExact))
	v.maybe = newVarsWantFilter(byName, v.patterns, len(v.incRe))
	return v, nil
}

// Name implements Check.
func (v *Vars) Name() string { return "vars" }

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
	v.publishRules()
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

	p, err := v.fetchVars(nctx, client, st.url+"/_status/vars", v.askGzip(st.url))
	var pe *varsParseError
	switch {
	case errors.As(err, &pe):
		r.kind = varsKindParse
		fail(fmt.Errorf("%s: parse /_status/vars: %w", st.label(), pe.err))
		return
	case err != nil:
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
	defer p.release()
	r.capped = p.capped
	v.convert(nctx, client, log, r, p.fams, p.id, now, st.url, "/_status/nodes/local")
	r.proxies = p.labelled || varsBuildAtLeast(r.agg.build, 23, 1)
}

// varsLiteralPrefix is the literal every name an anchored pattern matches
// starts with, a cheap test that skips most names before the regex (see
// decide); "" when there is none. Regexp.LiteralPrefix gives "" for
// anchored patterns that are not one-pass, such as ^jobs_([a-z0-9_]+)_x$.
func varsLiteralPrefix(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 2 ||
		re.Sub[0].Op != syntax.OpBeginText || re.Sub[1].Op != syntax.OpLiteral ||
		re.Sub[1].Flags&syntax.FoldCase != 0 {
		return ""
	}
	return string(re.Sub[1].Rune)
}

// varsLiteralSuffix is the literal every name an anchored pattern matches
// ends with ("" when there is none), for the want filter: the curated job
// patterns share the prefix jobs_ with hundreds of families, and differ
// only at the end.
func varsLiteralSuffix(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return ""
	}
	last, lit := re.Sub[len(re.Sub)-1], re.Sub[len(re.Sub)-2]
	if last.Op != syntax.OpEndText || lit.Op != syntax.OpLiteral || lit.Flags&syntax.FoldCase != 0 {
		return ""
	}
	return string(lit.Rune)
}
