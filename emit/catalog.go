package emit

import (
	"fmt"
	"slices"
	"sort"
	"sync"
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
	// is 1 per tag combination. See DistributionCostPercentiles.
	KindDistribution Kind = "distribution"
	KindServiceCheck Kind = "service_check"
	KindEvent        Kind = "event"
)

// DistributionCostPercentiles is how many custom metrics Datadog bills per
// tag combination of a distribution with percentile aggregations on (see
// KindDistribution), as roachdog apply sets them.
const DistributionCostPercentiles = 10

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

// registry holds every registered entry. Registration happens in package
// initialisation (var declarations and init functions), before any check
// runs; the mutex only keeps a late registration from racing a reader.
var registry struct {
	sync.Mutex
	entries []Metric
	seen    map[catalogKey]string // → check that registered it
}

type catalogKey struct {
	name string
	kind Kind
}

// Register adds catalog entries that no typed definition sends: the ones a
// data-driven table describes and whose sending goes through that table
// (the /_status/vars families). Everything else registers a definition
// (Gauge.Register...), which calls this. It panics on an entry without a
// name, check or kind, or on a name and kind registered twice: both are
// programming errors found by the first test that loads the package.
func Register(entries ...Metric) {
	registry.Lock()
	defer registry.Unlock()
	if registry.seen == nil {
		registry.seen = map[catalogKey]string{}
	}
	for _, m := range entries {
		if m.Name == "" || m.Check == "" || m.Kind == "" {
			panic(fmt.Sprintf("emit: catalog entry %q (check %q, kind %q) lacks a name, check or kind", m.Name, m.Check, m.Kind))
		}
		k := catalogKey{m.Name, m.Kind}
		if by, dup := registry.seen[k]; dup {
			panic(fmt.Sprintf("emit: %s %q registered twice (by %s and %s)", m.Kind, m.Name, by, m.Check))
		}
		registry.seen[k] = m.Check
		m.Tags = slices.Clone(m.Tags)
		registry.entries = append(registry.entries, m)
	}
}

// Catalog returns every registered metric, service check and event, sorted
// by name (then kind). It lists what the packages linked into the program
// registered: ask through the package that holds the checks
// (checks.Catalog) to be sure they are all there.
func Catalog() []Metric {
	registry.Lock()
	all := make([]Metric, len(registry.entries))
	copy(all, registry.entries)
	registry.Unlock()
	for i := range all {
		all[i].Tags = slices.Clone(all[i].Tags)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Name != all[j].Name {
			return all[i].Name < all[j].Name
		}
		return all[i].Kind < all[j].Kind
	})
	return all
}

// Lookup finds a catalog entry by name (without namespace).
func Lookup(name string) (Metric, bool) {
	for _, m := range Catalog() {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}
