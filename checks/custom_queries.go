package checks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/promtext"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// CustomQuery is one user-defined query, in the shape of an entry of the
// Datadog Agent's Postgres check custom_queries (same keys, same meaning),
// so that a block written for the Agent works here unchanged. Its YAML keys,
// named below, are decoded in custom_queries_config.go.
type CustomQuery struct {
	// Name identifies the query in logs, errors and sql.can_query (YAML
	// name, optional as in the Agent); default "custom query #N", N counted
	// from 1 as the Agent does.
	Name string
	// MetricPrefix (YAML metric_prefix) starts every metric name of the
	// query: metric_prefix + "." + column name, then the sink adds the
	// namespace ("crdb."). Empty: the column name alone.
	MetricPrefix string
	// Query (YAML query) is one SQL statement; it runs in the database of
	// the instance's sql_url.
	Query string
	// Columns (YAML columns) describes the result columns, left to right:
	// exactly as many as the query returns.
	Columns []CustomQueryColumn
	// Tags (YAML tags) are added to every metric of the query, as written.
	Tags []string
	// CollectionInterval (YAML collection_interval, in seconds in the
	// Agent's format) runs the query at the first check run after that much
	// time has passed since its previous run; zero runs it every check run.
	CollectionInterval time.Duration
	// MaxRows (YAML max_rows, a roachdog addition) caps the rows one run may
	// return; more is an error and nothing is sent for that run. Default
	// 1000.
	MaxRows int
}

// CustomQueryColumn is one entry of a custom query's columns (YAML name and
// type). A column with neither name nor type (YAML "{}") is skipped, as in
// the Agent.
type CustomQueryColumn struct {
	Name string
	Type string
}

// CustomQueriesOptions configures the custom_queries check.
type CustomQueriesOptions struct {
	Queries []CustomQuery
	// Now is the clock for intervals, rates and time_elapsed; default
	// time.Now.
	Now func() time.Time
}

// DefaultCustomQueryMaxRows is a query's max_rows when not configured.
const DefaultCustomQueryMaxRows = 1000

const (
	cqCheckName       = "custom_queries"
	cqDefaultMaxRows  = DefaultCustomQueryMaxRows
	cqMaxMetricLength = 200
	// cqIntervalSlack absorbs scheduler jitter: a query with a 60s interval
	// on a 15s check must run on the 4th run even if that run starts a few
	// milliseconds early, not wait for the 5th.
	cqIntervalSlack = time.Second
	// cqForgetAfter drops counter and rate baselines of series not seen for
	// this long (or five query intervals, if longer).
	cqForgetAfter = time.Hour
)

// cqKind is what a column becomes.
type cqKind int

const (
	cqSkip cqKind = iota // "{}" and "source": read, not sent
	cqGauge
	cqCount
	cqMonotonicCount
	cqRate
	cqMonotonicGauge // gauge <name>.total and monotonic_count <name>.count
	cqTimeElapsed    // gauge: seconds since the timestamp in the column
	cqTag
	cqTagList // array or comma-separated list: one tag per element
)

// cqTypeTable lists the Agent's column types roachdog supports, metric
// types first, and what each becomes. tag_not_null is tag: roachdog never
// sends a tag for a NULL or empty value. The config decoder reads it
// through cqColumnTypes.
var cqTypeTable = []struct {
	name string
	kind cqKind
}{
	{"gauge", cqGauge},
	{"count", cqCount},
	{"monotonic_count", cqMonotonicCount},
	{"rate", cqRate},
	{"monotonic_gauge", cqMonotonicGauge},
	{"time_elapsed", cqTimeElapsed},
	{"tag", cqTag},
	{"tag_not_null", cqTag},
	{"tag_list", cqTagList},
	{"source", cqSkip},
}

// cqTypes maps the supported column types to their kind.
var cqTypes = func() map[string]cqKind {
	m := make(map[string]cqKind, len(cqTypeTable))
	for _, t := range cqTypeTable {
		m[t.name] = t.kind
	}
	return m
}()

// cqColumnTypeInfo is one column type custom queries take, as the Agent
// spells it: a Metric type sends the column's value, a Tag type makes the
// column's name a tag key, and neither ("source") reads the column and
// sends nothing.
type cqColumnTypeInfo struct {
	Name        string
	Metric, Tag bool
}

// cqColumnTypes returns the supported column types, metric types first.
func cqColumnTypes() []cqColumnTypeInfo {
	out := make([]cqColumnTypeInfo, 0, len(cqTypeTable))
	for _, t := range cqTypeTable {
		out = append(out, cqColumnTypeInfo{
			Name:   t.name,
			Metric: t.kind != cqSkip && t.kind != cqTag && t.kind != cqTagList,
			Tag:    t.kind == cqTag || t.kind == cqTagList,
		})
	}
	return out
}

// cqUnsupported are Agent column types roachdog refuses, with why.
var cqUnsupported = map[string]string{
	"histogram":        "roachdog sends gauges and counts only",
	"historate":        "roachdog sends gauges and counts only",
	"distribution":     "roachdog sends gauges and counts only",
	"metadata":         "it sets Agent check metadata, which has no DogStatsD equivalent",
	"service_check":    "it needs a status_map, which roachdog does not read",
	"match":            "it needs items, which roachdog does not read",
	"temporal_percent": "it needs a scale, which roachdog does not read",
}

type cqColumn struct {
	name   string // as configured
	kind   cqKind
	metric string // full name without namespace (metric kinds)
	count  string // monotonic_gauge: the .count metric
	// The user-defined metrics the column sends (emit.Gauge.Define):
	// gauge for gauge, time_elapsed, rate and monotonic_gauge's .total;
	// counter for count, monotonic_count and monotonic_gauge's .count.
	gauge   *emit.GaugeDef
	counter *emit.CountDef
}

type cqQuery struct {
	index    int // position in the configuration, for messages
	name     string
	sql      string
	columns  []cqColumn
	tags     emit.Tags
	interval time.Duration
	maxRows  int

	ran     bool
	last    time.Time
	lastErr error
	deltas  *promtext.Counters
	rates   map[string]*cqRateState
}

type cqRateState struct {
	prev float64
	at   time.Time
}

// label names the query in messages: custom_queries[1] "orders by status".
func (q *cqQuery) label() string {
	return fmt.Sprintf("custom_queries[%d] %q", q.index, q.name)
}

// CustomQueries is the custom_queries check: user-defined SQL turned into
// metrics. One CustomQueries serves one cluster.
type CustomQueries struct {
	queries []*cqQuery
	now     func() time.Time
}

var _ Check = (*CustomQueries)(nil)

// NewCustomQueries validates the queries. Errors name the query's index and
// the faulty field, e.g. "custom_queries[1].columns[2].type: ...".
func NewCustomQueries(o CustomQueriesOptions) (*CustomQueries, error) {
	if len(o.Queries) == 0 {
		return nil, errors.New("custom_queries: no query configured")
	}
	c := &CustomQueries{now: o.Now}
	if c.now == nil {
		c.now = time.Now
	}
	for i, cq := range o.Queries {
		q, err := cqCompile(i, cq)
		if err != nil {
			return nil, err
		}
		c.queries = append(c.queries, q)
	}
	return c, nil
}

func cqCompile(i int, cq CustomQuery) (*cqQuery, error) {
	bad := func(field, format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if cq.Name != "" {
			msg += fmt.Sprintf(" (query %q)", cq.Name)
		}
		return fmt.Errorf("custom_queries[%d].%s: %s", i, field, msg)
	}
	q := &cqQuery{
		index:    i,
		name:     cq.Name,
		sql:      strings.TrimSpace(cq.Query),
		interval: cq.CollectionInterval,
		maxRows:  cq.MaxRows,
		deltas:   promtext.NewCounters(),
		rates:    make(map[string]*cqRateState),
	}
	if q.name == "" {
		q.name = fmt.Sprintf("custom query #%d", i+1)
	}
	if q.sql == "" {
		return nil, bad("query", "required")
	}
	if q.interval < 0 {
		return nil, bad("collection_interval", "must not be negative, got %s", q.interval)
	}
	switch {
	case q.maxRows < 0:
		return nil, bad("max_rows", "must not be negative, got %d", q.maxRows)
	case q.maxRows == 0:
		q.maxRows = cqDefaultMaxRows
	}
	prefix := cq.MetricPrefix
	if prefix != "" && !yamlx.ValidMetricName(prefix) {
		return nil, bad("metric_prefix", "%q is not a valid metric name part (letters, digits, '_', separated by '.', starting with a letter)", prefix)
	}
	for j, tag := range cq.Tags {
		if strings.TrimSpace(tag) == "" || strings.ContainsAny(tag, ",|\n") {
			return nil, bad(fmt.Sprintf("tags[%d]", j), "%q is not a valid tag (empty, or holds ',', '|' or a newline)", tag)
		}
	}
	var err error
	if q.tags, err = emit.ConfiguredTags(cq.Tags); err != nil {
		return nil, bad("tags", "%v", err)
	}
	if len(cq.Columns) == 0 {
		return nil, bad("columns", "required: one entry per result column")
	}
	names := make(map[string]int)
	metrics := make(map[string]int)
	sends := 0
	for j, col := range cq.Columns {
		field := fmt.Sprintf("columns[%d]", j)
		if col.Name == "" && col.Type == "" {
			q.columns = append(q.columns, cqColumn{kind: cqSkip})
			continue
		}
		if col.Name == "" {
			return nil, bad(field+".name", "required (write {} to skip a column)")
		}
		if prev, dup := names[col.Name]; dup {
			return nil, bad(field+".name", "%q is already the name of columns[%d]", col.Name, prev)
		}
		names[col.Name] = j
		if col.Type == "" {
			return nil, bad(field+".type", "required")
		}
		kind, ok := cqTypes[col.Type]
		if !ok {
			if why, known := cqUnsupported[col.Type]; known {
				return nil, bad(field+".type", "type %q is not supported: %s; supported: %s", col.Type, why, cqTypeList())
			}
			return nil, bad(field+".type", "unknown type %q; supported: %s", col.Type, cqTypeList())
		}
		c := cqColumn{name: col.Name, kind: kind}
		switch kind {
		case cqSkip, cqTag, cqTagList:
			if kind != cqSkip && strings.TrimSpace(col.Name) == "" {
				return nil, bad(field+".name", "a tag name cannot be blank")
			}
		default:
			sends++
			if !yamlx.ValidMetricName(col.Name) {
				return nil, bad(field+".name", "%q is not a valid metric name part (letters, digits, '_', separated by '.', starting with a letter)", col.Name)
			}
			c.metric = col.Name
			if prefix != "" {
				c.metric = prefix + "." + col.Name
			}
			out := []string{c.metric}
			if kind == cqMonotonicGauge {
				c.count = c.metric + ".count"
				c.metric += ".total"
				out = []string{c.metric, c.count}
			}
			for _, m := range out {
				if len(m) > cqMaxMetricLength {
					return nil, bad(field+".name", "metric name %s is longer than %d characters", m, cqMaxMetricLength)
				}
				if prev, dup := metrics[m]; dup {
					return nil, bad(field+".name", "metric %s is already sent by columns[%d]", m, prev)
				}
				metrics[m] = j
				// Custom metrics must not pass for roachdog's own: a
				// dashboard reading nodes.live would show the user's
				// numbers.
				if known, clash := Lookup(m); clash {
					return nil, bad(field+".name", "metric %s is already sent by roachdog's %s check; choose another metric_prefix or name", m, known.Check)
				}
			}
			if err := c.define(); err != nil {
				return nil, bad(field+".name", "%v", err)
			}
		}
		q.columns = append(q.columns, c)
	}
	if sends == 0 {
		return nil, bad("columns", "no column sends a metric (only tags or skipped columns)")
	}
	return q, nil
}

// define makes the column's user-defined metrics (not in the catalog: the
// configuration names them).
func (c *cqColumn) define() error {
	var err error
	switch c.kind {
	case cqGauge, cqTimeElapsed, cqRate:
		c.gauge, err = emit.Gauge{Name: c.metric}.Define(cqCheckName)
	case cqCount, cqMonotonicCount:
		c.counter, err = emit.Count{Name: c.metric}.Define(cqCheckName)
	case cqMonotonicGauge:
		c.gauge, err = emit.Gauge{Name: c.metric}.Define(cqCheckName)
		if err == nil {
			c.counter, err = emit.Count{Name: c.count}.Define(cqCheckName)
		}
	}
	return err
}

func cqTypeList() string {
	names := make([]string, 0, len(cqTypes))
	for n := range cqTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Name returns "custom_queries".
func (c *CustomQueries) Name() string { return cqCheckName }

// Run runs every query whose collection interval has elapsed. A failed
// query is logged and makes sql.can_query CRITICAL (naming it) while the
// others still run; sql.can_query reflects the latest run of every query.
// Run fails only when every query it ran failed.
func (c *CustomQueries) Run(ctx context.Context, t *Target, s Sink) error {
	if err := needSQL(t, s, cqCheckName); err != nil {
		return err
	}
	log := t.Log()
	ran, failed := 0, 0
	for _, q := range c.queries {
		now := c.now()
		if q.ran && q.interval > 0 && now.Sub(q.last)+cqIntervalSlack < q.interval {
			continue
		}
		if err := ctx.Err(); err != nil {
			// Out of time: the remaining queries keep their previous
			// state and run next cycle.
			q.lastErr = fmt.Errorf("%s: not run: %w", q.label(), err)
			failed++
			ran++
			continue
		}
		q.ran, q.last = true, now
		ran++
		if err := c.runQuery(ctx, t, s, log, q, now); err != nil {
			q.lastErr = err
			failed++
			log.Error("custom query failed", "query", q.name, "index", q.index, "err", err)
			continue
		}
		q.lastErr = nil
	}
	var errs schemaErrors
	for _, q := range c.queries {
		if q.lastErr != nil {
			errs = append(errs, q.lastErr)
		}
	}
	var err error
	if len(errs) > 0 {
		err = errs
	}
	reportQuery(s, cqCheckName, err)
	if ran > 0 && failed == ran {
		return fmt.Errorf("every custom query run failed: %w", err)
	}
	return nil
}

// cqPoint is one value read from a row, sent once the whole result has
// been read (a result over max_rows sends nothing).
type cqPoint struct {
	col   *cqColumn
	value float64
	tags  emit.Tags
}

func (c *CustomQueries) runQuery(ctx context.Context, t *Target, s Sink, log *slog.Logger, q *cqQuery, now time.Time) error {
	// Cancelled when the row limit is exceeded, so the server stops
	// producing rows instead of streaming them to be discarded.
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Text results: tag values read exactly as the database prints them
	// (UUIDs, decimals, enums); numbers are still decoded by type.
	rows, err := t.SQL.Query(qctx, q.sql, pgx.QueryResultFormats{pgx.TextFormatCode})
	if err != nil {
		return fmt.Errorf("%s: %w", q.label(), err)
	}
	defer rows.Close()
	if got := len(rows.FieldDescriptions()); got != len(q.columns) {
		if got == 0 {
			// No result description: the statement failed as it started
			// (an exception raised by a function), and that error, read
			// with the rows, is the cause to report.
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("%s: %w", q.label(), err)
			}
		}
		return fmt.Errorf("%s: the query returns %d columns but columns lists %d", q.label(), got, len(q.columns))
	}
	var points []cqPoint
	var convErr error
	convErrs := 0
	n := 0
	for rows.Next() {
		n++
		if n > q.maxRows {
			cancel()
			return fmt.Errorf("%s: more than %d rows (max_rows); nothing sent: narrow the query or raise max_rows", q.label(), q.maxRows)
		}
		vals, err := rows.Values()
		if err != nil {
			return fmt.Errorf("%s: row %d: %w", q.label(), n, err)
		}
		raw := rows.RawValues()
		tags := q.tags
		for i := range q.columns {
			col := &q.columns[i]
			switch col.kind {
			case cqTag:
				if len(raw[i]) > 0 {
					tags = tags.With(col.name, string(raw[i]))
				}
			case cqTagList:
				for _, v := range cqList(vals[i]) {
					if v != "" {
						tags = tags.With(col.name, v)
					}
				}
			}
		}
		for i := range q.columns {
			col := &q.columns[i]
			if col.kind == cqSkip || col.kind == cqTag || col.kind == cqTagList {
				continue
			}
			if vals[i] == nil {
				log.Debug("custom query: NULL value skipped", "query", q.name, "column", col.name, "row", n)
				continue
			}
			var v float64
			var err error
			if col.kind == cqTimeElapsed {
				v, err = cqElapsed(vals[i], now)
			} else {
				v, err = cqFloat(vals[i])
			}
			if err != nil {
				if convErr == nil {
					convErr = fmt.Errorf("column %d (%s): %w", i+1, col.name, err)
				}
				convErrs++
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				log.Debug("custom query: non-finite value skipped", "query", q.name, "column", col.name, "row", n, "value", v)
				continue
			}
			points = append(points, cqPoint{col: col, value: v, tags: tags})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", q.label(), err)
	}
	for _, p := range points {
		c.send(s, q, p, now)
	}
	forget := now.Add(-max(cqForgetAfter, 5*q.interval))
	q.deltas.Forget(forget)
	for k, st := range q.rates {
		if st.at.Before(forget) {
			delete(q.rates, k)
		}
	}
	if convErr != nil {
		return fmt.Errorf("%s: %d values could not be sent, first: %w", q.label(), convErrs, convErr)
	}
	return nil
}

func (c *CustomQueries) send(s Sink, q *cqQuery, p cqPoint, now time.Time) {
	tags := p.tags.Strings()
	switch p.col.kind {
	case cqGauge, cqTimeElapsed:
		p.col.gauge.SendTags(s, p.value, p.tags)
	case cqCount:
		// DogStatsD counts are integers; the Agent's count takes floats.
		p.col.counter.SendTags(s, int64(math.Round(p.value)), p.tags)
	case cqMonotonicCount:
		if d, ok := q.deltas.Delta(cqSeriesKey(p.col.metric, tags), p.value, now); ok {
			p.col.counter.SendTags(s, d, p.tags)
		}
	case cqMonotonicGauge:
		p.col.gauge.SendTags(s, p.value, p.tags)
		if d, ok := q.deltas.Delta(cqSeriesKey(p.col.count, tags), p.value, now); ok {
			p.col.counter.SendTags(s, d, p.tags)
		}
	case cqRate:
		// As the Agent's rate: the per-second change between two runs;
		// nothing on the first run, nothing when the value went down
		// (a reset), nothing when no time passed.
		key := cqSeriesKey(p.col.metric, tags)
		st := q.rates[key]
		if st == nil {
			q.rates[key] = &cqRateState{prev: p.value, at: now}
			return
		}
		dt := now.Sub(st.at).Seconds()
		delta := p.value - st.prev
		st.prev, st.at = p.value, now
		if dt <= 0 || delta < 0 {
			return
		}
		p.col.gauge.SendTags(s, delta/dt, p.tags)
	}
}

func cqSeriesKey(metric string, tags []string) string {
	sorted := append([]string(nil), tags...)
	sort.Strings(sorted)
	return promtext.Key(metric, "tags", strings.Join(sorted, ","))
}

// cqFloat converts a decoded SQL value to a metric value.
func cqFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case int:
		return float64(x), nil
	case uint32: // oid
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err != nil {
			return 0, err
		}
		if !f.Valid {
			return 0, errors.New("invalid numeric")
		}
		return f.Float64, nil
	case pgtype.Interval:
		// Seconds, with a month as 30 days (PostgreSQL's own
		// extract(epoch) convention).
		return float64(x.Microseconds)/1e6 + float64(x.Days)*86400 + float64(x.Months)*30*86400, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("cannot use text %q as a number", cqShort(x))
		}
		return f, nil
	case time.Time:
		return 0, errors.New("cannot use a timestamp as a number (use type time_elapsed)")
	default:
		return 0, fmt.Errorf("cannot use a %T value as a number", v)
	}
}

// cqElapsed returns the seconds from a timestamp to now.
func cqElapsed(v any, now time.Time) (float64, error) {
	t, ok := v.(time.Time)
	if !ok {
		return 0, fmt.Errorf("time_elapsed needs a timestamp or date, got a %T value", v)
	}
	return now.Sub(t).Seconds(), nil
}

// cqList splits a tag_list value: an array, or a comma-separated string.
func cqList(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if e != nil {
				out = append(out, strings.TrimSpace(cqText(e)))
			}
		}
		return out
	case string:
		parts := strings.Split(x, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts
	default:
		return []string{cqText(v)}
	}
}

func cqText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case pgtype.Numeric:
		if b, err := x.MarshalJSON(); err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

func cqShort(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
