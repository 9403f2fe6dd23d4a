package checks

import (
	"sort"
)

// Kind is how a catalog entry reaches Datadog.
type Kind string

// Catalog entry kinds.
const (
	KindGauge Kind = "gauge"
	KindCount Kind = "count"
	// KindDistribution is a DogStatsD distribution. Datadog bills one
	// custom metric per tag combination for each of its five default
	// aggregations (count, sum, min, max, avg): 5 per combination. With
	// percentile aggregations enabled (roachdog apply does it for the
	// distributions roachdog sends) each combination of queryable tags
	// adds 5 more (p50, p75, p90, p95, p99): 10 in all. A gauge or a count
	// is 1 per tag combination. See DistributionCost.
	KindDistribution Kind = "distribution"
	KindServiceCheck Kind = "service_check"
	KindEvent        Kind = "event"
)

// Metric describes one thing roachdog sends: the single source of truth for
// names, types, units, tags and descriptions. `roachdog catalog`, the README
// tables and the dashboard/monitor validation all read it.
type Metric struct {
	// Name without the namespace, e.g. "node.up" (sent as crdb.node.up).
	Name string
	Kind Kind
	// Unit in Datadog's unit vocabulary ("second", "byte", "node", "range",
	// "fraction", "percent", "operation"...), empty when unitless.
	Unit string
	// Tags lists the tag keys the metric carries besides the instance's own
	// (cluster and configured tags). "locality" stands for the node's
	// locality tiers (region, zone...).
	Tags []string
	// Description says what it means, in one sentence.
	Description string
	// Check is the name of the check that emits it.
	Check string
	// PerNode is how many series one node is expected to contribute (for
	// cluster-level metrics, the number of series per cluster); store-level
	// metrics assume one store per node.
	PerNode int
	// ClusterLevel marks metrics computed once per cluster, not per node.
	ClusterLevel bool
	// Optional marks metrics that are off by default (enabled in config).
	Optional bool
}

// catalogSources lists every check's catalog; each check file adds its own
// function here from an init, so the list cannot drift from the code.
var catalogSources []func() []Metric

func registerCatalog(f func() []Metric) { catalogSources = append(catalogSources, f) }

// registerTable registers a check's static table of metrics, stamping each
// entry with the check's name.
func registerTable(check string, table []Metric) {
	registerCatalog(func() []Metric {
		out := make([]Metric, len(table))
		for i, m := range table {
			m.Check = check
			out[i] = m
		}
		return out
	})
}

// Catalog returns every metric, service check and event roachdog can send,
// sorted by name.
func Catalog() []Metric {
	var all []Metric
	for _, f := range catalogSources {
		all = append(all, f()...)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Name != all[j].Name {
			return all[i].Name < all[j].Name
		}
		return all[i].Kind < all[j].Kind
	})
	return all
}

// Custom metrics Datadog bills per tag combination of a distribution,
// without and with percentile aggregations (see KindDistribution).
const (
	DistributionCost            = 5
	DistributionCostPercentiles = 10
)

// Lookup finds a catalog entry by name (without namespace).
func Lookup(name string) (Metric, bool) {
	for _, m := range Catalog() {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}
