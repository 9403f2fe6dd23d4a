package checks_test

import (
	"strings"
	"testing"

	"github.com/roachdog/roachdog/checks"
)

// TestVarsHistogramModes: by default a histogram is a distribution and
// nothing else; "gauges" sends the per-node gauges and no distribution;
// an override applies to its histogram only. The distribution's weights
// add up to the observations of the interval, which the count reports in
// gauges mode.
func TestVarsHistogramModes(t *testing.T) {
	t.Parallel()
	run := func(o checks.VarsOptions) (*varsRun, func() map[string]float64) {
		f := newVarsFake(t, v20Payload(t, 1, "t0"))
		r := newVarsRun(t, o)
		if first := r.cycle(f.node()); len(first.Find("sql.service_latency")) != 0 {
			t.Errorf("first scrape sent %v", first.Find("sql.service_latency"))
		}
		f.set(v20Payload(t, 1, "t1"))
		rec := r.cycle(f.node())
		return r, func() map[string]float64 {
			got := map[string]float64{}
			for _, p := range rec.Points {
				if strings.HasPrefix(p.Name, "sql.service_latency") || strings.HasPrefix(p.Name, "sql.txn_latency") {
					got[string(p.Kind)+" "+p.Name] = p.Value
				}
			}
			return got
		}
	}
	_, gauges := run(checks.VarsOptions{Histograms: checks.HistogramGauges})
	g := gauges()
	n := g["count sql.service_latency.count"]
	if n <= 0 || g["gauge sql.service_latency.p99"] <= 0 {
		t.Fatalf("gauges mode: %v", g)
	}
	if _, ok := g["distribution sql.service_latency"]; ok {
		t.Errorf("gauges mode sent a distribution")
	}

	_, dist := run(checks.VarsOptions{Histograms: checks.HistogramDistribution,
		HistogramOverrides: map[string]checks.HistogramMode{"sql.txn_latency": checks.HistogramBoth}})
	d := dist()
	if d["distribution sql.service_latency"] != n {
		t.Errorf("distribution weight %v, want the interval's %v observations", d["distribution sql.service_latency"], n)
	}
	for k := range d {
		if strings.HasPrefix(k, "gauge sql.service_latency") || strings.HasPrefix(k, "count sql.service_latency") {
			t.Errorf("distribution mode sent %s", k)
		}
	}
	if d["gauge sql.txn_latency.p99"] <= 0 || d["distribution sql.txn_latency"] <= 0 {
		t.Errorf("override both: %v", d)
	}
}

// TestVarsHistogramDefault: with no option at all, distributions only.
func TestVarsHistogramDefault(t *testing.T) {
	t.Parallel()
	v, err := checks.NewVars(checks.VarsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := newVarsFake(t, v20Payload(t, 1, "t0"))
	r := newVarsRun(t, checks.VarsOptions{}) // for its catalog checks
	r.v = v                                  // newVarsRun's default is both
	r.cycle(f.node())
	f.set(v20Payload(t, 1, "t1"))
	rec := r.cycle(f.node())
	if len(rec.Find("sql.service_latency.p99")) != 0 || len(rec.Find("sql.service_latency")) != 1 {
		t.Errorf("default: %v", rec.String())
	}
}

func TestVarsHistogramModeErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		o    checks.VarsOptions
		want string
	}{
		{checks.VarsOptions{Histograms: "sketch"}, `histograms "sketch" is not one of`},
		{checks.VarsOptions{HistogramOverrides: map[string]checks.HistogramMode{"sql.latency": checks.HistogramBoth}}, `"sql.latency" is not a curated histogram`},
		{checks.VarsOptions{HistogramOverrides: map[string]checks.HistogramMode{"sql.txn_latency": "all"}}, `sql.txn_latency: "all" is not one of`},
	} {
		if _, err := checks.NewVars(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewVars(%+v) = %v, want %q", c.o, err, c.want)
		}
	}
}
