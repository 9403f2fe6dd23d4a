package assets

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// widgetTypes is every definition.type of Datadog's dashboard API v1.
var widgetTypes = []string{
	"alert_graph", "alert_value", "bar_chart", "change", "check_status", "distribution", "event_stream",
	"event_timeline", "free_text", "funnel", "geomap", "group", "heatmap", "hostmap", "iframe", "image",
	"list_stream", "log_stream", "manage_status", "note", "powerpack", "query_table", "query_value",
	"retention_curve", "run_workflow", "sankey", "scatterplot", "servicemap", "slo", "slo_list",
	"split_group", "sunburst", "timeseries", "toplist", "topology_map", "trace_service", "treemap", "wildcard",
}

// metricWidgets are the widget types whose requests validate knows how
// to read. requestFormat is the response_format their formula requests need.
var metricWidgets = map[string]string{
	"timeseries": "timeseries", "query_value": "scalar", "toplist": "scalar", "query_table": "scalar",
	"change": "scalar", "treemap": "scalar", "sunburst": "scalar", "geomap": "scalar", "bar_chart": "scalar",
	"heatmap": "", "distribution": "", "scatterplot": "", "hostmap": "",
}

// dataFreeWidgets show no data, so there is nothing to check against the
// catalog.
var dataFreeWidgets = []string{"note", "free_text", "image", "iframe", "group", "check_status", "manage_status"}

// otherDataSources are request keys of queries on data other than
// metrics (logs, APM...), which roachdog neither sends nor can check.
var otherDataSources = []string{
	"log_query", "apm_query", "apm_stats_query", "rum_query", "event_query", "process_query",
	"network_query", "security_query", "audit_query", "profile_metrics_query",
}

var (
	varName   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	queryName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	varInText = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_-]*)`)
)

// decodeObject parses a file that must hold one JSON object, reporting why
// it does not.
func (r *reporter) decodeObject(data []byte, what string) (map[string]any, bool) {
	root, err := decodeJSON(data)
	if err != nil {
		r.add("", "%v", err)
		return nil, false
	}
	m, ok := root.(map[string]any)
	if !ok {
		r.add("", "%s is a JSON object, not %s", what, jsonType(root))
	}
	return m, ok
}

// Dashboard validates one dashboard (Datadog dashboard API v1 JSON).
func (v *Validator) Dashboard(name string, data []byte) []error {
	r := &reporter{file: name}
	m, ok := r.decodeObject(data, "a dashboard")
	if !ok {
		return r.errs
	}
	d := &dashCheck{idx: v.index(), r: r}
	top := obj{m: m, r: r}
	if t, ok := top.str("title", true); ok && strings.TrimSpace(t) == "" {
		r.add("title", "must not be empty")
	}
	layout, _ := top.oneOf("layout_type", true, "ordered", "free")
	reflow, hasReflow := top.oneOf("reflow_type", false, "auto", "fixed")
	if hasReflow && layout == "free" {
		r.add("reflow_type", "only applies to layout_type ordered")
	}
	d.vars = d.templateVars(top)
	widgets, ok := top.array("widgets", true)
	if !ok {
		return r.errs
	}
	if len(widgets) == 0 {
		r.add("widgets", "a dashboard needs at least one widget")
	}
	d.layout = layout
	d.fixed = layout == "free" || reflow == "fixed"
	d.widgets(widgets, "widgets", false)
	return r.errs
}

type dashCheck struct {
	idx    *catalogIndex
	r      *reporter
	vars   map[string]tvar
	layout string
	// fixed means every widget must have a layout (free, or ordered with
	// reflow_type fixed).
	fixed bool
}

func (d *dashCheck) templateVars(top obj) map[string]tvar {
	vars := map[string]tvar{}
	arr, ok := top.array("template_variables", false)
	if !ok {
		return vars
	}
	for i, x := range arr {
		p := index("template_variables", i)
		m, ok := x.(map[string]any)
		if !ok {
			d.r.add(p, "must be an object, not %s", jsonType(x))
			continue
		}
		o := obj{m: m, path: p, r: d.r}
		o.onlyKeys("template variable", "name", "prefix", "default", "defaults", "available_values", "type")
		name, ok := o.str("name", true)
		if !ok {
			continue
		}
		if !varName.MatchString(name) {
			d.r.add(field(p, "name"), "%q is not a valid template variable name (letters, digits, _ and -)", name)
			continue
		}
		if _, dup := vars[name]; dup {
			d.r.add(field(p, "name"), "template variable %q is defined twice", name)
		}
		prefix, _ := o.str("prefix", false)
		if prefix != "" && !slices.Contains(GlobalTags, prefix) && !d.anyMetricHas(prefix) {
			d.r.add(field(p, "prefix"), "no roachdog metric carries tag %s", prefix)
		}
		o.array("available_values", false)
		vars[name] = tvar{name: name, prefix: prefix}
	}
	return vars
}

func (d *dashCheck) anyMetricHas(tag string) bool {
	if slices.Contains(d.idx.extra, tag) {
		return true
	}
	for _, m := range d.idx.metrics {
		if slices.Contains(expandTags(m.Tags), tag) {
			return true
		}
	}
	for _, m := range d.idx.serviceChecks {
		if slices.Contains(expandTags(m.Tags), tag) {
			return true
		}
	}
	return d.idx.eventTags[tag]
}

type rect struct {
	x, y, w, h int
	path       string
}

// widgets validates a list of widgets (the dashboard's, or a group's).
func (d *dashCheck) widgets(arr []any, path string, inGroup bool) {
	var rects []rect
	for i, x := range arr {
		wp := index(path, i)
		m, ok := x.(map[string]any)
		if !ok {
			d.r.add(wp, "a widget is an object, not %s", jsonType(x))
			continue
		}
		w := obj{m: m, path: wp, r: d.r}
		w.onlyKeys("widget", "definition", "layout", "id")
		if d.fixed {
			if rc, ok := d.widgetLayout(w, inGroup); ok {
				for _, o := range rects {
					if rc.x < o.x+o.w && o.x < rc.x+rc.w && rc.y < o.y+o.h && o.y < rc.y+rc.h {
						d.r.add(field(wp, "layout"), "overlaps %s", o.path)
					}
				}
				rects = append(rects, rc)
			}
		}
		def, ok := w.object("definition", true)
		if !ok {
			continue
		}
		d.definition(def, inGroup)
	}
}

// widgetLayout checks a widget's position on the 12-column grid.
func (d *dashCheck) widgetLayout(w obj, inGroup bool) (rect, bool) {
	l, ok := w.object("layout", true)
	if !ok {
		return rect{}, false
	}
	l.onlyKeys("layout", "x", "y", "width", "height", "is_column_break")
	get := func(k string, min int) (int, bool) {
		f, ok := l.number(k)
		if !ok {
			if !l.has(k) {
				d.r.add(l.path, "missing required field %q", k)
			}
			return 0, false
		}
		if f != float64(int(f)) || int(f) < min {
			d.r.add(field(l.path, k), "must be a whole number >= %d", min)
			return 0, false
		}
		return int(f), true
	}
	x, okx := get("x", 0)
	y, oky := get("y", 0)
	wd, okw := get("width", 1)
	h, okh := get("height", 1)
	if !okx || !oky || !okw || !okh {
		return rect{}, false
	}
	if d.layout == "ordered" && x+wd > 12 {
		d.r.add(l.path, "x + width = %d, beyond the 12-column grid", x+wd)
	}
	return rect{x: x, y: y, w: wd, h: h, path: w.path}, true
}

func (d *dashCheck) definition(def obj, inGroup bool) {
	typ, ok := def.str("type", true)
	if !ok {
		return
	}
	if !slices.Contains(widgetTypes, typ) {
		msg := fmt.Sprintf("unknown widget type %q", typ)
		if s := closest(typ, widgetTypes); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		d.r.add(field(def.path, "type"), "%s", msg)
		return
	}
	d.textVars(def.m, def.path)
	if _, isMetric := metricWidgets[typ]; !isMetric && !slices.Contains(dataFreeWidgets, typ) {
		switch typ {
		case "alert_graph", "alert_value":
			d.r.add(field(def.path, "type"), "%s refers to a monitor by id, which differs in every Datadog organisation; use manage_status with a tag query", typ)
		case "list_stream":
			d.listStream(def)
		case "event_stream", "event_timeline":
			if d.layout == "ordered" {
				d.r.add(field(def.path, "type"), "%s is only available on free-layout dashboards; overlay events on a timeseries instead", typ)
			}
			if q, ok := def.str("query", true); ok {
				d.eventQuery(q, field(def.path, "query"))
			}
		default:
			d.r.add(field(def.path, "type"), "%s widgets show data roachdog does not send, so validate cannot check them", typ)
		}
		return
	}
	switch typ {
	case "group":
		if inGroup {
			d.r.add(field(def.path, "type"), "a group cannot contain another group")
		}
		if lt, ok := def.oneOf("layout_type", true, "ordered"); ok && lt != "ordered" {
			return
		}
		if ws, ok := def.array("widgets", true); ok {
			if len(ws) == 0 {
				d.r.add(field(def.path, "widgets"), "an empty group")
			}
			d.widgets(ws, field(def.path, "widgets"), true)
		}
	case "note":
		def.str("content", true)
	case "free_text":
		def.str("text", true)
	case "image", "iframe":
		def.str("url", true)
	case "manage_status":
		if q, ok := def.str("query", true); ok {
			d.textVars(q, field(def.path, "query"))
		}
		def.oneOf("summary_type", false, "monitors", "groups", "combined")
	case "check_status":
		d.checkStatus(def)
	default:
		d.requests(def, typ)
		if evs, ok := def.array("events", false); ok {
			for i, e := range evs {
				p := index(field(def.path, "events"), i)
				em, ok := e.(map[string]any)
				if !ok {
					d.r.add(p, "must be an object, not %s", jsonType(e))
					continue
				}
				eo := obj{m: em, path: p, r: d.r}
				eo.onlyKeys("event overlay", "q", "tags_execution")
				if q, ok := eo.str("q", true); ok {
					d.eventQuery(q, field(p, "q"))
				}
			}
		}
	}
}

// textVars checks $name references in titles, aliases, tags and monitor
// searches: a reference to an undefined variable renders literally.
// Queries are checked by the query walker, notes are free text.
func (d *dashCheck) textVars(v any, path string) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range keys(x) {
			switch k {
			case "q", "query", "formula", "content", "text", "requests", "widgets", "events":
				// Queries are checked where they are parsed, notes are
				// free text, nested widgets have their own definition.
				continue
			}
			d.textVars(x[k], field(path, k))
		}
	case []any:
		for i, e := range x {
			d.textVars(e, index(path, i))
		}
	case string:
		for _, sm := range varInText.FindAllStringSubmatch(x, -1) {
			if _, ok := d.vars[sm[1]]; !ok {
				d.r.add(path, "template variable $%s is not defined (defined: %s)", sm[1], varList(d.vars))
			}
		}
	}
}

func (d *dashCheck) requests(def obj, typ string) {
	var reqs []struct {
		m    map[string]any
		path string
	}
	rp := field(def.path, "requests")
	switch rv := def.m["requests"].(type) {
	case []any:
		if len(rv) == 0 {
			d.r.add(rp, "no requests: the widget shows nothing")
		}
		if typ == "query_value" && len(rv) > 1 {
			d.r.add(rp, "a query_value widget takes one request, not %d", len(rv))
		}
		for i, x := range rv {
			m, ok := x.(map[string]any)
			if !ok {
				d.r.add(index(rp, i), "a request is an object, not %s", jsonType(x))
				continue
			}
			reqs = append(reqs, struct {
				m    map[string]any
				path string
			}{m, index(rp, i)})
		}
	case map[string]any: // hostmap {fill, size}, scatterplot {x, y}
		for _, k := range keys(rv) {
			m, ok := rv[k].(map[string]any)
			if !ok {
				d.r.add(field(rp, k), "a request is an object, not %s", jsonType(rv[k]))
				continue
			}
			reqs = append(reqs, struct {
				m    map[string]any
				path string
			}{m, field(rp, k)})
		}
	case nil:
		d.r.add(def.path, "missing required field \"requests\"")
	default:
		d.r.add(rp, "must be an array, not %s", jsonType(rv))
	}
	for _, rq := range reqs {
		d.request(obj{m: rq.m, path: rq.path, r: d.r}, typ)
	}
}

func (d *dashCheck) request(rq obj, typ string) {
	for _, k := range otherDataSources {
		if rq.has(k) {
			d.r.add(field(rq.path, k), "queries data other than roachdog's metrics, which validate cannot check")
		}
	}
	q, hasQ := rq.str("q", false)
	queries, hasQueries := rq.array("queries", false)
	switch {
	case hasQ && hasQueries:
		d.r.add(rq.path, "has both \"q\" and \"queries\": use one request format")
	case hasQ:
		exprs, err := parseQueryList(q)
		if err != nil {
			d.r.queryErr(field(rq.path, "q"), err)
			return
		}
		w := &walker{idx: d.idx, r: d.r, vars: d.vars, path: field(rq.path, "q")}
		for _, x := range exprs {
			w.walk(x, false)
		}
	case hasQueries:
		d.formulaRequest(rq, queries, typ)
	default:
		if !rq.has("q") && !rq.has("queries") {
			d.r.add(rq.path, "no query: a request needs \"queries\" and \"formulas\" (or a legacy \"q\")")
		}
	}
}

// formulaRequest checks the newer request format: queries[] + formulas[] +
// response_format.
func (d *dashCheck) formulaRequest(rq obj, queries []any, typ string) {
	names := map[string]bool{}
	qp := field(rq.path, "queries")
	if len(queries) == 0 {
		d.r.add(qp, "no queries")
	}
	for i, x := range queries {
		p := index(qp, i)
		m, ok := x.(map[string]any)
		if !ok {
			d.r.add(p, "must be an object, not %s", jsonType(x))
			continue
		}
		o := obj{m: m, path: p, r: d.r}
		if ds, ok := o.str("data_source", true); ok && ds != "metrics" {
			d.r.add(field(p, "data_source"), "%q: roachdog's dashboards query metrics only (validate cannot check %s)", ds, ds)
			continue
		}
		o.onlyKeys("metrics query", "data_source", "name", "query", "aggregator", "cross_org_uuids", "semantic_mode")
		name, ok := o.str("name", true)
		if ok {
			switch {
			case !queryName.MatchString(name):
				d.r.add(field(p, "name"), "%q is not a valid query name (a letter, then letters, digits and _)", name)
			case names[name]:
				d.r.add(field(p, "name"), "query name %q is used twice in this request", name)
			}
			names[name] = true
		}
		o.oneOf("aggregator", false, "avg", "min", "max", "sum", "last", "area", "l2norm", "percentile")
		src, ok := o.str("query", true)
		if !ok {
			continue
		}
		path := field(p, "query")
		x, err := parseSingle(src)
		if err != nil {
			d.r.queryErr(path, err)
			continue
		}
		if _, isMetric := x.(*metricExpr); !isMetric {
			d.r.addQuery(path, x.position(), "must be one metric query; put functions and arithmetic in formulas")
		}
		w := &walker{idx: d.idx, r: d.r, vars: d.vars, path: path}
		w.walk(x, false)
	}
	used := map[string]bool{}
	formulas, ok := rq.array("formulas", false)
	if !ok || len(formulas) == 0 {
		d.r.add(rq.path, "has queries but no formulas: Datadog shows nothing (add {\"formula\": \"query1\"})")
	}
	for i, x := range formulas {
		p := index(field(rq.path, "formulas"), i)
		m, ok := x.(map[string]any)
		if !ok {
			d.r.add(p, "must be an object, not %s", jsonType(x))
			continue
		}
		o := obj{m: m, path: p, r: d.r}
		src, ok := o.str("formula", true)
		if !ok {
			continue
		}
		path := field(p, "formula")
		fx, err := parseSingle(src)
		if err != nil {
			d.r.queryErr(path, err)
			continue
		}
		w := &walker{idx: d.idx, r: d.r, vars: d.vars, path: path, mode: modeFormula, names: names, used: used}
		w.walk(fx, false)
	}
	if ok {
		for _, n := range keys(names) {
			if !used[n] {
				d.r.add(qp, "query %s is not used by any formula, so it is not shown", n)
			}
		}
	}
	want := metricWidgets[typ]
	if f, ok := rq.str("response_format", want != ""); ok && want != "" && f != want {
		d.r.add(field(rq.path, "response_format"), "a %s widget needs response_format %q, not %q", typ, want, f)
	}
}

func (d *dashCheck) checkStatus(def obj) {
	check, ok := def.str("check", true)
	def.oneOf("grouping", true, "check", "cluster")
	if !ok {
		return
	}
	sc, ok := d.idx.serviceChecks[check]
	if !ok {
		if _, isMetric := d.idx.metrics[check]; isMetric {
			d.r.add(field(def.path, "check"), "%s is a metric, not a service check", check)
		} else {
			d.r.add(field(def.path, "check"), "%s", d.idx.unknownName("service check", check, d.idx.serviceChecks))
		}
		return
	}
	allowed := d.idx.tagsOf(sc)
	if gb, ok := def.array("group_by", false); ok {
		for i, g := range gb {
			k, _ := g.(string)
			if !slices.Contains(allowed, k) {
				d.r.add(index(field(def.path, "group_by"), i), "%s has no tag %s (it carries %s)", check, k, d.idx.describeTags(sc))
			}
		}
	}
	tagKey := func(t, p string) {
		if strings.HasPrefix(t, "$") {
			name := strings.TrimSuffix(t[1:], ".value")
			tv, ok := d.vars[name]
			if !ok {
				return // reported by textVars
			}
			if !slices.Contains(allowed, tv.prefix) {
				d.r.add(p, "template variable $%s filters on %s, which %s does not carry (it carries %s)", name, tv.prefix, check, d.idx.describeTags(sc))
			}
			return
		}
		k, _, ok := strings.Cut(strings.TrimLeft(t, "!"), ":")
		if !ok || k == "" {
			d.r.add(p, "%q is not a key:value tag", t)
			return
		}
		if !slices.Contains(allowed, k) {
			d.r.add(p, "%s has no tag %s (it carries %s)", check, k, d.idx.describeTags(sc))
		}
	}
	if tags, ok := def.array("tags", false); ok {
		for i, t := range tags {
			s, ok := t.(string)
			if !ok {
				d.r.add(index(field(def.path, "tags"), i), "must be a string, not %s", jsonType(t))
				continue
			}
			if s != "*" {
				tagKey(s, index(field(def.path, "tags"), i))
			}
		}
	}
	if g, ok := def.str("group", false); ok && g != "" {
		tagKey(g, field(def.path, "group"))
	}
}

// listStream checks a list_stream widget: only a list of roachdog's
// events (data_source event_stream, the one list_stream source roachdog
// sends data to) can be checked; its search goes through eventQuery.
func (d *dashCheck) listStream(def obj) {
	reqs, ok := def.array("requests", true)
	if !ok {
		return
	}
	if len(reqs) == 0 {
		d.r.add(field(def.path, "requests"), "no requests: the widget shows nothing")
	}
	for i, x := range reqs {
		p := index(field(def.path, "requests"), i)
		m, ok := x.(map[string]any)
		if !ok {
			d.r.add(p, "a request is an object, not %s", jsonType(x))
			continue
		}
		rq := obj{m: m, path: p, r: d.r}
		rq.oneOf("response_format", true, "event_list")
		if cols, ok := rq.array("columns", true); ok && len(cols) == 0 {
			d.r.add(field(p, "columns"), "no columns: the list shows nothing")
		}
		qm, ok := m["query"].(map[string]any)
		if !ok {
			d.r.add(field(p, "query"), "missing required object \"query\"")
			continue
		}
		q := obj{m: qm, path: field(p, "query"), r: d.r}
		if ds, ok := q.str("data_source", true); ok && ds != "event_stream" {
			d.r.add(field(q.path, "data_source"), "list_stream of %s shows data roachdog does not send, so validate cannot check it (use event_stream for roachdog's events)", ds)
			continue
		}
		if qs, ok := q.str("query_string", true); ok {
			d.eventQuery(qs, field(q.path, "query_string"))
		}
	}
}

// eventAttributes are event search keys that are not tags.
var eventAttributes = []string{"source", "sources", "status", "priority", "host", "hosts", "service", "env", "title", "message"}

// eventQuery checks an event search (overlay or stream): template variables
// exist and filter on tags roachdog's events carry.
func (d *dashCheck) eventQuery(q, path string) {
	allowed := append(slices.Clone(GlobalTags), d.idx.extra...)
	for t := range d.idx.eventTags {
		allowed = append(allowed, t)
	}
	for _, w := range strings.Fields(q) {
		w = strings.Trim(w, "()")
		switch strings.ToUpper(w) {
		case "AND", "OR", "NOT", "":
			continue
		}
		if strings.HasPrefix(w, "$") {
			name := strings.TrimSuffix(w[1:], ".value")
			tv, ok := d.vars[name]
			if !ok {
				d.r.add(path, "template variable $%s is not defined (defined: %s)", name, varList(d.vars))
				continue
			}
			if !slices.Contains(allowed, tv.prefix) {
				d.r.add(path, "template variable $%s filters on %s, which no roachdog event carries", name, tv.prefix)
			}
			continue
		}
		w = strings.TrimLeft(w, "-!")
		k, rest, ok := strings.Cut(w, ":")
		if !ok {
			continue // free-text search
		}
		if k == "tags" {
			if k, _, ok = strings.Cut(rest, ":"); !ok {
				continue // tags:value, a bare tag
			}
		} else if slices.Contains(eventAttributes, k) {
			continue
		}
		if v := w[strings.LastIndexByte(w, ':')+1:]; strings.HasPrefix(v, "$") {
			name := strings.TrimSuffix(strings.TrimSuffix(v[1:], ".value"), ".key")
			if _, ok := d.vars[name]; !ok {
				d.r.add(path, "template variable $%s is not defined (defined: %s)", name, varList(d.vars))
			}
		}
		if !slices.Contains(allowed, k) {
			msg := fmt.Sprintf("no roachdog event carries tag %s", k)
			if s := closest(k, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			d.r.add(path, "%s", msg)
		}
	}
}
