package assets

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// monitorTypes is Datadog's monitor type enum (API v1).
var monitorTypes = []string{
	"metric alert", "query alert", "service check", "composite", "event alert", "event-v2 alert", "log alert",
	"process alert", "rum alert", "slo alert", "synthetics alert", "trace-analytics alert", "audit alert",
	"ci-pipelines alert", "ci-tests alert", "error-tracking alert", "database-monitoring alert",
	"network-performance alert", "cost alert", "data-quality alert", "network-path alert", "data-jobs alert",
	"llm-observability alert",
}

var monitorFields = []string{
	"name", "type", "query", "message", "tags", "options", "priority", "restricted_roles", "draft_status",
	// read-only fields of an exported monitor
	"id", "created", "created_at", "creator", "deleted", "modified", "overall_state", "overall_state_modified",
	"state", "matching_downtimes", "org_id", "multi", "classification",
}

// recommendedFields wrap a monitor in integrations-core's
// "recommended monitor" format: {"version": 2, ..., "definition": {...}}.
var recommendedFields = []string{"version", "created_at", "last_updated_at", "title", "description", "tags", "definition"}

var optionFields = []string{
	"aggregation", "device_ids", "enable_logs_sample", "enable_samples", "escalation_message", "evaluation_delay",
	"group_retention_duration", "groupby_simple_monitor", "include_tags", "min_failure_duration",
	"min_location_failed", "new_group_delay", "no_data_timeframe", "notification_preset_name", "notify_audit",
	"notify_by", "notify_no_data", "on_missing_data", "renotify_interval", "renotify_occurrences",
	"renotify_statuses", "require_full_window", "scheduling_options", "synthetics_check_id",
	"threshold_windows", "thresholds", "timeout_h", "variables",
	// deprecated: reported with a replacement below
	"new_host_delay", "locked", "silenced",
}

var (
	windowRe      = regexp.MustCompile(`^last_(\d+)(m|h|d|w)$`)
	forecastWinRe = regexp.MustCompile(`^next_(\d+)(m|h|d|w)$`)
	eventWindowRe = regexp.MustCompile(`^\d+(m|h|d)$`)
)

// Monitor validates one monitor file: a monitor API body, or one in the
// recommended-monitor format (the body under "definition").
func (v *Validator) Monitor(name string, data []byte) []error {
	r := &reporter{file: name}
	m, ok := r.decodeObject(data, "a monitor")
	if !ok {
		return r.errs
	}
	top := obj{m: m, r: r}
	if top.has("definition") {
		top.onlyKeys("recommended monitor", recommendedFields...)
		if top, ok = top.object("definition", true); !ok {
			return r.errs
		}
	}
	mc := &monitorCheck{idx: v.index(), r: r}
	mc.check(top)
	return r.errs
}

type monitorCheck struct {
	idx *catalogIndex
	r   *reporter
}

func (mc *monitorCheck) check(m obj) {
	m.onlyKeys("monitor", monitorFields...)
	name, hasName := m.str("name", true)
	if hasName && strings.TrimSpace(name) == "" {
		mc.r.add(field(m.path, "name"), "must not be empty")
	}
	typ, hasType := m.str("type", true)
	if hasType && !slices.Contains(monitorTypes, typ) {
		msg := fmt.Sprintf("unknown monitor type %q", typ)
		if s := closest(typ, monitorTypes); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		mc.r.add(field(m.path, "type"), "%s", msg)
		hasType = false
	}
	query, hasQuery := m.str("query", true)
	message, hasMessage := m.str("message", true)
	mc.tags(m)
	if p, ok := m.m["priority"]; ok && p != nil {
		if f, ok := m.number("priority"); ok && (f != float64(int(f)) || f < 1 || f > 5) {
			mc.r.add(field(m.path, "priority"), "must be 1 to 5 (or null)")
		}
	}
	opts, hasOpts := m.object("options", false)
	if !hasOpts {
		opts = obj{m: map[string]any{}, path: field(m.path, "options"), r: mc.r}
	}
	mc.options(opts)

	info := templateInfo{handle: true}
	if nd, ok := opts.boolean("notify_no_data"); ok && nd {
		info.noData = true
	}
	if s, ok := opts.str("on_missing_data", false); ok && s == "show_and_notify_no_data" {
		info.noData = true
	}
	qpath := field(m.path, "query")
	if hasType && hasQuery {
		switch typ {
		case "metric alert", "query alert":
			info.groups, info.warning, info.anyGroup = mc.metricMonitor(query, qpath, opts)
		case "service check":
			info.groups, info.anyGroup = mc.serviceCheckMonitor(query, qpath, opts)
			info.serviceCheck, info.warning = true, true
		case "event-v2 alert":
			info.groups, info.warning, info.anyGroup = mc.eventMonitor(query, qpath, opts)
		case "composite":
			// Its query names other monitors by id, whose groups validate
			// cannot see: accept any tag variable.
			info.warning, info.anyGroup = true, true
		case "event alert":
			mc.r.add(field(m.path, "type"), "event alert is deprecated: use event-v2 alert")
		default:
			mc.r.add(field(m.path, "type"), "%s monitors query data roachdog does not send, so validate cannot check them", typ)
		}
	}
	if hasMessage {
		if strings.TrimSpace(message) == "" {
			mc.r.add(field(m.path, "message"), "must not be empty")
		}
		checkTemplate(mc.r, field(m.path, "message"), message, info)
	}
	if hasName {
		nameInfo := info
		nameInfo.handle = false
		checkTemplate(mc.r, field(m.path, "name"), name, nameInfo)
	}
	if esc, ok := opts.str("escalation_message", false); ok && esc != "" {
		escInfo := info
		escInfo.handle = false
		checkTemplate(mc.r, field(opts.path, "escalation_message"), esc, escInfo)
	}
}

func (mc *monitorCheck) tags(m obj) {
	tags, ok := m.array("tags", false)
	if !ok {
		return
	}
	for i, t := range tags {
		p := index(field(m.path, "tags"), i)
		s, ok := t.(string)
		if !ok {
			mc.r.add(p, "must be a string, not %s", jsonType(t))
			continue
		}
		switch {
		case s == "" || strings.ContainsAny(s, " \t\n,"):
			mc.r.add(p, "%q is not a valid tag (no spaces or commas)", s)
		case angleRe.MatchString(s) || dollarRe.MatchString(s):
			mc.r.add(p, "leftover placeholder in tag %q", s)
		case len(s) > 200:
			mc.r.add(p, "tags are at most 200 characters")
		}
	}
}

func (mc *monitorCheck) options(o obj) {
	o.onlyKeys("monitor option", optionFields...)
	// Exports from older Datadog UIs carry "locked": false and
	// "silenced": {}; only values that would do something are reported.
	if o.has("new_host_delay") {
		mc.r.add(field(o.path, "new_host_delay"), "deprecated: use new_group_delay")
	}
	if b, ok := o.m["locked"].(bool); ok && b {
		mc.r.add(field(o.path, "locked"), "deprecated: use restricted_roles")
	}
	if s, ok := o.m["silenced"].(map[string]any); ok && len(s) > 0 {
		mc.r.add(field(o.path, "silenced"), "deprecated: schedule a downtime (roachdog downtime) instead")
	}
	for _, k := range []string{"renotify_interval", "evaluation_delay", "new_group_delay", "timeout_h", "renotify_occurrences"} {
		if f, ok := o.number(k); ok && f < 0 {
			mc.r.add(field(o.path, k), "must not be negative")
		}
	}
	if f, ok := o.number("no_data_timeframe"); ok && f < 1 {
		mc.r.add(field(o.path, "no_data_timeframe"), "is in minutes and must be at least 1")
	}
	for _, k := range []string{"notify_no_data", "require_full_window", "include_tags", "notify_audit"} {
		o.boolean(k)
	}
	o.oneOf("on_missing_data", false, "default", "show_no_data", "show_and_notify_no_data", "resolve")
	if st, ok := o.array("renotify_statuses", false); ok {
		for i, s := range st {
			if str, _ := s.(string); !slices.Contains([]string{"alert", "warn", "no data"}, str) {
				mc.r.add(index(field(o.path, "renotify_statuses"), i), "must be \"alert\", \"warn\" or \"no data\"")
			}
		}
	}
	if nd, _ := o.boolean("notify_no_data"); nd && o.has("on_missing_data") {
		mc.r.add(field(o.path, "on_missing_data"), "set either notify_no_data or on_missing_data, not both")
	}
}

// metricMonitor checks a metric or query alert; it returns the tag keys the
// query groups by, whether a warning threshold is set, and whether the
// groups are unknown (the query did not parse).
func (mc *monitorCheck) metricMonitor(src, path string, opts obj) (groups []string, warning, unknown bool) {
	q, err := parseMonitorQuery(src)
	if err != nil {
		mc.r.queryErr(path, err)
		mc.r.add(path, "expected time_aggr(last_5m):space_aggr:metric{scope} [by {tags}] <op> threshold")
		return nil, hasNumber(opts, "warning"), true
	}
	body, isCall := q.body.(*callExpr)
	anomaly := isCall && body.name == "anomalies"
	forecast := isCall && body.name == "forecast"
	mc.header(q.header, path, forecast)

	w := &walker{idx: mc.idx, r: mc.r, path: path}
	w.walk(q.body, false)
	if len(w.metrics) == 0 {
		mc.r.add(path, "queries no metric")
	}
	groups = groupKeys(mc.r, path, w.metrics)

	if anomaly {
		mc.anomaly(body, q, path, opts)
	}
	return groups, mc.thresholds(opts, q.op, q.threshold), false
}

func hasNumber(o obj, k string) bool {
	th, ok := o.m["thresholds"].(map[string]any)
	if !ok {
		return false
	}
	_, ok = th[k]
	return ok
}

// header checks the time aggregation: avg(last_5m), change(avg(last_5m),last_1h).
func (mc *monitorCheck) header(h *callExpr, path string, forecast bool) {
	window := func(x expr) {
		id, ok := x.(*identRef)
		switch {
		case ok && windowRe.MatchString(id.name):
		case ok && forecast && forecastWinRe.MatchString(id.name):
		default:
			mc.r.addQuery(path, x.position(), "expected a time window such as last_5m, last_1h, last_1d")
		}
	}
	switch h.name {
	case "avg", "sum", "min", "max":
		if len(h.args) != 1 {
			mc.r.addQuery(path, h.pos, "%s() takes one time window: %s(last_5m)", h.name, h.name)
			return
		}
		window(h.args[0])
	case "change", "pct_change":
		if len(h.args) != 2 {
			mc.r.addQuery(path, h.pos, "%s() takes a time aggregation and a shift: %s(avg(last_5m),last_1h)", h.name, h.name)
			return
		}
		inner, ok := h.args[0].(*callExpr)
		if !ok || !slices.Contains([]string{"avg", "sum", "min", "max"}, inner.name) || len(inner.args) != 1 {
			mc.r.addQuery(path, h.args[0].position(), "expected a time aggregation such as avg(last_5m)")
		} else {
			window(inner.args[0])
		}
		window(h.args[1])
	default:
		mc.r.addQuery(path, h.pos, "unknown time aggregation %s() (use avg, sum, min, max, change or pct_change)", h.name)
	}
}

// groupKeys returns the union of the metric queries' group-bys, reporting
// queries combined with different groupings (Datadog matches series by
// group, so mismatched groupings give no result or a wrong one).
func groupKeys(r *reporter, path string, ms []*metricExpr) []string {
	var groups []string
	first := ""
	for _, m := range ms {
		var ks []string
		for _, k := range m.by {
			ks = append(ks, k.key)
		}
		slices.Sort(ks)
		set := strings.Join(ks, ",")
		if len(ks) > 0 {
			if first == "" {
				first = set
			} else if set != first {
				r.addQuery(path, m.pos, "%s groups by {%s} but another query groups by {%s}: arithmetic between them needs the same groups", m.metric, set, first)
			}
		}
		for _, k := range ks {
			if !slices.Contains(groups, k) {
				groups = append(groups, k)
			}
		}
	}
	return groups
}

// anomaly checks anomalies() monitors: the threshold is the fraction of the
// alert window out of bounds, and threshold_windows must match.
func (mc *monitorCheck) anomaly(c *callExpr, q *monitorQuery, path string, opts obj) {
	if q.op != ">=" {
		mc.r.addQuery(path, q.opPos, "anomaly monitors compare with >= (the fraction of the alert window that is anomalous)")
	}
	if q.threshold <= 0 || q.threshold > 1 {
		mc.r.addQuery(path, q.thrPos, "an anomaly threshold is a fraction of the alert window, in (0, 1]")
	}
	alertWindow := ""
	for _, n := range c.named {
		if n.name == "alert_window" {
			if s, ok := n.val.(*stringLit); ok && windowRe.MatchString(s.val) {
				alertWindow = s.val
			} else {
				mc.r.addQuery(path, n.pos, "alert_window must be a quoted window such as 'last_15m'")
			}
		}
	}
	if alertWindow == "" {
		mc.r.addQuery(path, c.pos, "anomalies() needs alert_window='last_Nm' in a monitor")
	}
	tw, ok := opts.object("threshold_windows", false)
	if !ok {
		mc.r.add(opts.path, "anomaly monitors need threshold_windows {trigger_window, recovery_window}")
		return
	}
	tw.onlyKeys("threshold window", "trigger_window", "recovery_window")
	if t, ok := tw.str("trigger_window", true); ok && alertWindow != "" && t != alertWindow {
		mc.r.add(field(tw.path, "trigger_window"), "is %q but the query's alert_window is %q: they must be equal", t, alertWindow)
	}
	if rw, ok := tw.str("recovery_window", true); ok && !windowRe.MatchString(rw) {
		mc.r.add(field(tw.path, "recovery_window"), "%q is not a window such as last_15m", rw)
	}
}

// thresholds checks options.thresholds against the query's comparator and
// threshold; it returns whether a warning threshold is set.
func (mc *monitorCheck) thresholds(opts obj, op string, crit float64) bool {
	th, ok := opts.object("thresholds", false)
	if !ok {
		return false
	}
	th.onlyKeys("threshold", "critical", "critical_recovery", "warning", "warning_recovery", "critical_query", "critical_recovery_query")
	above := strings.HasPrefix(op, ">")
	side, wrong := "below", "above"
	if !above {
		side, wrong = "above", "below"
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if c, ok := th.number("critical"); ok && c != crit {
		mc.r.add(field(th.path, "critical"), "is %s but the query alerts at %s %s: they must be equal", f(c), op, f(crit))
	}
	w, hasW := th.number("warning")
	if hasW && (above && w >= crit || !above && w <= crit) {
		mc.r.add(field(th.path, "warning"), "%s is at or %s critical %s: for a %s alert the warning threshold must be %s critical",
			f(w), wrong, f(crit), op, side)
	}
	if cr, ok := th.number("critical_recovery"); ok && (above && cr >= crit || !above && cr <= crit) {
		mc.r.add(field(th.path, "critical_recovery"), "%s must be %s critical %s: a %s alert recovers when the value goes back %s it",
			f(cr), side, f(crit), op, side)
	}
	if wr, ok := th.number("warning_recovery"); ok {
		switch {
		case !hasW:
			mc.r.add(field(th.path, "warning_recovery"), "set without a warning threshold")
		case above && wr >= w || !above && wr <= w:
			mc.r.add(field(th.path, "warning_recovery"), "%s must be %s warning %s for a %s alert", f(wr), side, f(w), op)
		}
	}
	return hasW
}

// serviceCheckMonitor checks "check".over(...).by(...).last(n).count_by_status();
// it returns the group keys and whether they are unknown.
func (mc *monitorCheck) serviceCheckMonitor(src, path string, opts obj) ([]string, bool) {
	q, err := parseChainQuery(src)
	if err != nil {
		mc.r.queryErr(path, err)
		return nil, true
	}
	if q.subject == nil {
		mc.r.add(path, "a service check query starts with the check's name in double quotes: \"crdb.node.can_scrape\".over(\"*\")...")
		return nil, true
	}
	if q.hasThr {
		mc.r.add(path, "service check monitors take no comparison: set options.thresholds")
	}
	name := q.subject.val
	sc, known := mc.idx.serviceChecks[name]
	switch {
	case known:
	case mc.idx.metrics[name].Name != "":
		mc.r.addQuery(path, q.subject.pos, "%s is a metric, not a service check: use a metric alert", name)
	default:
		mc.r.addQuery(path, q.subject.pos, "%s", mc.idx.unknownName("service check", name, mc.idx.serviceChecks))
	}
	allowed := mc.idx.tagsOf(sc)
	checkKey := func(pos int, k string) {
		if known && !slices.Contains(allowed, k) {
			mc.r.addQuery(path, pos, "%s has no tag %s (it carries %s)", name, k, mc.idx.describeTags(sc))
		}
	}
	var groups []string
	last := 0
	order := []string{}
	for _, c := range q.calls {
		order = append(order, c.name)
		switch c.name {
		case "over", "exclude":
			if c.name == "over" && len(c.args) == 0 {
				mc.r.addQuery(path, c.pos, ".over() needs at least one tag or \"*\"")
			}
			for _, a := range c.args {
				s, ok := a.(*stringLit)
				if !ok {
					mc.r.addQuery(path, a.position(), ".%s() takes quoted tags", c.name)
					continue
				}
				if s.val == "*" {
					continue
				}
				k, _, ok := strings.Cut(s.val, ":")
				if !ok {
					mc.r.addQuery(path, s.pos, "%q is not a key:value tag", s.val)
					continue
				}
				checkKey(s.pos, k)
			}
		case "by":
			for _, a := range c.args {
				s, ok := a.(*stringLit)
				if !ok {
					mc.r.addQuery(path, a.position(), ".by() takes quoted tag keys")
					continue
				}
				checkKey(s.pos, s.val)
				groups = append(groups, s.val)
			}
		case "last":
			var n *numberLit
			if len(c.args) == 1 {
				n, _ = c.args[0].(*numberLit)
			}
			if n == nil || n.val < 1 || n.val != float64(int(n.val)) {
				mc.r.addQuery(path, c.pos, ".last() takes a whole number of check runs: .last(3)")
			} else {
				last = int(n.val)
			}
		case "count_by_status":
			if len(c.args) != 0 {
				mc.r.addQuery(path, c.pos, ".count_by_status() takes no arguments")
			}
		default:
			mc.r.addQuery(path, c.pos, "unknown service check method .%s() (use over, exclude, by, last, count_by_status)", c.name)
		}
	}
	if !slices.Equal(order, canonicalSCOrder(order)) || len(order) == 0 || order[0] != "over" ||
		order[len(order)-1] != "count_by_status" || !slices.Contains(order, "last") {
		mc.r.add(path, "expected \"check\".over(...)[.exclude(...)][.by(...)].last(n).count_by_status()")
	}
	if th, ok := opts.object("thresholds", false); ok {
		th.onlyKeys("service check threshold", "ok", "warning", "critical", "unknown")
		for _, k := range []string{"ok", "warning", "critical", "unknown"} {
			v, ok := th.number(k)
			if !ok {
				continue
			}
			if v < 1 || v != float64(int(v)) {
				mc.r.add(field(th.path, k), "is a number of consecutive check runs, a whole number >= 1")
			} else if last > 0 && int(v) > last {
				mc.r.add(field(th.path, k), "%d consecutive runs cannot be seen in .last(%d): raise .last() to at least %d", int(v), last, int(v))
			}
		}
	}
	return groups, false
}

// canonicalSCOrder sorts service check methods into the order Datadog
// expects, to detect out-of-order chains.
func canonicalSCOrder(order []string) []string {
	rank := map[string]int{"over": 0, "exclude": 1, "by": 2, "last": 3, "count_by_status": 4}
	out := slices.Clone(order)
	slices.SortStableFunc(out, func(a, b string) int { return rank[a] - rank[b] })
	return out
}

// eventMonitor checks an event-v2 alert on roachdog's events:
// events("search").rollup("count").by("node_id").last("5m") > 0.
func (mc *monitorCheck) eventMonitor(src, path string, opts obj) (groups []string, warning, unknown bool) {
	q, err := parseChainQuery(src)
	if err != nil {
		mc.r.queryErr(path, err)
		return nil, hasNumber(opts, "warning"), true
	}
	if q.call == nil || q.call.name != "events" || len(q.call.args) != 1 {
		mc.r.add(path, "expected events(\"search\").rollup(\"count\")[.by(\"key\")].last(\"5m\") <op> threshold")
		return nil, hasNumber(opts, "warning"), true
	}
	if s, ok := q.call.args[0].(*stringLit); ok {
		d := &dashCheck{idx: mc.idx, r: mc.r}
		d.eventQuery(s.val, path)
	} else {
		mc.r.addQuery(path, q.call.args[0].position(), "events() takes a quoted search")
	}
	allowed := append(slices.Clone(GlobalTags), mc.idx.extra...)
	for t := range mc.idx.eventTags {
		allowed = append(allowed, t)
	}
	hasLast := false
	for _, c := range q.calls {
		switch c.name {
		case "rollup":
			if len(c.args) == 0 {
				mc.r.addQuery(path, c.pos, ".rollup() needs a method: .rollup(\"count\")")
			} else if s, ok := c.args[0].(*stringLit); !ok || !slices.Contains([]string{"count", "cardinality"}, s.val) {
				mc.r.addQuery(path, c.pos, ".rollup() takes \"count\" or \"cardinality\"")
			}
		case "by":
			for _, a := range c.args {
				s, ok := a.(*stringLit)
				if !ok {
					mc.r.addQuery(path, a.position(), ".by() takes quoted tag keys")
					continue
				}
				for _, k := range strings.Split(s.val, ",") {
					k = strings.TrimSpace(k)
					if !slices.Contains(allowed, k) {
						mc.r.addQuery(path, s.pos, "no roachdog event carries tag %s", k)
					}
					groups = append(groups, k)
				}
			}
		case "last":
			hasLast = true
			if len(c.args) != 1 {
				mc.r.addQuery(path, c.pos, ".last() takes a window: .last(\"5m\")")
			} else if s, ok := c.args[0].(*stringLit); !ok || !eventWindowRe.MatchString(s.val) {
				mc.r.addQuery(path, c.pos, ".last() takes a quoted window such as \"5m\"")
			}
		default:
			mc.r.addQuery(path, c.pos, "unknown event query method .%s() (use rollup, by, last)", c.name)
		}
	}
	if !hasLast {
		mc.r.add(path, "an event query needs .last(\"5m\")")
	}
	if !q.hasThr {
		mc.r.add(path, "an event alert needs a comparison: ... > 0")
		return groups, hasNumber(opts, "warning"), false
	}
	return groups, mc.thresholds(opts, q.op, q.threshold), false
}
