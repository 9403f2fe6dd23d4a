package assets

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/roachdog/roachdog/emit"
)

// tvar is a dashboard template variable: $name filters on prefix:value.
type tvar struct {
	name, prefix string
}

// funcArity bounds a function's positional arguments.
type funcArity struct{ min, max int }

// functions are Datadog's query functions (docs.datadoghq.com/dashboards/functions/).
// A misspelt function makes the whole widget fail, so unknown names are
// reported.
var functions = map[string]funcArity{
	"abs": {1, 1}, "log2": {1, 1}, "log10": {1, 1}, "cumsum": {1, 1}, "integral": {1, 1},
	"outliers": {1, 4}, "anomalies": {1, 3}, "forecast": {1, 3},
	"count_nonzero": {1, 1}, "count_not_null": {1, 1},
	"exclude_null": {1, 1}, "clamp_min": {2, 2}, "clamp_max": {2, 2}, "cutoff_min": {2, 2}, "cutoff_max": {2, 2},
	"default_zero": {1, 1},
	"top":          {1, 4}, "bottom": {1, 4},
	"per_second": {1, 1}, "per_minute": {1, 1}, "per_hour": {1, 1}, "dt": {1, 1}, "diff": {1, 1},
	"monotonic_diff": {1, 1}, "derivative": {1, 1}, "throughput": {1, 1},
	"robust_trend": {1, 1}, "trend_line": {1, 1}, "piecewise_constant": {1, 1},
	"moving_rollup": {2, 3},
	"autosmooth":    {1, 1}, "ewma_3": {1, 1}, "ewma_5": {1, 1}, "ewma_7": {1, 1}, "ewma_10": {1, 1}, "ewma_20": {1, 1},
	"median_3": {1, 1}, "median_5": {1, 1}, "median_7": {1, 1}, "median_9": {1, 1},
	"hour_before": {1, 1}, "day_before": {1, 1}, "week_before": {1, 1}, "month_before": {1, 1},
	"timeshift": {2, 2}, "calendar_shift": {2, 3},
}

// legacyTop matches the old top/bottom shorthands: top5, top10_max...
var legacyTop = regexp.MustCompile(`^(top|bottom)(5|10|15|20|25|50|100)(_(mean|min|max|last|area|l2norm|norm))?$`)

var spaceAggregators = []string{"avg", "sum", "min", "max"}

var percentileAggr = regexp.MustCompile(`^p\d+(\.\d+)?$`)

var methods = []string{"as_count", "as_rate", "rollup", "fill", "weighted"}

var rollupMethods = []string{"avg", "sum", "min", "max", "count"}

var fillMethods = []string{"null", "zero", "linear", "last"}

// exprMode says what bare identifiers mean.
type exprMode int

const (
	// modeQuery: metric queries (a legacy "q", a queries[].query, a monitor
	// body); a bare identifier is a mistake.
	modeQuery exprMode = iota
	// modeFormula: formulas over named queries; identifiers are query names
	// and metric queries are not allowed.
	modeFormula
)

// walker checks one parsed expression.
type walker struct {
	idx  *catalogIndex
	r    *reporter
	vars map[string]tvar // nil outside dashboards
	path string
	mode exprMode
	// names are the request's query names (modeFormula); used records the
	// ones a formula references.
	names map[string]bool
	used  map[string]bool
	// metrics collects every metric query met, for callers that need their
	// group-bys (monitor templates).
	metrics []*metricExpr
}

func (w *walker) walk(x expr, asArg bool) {
	switch e := x.(type) {
	case *numberLit:
	case *stringLit:
		if !asArg {
			w.r.addQuery(w.path, e.pos, "a string is only valid as a function argument")
		}
	case *identRef:
		switch {
		case w.mode == modeFormula && w.names[e.name]:
			w.used[e.name] = true
		case w.mode == modeFormula:
			msg := fmt.Sprintf("%q is not the name of one of this request's queries", e.name)
			if s := closest(e.name, keys(w.names)); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			w.r.addQuery(w.path, e.pos, "%s", msg)
		default:
			w.r.addQuery(w.path, e.pos, "%q is not a metric query (a metric query looks like avg:%s{*})", e.name, e.name)
		}
	case *negExpr:
		w.walk(e.x, false)
	case *binaryExpr:
		w.walk(e.l, false)
		w.walk(e.r, false)
	case *callExpr:
		w.checkCall(e)
	case *chainExpr:
		w.walk(e.recv, false)
		for _, m := range e.calls {
			switch m.name {
			case "as_count", "as_rate", "weighted":
				w.r.addQuery(w.path, m.pos, ".%s() applies to a metric query, not to a function's result", m.name)
			default:
				w.checkMethod(m, nil)
			}
		}
	case *metricExpr:
		if w.mode == modeFormula {
			w.r.addQuery(w.path, e.pos, "formulas combine named queries (query1 / query2); put %s in the request's queries", e.metric)
			return
		}
		w.metrics = append(w.metrics, e)
		w.checkMetric(e)
	}
}

func (w *walker) checkCall(c *callExpr) {
	ar, known := functions[c.name]
	if !known && legacyTop.MatchString(c.name) {
		ar, known = funcArity{1, 1}, true
	}
	if !known {
		msg := fmt.Sprintf("unknown function %s()", c.name)
		if s := closest(c.name, keys(functions)); s != "" {
			msg += fmt.Sprintf(" (did you mean %s()?)", s)
		}
		w.r.addQuery(w.path, c.pos, "%s", msg)
	} else if len(c.args) < ar.min || len(c.args) > ar.max {
		if ar.min == ar.max {
			w.r.addQuery(w.path, c.pos, "%s() takes %d argument(s), not %d", c.name, ar.min, len(c.args))
		} else {
			w.r.addQuery(w.path, c.pos, "%s() takes %d to %d arguments, not %d", c.name, ar.min, ar.max, len(c.args))
		}
	}
	for i, a := range c.args {
		w.walk(a, i > 0)
	}
	if len(c.args) > 0 {
		if _, isStr := c.args[0].(*stringLit); isStr {
			w.r.addQuery(w.path, c.args[0].position(), "the first argument of %s() must be a series, not a string", c.name)
		}
	}
	switch c.name {
	case "top", "bottom":
		if len(c.args) >= 3 {
			w.stringArg(c, 2, "mean", "min", "max", "last", "area", "l2norm", "norm")
		}
		if len(c.args) == 4 {
			w.stringArg(c, 3, "asc", "desc")
		}
	case "anomalies":
		if len(c.args) >= 2 {
			w.stringArg(c, 1, "basic", "agile", "robust")
		}
		for _, n := range c.named {
			switch n.name {
			case "direction":
				w.namedString(n, "above", "below", "both")
			case "seasonality":
				w.namedString(n, "hourly", "daily", "weekly")
			case "alert_window", "interval", "count_default_zero", "timezone":
			default:
				w.r.addQuery(w.path, n.pos, "unknown anomalies() option %s", n.name)
			}
		}
		return
	case "forecast":
		if len(c.args) >= 2 {
			w.stringArg(c, 1, "linear", "seasonal")
		}
		return
	case "outliers":
		if len(c.args) >= 2 {
			w.stringArg(c, 1, "dbscan", "scaledmad", "mad", "scaledMAD")
		}
	}
	if len(c.named) > 0 && c.name != "outliers" {
		w.r.addQuery(w.path, c.named[0].pos, "%s() takes no named arguments", c.name)
	}
}

// stringArg checks that argument i of c is one of the allowed strings.
func (w *walker) stringArg(c *callExpr, i int, allowed ...string) {
	s, ok := c.args[i].(*stringLit)
	if !ok {
		w.r.addQuery(w.path, c.args[i].position(), "argument %d of %s() must be a quoted string (%s)", i+1, c.name, strings.Join(allowed, ", "))
		return
	}
	if !slices.Contains(allowed, s.val) {
		w.r.addQuery(w.path, s.pos, "argument %d of %s() is %q, not one of %s", i+1, c.name, s.val, strings.Join(allowed, ", "))
	}
}

func (w *walker) namedString(n namedArg, allowed ...string) {
	s, ok := n.val.(*stringLit)
	if !ok || !slices.Contains(allowed, s.val) {
		w.r.addQuery(w.path, n.pos, "%s must be one of '%s'", n.name, strings.Join(allowed, "', '"))
	}
}

// checkMethod checks a method's name and arguments; m is the metric it
// applies to, nil for a function's result.
func (w *walker) checkMethod(c methodCall, m *emit.Metric) {
	if !slices.Contains(methods, c.name) {
		msg := fmt.Sprintf("unknown method .%s()", c.name)
		if s := closest(c.name, methods); s != "" {
			msg += fmt.Sprintf(" (did you mean .%s()?)", s)
		}
		w.r.addQuery(w.path, c.pos, "%s", msg)
		return
	}
	identArg := func(i int, allowed []string) {
		id, ok := c.args[i].(*identRef)
		if !ok || !slices.Contains(allowed, id.name) {
			w.r.addQuery(w.path, c.args[i].position(), ".%s() argument %d must be one of %s", c.name, i+1, strings.Join(allowed, ", "))
		}
	}
	intArg := func(i int) {
		n, ok := c.args[i].(*numberLit)
		if !ok || n.val <= 0 || n.val != float64(int64(n.val)) {
			w.r.addQuery(w.path, c.args[i].position(), ".%s() argument %d must be a positive whole number of seconds", c.name, i+1)
		}
	}
	switch c.name {
	case "as_count", "as_rate", "weighted":
		if len(c.args) != 0 {
			w.r.addQuery(w.path, c.pos, ".%s() takes no arguments", c.name)
		}
	case "rollup":
		switch len(c.args) {
		case 1:
			if _, isNum := c.args[0].(*numberLit); isNum {
				intArg(0)
			} else {
				identArg(0, rollupMethods)
			}
		case 2:
			identArg(0, rollupMethods)
			intArg(1)
		default:
			w.r.addQuery(w.path, c.pos, ".rollup() takes a method and an optional interval: .rollup(avg, 60)")
		}
	case "fill":
		switch len(c.args) {
		case 1:
			identArg(0, fillMethods)
		case 2:
			identArg(0, fillMethods)
			intArg(1)
		default:
			w.r.addQuery(w.path, c.pos, ".fill() takes a method and an optional limit: .fill(zero, 60)")
		}
	}
}

// checkMetric checks one metric query against the catalog.
func (w *walker) checkMetric(e *metricExpr) {
	m, ok := w.idx.metrics[e.metric]
	switch {
	case ok:
	case w.idx.serviceChecks[e.metric].Name != "":
		w.r.addQuery(w.path, e.metricPos, "%s is a service check, not a metric (use a check_status widget or a service check monitor)", e.metric)
		return
	default:
		w.r.addQuery(w.path, e.metricPos, "%s", w.idx.unknownName("metric", e.metric, w.idx.metrics))
		return
	}
	switch {
	case e.aggr == "":
		w.r.addQuery(w.path, e.pos, "no space aggregator before %s: write %s:%s", e.metric, suggestAggr(m), e.metric)
	case percentileAggr.MatchString(e.aggr):
		if m.Kind != emit.KindDistribution {
			w.r.addQuery(w.path, e.pos, "%s: needs a distribution metric, and %s is a %s%s", e.aggr, e.metric, m.Kind, w.distributionHint(e.metric))
		} else if p, err := strconv.ParseFloat(e.aggr[1:], 64); err != nil || p > 100 {
			w.r.addQuery(w.path, e.pos, "%s: a percentile aggregator goes from p0 to p100", e.aggr)
		}
	case e.aggr == "count" && m.Kind == emit.KindDistribution:
		// The number of values: a distribution's own aggregation.
	case !slices.Contains(spaceAggregators, e.aggr):
		w.r.addQuery(w.path, e.pos, "unknown space aggregator %q (use %s)", e.aggr, strings.Join(spaceAggregators, ", "))
	}
	terms, err := parseScope(e.scope, e.scopePos)
	if err != nil {
		w.r.queryErr(w.path, err)
	}
	allowed := w.idx.tagsOf(m)
	for _, t := range terms {
		if t.varRef != "" {
			tv, ok := w.checkVar(t.varRef, t.pos)
			if !ok {
				continue
			}
			if t.key == "" {
				if tv.prefix == "" {
					w.r.addQuery(w.path, t.pos, "template variable $%s has no prefix, so it filters on a bare value; give it a tag key prefix", tv.name)
					continue
				}
				if !slices.Contains(allowed, tv.prefix) {
					w.r.addQuery(w.path, t.pos, "template variable $%s filters on %s, which %s does not carry (it carries %s)",
						tv.name, tv.prefix, e.metric, w.idx.describeTags(m))
				}
				continue
			}
		}
		if t.key != "" && !slices.Contains(allowed, t.key) {
			w.r.addQuery(w.path, t.pos, "%s", w.tagMsg(e.metric, m, t.key, allowed))
		}
	}
	for _, k := range e.by {
		if !slices.Contains(allowed, k.key) {
			w.r.addQuery(w.path, k.pos, "%s", w.tagMsg(e.metric, m, k.key, allowed))
		}
	}
	var asCount string
	for _, c := range e.calls {
		w.checkMethod(c, &m)
		if c.name == "as_count" || c.name == "as_rate" {
			if asCount != "" {
				w.r.addQuery(w.path, c.pos, "both .%s() and .%s() on %s", asCount, c.name, e.metric)
			}
			asCount = c.name
			if m.Kind != emit.KindCount && !(m.Kind == emit.KindDistribution && e.aggr == "count") {
				w.r.addQuery(w.path, c.pos, ".%s() applies to counts (and count: of a distribution), and %s is a %s", c.name, e.metric, m.Kind)
			}
		}
	}
	if m.Kind == emit.KindCount && asCount == "" {
		w.r.addQuery(w.path, e.metricPos, "%s is a count: add .as_count() (events per interval) or .as_rate() (per second)", e.metric)
	}
}

// distributionHint points a percentile on a quantile gauge (crdb.x.p99)
// to the distribution it comes from, when there is one.
func (w *walker) distributionHint(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return ""
	}
	if d, ok := w.idx.metrics[name[:i]]; ok && d.Kind == emit.KindDistribution {
		return fmt.Sprintf(" (the distribution is %s)", name[:i])
	}
	return ""
}

func suggestAggr(m emit.Metric) string {
	if m.Kind == emit.KindCount {
		return "sum"
	}
	return "avg"
}

func (w *walker) tagMsg(name string, m emit.Metric, key string, allowed []string) string {
	msg := fmt.Sprintf("%s has no tag %s (it carries %s)", name, key, w.idx.describeTags(m))
	if s := closest(key, allowed); s != "" && s != key {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return msg
}

// checkVar resolves a template variable reference.
func (w *walker) checkVar(name string, pos int) (tvar, bool) {
	if w.vars == nil {
		w.r.addQuery(w.path, pos, "$%s: template variables exist only in dashboards", name)
		return tvar{}, false
	}
	tv, ok := w.vars[name]
	if !ok {
		w.r.addQuery(w.path, pos, "template variable $%s is not defined (defined: %s)", name, varList(w.vars))
		return tvar{}, false
	}
	return tv, true
}

func varList(vars map[string]tvar) string {
	if len(vars) == 0 {
		return "none"
	}
	return "$" + strings.Join(keys(vars), ", $")
}
