package checks

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/suggest"
	"github.com/roachdog/roachdog/internal/wire"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// The custom_queries check is configured by the instance's custom_queries
// key, in the format of the Datadog Agent's Postgres check, so that a block
// written for the Agent works here unchanged.

func init() {
	Register(Registration[CustomQueriesOptions]{
		Name: cqCheckName, SQL: true,
		Doc: "your own SQL queries turned into metrics, in the Agent's `custom_queries` format; run every `min_collection_interval`, each query at its own `collection_interval`",
		Value: func(d *yamlx.Decoder, v *yaml.Node, p string, o *CustomQueriesOptions) {
			o.Queries = cqDecodeQueries(d, v, p)
		},
		ItemKeys: yamlx.DocKeys(cqKeys),
		Active:   func(o CustomQueriesOptions) bool { return len(o.Queries) > 0 },
		Finish: func(d *yamlx.Decoder, s Scope, o *CustomQueriesOptions) {
			if v := s.Value; v != nil && v.Kind == yaml.SequenceNode && len(v.Content) > 0 && !s.Instance.HasSQL && !s.Instance.SQLInvalid {
				d.Errorf(s.KeyNode, s.Path, "needs sql_url, to run the queries on the cluster")
			}
			for i := range o.Queries {
				if o.Queries[i].CollectionInterval == 0 {
					o.Queries[i].CollectionInterval = s.Instance.MinInterval
				}
			}
		},
		New: func(o CustomQueriesOptions, _ Schedule) (Check, error) { return NewCustomQueries(o) },
		Log: func(o CustomQueriesOptions) []slog.Attr { return []slog.Attr{slog.Int(cqCheckName, len(o.Queries))} },
	})
}

// cqColumnType returns what the check does with a column type.
func cqColumnType(t string) (cqColumnTypeInfo, bool) {
	for _, c := range cqColumnTypes() {
		if c.Name == t {
			return c, true
		}
	}
	return cqColumnTypeInfo{}, false
}

// cqColumnTypeNames lists the supported column types; metricsOnly keeps
// those that send a metric.
func cqColumnTypeNames(metricsOnly bool) []string {
	var out []string
	for _, c := range cqColumnTypes() {
		if c.Metric || !metricsOnly {
			out = append(out, c.Name)
		}
	}
	return out
}

// cqDecodeQueries decodes the list of queries.
func cqDecodeQueries(d *yamlx.Decoder, n *yaml.Node, path string) []CustomQuery {
	items, ok := d.List(n, path)
	if !ok {
		return nil
	}
	out := make([]CustomQuery, 0, len(items))
	names := map[string]int{} // query name -> index of its first use
	for i, it := range items {
		p := yamlx.IndexPath(path, i)
		q, nameNode, ok := cqDecodeQuery(d, it, p)
		if !ok {
			continue
		}
		if q.Name != "" {
			// Names tell the queries apart in logs and sql.can_query.
			if j, dup := names[q.Name]; dup {
				d.Errorf(nameNode, yamlx.KeyPath(p, "name"), "%s is already the name of %s", d.Show(nameNode, q.Name), yamlx.IndexPath(path, j))
				continue
			}
			names[q.Name] = i
		}
		out = append(out, q)
	}
	return out
}

// cqDecoding is one query being decoded, with the nodes later messages
// point at.
type cqDecoding struct {
	q                    CustomQuery
	nameNode, prefixNode *yaml.Node
	colNodes             []*yaml.Node
}

// cqKeys are the keys of one query: the Agent's, plus name and max_rows.
var cqKeys = []yamlx.Key[cqDecoding]{{
	Name: "name", DefaultText: "custom query #N",
	Doc: "names the query in logs, errors and `crdb.sql.can_query`; unique within the instance",
	Decode: func(d *yamlx.Decoder, x *yaml.Node, p string, o *cqDecoding) {
		s, ok := d.Str(x, p)
		switch {
		case !ok:
		case s == "":
			d.Errorf(x, p, "empty: want a short name for the query in logs and sql.can_query, or leave name out")
		case len(s) > cqMaxQueryName || strings.IndexFunc(s, unicode.IsControl) >= 0:
			d.Errorf(x, p, "want a name of at most %d characters on one line", cqMaxQueryName)
		default:
			o.q.Name, o.nameNode = s, x
		}
	},
}, {
	Name: "metric_prefix", DefaultText: "required",
	Doc: "starts every metric name of the query: `<namespace>.<metric_prefix>.<column>`",
	Decode: func(d *yamlx.Decoder, x *yaml.Node, p string, o *cqDecoding) {
		s, ok := d.Str(x, p)
		if !ok {
			return
		}
		// The Agent strips trailing dots too.
		if s = strings.TrimRight(s, "."); !yamlx.ValidMetricName(s) {
			d.Errorf(x, p, "%s: want a metric name like \"shop\" or \"shop.orders\" (a letter, then letters, digits, _ and single dots)", d.Show(x, s))
			return
		}
		o.q.MetricPrefix, o.prefixNode = s, x
	},
}, {
	Name: "query", DefaultText: "required",
	Doc: "one SQL statement, run in the database of `sql_url`",
	Decode: func(d *yamlx.Decoder, x *yaml.Node, p string, o *cqDecoding) {
		if s, ok := d.Str(x, p); ok {
			if s == "" {
				d.Errorf(x, p, "empty: want the SQL query to run")
				return
			}
			o.q.Query = s
		}
	},
}, {
	Name: "columns", DefaultText: "required",
	Doc: "one `{name, type}` per result column, left to right; `{}` skips a column; a tag column named `host`, `env`, `service`, `version`, `device`, `source` or `dd.*` is refused",
	Decode: func(d *yamlx.Decoder, x *yaml.Node, p string, o *cqDecoding) {
		o.q.Columns, o.colNodes = cqDecodeColumns(d, x, p)
	},
}, {
	Name: "tags", DefaultText: "none",
	Doc:    "tags added to every metric of the query",
	Decode: func(d *yamlx.Decoder, x *yaml.Node, p string, o *cqDecoding) { o.q.Tags = d.Tags(x, p) },
}, {
	Name: "collection_interval", DefaultText: "`min_collection_interval`",
	Doc: "how often the query runs (a number of seconds or a duration)",
	Decode: func(d *yamlx.Decoder, x *yaml.Node, p string, o *cqDecoding) {
		o.q.CollectionInterval, _ = d.Duration(x, p)
	},
}, {
	Name: "max_rows", Default: strconv.Itoa(DefaultCustomQueryMaxRows),
	Doc: "rows one run may return: a larger result sends nothing and is reported",
	Decode: func(d *yamlx.Decoder, x *yaml.Node, p string, o *cqDecoding) {
		d.IntIn(x, p, 1, cqMaxQueryRows, &o.q.MaxRows)
	},
}}

// cqDecodeQuery decodes one query; it returns the name's node for the
// duplicate check.
func cqDecodeQuery(d *yamlx.Decoder, n *yaml.Node, path string) (CustomQuery, *yaml.Node, bool) {
	o := cqDecoding{q: CustomQuery{MaxRows: DefaultCustomQueryMaxRows}}
	before := d.ErrCount()
	got := yamlx.DecodeKeys(d, n, path, cqKeys, &o, nil)
	q := o.q
	if n.Kind != yaml.MappingNode && !yamlx.IsNull(n) {
		return q, nil, false
	}
	for _, m := range []struct{ key, want string }{
		{"metric_prefix", "the prefix of this query's metric names, e.g. shop"},
		{"query", "the SQL query to run"},
		{"columns", "one entry per result column, e.g. [{name: status, type: tag}, {name: orders, type: gauge}]"},
	} {
		if v, ok := got[m.key]; !ok || yamlx.IsNull(v.Value) {
			d.Errorf(n, yamlx.KeyPath(path, m.key), "missing: want %s", m.want)
		}
	}
	if d.ErrCount() > before {
		return q, nil, false
	}
	metrics := 0
	for i, c := range q.Columns {
		if t, _ := cqColumnType(c.Type); !t.Metric {
			continue
		}
		metrics++
		if name := q.MetricPrefix + "." + c.Name; len(name) > cqMaxMetricLength {
			shown := strconv.Quote(name[:40] + "...")
			if d.FromEnv(o.prefixNode) {
				shown = "(from " + d.Show(o.prefixNode, "") + ")"
			}
			d.Errorf(o.colNodes[i], yamlx.IndexPath(yamlx.KeyPath(path, "columns"), i), "metric name %s is longer than Datadog's %d characters", shown, cqMaxMetricLength)
		}
	}
	if metrics == 0 {
		d.Errorf(got["columns"].Value, yamlx.KeyPath(path, "columns"), "no metric column: want at least one column of type %s", strings.Join(cqColumnTypeNames(true), ", "))
	}
	return q, o.nameNode, d.ErrCount() == before
}

// cqMaxQueryName bounds a custom query's name; cqMaxQueryRows its max_rows
// (a run holds its rows' values in memory until the result is complete).
const (
	cqMaxQueryName = 100
	cqMaxQueryRows = 1_000_000
)

// cqDecodeColumns decodes a query's columns. It returns each column's node,
// for later messages.
func cqDecodeColumns(d *yamlx.Decoder, n *yaml.Node, path string) ([]CustomQueryColumn, []*yaml.Node) {
	items, ok := d.List(n, path)
	if !ok {
		return nil, nil
	}
	if len(items) == 0 {
		d.Errorf(n, path, "empty: want one entry per result column")
		return nil, nil
	}
	cols := make([]CustomQueryColumn, 0, len(items))
	seen := map[string]int{}
	for i, it := range items {
		p := yamlx.IndexPath(path, i)
		var c CustomQueryColumn
		var nameNode, typeNode *yaml.Node // set when given, even if invalid
		bad := false                      // name or type is not a string: said already
		d.Object(it, p, yamlx.Fields{
			"name": func(x *yaml.Node, p string) {
				var ok bool
				c.Name, ok = d.Str(x, p)
				nameNode, bad = x, bad || !ok
			},
			"type": func(x *yaml.Node, p string) {
				s, ok := d.Str(x, p)
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
				d.Errorf(it, p, `empty name and type: write "- {}" to skip a column`)
			}
			continue
		case c.Type == "":
			d.Errorf(it, yamlx.KeyPath(p, "type"), "missing: want %s", cqTypeNames())
			continue
		case c.Name == "":
			d.Errorf(it, yamlx.KeyPath(p, "name"), "missing: want the metric name's suffix, or the tag key for a tag column")
			continue
		}
		if !cqCheckColumnType(d, typeNode, yamlx.KeyPath(p, "type"), c.Type) {
			continue
		}
		if !cqCheckColumnName(d, nameNode, yamlx.KeyPath(p, "name"), c) {
			continue
		}
		if j, dup := seen[c.Name]; dup {
			d.Errorf(nameNode, yamlx.KeyPath(p, "name"), "%s is already the name of %s", d.Show(nameNode, c.Name), yamlx.IndexPath(path, j))
			continue
		}
		seen[c.Name] = i
	}
	return cols, items
}

func cqTypeNames() string {
	names := cqColumnTypeNames(false)
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// cqCheckColumnType checks a column's type against the ones the check supports.
func cqCheckColumnType(d *yamlx.Decoder, n *yaml.Node, path, t string) bool {
	if _, ok := cqColumnType(t); ok {
		return true
	}
	if why, known := cqUnsupported[t]; known {
		d.Errorf(n, path, "%s: an Agent column type roachdog does not support (%s); want %s", d.Show(n, t), why, cqTypeNames())
		return false
	}
	hint := ""
	if !d.FromEnv(n) {
		for _, ok := range cqColumnTypeNames(false) {
			if suggest.Distance(t, ok) <= 2 {
				hint = fmt.Sprintf(" (did you mean %q?)", ok)
				break
			}
		}
	}
	d.Errorf(n, path, "%s: want %s%s", d.Show(n, t), cqTypeNames(), hint)
	return false
}

// cqCheckColumnName checks a column's name: a tag key for tag columns, a metric
// name suffix for the others.
func cqCheckColumnName(d *yamlx.Decoder, n *yaml.Node, path string, c CustomQueryColumn) bool {
	fromEnv := d.FromEnv(n)
	if t, _ := cqColumnType(c.Type); t.Tag {
		switch {
		case c.Name == "cluster":
			d.Errorf(n, path, `"cluster": the cluster tag comes from the instance's cluster key; name this column otherwise`)
			return false
		case yamlx.MetadataTagKey(c.Name):
			// The values come from the cluster: the wire layer would send
			// them under crdb_<key>, never as written here. Say so now.
			hint := ""
			if !fromEnv {
				hint = fmt.Sprintf(" (did you mean %q? This name is the tag key; the SQL column's own name does not matter)", wire.RenamePrefix+c.Name)
			}
			// (The key is one of a few public words: naming it reveals
			// nothing of a ${VAR}.)
			d.Errorf(n, path, "%s: %s; with values read from the cluster roachdog sends the key as %s instead; name the tag column otherwise%s",
				d.Show(n, c.Name), yamlx.MetadataTagWhy(c.Name), wire.RenamePrefix+c.Name, hint)
			return false
		case len(c.Name) > emit.MaxTagKey:
			// emit.Tag would cut it: two such columns could send one key.
			d.Errorf(n, path, "%s: a tag column's name is the tag key, at most %d characters", d.Show(n, c.Name), emit.MaxTagKey)
		case yamlx.ValidTagKey(c.Name):
			return true
		case yamlx.ValidTagKey(strings.ToLower(c.Name)) && !fromEnv:
			d.Errorf(n, path, "%q: a tag column's name is the tag key and must be lower case (did you mean %q?)", c.Name, strings.ToLower(c.Name))
		case yamlx.ValidTagKey(strings.ToLower(c.Name)):
			d.Errorf(n, path, "%s: a tag column's name is the tag key and must be lower case", d.Show(n, c.Name))
		default:
			d.Errorf(n, path, "%s: a tag column's name is the tag key: a letter, then a-z, 0-9, _ . - /", d.Show(n, c.Name))
		}
		return false
	}
	if !yamlx.ValidMetricName(c.Name) {
		d.Errorf(n, path, "%s: want a metric name suffix like \"orders\" or \"orders.total\" (a letter, then letters, digits, _ and single dots)", d.Show(n, c.Name))
		return false
	}
	return true
}
