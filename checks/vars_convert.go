package checks

// Conversion of one node's parsed families into points (gauges, counts,
// distributions) and the node's share of the cluster aggregates.

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/roachdog/roachdog/internal/promtext"
)

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
	sc := varsScratchPool.Get().(*varsScratch)
	defer sc.put()
	w := varsWork{v: v, st: st, r: r, now: now, sc: sc}
	// Before any counter: a restart makes every cumulative value of the
	// node count from zero again.
	if mf := fams[varsUptimeFamily]; mf != nil {
		w.uptime(mf)
	}
	// In name order: a node over its share of the cycle's series cap keeps
	// the same series every cycle.
	for _, f := range sc.inOrder(fams) {
		rule := v.resolve(f.name)
		if rule == nil {
			continue
		}
		w.family(f.name, rule, f.mf)
	}
	w.finish()

	if now.Sub(st.lastForget) >= time.Minute {
		st.counters.Forget(now.Add(-varsForgetAfter))
		st.hists.Forget(now.Add(-varsForgetAfter))
		st.lastForget = now
	}
}

// varsGaugeID is the value of the node_id gauge, the node id of payloads
// without a node_id label (before v23.1); 0 when it has none.
func varsGaugeID(fams map[string]*dto.MetricFamily) int {
	if mf := fams[varsFamilyNodeID]; mf != nil {
		for _, m := range mf.GetMetric() {
			if x, ok := varsValue(m); ok && x > 0 && x == math.Trunc(x) && x < math.MaxInt32 {
				return int(x)
			}
		}
	}
	return 0
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
	sc  *varsScratch

	// tagBuf is where tag sets are carved from (see newTags).
	tagBuf []string
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
	return promtext.MetricKey(family, m)
}

// keyBytes is key in the scratch buffer, valid until the next call: for
// looking up known series without allocating.
func (w *varsWork) keyBytes(family string, m *dto.Metric) []byte {
	w.sc.key = promtext.AppendMetricKey(w.sc.key[:0], family, m)
	return w.sc.key
}

// tags returns the base tags plus store and one more tag when given. The
// result may be shared: never append to it in place. (Not kept from cycle
// to cycle: at 100 nodes the tag sets would be megabytes of live heap,
// which costs more peak memory than their few allocations per scrape.)
func (w *varsWork) tags(store, extra string) []string {
	base := w.r.base
	if store == "" && extra == "" {
		return base
	}
	if store != "" && extra == "" {
		// One set per store, shared by its points.
		st := w.sc.store(store)
		if st.tags == nil {
			st.tags = w.newTags(len(base) + 1)
			st.tags = append(append(st.tags, base...), "store:"+sanitizeTag(store, true))
		}
		return st.tags
	}
	n := len(base) + 1
	if store != "" && extra != "" {
		n++
	}
	t := append(w.newTags(n), base...)
	if store != "" {
		t = append(t, "store:"+sanitizeTag(store, true))
	}
	return append(t, extra)
}

// newTags returns an empty tag set with room for n tags, carved from a
// block shared with the scrape's other tag sets: one allocation for
// many small ones, and no more memory held (a block lives as long as the
// points that use it, as separate sets would).
func (w *varsWork) newTags(n int) []string {
	if cap(w.tagBuf)-len(w.tagBuf) < n {
		w.tagBuf = make([]string, 0, max(n, varsTagBlock))
	}
	i := len(w.tagBuf)
	w.tagBuf = w.tagBuf[:i+n]
	return w.tagBuf[i : i : i+n]
}

// varsTagBlock is the tag strings allocated at once by newTags: with the
// default families, a node's tag sets beyond its base tags take about a
// hundred.
const varsTagBlock = 128

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
			d, ok := w.st.counters.DeltaKey(w.keyBytes(family, pm), x, w.now)
			if ok && (d != 0 || m.Conv == varsCount) {
				w.count(m.Name, d, w.tags(store, rule.tag))
			}
		case varsSparseGauge:
			k := w.keyBytes(family, pm)
			if _, seen := w.st.sparse[string(k)]; !seen {
				if x == 0 {
					continue
				}
				w.st.sparse[string(k)] = struct{}{}
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
		c := &w.sc.store(store).sums
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
	for _, c := range w.sc.stores {
		if c.sums[0].has && c.sums[1].has && c.sums[0].v > 0 {
			w.gauge(varsUsedRatio.Name, (c.sums[0].v-c.sums[1].v)/c.sums[0].v, w.tags(c.store, ""))
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
	sc := w.sc
	var count, sum float64
	sc.buckets, count, sum = promtext.AppendHistogramBuckets(sc.buckets[:0], pm)
	win, ok := w.st.hists.DeltaKey(w.keyBytes(family, pm), sc.buckets, count, sum, w.now, sc.window)
	if !ok {
		return
	}
	sc.window = win.Buckets[:0] // for the next window: win is used up here
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
			tags = append(w.newTags(len(w.r.base)+n), w.r.base...)
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
				if d, ok := w.st.counters.DeltaKey(w.keyBytes(family, pm), x, w.now); ok {
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
