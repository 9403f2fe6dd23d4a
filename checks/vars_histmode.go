package checks

import (
	"fmt"
	"slices"
	"strings"
)

// HistogramMode says how a CockroachDB histogram reaches Datadog.
type HistogramMode string

// Histogram modes.
const (
	// HistogramDistribution sends crdb.<name> as a distribution built from
	// the bucket deltas of the interval: Datadog merges every node's
	// values into one sketch, so p99:crdb.<name>{cluster:x} is the
	// cluster's p99, which no combination of per-node gauges gives. The
	// default.
	HistogramDistribution HistogramMode = "distribution"
	// HistogramGauges sends per-node crdb.<name>.p50/.p75/.p90/.p99, .max
	// and .avg gauges and a .count count, computed by roachdog.
	HistogramGauges HistogramMode = "gauges"
	// HistogramBoth sends both.
	HistogramBoth HistogramMode = "both"
)

// HistogramModes lists the valid modes.
var HistogramModes = []HistogramMode{HistogramDistribution, HistogramGauges, HistogramBoth}

// HistogramNames lists the curated histograms by the name sent, the keys
// of VarsOptions.HistogramOverrides.
func HistogramNames() []string {
	var out []string
	for _, m := range varsMetrics {
		if m.Conv == varsHistogram {
			out = append(out, m.Name)
		}
	}
	return out
}

func (v *Vars) histogramModes(global HistogramMode, over map[string]HistogramMode) error {
	if global == "" {
		global = HistogramDistribution
	}
	if !slices.Contains(HistogramModes, global) {
		return fmt.Errorf("vars: histograms %q is not one of distribution, gauges, both", global)
	}
	v.histMode = global
	names := HistogramNames()
	v.histOver = make(map[string]HistogramMode, len(over))
	for name, mode := range over {
		if !slices.Contains(names, name) {
			return fmt.Errorf("vars: histogram_overrides: %q is not a curated histogram (one of %s)", name, strings.Join(names, ", "))
		}
		if !slices.Contains(HistogramModes, mode) {
			return fmt.Errorf("vars: histogram_overrides: %s: %q is not one of distribution, gauges, both", name, mode)
		}
		v.histOver[name] = mode
	}
	return nil
}
