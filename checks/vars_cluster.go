package checks

// Cluster-level aggregates of one vars cycle, computed here because no single
// node can report them: range counts are counted once per range by one
// replica (so only the sum over every store of every node is the cluster's
// number), and live-node counts that differ between nodes reveal a partition.
//
// The sums are sent only when every live node was scraped. Ranges are
// counted by their live leaseholder (else their first live replica), so a
// dead node's ranges are counted by the live ones and the sum over the live
// nodes is the cluster's; but a node that is live and that roachdog could
// not reach (network path, TLS, roachdog out of time) holds counts nobody
// else reports: without it, ranges.unavailable would read 0 during the very
// outage it should show. A partial sum is wrong, not approximate, so nothing
// is sent, and the monitors see no data rather than a false recovery. A
// live node whose own endpoint failed still counts as read when its
// metrics were read through another node (Vars.proxyFailed).

import "github.com/roachdog/roachdog/emit"

// The cluster-level gauges, tagged only with what the sink adds (the
// cluster and configured tags).
var (
	varsClLiveMax = varsClusterGauge("cluster.live_nodes.max", "node",
		"Highest liveness_livenodes among the scraped nodes.")
	varsClLiveMin = varsClusterGauge("cluster.live_nodes.min", "node",
		"Lowest liveness_livenodes among the scraped nodes.")
	varsClLiveSpread = varsClusterGauge("cluster.live_nodes.spread", "node",
		"Highest minus lowest liveness_livenodes among the scraped nodes; above 0 means the nodes disagree (partition).")
	varsClRanges = varsClusterGauge("cluster.ranges", "",
		"Ranges in the cluster: the sum of ranges over every store of every node (sent only when every live node was scraped).")
	varsClRangesUnder = varsClusterGauge("cluster.ranges.underreplicated", "",
		"Under-replicated ranges in the cluster, summed over every store of every node (sent only when every live node was scraped).")
	varsClRangesOver = varsClusterGauge("cluster.ranges.overreplicated", "",
		"Over-replicated ranges in the cluster, summed over every store of every node (sent only when every live node was scraped).")
	varsClRangesUnavailable = varsClusterGauge("cluster.ranges.unavailable", "",
		"Unavailable ranges in the cluster, summed over every store of every node (sent only when every live node was scraped).")
	varsClCapacity = varsClusterGauge("cluster.capacity.total", "byte",
		"Storage capacity of every store of the live nodes (sent only when every live node was scraped).")
	varsClCapacityAvailable = varsClusterGauge("cluster.capacity.available", "byte",
		"Storage capacity still available on every store of the live nodes (sent only when every live node was scraped).")
	varsClUsedRatio = varsClusterGauge("cluster.capacity.used_ratio", "fraction",
		"(total - available) / total capacity over every store of the live nodes (sent only when every live node was scraped).")
	varsClVersions = varsClusterGauge("cluster.versions", "",
		"Distinct CockroachDB build tags among the scraped nodes; above 1 during (or after a stuck) rolling upgrade.")
	varsClScraped = varsClusterGauge("cluster.nodes.scraped", "node",
		"Nodes whose /_status/vars was scraped this cycle.")
	varsClTargets = varsClusterGauge("cluster.nodes.targets", "node",
		"Nodes roachdog tried to scrape this cycle (static or discovered).")
)

func varsClusterGauge(name, unit, desc string) *emit.GaugeDef {
	return emit.Gauge{Name: name, Unit: unit, Description: desc, PerNode: 1, ClusterLevel: true}.Register("vars")
}

// varsSum is a sum that knows whether anything was added (an excluded or
// absent family sends nothing rather than 0).
type varsSum struct {
	v   float64
	has bool
}

func (s *varsSum) add(v float64) { s.v += v; s.has = true }

func (s *varsSum) merge(o varsSum) {
	if o.has {
		s.add(o.v)
	}
}

// varsNodeAgg is what one scraped node contributes to the cluster view.
type varsNodeAgg struct {
	liveNodes                        varsSum
	ranges, under, over, unavailable varsSum
	capacity, available              varsSum
	build                            string
}

// varsClusterAgg accumulates the cluster view over the nodes of one cycle.
type varsClusterAgg struct {
	// scraped counts the nodes that answered themselves, proxied those whose
	// metrics were read through another node: both cover their node.
	targets, scraped, proxied int
	liveMin, liveMax          float64
	hasLive                   bool
	// liveReported counts the nodes read (scraped or proxied) that sent
	// liveness_livenodes, liveScraped those among them that are live
	// themselves (a node that is not live reports 0).
	liveReported, liveScraped int
	// partialOK sends the sums even when not complete (PartialSums).
	partialOK           bool
	ranges, under, over varsSum
	unavailable         varsSum
	capacity, available varsSum
	builds              map[string]struct{}
}

// add folds in one node whose metrics were read, by itself or (proxied)
// through another node.
func (c *varsClusterAgg) add(n *varsNodeAgg, proxied bool) {
	if proxied {
		c.proxied++
	} else {
		c.scraped++
	}
	if n.liveNodes.has {
		v := n.liveNodes.v
		c.liveReported++
		if v > 0 {
			c.liveScraped++
		}
		if !c.hasLive || v < c.liveMin {
			c.liveMin = v
		}
		if !c.hasLive || v > c.liveMax {
			c.liveMax = v
		}
		c.hasLive = true
	}
	c.ranges.merge(n.ranges)
	c.under.merge(n.under)
	c.over.merge(n.over)
	c.unavailable.merge(n.unavailable)
	c.capacity.merge(n.capacity)
	c.available.merge(n.available)
	if n.build != "" {
		if c.builds == nil {
			c.builds = make(map[string]struct{}, 2)
		}
		c.builds[n.build] = struct{}{}
	}
}

// complete reports whether the nodes read (scraped, or through another
// node) include every live node, so that their sums are the cluster's. When every scraped node reported its
// view of the live-node count, the live nodes scraped must reach the highest
// count: a node down for good is not live (and its ranges are counted by the
// others), while a live node missing from the scrape or from the node list
// leaves a hole. Without that view, every target must have been scraped.
func (c *varsClusterAgg) complete() bool {
	if c.scraped == 0 {
		return false
	}
	if c.partialOK {
		return true
	}
	read := c.scraped + c.proxied
	if c.hasLive && c.liveReported == read && c.liveMax > 0 {
		return float64(c.liveScraped) >= c.liveMax
	}
	return read == c.targets
}

// emit sends the cluster view and reports whether the sums went out. With no
// node scraped only the node counts go out: zeros would read as "no ranges"
// rather than "no data". With some live node not scraped the sums (ranges,
// capacity) are withheld, see complete; the live-node spread and the
// versions are still sent, as what the scraped nodes see.
func (c *varsClusterAgg) emit(s Sink) (complete bool) {
	varsClTargets.Send(s, float64(c.targets))
	varsClScraped.Send(s, float64(c.scraped))
	if c.scraped == 0 {
		return false
	}
	if c.hasLive {
		varsClLiveMax.Send(s, c.liveMax)
		varsClLiveMin.Send(s, c.liveMin)
		varsClLiveSpread.Send(s, c.liveMax-c.liveMin)
	}
	if len(c.builds) > 0 {
		varsClVersions.Send(s, float64(len(c.builds)))
	}
	if !c.complete() {
		return false
	}
	for _, x := range []struct {
		m *emit.GaugeDef
		s varsSum
	}{
		{varsClRanges, c.ranges},
		{varsClRangesUnder, c.under},
		{varsClRangesOver, c.over},
		{varsClRangesUnavailable, c.unavailable},
		{varsClCapacity, c.capacity},
		{varsClCapacityAvailable, c.available},
	} {
		if x.s.has {
			x.m.Send(s, x.s.v)
		}
	}
	if c.capacity.has && c.available.has && c.capacity.v > 0 {
		varsClUsedRatio.Send(s, (c.capacity.v-c.available.v)/c.capacity.v)
	}
	return true
}
