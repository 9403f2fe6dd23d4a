// Package assets validates roachdog's Datadog dashboards and monitors
// offline, against the metric catalog (checks.Catalog()): the JSON has the
// shape Datadog's API expects, every metric, service check and tag a query
// uses is one roachdog sends, monitor queries, thresholds and message
// templates are well formed, and no placeholder is left unset. It runs in
// CI (`roachdog validate`) so that a renamed metric or a typo fails the
// build instead of leaving an empty widget or a monitor that never fires.
//
// Tag keys a query may use on a metric are the catalog's tags for it, plus:
//   - cluster, added by roachdog to everything of an instance;
//   - env, service, version: the instance-wide tags datadog-go adds from
//     DD_ENV, DD_SERVICE and DD_VERSION (also settable in init_config.tags);
//   - host, which the Agent sets on every DogStatsD metric;
//   - for metrics tagged with the node's "locality", its tier keys; CockroachDB
//     lets users name tiers freely, so LocalityTiers lists the usual ones;
//   - any key in Validator.ExtraTags (`roachdog validate --allow-tag`), for
//     users who add their own tags in init_config.tags or instances[].tags.
//
// Monitor messages notify NotifyPlaceholder (@roachdog-notify), which
// `roachdog apply --notify @handle` replaces at import time. Any other
// @handle is reported as hard-coded, a message without the placeholder as
// notifying nobody, and these as unset placeholders: <WORD> and ${...}
// outside Markdown code (inside code, `RESUME JOB <id>` is for the reader to
// fill in), and TODO, FIXME, XXX, TBD, CHANGEME, REPLACE_ME anywhere.
package assets

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/suggest"
)

// NotifyPlaceholder is the notification handle shipped monitors use in
// their messages. `roachdog apply --notify @team` replaces it at import
// time; validate accepts it and rejects any other handle or placeholder,
// so no monitor ships notifying a hard-coded destination, or nobody.
const NotifyPlaceholder = "@roachdog-notify"

// GlobalTags are tag keys every roachdog metric, service check and event
// may carry whatever its catalog tags (see the package comment).
var GlobalTags = []string{"cluster", "env", "service", "version", "host"}

// LocalityTiers are the locality tier keys accepted for metrics the catalog
// tags with "locality" (CockroachDB's --locality, e.g. region=us-east1,zone=a).
var LocalityTiers = []string{"cloud", "region", "zone", "az", "datacenter", "dc", "rack"}

// Error is one problem found in a file, with the JSON path of the value at
// fault (e.g. widgets[2].definition.requests[0].queries[1].query).
type Error struct {
	File string
	Path string
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Path == "":
		return e.File + ": " + e.Msg
	case e.File == "":
		return e.Path + ": " + e.Msg
	}
	return e.File + ": " + e.Path + ": " + e.Msg
}

// Result is the outcome of validating one file.
type Result struct {
	// File is the file's name as shown to users, "dashboards/x.json".
	File string
	Errs []error
}

// Validator checks dashboards and monitors against a catalog. Set its
// fields before the first call and do not change them afterwards (the
// catalog is indexed once); a Validator is not safe for concurrent use.
type Validator struct {
	// Catalog is what roachdog can send (checks.Catalog()).
	Catalog []emit.Metric
	// Namespace prefixes every name ("crdb"); "" means none.
	Namespace string
	// ExtraTags are tag keys accepted on every metric besides the catalog's
	// and GlobalTags (users' own instance tags).
	ExtraTags []string

	idx *catalogIndex
}

// ValidateDashboard validates one dashboard file; name prefixes every error.
func ValidateDashboard(name string, data []byte, cat []emit.Metric, namespace string) []error {
	v := &Validator{Catalog: cat, Namespace: namespace}
	return v.Dashboard(name, data)
}

// ValidateMonitor validates one monitor file; name prefixes every error.
func ValidateMonitor(name string, data []byte, cat []emit.Metric, namespace string) []error {
	v := &Validator{Catalog: cat, Namespace: namespace}
	return v.Monitor(name, data)
}

// ValidateAll validates every *.json file at the root of dashboards and
// monitors (the embedded dashboards.FS and monitors.FS, or os.DirFS of a
// user's copies), in name order, and checks that no two dashboards share a
// title and no two monitors share a name (apply matches on them). The
// error is for a directory that cannot be read; problems in files are in
// the results.
func ValidateAll(dashboards, monitors fs.FS, cat []emit.Metric, namespace string) ([]Result, error) {
	v := &Validator{Catalog: cat, Namespace: namespace}
	return v.All(dashboards, monitors)
}

// All is ValidateAll with v's settings. A nil FS is skipped.
func (v *Validator) All(dashboards, monitors fs.FS) ([]Result, error) {
	var files []File
	for _, set := range []struct {
		dir  string
		fsys fs.FS
		kind Kind
	}{
		{"dashboards", dashboards, KindDashboard},
		{"monitors", monitors, KindMonitor},
	} {
		if set.fsys == nil {
			continue
		}
		names, err := fs.Glob(set.fsys, "*.json")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", set.dir, err)
		}
		sort.Strings(names)
		for _, n := range names {
			file := path.Join(set.dir, n)
			data, err := fs.ReadFile(set.fsys, n)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			files = append(files, File{Name: file, Kind: set.kind, Data: data})
		}
	}
	return v.Files(files), nil
}

// Kind says whether a file is a dashboard or a monitor.
type Kind string

// Kinds of files.
const (
	KindDashboard Kind = "dashboard"
	KindMonitor   Kind = "monitor"
)

// File is one file to validate: its name as shown to users, its kind and
// its content.
type File struct {
	Name string
	Kind Kind
	Data []byte
}

// Files validates files in the order given and checks that no two
// dashboards share a title and no two monitors share a name (apply matches
// on them).
func (v *Validator) Files(files []File) []Result {
	out := make([]Result, 0, len(files))
	seen := map[Kind]map[string]string{KindDashboard: {}, KindMonitor: {}}
	for _, f := range files {
		check, key := v.Dashboard, "title"
		if f.Kind == KindMonitor {
			check, key = v.Monitor, "name"
		}
		errs := check(f.Name, f.Data)
		if id := uniqueKey(f.Data, key); id != "" {
			if prev, dup := seen[f.Kind][id]; dup {
				errs = append(errs, &Error{File: f.Name, Path: key,
					Msg: fmt.Sprintf("%q is also the %s of %s: apply matches on it, so one would overwrite the other", id, key, prev)})
			} else {
				seen[f.Kind][id] = f.Name
			}
		}
		out = append(out, Result{File: f.Name, Errs: errs})
	}
	return out
}

// DetectKind tells a dashboard from a monitor: by the directory the file is
// in (dashboards or monitors, as in this repository; name is
// slash-separated), else by its content (a dashboard has "widgets"; a
// monitor has "query", or a "definition" in the recommended-monitor format).
// ok is false when neither says.
func DetectKind(name string, data []byte) (kind Kind, ok bool) {
	switch path.Base(path.Dir(name)) {
	case "dashboards":
		return KindDashboard, true
	case "monitors":
		return KindMonitor, true
	}
	root, err := decodeJSON(data)
	if err != nil {
		return "", false
	}
	obj, _ := root.(map[string]any)
	_, widgets := obj["widgets"]
	_, query := obj["query"]
	_, def := obj["definition"].(map[string]any)
	switch {
	case widgets && !query && !def:
		return KindDashboard, true
	case (query || def) && !widgets:
		return KindMonitor, true
	}
	return "", false
}

// uniqueKey returns the top-level string field key of a JSON object (or of
// its "definition", for monitors in the recommended-monitor format), "" when
// absent or unparsable.
func uniqueKey(data []byte, key string) string {
	root, err := decodeJSON(data)
	if err != nil {
		return ""
	}
	obj, _ := root.(map[string]any)
	if d, ok := obj["definition"].(map[string]any); ok && key == "name" {
		obj = d
	}
	s, _ := obj[key].(string)
	return s
}

func (v *Validator) index() *catalogIndex {
	if v.idx == nil {
		v.idx = newCatalogIndex(v.Catalog, v.Namespace, v.ExtraTags)
	}
	return v.idx
}

// catalogIndex answers "is this name roachdog's, and which tags does it
// carry" by full (namespaced) name.
type catalogIndex struct {
	ns            string
	metrics       map[string]emit.Metric // gauges and counts
	serviceChecks map[string]emit.Metric
	eventTags     map[string]bool
	extra         []string
}

func newCatalogIndex(cat []emit.Metric, ns string, extra []string) *catalogIndex {
	idx := &catalogIndex{ns: ns, metrics: map[string]emit.Metric{}, serviceChecks: map[string]emit.Metric{},
		eventTags: map[string]bool{}, extra: extra}
	for _, m := range cat {
		switch m.Kind {
		case emit.KindGauge, emit.KindCount, emit.KindDistribution:
			idx.metrics[idx.full(m.Name)] = m
		case emit.KindServiceCheck:
			idx.serviceChecks[idx.full(m.Name)] = m
		case emit.KindEvent:
			for _, t := range expandTags(m.Tags) {
				idx.eventTags[t] = true
			}
		}
	}
	return idx
}

func (c *catalogIndex) full(name string) string {
	if c.ns == "" {
		return name
	}
	return strings.TrimSuffix(c.ns, ".") + "." + name
}

// expandTags replaces "locality" by the locality tier keys. The literal
// key stays accepted too: a check may tag a value with a locality string
// (replication.ranges_at_risk does).
func expandTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		out = append(out, t)
		if t == "locality" {
			out = append(out, LocalityTiers...)
		}
	}
	return out
}

// tagsOf returns every tag key m may carry.
func (c *catalogIndex) tagsOf(m emit.Metric) []string {
	out := append(slices.Clone(GlobalTags), expandTags(m.Tags)...)
	return append(out, c.extra...)
}

// describeTags says which tags m carries, for error messages.
func (c *catalogIndex) describeTags(m emit.Metric) string {
	own := slices.Clone(m.Tags)
	for i, t := range own {
		if t == "locality" {
			own[i] = "the locality tiers (" + strings.Join(LocalityTiers, ", ") + ")"
		}
	}
	s := "cluster"
	if len(own) > 0 {
		s += ", " + strings.Join(own, ", ")
	}
	s += " and the global " + strings.Join(GlobalTags[1:], ", ")
	if len(c.extra) > 0 {
		s += ", " + strings.Join(c.extra, ", ")
	}
	return s
}

// unknownName explains a name that is not in the catalog, suggesting the
// closest one.
func (c *catalogIndex) unknownName(kind, name string, known map[string]emit.Metric) string {
	if c.ns != "" && !strings.HasPrefix(name, strings.TrimSuffix(c.ns, ".")+".") {
		msg := fmt.Sprintf("%s %s is not one of roachdog's: they all start with %s.", kind, name, strings.TrimSuffix(c.ns, "."))
		if s := closest(c.full(name), keys(known)); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return msg
	}
	msg := fmt.Sprintf("%s %s is not in roachdog's catalog", kind, name)
	if s := closest(name, keys(known)); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	return msg
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// closest returns the candidate nearest to s by edit distance when it is
// near enough to be a plausible typo, else "".
func closest(s string, candidates []string) string {
	best, _ := suggest.Closest(s, candidates, 2+len(s)/8)
	return best
}

// reporter collects errors for one file.
type reporter struct {
	file string
	errs []error
}

func (r *reporter) add(path, format string, args ...any) {
	r.errs = append(r.errs, &Error{File: r.file, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// addQuery reports a problem at a byte offset of a query string.
func (r *reporter) addQuery(path string, pos int, format string, args ...any) {
	r.add(path, "at column %d: "+format, append([]any{pos + 1}, args...)...)
}

// queryErr reports err (a *syntaxError or other) for a query at path.
func (r *reporter) queryErr(path string, err error) {
	var se *syntaxError
	if errors.As(err, &se) {
		r.add(path, "%s", se.Error())
		return
	}
	r.add(path, "%v", err)
}
