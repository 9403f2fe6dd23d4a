package config

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/deadline"
	"github.com/roachdog/roachdog/internal/suggest"
	"github.com/roachdog/roachdog/internal/wire"
)

// Defaults of the SQL checks and custom queries, applied by Parse.
const (
	DefaultLivenessTimeout = 10 * time.Second
	DefaultRangesInterval  = 60 * time.Second
	DefaultRangesTimeout   = 20 * time.Second
	DefaultTTLInterval     = 300 * time.Second
	DefaultTTLTimeout      = 30 * time.Second
	DefaultTTLRowLimit     = 100_000
	DefaultTTLRowTimeout   = 5 * time.Second
	DefaultTTLRediscover   = 30 * time.Minute
	DefaultJobsInterval    = 60 * time.Second
	DefaultJobsTimeout     = 20 * time.Second
	DefaultJobsWindow      = time.Hour
	DefaultSchemaInterval  = 3600 * time.Second
	DefaultSchemaTimeout   = 60 * time.Second
)

// sqlState remembers, while an instance is decoded, what its SQL keys said:
// the SQL checks' defaults and errors depend on sql_url, which may come
// after them in the file.
type sqlState struct {
	liveness, ranges, ttl, jobs, schema checkState
	customQueries                       *yaml.Node // the custom_queries key, when given
	api                                 apiState
}

// checkState remembers which keys of one SQL check were given.
type checkState struct {
	enabled   *yaml.Node // the enabled value
	window    *yaml.Node // jobs only
	schedules *yaml.Node // ttl only
	exclude   *yaml.Node // jobs only: event_exclude_types
}

// apiState remembers which status_api keys were given.
type apiState struct {
	node             *yaml.Node // the status_api mapping
	userSet, passSet bool
}

// sqlCheck decodes the keys every SQL check has, plus the check's own.
func (d *decoder) sqlCheck(n *yaml.Node, path string, c *CheckCommon, st *checkState, own map[string]func(*yaml.Node, string)) {
	fields := map[string]func(*yaml.Node, string){
		"enabled": func(x *yaml.Node, p string) {
			if b, ok := d.boolean(x, p); ok {
				c.Enabled, st.enabled = b, x
			}
		},
		"interval": func(x *yaml.Node, p string) { c.Interval, _ = d.duration(x, p) },
		"timeout":  func(x *yaml.Node, p string) { c.Timeout, _ = d.duration(x, p) },
	}
	maps.Copy(fields, own)
	d.object(n, path, fields)
}

func (d *decoder) liveness(n *yaml.Node, path string, l *Liveness, st *checkState) {
	d.sqlCheck(n, path, &l.CheckCommon, st, map[string]func(*yaml.Node, string){
		// 0 is accepted: it means "not configured", the default.
		"expected_nodes": func(x *yaml.Node, p string) {
			if v, ok := d.integer(x, p, 0, 10_000); ok {
				l.ExpectedNodes = int(v)
			}
		},
	})
}

func (d *decoder) ttl(n *yaml.Node, path string, t *TTL, st *checkState) {
	d.sqlCheck(n, path, &t.CheckCommon, st, map[string]func(*yaml.Node, string){
		"row_limit": func(x *yaml.Node, p string) {
			if v, ok := d.integer(x, p, 1, 1<<31-1); ok {
				t.RowLimit = int(v)
			}
		},
		"row_queries":         func(x *yaml.Node, p string) { t.RowQueries = d.rowQueries(x, p) },
		"row_query_timeout":   func(x *yaml.Node, p string) { t.RowQueryTimeout, _ = d.duration(x, p) },
		"rediscover_interval": func(x *yaml.Node, p string) { t.RediscoverInterval, _ = d.duration(x, p) },
		"schedules": func(x *yaml.Node, p string) {
			if b, ok := d.boolean(x, p); ok {
				t.Schedules, st.schedules = b, x
			}
		},
	})
}

func (d *decoder) jobs(n *yaml.Node, path string, j *Jobs, st *checkState) {
	d.sqlCheck(n, path, &j.CheckCommon, st, map[string]func(*yaml.Node, string){
		"window": func(x *yaml.Node, p string) {
			if w, ok := d.duration(x, p); ok {
				j.Window, st.window = w, x
			}
		},
		"event_exclude_types": func(x *yaml.Node, p string) {
			j.EventExcludeTypes, st.exclude = d.jobTypes(x, p), x
		},
	})
}

// jobTypes decodes a list of job types as crdb_internal.jobs spells them
// ("AUTO CREATE STATS"; the check ignores case, spaces and underscores).
func (d *decoder) jobTypes(n *yaml.Node, path string) []string {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		p := indexPath(path, i)
		s, ok := d.str(it, p)
		if !ok {
			continue
		}
		if strings.TrimSpace(s) == "" {
			d.errorf(it, p, `empty: want a job type such as "AUTO CREATE STATS"`)
			continue
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

func (d *decoder) schema(n *yaml.Node, path string, s *Schema, st *checkState) {
	d.sqlCheck(n, path, &s.CheckCommon, st, map[string]func(*yaml.Node, string){
		"databases": func(x *yaml.Node, p string) { s.Databases = d.names(x, p, false) },
		"tables":    func(x *yaml.Node, p string) { s.Tables = d.names(x, p, true) },
		"min_rows": func(x *yaml.Node, p string) {
			if v, ok := d.integer(x, p, 0, 1<<62); ok {
				s.MinRows = v
			}
		},
		"max_events": func(x *yaml.Node, p string) {
			if v, ok := d.integer(x, p, 1, 10_000); ok {
				s.MaxEvents = int(v)
			}
		},
	})
}

// names decodes a list of database names, or of "database.schema.table"
// names when qualified.
func (d *decoder) names(n *yaml.Node, path string, qualified bool) []string {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		p := indexPath(path, i)
		s, ok := d.str(it, p)
		if !ok {
			continue
		}
		parts := strings.Split(s, ".")
		valid := len(parts) == 1
		if qualified {
			valid = len(parts) == 3
		}
		for _, part := range parts {
			valid = valid && tablePartRe.MatchString(part)
		}
		if !valid {
			want := "a database name"
			if qualified {
				want = `"database.schema.table"`
			}
			d.errorf(it, p, "%s: want %s", d.show(it, s), want)
			continue
		}
		out = append(out, s)
	}
	return out
}

// DefaultSchemaMaxEvents caps the schema check's problem events per run.
const DefaultSchemaMaxEvents = 20

// tablePartRe is one part of a "database.schema.table" name: no dot, no
// space, no quote (roachdog compares the name as the cluster spells it).
var tablePartRe = regexp.MustCompile(`^[^.\s"'` + "`" + `]+$`)

// rowQueries decodes the ttl check's per-table switches: a mapping of
// "database.schema.table" to true or false.
func (d *decoder) rowQueries(n *yaml.Node, path string) map[string]bool {
	out := map[string]bool{}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, `want a mapping of tables to true or false, like {"shop.public.sessions": true}, got %s`, kindName(n))
		return out
	}
	for _, p := range d.pairs(n, path) {
		kp := keyPath(path, p.key)
		parts := strings.Split(p.key, ".")
		valid := len(parts) == 3
		for _, part := range parts {
			valid = valid && tablePartRe.MatchString(part)
		}
		if !valid {
			d.errorf(p.kNode, kp, "%q: want a table as database.schema.table, like shop.public.sessions", p.key)
			continue
		}
		if b, ok := d.boolean(p.val, kp); ok {
			out[p.key] = b
		}
	}
	return out
}

func (d *decoder) statusAPI(n *yaml.Node, path string, in *Instance, st *apiState) {
	st.node = n
	d.object(n, path, map[string]func(*yaml.Node, string){
		"username": func(x *yaml.Node, p string) {
			s, ok := d.str(x, p)
			if !ok {
				return
			}
			if s == "" {
				d.errorf(x, p, "empty: want the SQL user that logs in to the HTTP API, or leave username out to use sql_url's")
				return
			}
			in.APIUser, st.userSet = s, true
		},
		"password": func(x *yaml.Node, p string) {
			// Not trimmed, and never quoted in a message: it is a secret.
			if s, ok := d.scalar(x, p, true); ok {
				in.APIPassword, st.passSet = s, true
			}
		},
	})
}

// finishSQL applies the SQL checks' defaults and the checks that need the
// whole instance: sql_url given or not, min_collection_interval.
// sqlBad is true when sql_url was given but is invalid (already reported).
func (d *decoder) finishSQL(in *Instance, st *sqlState, path string, sqlBad bool) {
	hasSQL := in.SQLURL != ""
	checks := keyPath(path, "checks")
	c := &in.Checks
	d.finishSQLCheck(&c.Liveness.CheckCommon, &st.liveness, checks, "liveness", hasSQL, sqlBad, in.MinCollectionInterval, DefaultLivenessTimeout)
	d.finishSQLCheck(&c.Ranges.CheckCommon, &st.ranges, checks, "ranges", hasSQL, sqlBad, DefaultRangesInterval, DefaultRangesTimeout)
	d.finishSQLCheck(&c.TTL.CheckCommon, &st.ttl, checks, "ttl", hasSQL, sqlBad, DefaultTTLInterval, DefaultTTLTimeout)
	d.finishSQLCheck(&c.Jobs.CheckCommon, &st.jobs, checks, "jobs", hasSQL, sqlBad, DefaultJobsInterval, DefaultJobsTimeout)
	d.finishSQLCheck(&c.Schema.CheckCommon, &st.schema, checks, "schema", hasSQL, sqlBad, DefaultSchemaInterval, DefaultSchemaTimeout)
	if c.Schema.MaxEvents == 0 {
		c.Schema.MaxEvents = DefaultSchemaMaxEvents
	}

	if c.TTL.RowLimit == 0 {
		c.TTL.RowLimit = DefaultTTLRowLimit
	}
	if c.TTL.RowQueries == nil {
		c.TTL.RowQueries = map[string]bool{}
	}
	if c.TTL.RowQueryTimeout == 0 {
		c.TTL.RowQueryTimeout = DefaultTTLRowTimeout
	}
	if c.TTL.RediscoverInterval == 0 {
		c.TTL.RediscoverInterval = DefaultTTLRediscover
	}
	if st.ttl.schedules == nil {
		c.TTL.Schedules = true
	}
	if st.jobs.exclude == nil {
		c.Jobs.EventExcludeTypes = defaultJobsEventExcludeTypes()
	} else if c.Jobs.EventExcludeTypes == nil {
		c.Jobs.EventExcludeTypes = []string{} // an invalid list, reported
	}
	switch j := &c.Jobs; {
	case st.jobs.window == nil:
		// A run looks back at least as far as the previous run.
		j.Window = max(DefaultJobsWindow, j.Interval)
	case j.Window < j.Interval:
		d.errorf(st.jobs.window, keyPath(checks, "jobs.window"),
			"%s is shorter than the check's interval (%s): a job finishing between two runs would never be seen",
			fmtDuration(j.Window), fmtDuration(j.Interval))
	}

	if st.customQueries != nil && !hasSQL && !sqlBad {
		d.errorf(st.customQueries, keyPath(path, "custom_queries"), "needs sql_url, to run the queries on the cluster")
	}
	for i := range in.CustomQueries {
		if in.CustomQueries[i].CollectionInterval == 0 {
			in.CustomQueries[i].CollectionInterval = in.MinCollectionInterval
		}
	}

	// The HTTP API login defaults to the SQL user, and to its password only
	// for that same user.
	sqlUser, sqlPass := sqlURLCredentials(in.SQLURL)
	if !st.api.userSet {
		in.APIUser = sqlUser
	}
	if !st.api.passSet && in.APIUser == sqlUser {
		in.APIPassword = sqlPass
	}
	if st.api.passSet && in.APIUser == "" {
		d.errorf(st.api.node, keyPath(path, "status_api"), "password without username, and sql_url names no user: give username")
	}
}

// defaultJobsEventExcludeTypes returns a copy of the jobs check's default,
// which the check owns.
func defaultJobsEventExcludeTypes() []string {
	return slices.Clone(checks.DefaultJobsEventExcludeTypes)
}

// finishSQLCheck applies one SQL check's defaults: enabled exactly when the
// instance has a sql_url, interval, timeout capped by the deadline rule.
func (d *decoder) finishSQLCheck(c *CheckCommon, st *checkState, checks, name string, hasSQL, sqlBad bool, interval, timeout time.Duration) {
	if st.enabled == nil {
		c.Enabled = hasSQL
	} else if c.Enabled && !hasSQL && !sqlBad {
		d.errorf(st.enabled, keyPath(checks, name+".enabled"), "true needs sql_url: the %s check queries the cluster over SQL", name)
	}
	if c.Interval == 0 {
		c.Interval = interval
	}
	if c.Timeout == 0 {
		c.Timeout = timeout
	}
	c.Timeout = deadline.Cycle(c.Interval, c.Timeout)
}

// sqlURLCredentials returns the user and password a (validated) sql_url
// connects with; query parameters win over the user info, as in pgx.
func sqlURLCredentials(raw string) (user, password string) {
	if raw == "" {
		return "", ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", ""
	}
	user = u.User.Username()
	password, _ = u.User.Password()
	q := u.Query()
	if q.Has("user") {
		user = q.Get("user")
	}
	if q.Has("password") {
		password = q.Get("password")
	}
	return user, password
}

// columnType returns what the custom_queries check does with a column type
// (the check owns the list).
func columnType(t string) (checks.CustomColumnType, bool) {
	for _, c := range checks.CustomColumnTypes() {
		if c.Name == t {
			return c, true
		}
	}
	return checks.CustomColumnType{}, false
}

// columnTypeNames lists the supported column types; metricsOnly keeps those
// that send a metric.
func columnTypeNames(metricsOnly bool) []string {
	var out []string
	for _, c := range checks.CustomColumnTypes() {
		if c.Metric || !metricsOnly {
			out = append(out, c.Name)
		}
	}
	return out
}

// maxMetricName is Datadog's limit on a metric name's length.
const maxMetricName = 200

// validMetricName: a letter, then letters, digits, _ and single dots, not
// ending with a dot (Datadog's metric name rule).
func validMetricName(s string) bool {
	return namespaceRe.MatchString(s) && !strings.HasSuffix(s, ".") && !strings.Contains(s, "..")
}

func (d *decoder) customQueries(n *yaml.Node, path string) []CustomQuery {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	out := make([]CustomQuery, 0, len(items))
	names := map[string]int{} // query name -> index of its first use
	for i, it := range items {
		p := indexPath(path, i)
		q, nameNode, ok := d.customQuery(it, p)
		if !ok {
			continue
		}
		if q.Name != "" {
			// Names tell the queries apart in logs and sql.can_query.
			if j, dup := names[q.Name]; dup {
				d.errorf(nameNode, keyPath(p, "name"), "%s is already the name of %s", d.show(nameNode, q.Name), indexPath(path, j))
				continue
			}
			names[q.Name] = i
		}
		out = append(out, q)
	}
	return out
}

// customQuery decodes one query; it returns the name's node for the
// duplicate check.
func (d *decoder) customQuery(n *yaml.Node, path string) (CustomQuery, *yaml.Node, bool) {
	var q CustomQuery
	var colNodes []*yaml.Node
	var nameNode, prefixNode *yaml.Node
	before := len(d.errs)
	got := d.object(n, path, map[string]func(*yaml.Node, string){
		"name": func(x *yaml.Node, p string) {
			s, ok := d.str(x, p)
			switch {
			case !ok:
			case s == "":
				d.errorf(x, p, "empty: want a short name for the query in logs and sql.can_query, or leave name out")
			case len(s) > maxQueryName || strings.IndexFunc(s, unicode.IsControl) >= 0:
				d.errorf(x, p, "want a name of at most %d characters on one line", maxQueryName)
			default:
				q.Name, nameNode = s, x
			}
		},
		"metric_prefix": func(x *yaml.Node, p string) {
			s, ok := d.str(x, p)
			if !ok {
				return
			}
			// The Agent strips trailing dots too.
			if s = strings.TrimRight(s, "."); !validMetricName(s) {
				d.errorf(x, p, "%s: want a metric name like \"shop\" or \"shop.orders\" (a letter, then letters, digits, _ and single dots)", d.show(x, s))
				return
			}
			q.MetricPrefix, prefixNode = s, x
		},
		"max_rows": func(x *yaml.Node, p string) {
			if v, ok := d.integer(x, p, 1, maxQueryRows); ok {
				q.MaxRows = int(v)
			}
		},
		"query": func(x *yaml.Node, p string) {
			if s, ok := d.str(x, p); ok {
				if s == "" {
					d.errorf(x, p, "empty: want the SQL query to run")
					return
				}
				q.Query = s
			}
		},
		"columns":             func(x *yaml.Node, p string) { q.Columns, colNodes = d.customColumns(x, p) },
		"tags":                func(x *yaml.Node, p string) { q.Tags = d.tags(x, p) },
		"collection_interval": func(x *yaml.Node, p string) { q.CollectionInterval, _ = d.duration(x, p) },
	})
	if n.Kind != yaml.MappingNode && !isNull(n) {
		return q, nil, false
	}
	if q.MaxRows == 0 {
		q.MaxRows = checks.DefaultCustomQueryMaxRows
	}
	for _, m := range []struct{ key, want string }{
		{"metric_prefix", "the prefix of this query's metric names, e.g. shop"},
		{"query", "the SQL query to run"},
		{"columns", "one entry per result column, e.g. [{name: status, type: tag}, {name: orders, type: gauge}]"},
	} {
		if v, ok := got[m.key]; !ok || isNull(v.val) {
			d.errorf(n, keyPath(path, m.key), "missing: want %s", m.want)
		}
	}
	if len(d.errs) > before {
		return q, nil, false
	}
	metrics := 0
	for i, c := range q.Columns {
		if t, _ := columnType(c.Type); !t.Metric {
			continue
		}
		metrics++
		if name := q.MetricPrefix + "." + c.Name; len(name) > maxMetricName {
			shown := strconv.Quote(name[:40] + "...")
			if len(d.fromEnv[prefixNode]) > 0 {
				shown = "(from " + d.show(prefixNode, "") + ")"
			}
			d.errorf(colNodes[i], indexPath(keyPath(path, "columns"), i), "metric name %s is longer than Datadog's %d characters", shown, maxMetricName)
		}
	}
	if metrics == 0 {
		d.errorf(got["columns"].val, keyPath(path, "columns"), "no metric column: want at least one column of type %s", strings.Join(columnTypeNames(true), ", "))
	}
	return q, nameNode, len(d.errs) == before
}

// maxQueryName bounds a custom query's name; maxQueryRows its max_rows (a
// run holds its rows' values in memory until the result is complete).
const (
	maxQueryName = 100
	maxQueryRows = 1_000_000
)

// customColumns decodes a query's columns. It returns each column's node,
// for later messages.
func (d *decoder) customColumns(n *yaml.Node, path string) ([]CustomColumn, []*yaml.Node) {
	items, ok := d.list(n, path)
	if !ok {
		return nil, nil
	}
	if len(items) == 0 {
		d.errorf(n, path, "empty: want one entry per result column")
		return nil, nil
	}
	cols := make([]CustomColumn, 0, len(items))
	seen := map[string]int{}
	for i, it := range items {
		p := indexPath(path, i)
		var c CustomColumn
		var nameNode, typeNode *yaml.Node // set when given, even if invalid
		bad := false                      // name or type is not a string: said already
		d.object(it, p, map[string]func(*yaml.Node, string){
			"name": func(x *yaml.Node, p string) {
				var ok bool
				c.Name, ok = d.str(x, p)
				nameNode, bad = x, bad || !ok
			},
			"type": func(x *yaml.Node, p string) {
				s, ok := d.str(x, p)
				c.Type, typeNode, bad = strings.ToLower(s), x, bad || !ok
			},
		})
		cols = append(cols, c)
		switch {
		case bad:
			continue
		case c.Name == "" && c.Type == "":
			// "- {}": a column the query returns but nothing is sent for.
			if nameNode != nil || typeNode != nil {
				d.errorf(it, p, `empty name and type: write "- {}" to skip a column`)
			}
			continue
		case c.Type == "":
			d.errorf(it, keyPath(p, "type"), "missing: want %s", typeList())
			continue
		case c.Name == "":
			d.errorf(it, keyPath(p, "name"), "missing: want the metric name's suffix, or the tag key for a tag column")
			continue
		}
		if !d.columnType(typeNode, keyPath(p, "type"), c.Type) {
			continue
		}
		if !d.columnName(nameNode, keyPath(p, "name"), c) {
			continue
		}
		if j, dup := seen[c.Name]; dup {
			d.errorf(nameNode, keyPath(p, "name"), "%s is already the name of %s", d.show(nameNode, c.Name), indexPath(path, j))
			continue
		}
		seen[c.Name] = i
	}
	return cols, items
}

func typeList() string {
	names := columnTypeNames(false)
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// columnType checks a column's type against the ones the check supports.
func (d *decoder) columnType(n *yaml.Node, path, t string) bool {
	if _, ok := columnType(t); ok {
		return true
	}
	if why, known := checks.CustomColumnUnsupported(t); known {
		d.errorf(n, path, "%s: an Agent column type roachdog does not support (%s); want %s", d.show(n, t), why, typeList())
		return false
	}
	hint := ""
	if len(d.fromEnv[n]) == 0 {
		for _, ok := range columnTypeNames(false) {
			if suggest.Distance(t, ok) <= 2 {
				hint = fmt.Sprintf(" (did you mean %q?)", ok)
				break
			}
		}
	}
	d.errorf(n, path, "%s: want %s%s", d.show(n, t), typeList(), hint)
	return false
}

// metadataTagKey reports a tag key the Agent or Datadog reads as metadata
// rather than as a dimension: the same keys the wire layer (internal/wire)
// sends renamed crdb_<key> when they come from the cluster, plus dd.*, the
// Agent's own. roachdog's cluster key is checked apart.
func metadataTagKey(k string) bool {
	switch k {
	case "host", "device", "source", "service", "env", "version":
		return true
	}
	return strings.HasPrefix(k, "dd.")
}

// metadataTagWhy says what the Agent or Datadog does with a metadata key.
func metadataTagWhy(k string) string {
	switch k {
	case "host":
		return "the Agent takes a host tag as the metric's host name"
	case "device":
		return "Datadog reads a device tag as the metric's device"
	case "source":
		return "Datadog reads a source tag as the integration that sent the data"
	case "service", "env", "version":
		return k + " is one of Datadog's unified service tags, which roachdog takes from the configuration only"
	}
	return "dd.* tags are the Agent's own (origin detection, cardinality)"
}

// columnName checks a column's name: a tag key for tag columns, a metric
// name suffix for the others.
func (d *decoder) columnName(n *yaml.Node, path string, c CustomColumn) bool {
	fromEnv := len(d.fromEnv[n]) > 0
	if t, _ := columnType(c.Type); t.Tag {
		switch {
		case c.Name == "cluster":
			d.errorf(n, path, `"cluster": the cluster tag comes from the instance's cluster key; name this column otherwise`)
			return false
		case metadataTagKey(c.Name):
			// The values come from the cluster: the wire layer would send
			// them under crdb_<key>, never as written here. Say so now.
			hint := ""
			if !fromEnv {
				hint = fmt.Sprintf(" (did you mean %q? This name is the tag key; the SQL column's own name does not matter)", wire.RenamePrefix+c.Name)
			}
			// (The key is one of a few public words: naming it reveals
			// nothing of a ${VAR}.)
			d.errorf(n, path, "%s: %s; with values read from the cluster roachdog sends the key as %s instead; name the tag column otherwise%s",
				d.show(n, c.Name), metadataTagWhy(c.Name), wire.RenamePrefix+c.Name, hint)
			return false
		case tagKeyRe.MatchString(c.Name):
			return true
		case tagKeyRe.MatchString(strings.ToLower(c.Name)) && !fromEnv:
			d.errorf(n, path, "%q: a tag column's name is the tag key and must be lower case (did you mean %q?)", c.Name, strings.ToLower(c.Name))
		case tagKeyRe.MatchString(strings.ToLower(c.Name)):
			d.errorf(n, path, "%s: a tag column's name is the tag key and must be lower case", d.show(n, c.Name))
		default:
			d.errorf(n, path, "%s: a tag column's name is the tag key: a letter, then a-z, 0-9, _ . - /", d.show(n, c.Name))
		}
		return false
	}
	if !validMetricName(c.Name) {
		d.errorf(n, path, "%s: want a metric name suffix like \"orders\" or \"orders.total\" (a letter, then letters, digits, _ and single dots)", d.show(n, c.Name))
		return false
	}
	return true
}

// integer accepts a whole number from lo to hi.
func (d *decoder) integer(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	want := fmt.Sprintf("want a whole number from %d to %d", lo, hi)
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!str") {
		d.errorf(n, path, "%s, got %s", want, kindName(n))
		return 0, false
	}
	s, ok := d.str(n, path)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || v < lo || v > hi {
		d.errorf(n, path, "%s, got %s", want, d.show(n, s))
		return 0, false
	}
	return v, true
}

// fmtDuration shows a duration the short way: "1m", not "1m0s".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
