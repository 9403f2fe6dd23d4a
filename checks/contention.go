package checks

// The contention check reports which tables and indexes transactions wait
// on: new contention events per index (crdb_internal.cluster_contended_indexes,
// cumulative per node since it started, read as deltas) and the time spent
// waiting per index (crdb_internal.transaction_contention_events, events
// collected since the previous run), each for the top N indexes only.
//
// Versions: the contended views do not exist on v20.2 (its crdb_internal
// lists none; selecting fails with SQLSTATE 42P01) and the check then logs
// once and sends nothing. transaction_contention_events carries the table
// and index names only on newer versions (the reference lists the latest
// columns without the version that added them): without them the wait
// time is skipped, logged once, and the event counts still go out. Both
// are on the allowlist of v26.1's allow_unsafe_internals gate. Both need
// VIEWACTIVITY or VIEWACTIVITYREDACTED (keys are redacted with the latter;
// roachdog reads no keys).

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// ContentionOptions configures the contention check.
type ContentionOptions struct {
	// TopN is how many indexes are reported per metric; default 10, at most
	// ContentionMaxTopN.
	TopN int
	// Now is the clock for forgetting series; default time.Now.
	Now func() time.Time
}

// Defaults and bounds of the contention check.
const (
	ContentionDefaultTopN = 10
	ContentionMaxTopN     = 100
)

const (
	contentionCheckName = "contention"
	// contentionMaxKeys bounds the per-index baselines kept between runs
	// (the views hold what each node's contention registry still holds,
	// itself bounded); beyond it new indexes get no baseline and are
	// counted from their next appearance.
	contentionMaxKeys = 10000

	// contentionUnknown names what the view leaves empty.
	contentionUnknown = "unknown"

	contentionIndexesQuery = `SELECT COALESCE(database_name, '')::TEXT, COALESCE(schema_name, '')::TEXT,
	COALESCE(table_name, '')::TEXT, COALESCE(index_name, '')::TEXT, num_contention_events::INT8
FROM crdb_internal.cluster_contended_indexes`
	// collection_ts is the cluster's clock: the watermark needs no clock
	// agreement with roachdog. The first run only learns it.
	contentionWaitQuery = `SELECT COALESCE(database_name, '')::TEXT, COALESCE(schema_name, '')::TEXT,
	COALESCE(table_name, '')::TEXT, COALESCE(index_name, '')::TEXT,
	COALESCE(sum(EXTRACT(EPOCH FROM contention_duration)), 0)::FLOAT8, max(collection_ts)::TIMESTAMPTZ
FROM crdb_internal.transaction_contention_events
WHERE collection_ts > $1::TIMESTAMPTZ
GROUP BY 1, 2, 3, 4`
	contentionWatermarkQuery = `SELECT max(collection_ts)::TIMESTAMPTZ FROM crdb_internal.transaction_contention_events`
)

// Contention is the contention check. One Contention serves one cluster.
type Contention struct {
	topN int
	now  func() time.Time

	// events holds each index's last cumulative count; nil until the
	// first successful read (the first run only sets the baseline).
	events map[contentionKey]int64
	// watermark is the latest collection_ts read; zero before the first
	// read of transaction_contention_events.
	watermark time.Time
	series    *seriesMemory

	// absentAt: the version on which a view was found missing (logged
	// once per version; an upgrade tries again).
	viewsAbsentAt, waitAbsentAt *cluster.Version
}

type contentionKey struct{ database, table, index string }

var _ Check = (*Contention)(nil)

// NewContention validates the options and builds the check.
func NewContention(o ContentionOptions) (*Contention, error) {
	topN, err := topNOption(contentionCheckName, o.TopN, ContentionDefaultTopN, ContentionMaxTopN)
	if err != nil {
		return nil, err
	}
	c := &Contention{topN: topN, now: o.Now}
	if c.now == nil {
		c.now = time.Now
	}
	c.series = newSeriesMemory(seriesZeroOnce, 0)
	return c, nil
}

// topNOption checks the top_n option of a ranked check (contention,
// hot_ranges, statements): 0 (unset) means def.
func topNOption(check string, n, def, maxN int) (int, error) {
	switch {
	case n < 0 || n > maxN:
		return 0, fmt.Errorf("%s: top_n must be between 1 and %d, got %d", check, maxN, n)
	case n == 0:
		return def, nil
	}
	return n, nil
}

// topNKey is the top_n key of a ranked check's options, decoded into the
// field that top returns.
func topNKey[O any](def, maxN int, doc string, top func(*O) *int) yamlx.Key[O] {
	return yamlx.Key[O]{
		Name: "top_n", Default: strconv.Itoa(def), Doc: doc,
		Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *O) { d.IntIn(v, p, 1, maxN, top(o)) },
	}
}

func init() {
	Register(Registration[ContentionOptions]{
		Name: contentionCheckName, SQL: true, Interval: 60 * time.Second, Timeout: 20 * time.Second,
		Doc:      "contention events and lock wait time per index, for the top N indexes",
		Defaults: func() ContentionOptions { return ContentionOptions{TopN: ContentionDefaultTopN} },
		Keys: []yamlx.Key[ContentionOptions]{
			topNKey(ContentionDefaultTopN, ContentionMaxTopN,
				fmt.Sprintf("how many indexes are reported per metric (at most %d)", ContentionMaxTopN),
				func(o *ContentionOptions) *int { return &o.TopN }),
		},
		New: func(o ContentionOptions, _ Schedule) (Check, error) { return NewContention(o) },
		Log: func(o ContentionOptions) []slog.Attr { return []slog.Attr{slog.Int("top_n", o.TopN)} },
	})
}

// Name returns "contention".
func (c *Contention) Name() string { return contentionCheckName }

// Run reads the contention views once.
func (c *Contention) Run(ctx context.Context, t *Target, s Sink) error {
	if err := needSQL(t, s, contentionCheckName); err != nil {
		return err
	}
	log := t.Log()
	v := t.SQL.Server().Version
	var errs []error
	read := 0

	if c.viewsAbsentAt == nil || *c.viewsAbsentAt != v {
		switch err := c.readEvents(ctx, t.SQL, s); {
		case err == nil:
			c.viewsAbsentAt = nil
			read++
		case contentionUndefined(err):
			log.Info("contention: crdb_internal.cluster_contended_indexes does not exist on this server (v20.2 has no contention views): contention not reported", "version", v.String())
			c.viewsAbsentAt = &v
		default:
			errs = append(errs, contentionAccess(err, "crdb_internal.cluster_contended_indexes", v))
		}
	}
	if c.viewsAbsentAt == nil && (c.waitAbsentAt == nil || *c.waitAbsentAt != v) {
		switch err := c.readWait(ctx, t.SQL, s); {
		case err == nil:
			c.waitAbsentAt = nil
			read++
		case contentionUndefined(err):
			log.Info("contention: crdb_internal.transaction_contention_events is missing or has no table and index names on this version: wait time not reported", "version", v.String())
			c.waitAbsentAt = &v
		default:
			errs = append(errs, contentionAccess(err, "crdb_internal.transaction_contention_events", v))
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		log.Error("contention query failed", "err", err)
	}
	reportQuery(s, contentionCheckName, err)
	if read == 0 && err != nil {
		return err
	}
	return nil
}

// readEvents sends the increase of each index's contention events since
// the previous run, for the topN indexes with the most.
func (c *Contention) readEvents(ctx context.Context, db *cluster.DB, s Sink) error {
	type row struct {
		Database, Schema, Table, Index string
		N                              int64
	}
	rows, err := queryRows(ctx, db, "query crdb_internal.cluster_contended_indexes", scanPrefixed(pgx.RowToStructByPos[row]), contentionIndexesQuery)
	if err != nil {
		return err
	}
	now := make(map[contentionKey]int64, len(rows))
	for _, r := range rows {
		k := contentionKeyOf(r.Database, r.Schema, r.Table, r.Index)
		now[k] += max(r.N, 0) // one row per index; summed should a view repeat one
	}
	type delta struct {
		key contentionKey
		n   int64
	}
	var deltas []delta
	if c.events != nil {
		for k, n := range now {
			prev, known := c.events[k]
			switch {
			case !known && len(c.events) >= contentionMaxKeys:
				// No baseline was kept for it: counted from the next run.
			case !known:
				deltas = append(deltas, delta{k, n}) // appeared since: all new
			case n > prev:
				deltas = append(deltas, delta{k, n - prev})
			}
			// n < prev: a node restarted or its registry evicted the
			// index; the new value is the baseline.
		}
	}
	next := make(map[contentionKey]int64, min(len(now), contentionMaxKeys))
	for k, n := range now {
		if _, known := c.events[k]; known || len(next) < contentionMaxKeys {
			next[k] = n
		}
	}
	c.events = next

	slices.SortFunc(deltas, func(a, b delta) int {
		if x := cmp.Compare(b.n, a.n); x != 0 {
			return x
		}
		return contentionCompare(a.key, b.key)
	})
	for _, d := range deltas[:min(len(deltas), c.topN)] {
		if d.n > 0 {
			contentionEvents.Send(s, d.n, d.key.database, d.key.table, d.key.index)
		}
	}
	return nil
}

// readWait sends the seconds waited per index in the events collected
// since the previous run, for the topN indexes that waited longest; an
// index that leaves the top N gets one 0.
func (c *Contention) readWait(ctx context.Context, db *cluster.DB, s Sink) error {
	if c.watermark.IsZero() {
		var ts *time.Time
		if err := db.QueryRow(ctx, contentionWatermarkQuery).Scan(&ts); err != nil {
			return fmt.Errorf("query crdb_internal.transaction_contention_events: %w", err)
		}
		if ts != nil {
			c.watermark = *ts
		} else {
			// No event yet: count from the epoch on the next run, which
			// only holds events collected since.
			c.watermark = time.Unix(0, 0).UTC()
		}
		return nil
	}
	type row struct {
		Database, Schema, Table, Index string
		Seconds                        float64
		Latest                         time.Time
	}
	rows, err := queryRows(ctx, db, "query crdb_internal.transaction_contention_events", scanPrefixed(pgx.RowToStructByPos[row]), contentionWaitQuery, c.watermark)
	if err != nil {
		return err
	}
	wait := map[contentionKey]float64{}
	latest := c.watermark
	for _, r := range rows {
		wait[contentionKeyOf(r.Database, r.Schema, r.Table, r.Index)] += max(r.Seconds, 0)
		if r.Latest.After(latest) {
			latest = r.Latest
		}
	}
	c.watermark = latest
	keys := make([]contentionKey, 0, len(wait))
	for k := range wait {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b contentionKey) int {
		if x := cmp.Compare(wait[b], wait[a]); x != 0 {
			return x
		}
		return contentionCompare(a, b)
	})
	now := c.now()
	c.series.begin()
	for _, k := range keys[:min(len(keys), c.topN)] {
		c.series.gauge(s, now, contentionWait.Series(k.database, k.table, k.index), wait[k])
	}
	c.series.sweep(s, now)
	return nil
}

// contentionKeyOf names an index as the schema and hot_ranges checks do:
// table "schema.table".
func contentionKeyOf(database, schema, table, index string) contentionKey {
	k := contentionKey{database: cmp.Or(database, contentionUnknown), table: cmp.Or(table, contentionUnknown), index: cmp.Or(index, contentionUnknown)}
	if table != "" && schema != "" {
		k.table = schema + "." + table
	}
	return k
}

func contentionCompare(a, b contentionKey) int {
	return cmp.Or(cmp.Compare(a.database, b.database), cmp.Compare(a.table, b.table), cmp.Compare(a.index, b.index))
}

// contentionUndefined: the view or one of its columns does not exist.
func contentionUndefined(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "42703")
}

// contentionAccess makes a refused read name the grant it needs.
func contentionAccess(err error, table string, v cluster.Version) error {
	var ae *cluster.AccessError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s needs the VIEWACTIVITY or VIEWACTIVITYREDACTED system privilege (%s): %w",
			table, viewActivityGrant(pgx.Identifier{ae.User}.Sanitize(), v), err)
	}
	return err
}

// What the contention check sends: per index, for the top N indexes.
var (
	contentionEvents = emit.Count{Name: "contention.events", Unit: "event", Tags: emit.Keys("database", "table", "index"),
		PerNode: ContentionDefaultTopN, ClusterLevel: true,
		Description: "Contention events on the index since the last run (transactions that waited on a lock), for the top-N indexes with the most (cluster_contended_indexes; not on v20.2).",
	}.Register(contentionCheckName)
	contentionWait = emit.Gauge{Name: "contention.wait_time", Unit: "second", Tags: emit.Keys("database", "table", "index"),
		PerNode: ContentionDefaultTopN, ClusterLevel: true,
		Description: "Seconds transactions spent waiting on locks of the index, in the contention events collected since the last run, for the top-N indexes that waited longest (0 once when it leaves the top N; versions whose transaction_contention_events names tables).",
	}.Register(contentionCheckName)
)
