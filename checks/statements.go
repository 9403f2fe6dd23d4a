package checks

// The statements check reports the cluster's top statement fingerprints of
// each interval: the top N by service time, by latency, by contention time,
// by retries and by full scans (the union of those five lists), as gauges
// tagged with a stable query_signature, and an event carrying the
// fingerprint text the first time a signature enters that union.
//
// Sources, by version:
//   - before v21.2: crdb_internal.node_statement_statistics, in memory on
//     the gateway node only (the node roachdog's SQL connection lands on),
//     cumulative since the node started or last reset its statistics
//     (diagnostics.sql_stat_reset.interval, hourly by default). No
//     fingerprint ID and no database: the signature is the first 16 hex
//     digits of md5(key), key being the fingerprint text; no contention
//     time, full scans or latency percentiles.
//   - v21.2 and later: crdb_internal.statement_statistics, the view that
//     merges every node's in-memory statistics with the persisted
//     system.statement_statistics, in aggregation buckets (aggregated_ts,
//     hourly by default). Within a bucket the statistics are cumulative.
//     The signature is the fingerprint ID in hex, as the DB Console shows
//     it. index_recommendations from v22.2. The view is on v26.1's
//     allow_unsafe_internals allowlist; system.statement_statistics and
//     statement_activity are not, and statement_activity is refreshed only
//     at each flush (10 minutes), so neither is read.
//
// Cost: one statement per cycle does the aggregation and the ranking in
// SQL and returns at most 5 x 3N candidate signatures (per bucket, at most
// two buckets), whatever the number of fingerprints; a second one, only in
// cycles where a signature enters the top for the first time, reads the
// fingerprint texts of those signatures. The candidates are ranked on
// their cumulative values in SQL (the statistics hold no interval); the
// check then ranks them on their deltas since the previous cycle and keeps
// the top N of each list.
//
// Only the fingerprint text (constants already replaced by CockroachDB),
// the database and application names, the full-scan flag and the index
// recommendations (DDL naming tables and columns) are read: never
// sampled_plan, last_error or anything else that can hold literal values.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/yamlx"
)

const (
	stmtCheckName = "statements"

	// DefaultStatementsTopN is how many signatures each ranking keeps.
	DefaultStatementsTopN = 20
	// MaxStatementsTopN bounds TopN: 5 rankings x 100 signatures x 8
	// gauges is already 4,000 series.
	MaxStatementsTopN = 100

	// stmtCandidates is how many signatures per ranking the SQL returns
	// per N kept: the SQL ranks on cumulative values, the check on deltas.
	stmtCandidates = 3
	// stmtWindow is how far before the previous cycle the buckets are read:
	// the bucket in progress then started at most one aggregation
	// interval (1h by default) earlier.
	stmtWindow = time.Hour
	// stmtMaxGap bounds how far back a cycle reads after a long failure.
	stmtMaxGap = 2 * time.Hour
	// stmtBaselineKeep is how long a baseline not read again is kept (a
	// signature that left the candidates and comes back, a node the
	// connection reaches again).
	stmtBaselineKeep = 15 * time.Minute
	// stmtAnnounceKeep is how long a signature out of the top stays
	// announced: back after that, it gets its event again.
	stmtAnnounceKeep = 24 * time.Hour
	stmtAnnounceMax  = 10000

	stmtTextMax       = 2000 // fingerprint text in events
	stmtSummaryMax    = 60   // fingerprint excerpt in event titles
	stmtRecsShown     = 5
	stmtRecMax        = 300
	stmtEventTextMax  = 4000
	stmtEventTitleMax = 100
	stmtNameMax       = 100 // app and database names in event texts
)

// Queries. $1 is the candidates per ranking, $2 whether "$ internal" apps
// count; the cluster queries' $3 is the oldest bucket start (exclusive).
const (
	// Rows differ by flags (failed, distributed) and implicit_txn for one
	// key: summed. count - first_attempt_count are the retried executions.
	stmtNodeQuery = `WITH s AS (
	SELECT node_id, application_name AS app, substr(md5(key), 1, 16) AS sig,
		sum(count)::INT8 AS cnt,
		sum(count - first_attempt_count)::INT8 AS retries,
		sum(service_lat_avg * count::FLOAT8)::FLOAT8 AS svc
	FROM crdb_internal.node_statement_statistics
	WHERE $2 OR application_name NOT LIKE '$ internal%'
	GROUP BY node_id, application_name, substr(md5(key), 1, 16)
), top AS (
	(SELECT node_id, app, sig FROM s WHERE svc > 0 ORDER BY svc DESC, sig LIMIT $1)
	UNION (SELECT node_id, app, sig FROM s WHERE cnt > 0 ORDER BY svc / cnt::FLOAT8 DESC, sig LIMIT $1)
	UNION (SELECT node_id, app, sig FROM s WHERE retries > 0 ORDER BY retries DESC, sig LIMIT $1)
)
SELECT s.node_id, s.app, s.sig, s.cnt, s.retries, s.svc
FROM s JOIN top ON s.node_id = top.node_id AND s.app = top.app AND s.sig = top.sig`

	// %s is the index recommendation count: array_length(...) from v22.2,
	// 0 before. JSON numbers are decimals in CockroachDB, which may print
	// with an exponent ("2E+1"): counts go through DECIMAL to INT8. Contention time is sampled (execution_statistics): its
	// mean per execution is kept, and the check multiplies it by the
	// interval's executions. latencyInfo.p99 is 0 or absent where the
	// version does not compute it.
	stmtClusterQuery = `WITH r AS (
	SELECT aggregated_ts, fingerprint_id, app_name,
		metadata->>'db' AS db,
		coalesce((metadata->>'fullScan')::BOOL, false) AS full_scan,
		coalesce((statistics->'statistics'->>'cnt')::DECIMAL::INT8, 0) AS cnt,
		coalesce((statistics->'statistics'->>'firstAttemptCnt')::DECIMAL::INT8, 0) AS first,
		coalesce((statistics->'statistics'->'svcLat'->>'mean')::FLOAT8, 0) AS svc_mean,
		coalesce((statistics->'execution_statistics'->'contentionTime'->>'mean')::FLOAT8, 0) AS cont_mean,
		coalesce((statistics->'statistics'->'latencyInfo'->>'p99')::FLOAT8, 0) AS p99,
		%s AS recs
	FROM crdb_internal.statement_statistics
	WHERE aggregated_ts > $3 AND ($2 OR app_name NOT LIKE '$ internal%%')
), b AS (
	SELECT aggregated_ts, encode(fingerprint_id, 'hex') AS sig, app_name AS app, max(db) AS db,
		sum(cnt)::INT8 AS cnt,
		sum(cnt - first)::INT8 AS retries,
		sum(CASE WHEN full_scan THEN cnt ELSE 0 END)::INT8 AS full_scans,
		sum(cnt::FLOAT8 * svc_mean)::FLOAT8 AS svc,
		sum(cnt::FLOAT8 * cont_mean)::FLOAT8 AS contention,
		max(p99)::FLOAT8 AS p99,
		max(recs)::INT8 AS recs
	FROM r GROUP BY aggregated_ts, fingerprint_id, app_name
), f AS (
	SELECT sig, app, sum(cnt) AS cnt, sum(svc) AS svc, max(p99) AS p99, sum(contention) AS contention,
		sum(retries) AS retries, sum(full_scans) AS full_scans
	FROM b GROUP BY sig, app
), top AS (
	(SELECT sig, app FROM f WHERE svc > 0 ORDER BY svc DESC, sig LIMIT $1)
	UNION (SELECT sig, app FROM f WHERE cnt > 0
		ORDER BY CASE WHEN p99 > 0 THEN p99 ELSE svc / cnt::FLOAT8 END DESC, sig LIMIT $1)
	UNION (SELECT sig, app FROM f WHERE contention > 0 ORDER BY contention DESC, sig LIMIT $1)
	UNION (SELECT sig, app FROM f WHERE retries > 0 ORDER BY retries DESC, sig LIMIT $1)
	UNION (SELECT sig, app FROM f WHERE full_scans > 0 ORDER BY full_scans DESC, sig LIMIT $1)
)
SELECT b.aggregated_ts, b.sig, b.app, coalesce(b.db, '')::TEXT, b.cnt, b.retries, b.full_scans,
	b.svc, b.contention, b.p99, b.recs
FROM b JOIN top ON b.sig = top.sig AND b.app = top.app`

	stmtRecsCount = `coalesce(array_length(index_recommendations, 1), 0)`
	stmtRecsNone  = `0`

	// Fingerprint texts of the signatures entering the top, from their
	// newest bucket. $1 the fingerprint IDs, $2 the oldest bucket start,
	// $3 the text's length cap; %s the recommendations (or an empty array).
	stmtClusterTextQuery = `SELECT DISTINCT ON (fingerprint_id) encode(fingerprint_id, 'hex'),
	substr(coalesce(metadata->>'query', ''), 1, $3)::TEXT, %s
FROM crdb_internal.statement_statistics
WHERE fingerprint_id = ANY($1) AND aggregated_ts > $2
ORDER BY fingerprint_id, aggregated_ts DESC`

	stmtRecsArray = `index_recommendations`
	stmtRecsEmpty = `ARRAY[]::TEXT[]`

	stmtNodeTextQuery = `SELECT DISTINCT ON (substr(md5(key), 1, 16)) substr(md5(key), 1, 16), substr(key, 1, $2)::TEXT
FROM crdb_internal.node_statement_statistics
WHERE substr(md5(key), 1, 16) = ANY($1)
ORDER BY substr(md5(key), 1, 16)`
)

// StatementsOptions configures the statements check.
type StatementsOptions struct {
	// TopN is how many signatures each ranking keeps (service time,
	// latency, contention, retries, full scans); default
	// DefaultStatementsTopN, at most MaxStatementsTopN.
	TopN int
	// IncludeInternal counts CockroachDB's own statements (applications
	// named "$ internal-..."); default false.
	IncludeInternal bool
	// Now is the clock of the intervals; default time.Now.
	Now func() time.Time
}

// Statements is the statements check. Between cycles it keeps the
// cumulative values of the candidates (the baselines of the next deltas),
// the series it sent (a signature leaving the top gets one last 0) and the
// signatures already announced by an event.
type Statements struct {
	topN     int
	internal bool
	now      func() time.Time

	source   stmtSource
	lastRun  time.Time // zero until a read succeeded
	base     map[stmtKey]stmtBase
	series   *seriesMemory
	announce map[stmtID]time.Time // signature -> last time in the top
	denied   bool                 // the last read was refused (logged once)
}

// NewStatements returns the statements check.
func NewStatements(o StatementsOptions) (*Statements, error) {
	topN, err := topNOption(stmtCheckName, o.TopN, DefaultStatementsTopN, MaxStatementsTopN)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Statements{
		topN: topN, internal: o.IncludeInternal, now: o.Now,
		base:     map[stmtKey]stmtBase{},
		series:   newSeriesMemory(seriesZeroOnce, 0),
		announce: map[stmtID]time.Time{},
	}, nil
}

func init() {
	Register(Registration[StatementsOptions]{
		// Off even with a sql_url: its series are per statement fingerprint
		// (custom metrics).
		Name: stmtCheckName, SQL: true, Off: true, Interval: 60 * time.Second, Timeout: 30 * time.Second,
		Doc:      "the top statement fingerprints of each interval by service time, latency, contention, retries and full scans",
		Defaults: func() StatementsOptions { return StatementsOptions{TopN: DefaultStatementsTopN} },
		Keys: []yamlx.Key[StatementsOptions]{
			topNKey(DefaultStatementsTopN, MaxStatementsTopN,
				fmt.Sprintf("how many fingerprints each of the five rankings keeps (at most %d); up to 8 series per fingerprint of their union", MaxStatementsTopN),
				func(o *StatementsOptions) *int { return &o.TopN }),
			{
				Name: "include_internal", Default: "false",
				Doc: "count CockroachDB's own statements (applications named `$ internal-...`)",
				Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *StatementsOptions) {
					if b, ok := d.Boolean(v, p); ok {
						o.IncludeInternal = b
					}
				},
			},
		},
		New: func(o StatementsOptions, _ Schedule) (Check, error) { return NewStatements(o) },
		Log: func(o StatementsOptions) []slog.Attr {
			return []slog.Attr{slog.Int("top_n", o.TopN), slog.Bool("include_internal", o.IncludeInternal)}
		},
	})
}

// Name returns "statements", the check's configuration key.
func (st *Statements) Name() string { return stmtCheckName }

// stmtSource is the statistics surface of a version.
type stmtSource int

const (
	stmtSourceNode        stmtSource = iota + 1 // node_statement_statistics (before v21.2)
	stmtSourceCluster                           // statement_statistics, no recommendations (v21.2, v22.1)
	stmtSourceClusterRecs                       // statement_statistics with index_recommendations (v22.2+)
)

func stmtSourceFor(v cluster.Version) stmtSource {
	switch {
	case v.IsZero() || v.AtLeast(22, 2):
		return stmtSourceClusterRecs
	case v.AtLeast(21, 2):
		return stmtSourceCluster
	}
	return stmtSourceNode
}

func (s stmtSource) table() string {
	if s == stmtSourceNode {
		return "crdb_internal.node_statement_statistics"
	}
	return "crdb_internal.statement_statistics"
}

// stmtID is what a series and an event are about: a fingerprint as run by
// one application.
type stmtID struct{ sig, app string }

// stmtKey is one cumulative source: a signature's bucket (cluster) or its
// node (node-local statistics).
type stmtKey struct {
	bucket int64 // bucket start, Unix nanoseconds; 0 for node statistics
	node   int64 // 0 for cluster statistics
	id     stmtID
}

// stmtRow is one candidate read: cumulative values of one stmtKey.
type stmtRow struct {
	key                  stmtKey
	bucket               time.Time
	db                   string
	cnt, retries, full   int64
	svc, contention, p99 float64
	recs                 int64
}

// stmtBase is a baseline: the cumulative values at a time.
type stmtBase struct {
	at                 time.Time
	cnt, retries, full int64
	svc                float64
}

// stmtAgg is one signature's interval: rates per second, the interval's
// executions and service time, and the newest bucket's p99 and
// recommendations.
type stmtAgg struct {
	id                                               stmtID
	db                                               string
	known                                            bool // at least one delta
	execRate, svcRate, retryRate, contRate, fullRate float64
	dCnt                                             int64
	dSvc                                             float64
	p99                                              float64
	recs                                             int64
	newest                                           time.Time
	ranks                                            []string // "service time #1", ...
}

// Run collects once.
func (st *Statements) Run(ctx context.Context, t *Target, s Sink) error {
	if err := needSQL(t, s, stmtCheckName); err != nil {
		return err
	}
	log := t.Log()
	now := st.now()
	src := stmtSourceFor(t.SQL.Server().Version)
	if src != st.source {
		// A new surface (first cycle, upgrade): the old baselines mean
		// nothing there.
		st.source, st.lastRun = src, time.Time{}
		clear(st.base)
	}
	since := st.since(now)
	rows, err := st.read(ctx, t.SQL, src, since)
	if err != nil {
		err = stmtExplain(err, t.SQL, src)
		if !st.denied {
			log.Error("statements query failed", "err", err)
		} else {
			log.Debug("statements query failed again", "err", err)
		}
		var ae *cluster.AccessError
		st.denied = errors.As(err, &ae)
		reportQuery(s, stmtCheckName, err)
		return err
	}
	st.denied = false
	log.Debug("statements read", "candidate_rows", len(rows), "source", src.table())
	aggs := st.deltas(rows, src, now, since)
	st.lastRun = now
	top := st.rank(aggs, src)
	st.send(s, top, src, now)
	st.series.sweep(s, now)

	var textErr error
	if entering := st.entering(top, now); len(entering) > 0 && ctx.Err() == nil {
		texts, err := st.texts(ctx, t.SQL, src, entering, since)
		if err != nil {
			// No event this cycle: the signatures stay unannounced and
			// are tried again next cycle.
			textErr = err
			log.Error("statements fingerprint text query failed", "err", err)
		} else {
			for _, a := range entering {
				sig, db, app := stmtTagValues(a)
				stmtEntered.Send(s, stmtEvent(a, texts[a.id.sig], st.topN, now), sig, db, app)
				st.announce[a.id] = now
			}
		}
	}
	st.pruneAnnounced(now)
	reportQuery(s, stmtCheckName, textErr)
	return nil
}

// since is the exclusive start of the buckets read: one window before the
// previous cycle (so the bucket in progress then is read again), at most
// stmtMaxGap + stmtWindow back.
func (st *Statements) since(now time.Time) time.Time {
	from := st.lastRun
	if from.IsZero() || from.After(now) {
		from = now
	}
	if now.Sub(from) > stmtMaxGap {
		from = now.Add(-stmtMaxGap)
	}
	return from.Add(-stmtWindow).UTC()
}

// read returns the candidates' cumulative values.
func (st *Statements) read(ctx context.Context, db *cluster.DB, src stmtSource, since time.Time) ([]stmtRow, error) {
	limit := st.topN * stmtCandidates
	what := "read statement statistics (" + src.table() + ")"
	if src == stmtSourceNode {
		return queryRows(ctx, db, what, scanPrefixed(func(row pgx.CollectableRow) (stmtRow, error) {
			var r stmtRow
			err := row.Scan(&r.key.node, &r.key.id.app, &r.key.id.sig, &r.cnt, &r.retries, &r.svc)
			return r, err
		}), stmtNodeQuery, limit, st.internal)
	}
	recs := stmtRecsNone
	if src == stmtSourceClusterRecs {
		recs = stmtRecsCount
	}
	return queryRows(ctx, db, what, scanPrefixed(func(row pgx.CollectableRow) (stmtRow, error) {
		var r stmtRow
		err := row.Scan(&r.bucket, &r.key.id.sig, &r.key.id.app, &r.db, &r.cnt, &r.retries, &r.full,
			&r.svc, &r.contention, &r.p99, &r.recs)
		r.key.bucket = r.bucket.UnixNano()
		return r, err
	}), fmt.Sprintf(stmtClusterQuery, recs), limit, st.internal, since)
}

// deltas turns the candidates' cumulative values into each signature's
// interval, and keeps them as the next baselines. A key without a baseline
// gives no delta this cycle, except a bucket that started after the
// previous cycle, which counts from 0. A counter that went down was reset:
// node statistics restart from 0 (node restart, hourly reset), so the
// delta is the new value; cluster statistics lose a node's unflushed
// values when it restarts, so the key is only baselined again.
func (st *Statements) deltas(rows []stmtRow, src stmtSource, now, since time.Time) map[stmtID]*stmtAgg {
	aggs := map[stmtID]*stmtAgg{}
	next := make(map[stmtKey]stmtBase, len(rows))
	for _, r := range rows {
		cur := stmtBase{at: now, cnt: r.cnt, retries: r.retries, full: r.full, svc: r.svc}
		next[r.key] = cur
		a := aggs[r.key.id]
		if a == nil {
			a = &stmtAgg{id: r.key.id}
			aggs[r.key.id] = a
		}
		if r.db != "" {
			a.db = r.db
		}
		if !r.bucket.Before(a.newest) {
			// The newest bucket's p99 and recommendations; a signature
			// appears once per bucket (plans are summed in SQL).
			a.newest, a.p99, a.recs = r.bucket, r.p99, r.recs
		}
		prev, ok := st.base[r.key]
		switch {
		case ok && cur.cnt < prev.cnt && src == stmtSourceNode:
			prev.cnt, prev.retries, prev.full, prev.svc = 0, 0, 0, 0
		case ok && cur.cnt < prev.cnt:
			continue
		case ok:
		case !st.lastRun.IsZero() && src != stmtSourceNode && r.bucket.After(st.lastRun):
			prev = stmtBase{at: st.lastRun}
		default:
			continue
		}
		elapsed := now.Sub(prev.at).Seconds()
		if elapsed <= 0 {
			continue
		}
		dCnt := max(cur.cnt-prev.cnt, 0)
		dSvc := max(cur.svc-prev.svc, 0)
		a.known = true
		a.dCnt += dCnt
		a.dSvc += dSvc
		a.execRate += float64(dCnt) / elapsed
		a.svcRate += dSvc / elapsed
		a.retryRate += float64(max(cur.retries-prev.retries, 0)) / elapsed
		a.fullRate += float64(max(cur.full-prev.full, 0)) / elapsed
		if r.cnt > 0 {
			a.contRate += float64(dCnt) * (r.contention / float64(r.cnt)) / elapsed
		}
	}
	// Baselines not read again stay a while (the signature may come back
	// among the candidates), bounded in age, bucket and number.
	keep := st.topN * stmtCandidates * 5 * 4
	for k, b := range st.base {
		if len(next) >= keep {
			break
		}
		if _, ok := next[k]; ok || now.Sub(b.at) > stmtBaselineKeep || (k.bucket != 0 && k.bucket <= since.UnixNano()) {
			continue
		}
		next[k] = b
	}
	st.base = next
	return aggs
}

// stmtRanking is one top-N list.
type stmtRanking struct {
	name  string
	value func(*stmtAgg) float64
	node  bool // available from node statistics
}

var stmtRankings = []stmtRanking{
	{"service time", func(a *stmtAgg) float64 { return a.svcRate }, true},
	{"latency", stmtLatency, true},
	{"contention time", func(a *stmtAgg) float64 { return a.contRate }, false},
	{"retries", func(a *stmtAgg) float64 { return a.retryRate }, true},
	{"full scans", func(a *stmtAgg) float64 { return a.fullRate }, false},
}

// stmtLatency is the latency a signature is ranked by: the p99 of its
// newest bucket where the version computes it, else the interval's mean.
func stmtLatency(a *stmtAgg) float64 {
	if a.dCnt == 0 {
		return 0
	}
	if a.p99 > 0 {
		return a.p99
	}
	return a.dSvc / float64(a.dCnt)
}

// rank returns the union of each ranking's top N, by signature.
func (st *Statements) rank(aggs map[stmtID]*stmtAgg, src stmtSource) []*stmtAgg {
	var known []*stmtAgg
	for _, a := range aggs {
		if a.known {
			known = append(known, a)
		}
	}
	in := map[stmtID]*stmtAgg{}
	for _, rk := range stmtRankings {
		if src == stmtSourceNode && !rk.node {
			continue
		}
		var list []*stmtAgg
		for _, a := range known {
			if rk.value(a) > 0 {
				list = append(list, a)
			}
		}
		sort.Slice(list, func(i, j int) bool {
			vi, vj := rk.value(list[i]), rk.value(list[j])
			if vi != vj {
				return vi > vj
			}
			return stmtLess(list[i].id, list[j].id)
		})
		for i, a := range list[:min(len(list), st.topN)] {
			a.ranks = append(a.ranks, fmt.Sprintf("%s #%d", rk.name, i+1))
			in[a.id] = a
		}
	}
	top := make([]*stmtAgg, 0, len(in))
	for _, a := range in {
		top = append(top, a)
	}
	sort.Slice(top, func(i, j int) bool { return stmtLess(top[i].id, top[j].id) })
	return top
}

func stmtLess(a, b stmtID) bool {
	if a.sig != b.sig {
		return a.sig < b.sig
	}
	return a.app < b.app
}

// stmtTagValues are a signature's tag values: query_signature, database,
// app.
func stmtTagValues(a *stmtAgg) (sig, db, app string) {
	return a.id.sig, stringOr(&a.db, "unknown"), stringOr(&a.id.app, "unset")
}

// send sends the top signatures' gauges; the sweep after it zeroes those
// that left.
func (st *Statements) send(s Sink, top []*stmtAgg, src stmtSource, now time.Time) {
	for _, a := range top {
		sig, db, app := stmtTagValues(a)
		st.series.gauge(s, now, stmtExecutions.Series(sig, db, app), a.execRate)
		st.series.gauge(s, now, stmtServiceTime.Series(sig, db, app), a.svcRate)
		if a.dCnt > 0 {
			st.series.gauge(s, now, stmtLatencyMean.Series(sig, db, app), a.dSvc/float64(a.dCnt))
		}
		if a.p99 > 0 {
			st.series.gauge(s, now, stmtLatencyP99.Series(sig, db, app), a.p99)
		}
		st.series.gauge(s, now, stmtRetries.Series(sig, db, app), a.retryRate)
		if src != stmtSourceNode {
			st.series.gauge(s, now, stmtContention.Series(sig, db, app), a.contRate)
			st.series.gauge(s, now, stmtFullScans.Series(sig, db, app), a.fullRate)
		}
		if src == stmtSourceClusterRecs {
			st.series.gauge(s, now, stmtIndexRecs.Series(sig, db, app), float64(a.recs))
		}
	}
}

// entering returns the top signatures not announced (or out of the top
// for stmtAnnounceKeep), and marks the others as seen now.
func (st *Statements) entering(top []*stmtAgg, now time.Time) []*stmtAgg {
	var out []*stmtAgg
	for _, a := range top {
		if _, ok := st.announce[a.id]; ok {
			st.announce[a.id] = now
			continue
		}
		out = append(out, a)
	}
	return out
}

// pruneAnnounced forgets signatures out of the top for stmtAnnounceKeep,
// and the longest out beyond stmtAnnounceMax.
func (st *Statements) pruneAnnounced(now time.Time) {
	for id, at := range st.announce {
		if now.Sub(at) > stmtAnnounceKeep {
			delete(st.announce, id)
		}
	}
	if n := len(st.announce) - stmtAnnounceMax; n > 0 {
		ids := make([]stmtID, 0, len(st.announce))
		for id := range st.announce {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return st.announce[ids[i]].Before(st.announce[ids[j]]) })
		for _, id := range ids[:n] {
			delete(st.announce, id)
		}
	}
}

// stmtText is a fingerprint's text and index recommendations.
type stmtText struct {
	text string
	recs []string
}

// texts reads the fingerprint texts of the entering signatures: one
// statement for all of them.
func (st *Statements) texts(ctx context.Context, db *cluster.DB, src stmtSource, entering []*stmtAgg, since time.Time) (map[string]stmtText, error) {
	what := "read fingerprint texts (" + src.table() + ")"
	seen := map[string]bool{}
	var sigs []string
	for _, a := range entering {
		if !seen[a.id.sig] {
			seen[a.id.sig] = true
			sigs = append(sigs, a.id.sig)
		}
	}
	out := make(map[string]stmtText, len(sigs))
	type textRow struct {
		sig string
		t   stmtText
	}
	var rows []textRow
	var err error
	if src == stmtSourceNode {
		rows, err = queryRows(ctx, db, what, scanPrefixed(func(row pgx.CollectableRow) (textRow, error) {
			var r textRow
			err := row.Scan(&r.sig, &r.t.text)
			return r, err
		}), stmtNodeTextQuery, sigs, stmtTextMax)
	} else {
		ids := make([][]byte, 0, len(sigs))
		for _, s := range sigs {
			if b, err := hex.DecodeString(s); err == nil {
				ids = append(ids, b)
			}
		}
		recs := stmtRecsEmpty
		if src == stmtSourceClusterRecs {
			recs = stmtRecsArray
		}
		rows, err = queryRows(ctx, db, what, scanPrefixed(func(row pgx.CollectableRow) (textRow, error) {
			var r textRow
			err := row.Scan(&r.sig, &r.t.text, &r.t.recs)
			return r, err
		}), fmt.Sprintf(stmtClusterTextQuery, recs), ids, since, stmtTextMax)
	}
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.sig] = r.t
	}
	return out, nil
}

// stmtEvent announces a signature entering the top (stmtEntered sets its
// tags). Every string in it from the cluster is made one line and cut
// (oneLineText), except the fingerprint text, which keeps its lines but is
// cut too.
func stmtEvent(a *stmtAgg, t stmtText, topN int, now time.Time) Event {
	text := strings.TrimSpace(t.text)
	summary := oneLineText(text, stmtSummaryMax)
	if summary == "" {
		summary = "(fingerprint text not found)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Statement fingerprint %s of application %s in database %s entered the top %d by %s.\n\n",
		a.id.sig, oneLineText(stringOr(&a.id.app, "(unset)"), stmtNameMax), oneLineText(stringOr(&a.db, "(unknown)"), stmtNameMax),
		topN, strings.Join(a.ranks, ", "))
	if text == "" {
		b.WriteString("The fingerprint text was not found (the statistics were reset or flushed since).\n")
	} else {
		b.WriteString("Fingerprint (constants replaced by CockroachDB):\n")
		b.WriteString(stmtPrintable(truncateText(text, stmtTextMax)))
		b.WriteString("\n")
	}
	if len(t.recs) > 0 {
		b.WriteString("\nIndex recommendations (CockroachDB):\n")
		for i, r := range t.recs {
			if i == stmtRecsShown {
				fmt.Fprintf(&b, "(and %d more)\n", len(t.recs)-stmtRecsShown)
				break
			}
			b.WriteString("- " + oneLineText(r, stmtRecMax) + "\n")
		}
	}
	return Event{
		Title:          truncateText("Top statement: "+summary, stmtEventTitleMax),
		Text:           truncateText(b.String(), stmtEventTextMax),
		AggregationKey: "crdb-stmt-" + stmtAggKey(a.id),
		AlertType:      Info,
		Timestamp:      now,
	}
}

// stmtAggKey is a short stable key for a signature and application.
func stmtAggKey(id stmtID) string {
	sum := sha256.Sum256([]byte(id.sig + "\x00" + id.app))
	return hex.EncodeToString(sum[:8])
}

// stmtPrintable keeps newlines and tabs and replaces other control
// characters with spaces.
func stmtPrintable(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// stmtExplain makes a privilege failure name the grant the check needs:
// VIEWACTIVITY or VIEWACTIVITYREDACTED (a system privilege from v22.2, a
// role option before). The allow_unsafe_internals gate keeps the generic
// explanation.
func stmtExplain(err error, db *cluster.DB, src stmtSource) error {
	var ae *cluster.AccessError
	if !errors.As(err, &ae) || strings.Contains(ae.Hint, "allow_unsafe_internals") {
		return err
	}
	u := pgx.Identifier{ae.User}.Sanitize()
	return &stmtAccessError{table: src.table(), user: u, grant: viewActivityGrant(u, db.Server().Version), err: ae}
}

// viewActivityGrant is the statement that gives the (already quoted) SQL
// user u VIEWACTIVITY on server version v: a system privilege from v22.2,
// a role option before; both when the version is not known.
func viewActivityGrant(u string, v cluster.Version) string {
	switch {
	case v.AtLeast(22, 2):
		return "GRANT SYSTEM VIEWACTIVITY TO " + u
	case !v.IsZero():
		return "ALTER USER " + u + " WITH VIEWACTIVITY"
	}
	return "GRANT SYSTEM VIEWACTIVITY TO " + u + " (before v22.2: ALTER USER " + u + " WITH VIEWACTIVITY)"
}

// stmtAccessError is a refused read of the statement statistics.
type stmtAccessError struct {
	table, user, grant string
	err                *cluster.AccessError
}

func (e *stmtAccessError) Error() string {
	return fmt.Sprintf("read statement statistics (%s): SQL user %s needs the VIEWACTIVITY or VIEWACTIVITYREDACTED privilege (%s, SQLSTATE %s); to fix, run as an admin: %s",
		e.table, e.user, oneLineText(e.err.Err.Message, 300), e.err.Err.Code, e.grant)
}

func (e *stmtAccessError) Unwrap() error { return e.err }

// What the statements check sends. The per-signature gauges are sent for
// the union of the five rankings' top N: at most 5N signatures (100 with
// the default N of 20), typically about 2N as the lists overlap; PerNode
// states that typical count.
var (
	stmtExecutions = stmtGauge("statements.executions", "execution",
		"Executions per second of a top statement fingerprint over the last interval.")
	stmtServiceTime = stmtGauge("statements.service_time", "second",
		"Service time (parse to result) per second of wall time spent in a top statement fingerprint over the last interval: its load, the ranking of the top by service time.")
	stmtLatencyMean = stmtGauge("statements.latency.mean", "second",
		"Mean service latency of a top statement fingerprint's executions in the last interval.")
	stmtLatencyP99 = stmtGauge("statements.latency.p99", "second",
		"p99 service latency of a top statement fingerprint over its current aggregation bucket (hourly), where the version computes it (latencyInfo, v22.2 and later; 0 or absent otherwise, then not sent).")
	stmtRetries = stmtGauge("statements.retries", "execution",
		"Retried executions (automatic retries) per second of a top statement fingerprint over the last interval.")
	stmtContention = stmtGauge("statements.contention_time", "second",
		"Estimated contention time per second of a top statement fingerprint over the last interval: its executions times the mean contention of its sampled executions (v21.2 and later).")
	stmtFullScans = stmtGauge("statements.full_scans", "execution",
		"Executions per second of a top statement fingerprint whose plan scans a full table or index, over the last interval (v21.2 and later).")
	stmtIndexRecs = stmtGauge("statements.index_recommendations", "index",
		"Index recommendations CockroachDB makes for a top statement fingerprint (v22.2 and later); the event lists them.")
	stmtEntered = emit.EventSpec{Name: "statements.entered_top", Tags: emit.Keys("query_signature", "database", "app"),
		ClusterLevel: true, Optional: true,
		Description: "Event when a statement fingerprint first enters the top N (again after 24h out of it), titled \"Top statement: <fingerprint excerpt>\", with the fingerprint text (constants replaced by CockroachDB, cut to 2000 bytes), the rankings it entered and CockroachDB's index recommendations.",
	}.Register(stmtCheckName)
)

// stmtGauge registers one of the per-signature gauges, which share their
// tags.
func stmtGauge(name, unit, description string) *emit.GaugeDef {
	return emit.Gauge{Name: name, Unit: unit, Tags: emit.Keys("query_signature", "database", "app"),
		PerNode: 2 * DefaultStatementsTopN, ClusterLevel: true, Optional: true, Description: description,
	}.Register(stmtCheckName)
}
