package checks

// The ttl check watches every table with row-level TTL (v22.2+), in every
// database: how long since its last successful TTL job, whether the newest
// one failed, whether its schedule is paused, and (where that is cheap, or
// where the user asked) how many expired rows are still there and how old
// the oldest one is.
//
// Sources:
//   - "".crdb_internal.create_statements (the empty catalog name reads
//     every database, as cockroach debug zip does): SHOW CREATE TABLE text,
//     whose WITH (...) holds the TTL storage parameters.
//   - "<db>".pg_catalog.pg_index / pg_attribute: whether an index leads
//     with the expiration column (makes the row queries cheap).
//   - crdb_internal.jobs, job_type 'ROW LEVEL TTL': job -> table by the
//     description's first line, "ttl for <db.schema.table>".
//   - system.scheduled_jobs, executor 'scheduled-row-level-ttl-executor':
//     schedule -> table by the table ID in its label; paused when next_run
//     IS NULL (exactly how SHOW SCHEDULES derives PAUSED); schedule_expr is
//     the cron. Admin-only before v23.2 (then VIEWSYSTEMTABLE): a user
//     without access goes on without schedules.
//   - the table itself, AS OF SYSTEM TIME follower_read_timestamp().
//
// On PostgreSQL (tests) a query cannot reach another database, so there the
// catalog prefix is dropped: crdb_internal.create_statements is an emulated
// table holding rows for several database names, pg_catalog is the test
// database's own, and a table db.schema.table is read as schema.table.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/yamlx"
)

const (
	ttlCheckName = "ttl"

	// ttlExpirationColumn is the hidden column ttl_expire_after adds.
	ttlExpirationColumn = "crdb_internal_expiration"

	ttlDefaultRowLimit     = 100000
	ttlDefaultRowTimeout   = 5 * time.Second
	ttlDefaultMaxRowQuery  = 20
	ttlDefaultEventWindow  = time.Hour
	ttlDefaultRediscover   = 30 * time.Minute
	ttlScheduleExecutor    = "scheduled-row-level-ttl-executor"
	ttlFollowerReadAOST    = "follower_read_timestamp()"
	ttlFallbackAOST        = "'-30s'"
	ttlEventTextMax        = 4000
	ttlEventTitleMax       = 100
	ttlUnsupportedLogEvery = time.Hour
)

// Queries. %s is the catalog prefix: `"".` (every database) or `"db".` on
// CockroachDB, empty on PostgreSQL.
const (
	// LIKE narrows the transfer to tables whose text mentions ttl; the Go
	// parser decides. descriptor_type keeps views and sequences out.
	ttlTablesQuery = `SELECT database_name, schema_name, descriptor_id, descriptor_name, create_statement
FROM %screate_statements
WHERE descriptor_type = 'table' AND create_statement LIKE '%%ttl%%'`

	// Index keys as text ("3 1"), to find each index's first column; the
	// attribute numbers come from ttlColumnsQuery. Partial indexes cannot
	// serve a query over the whole table.
	ttlIndexesQuery = `SELECT n.nspname::TEXT, c.relname::TEXT, i.indkey::TEXT
FROM %[1]spg_catalog.pg_index AS i
JOIN %[1]spg_catalog.pg_class AS c ON c.oid = i.indrelid
JOIN %[1]spg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relname::TEXT = ANY($1::TEXT[]) AND i.indpred IS NULL`

	// attnum is int2, cast to the int64 it is scanned into.
	ttlColumnsQuery = `SELECT n.nspname::TEXT, c.relname::TEXT, a.attname::TEXT, a.attnum::INT8
FROM %[1]spg_catalog.pg_attribute AS a
JOIN %[1]spg_catalog.pg_class AS c ON c.oid = a.attrelid
JOIN %[1]spg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relname::TEXT = ANY($1::TEXT[]) AND a.attnum > 0`

	// For each table, the newest finished successful job and the newest
	// finished other one (failed, canceled, revert-failed): at most two
	// rows per table, whatever the retention holds.
	ttlJobsQuery = `SELECT DISTINCT ON (target, ok) target, ok, job_id, status, finished, error
FROM (
	SELECT split_part(description, E'\n', 1) AS target, status = 'succeeded' AS ok,
		job_id, status, finished, error
	FROM crdb_internal.jobs
	WHERE job_type = 'ROW LEVEL TTL'
		AND status IN ('succeeded', 'failed', 'canceled', 'revert-failed')
		AND finished IS NOT NULL
) AS j
ORDER BY target, ok, finished DESC`

	ttlSchedulesQuery = `SELECT schedule_id, schedule_name, next_run, schedule_expr FROM system.scheduled_jobs
WHERE executor_type = '` + ttlScheduleExecutor + `'`
)

// TTLOptions configures the ttl check.
type TTLOptions struct {
	// RowQueries turns the row queries (ttl.lag_seconds, ttl.expired_rows)
	// on or off for one table, keyed "db.schema.table". A table not listed
	// gets them where they read at most about RowLimit rows: where an index
	// leads with the expiration column (at most RowLimit index entries), or
	// where the table's estimated row count (its latest statistics, read
	// every cycle) is at most RowLimit, since elsewhere the query scans the
	// whole table. A table without statistics gets none.
	RowQueries map[string]bool
	// RowLimit caps the expired rows one row query reads; ttl.expired_rows
	// then reports at most RowLimit. It is also the size (estimated rows)
	// up to which an unindexed table gets row queries by default. Default
	// 100000.
	RowLimit int
	// RowQueryTimeout bounds each row query (the pool's statement timeout
	// still applies when shorter). Default 5s. A row query refused for lack
	// of privilege (SQLSTATE 42501) is logged once per table and skipped
	// until the next discovery; it does not make sql.can_query CRITICAL.
	RowQueryTimeout time.Duration
	// MaxRowQueries caps the row queries of one run, so that the check costs
	// a fixed number of statements whatever the number of TTL tables: when
	// more tables qualify, they take turns in name order (the next run
	// starts after the last table queried), and a table waiting for its
	// turn sends no new lag or expired-rows value (its series keep their
	// last point; none is zeroed). Default 20.
	MaxRowQueries int
	// EventWindow: on the first cycle, a TTL table's newest failed job is
	// announced only when it finished within this window (default 1h);
	// older failures show in ttl.last_job_failed only.
	EventWindow time.Duration
	// Rediscover is how often the list of TTL tables and their indexes is
	// read again (default 30m: the list costs the SHOW CREATE text of every
	// table); jobs and schedules are read every cycle.
	Rediscover time.Duration
	// NoSchedules skips system.scheduled_jobs (for users without access to
	// it): ttl.schedule_paused then reflects ttl_pause only, and
	// ttl.job_period_seconds comes from ttl_job_cron or the version's
	// default cron. Without it, a privilege error on the table (42501) is
	// logged once and the check goes on the same way, trying again at each
	// discovery.
	NoSchedules bool
	// Now is the clock ages are measured against; default time.Now.
	Now func() time.Time
}

func init() {
	Register(Registration[TTLOptions]{
		Name: ttlCheckName, SQL: true, Interval: 300 * time.Second, Timeout: 30 * time.Second,
		Doc: "row-level TTL: jobs, schedules, lag and expired rows per table",
		Defaults: func() TTLOptions {
			return TTLOptions{RowLimit: ttlDefaultRowLimit, RowQueries: map[string]bool{},
				RowQueryTimeout: ttlDefaultRowTimeout, MaxRowQueries: ttlDefaultMaxRowQuery, Rediscover: ttlDefaultRediscover}
		},
		Keys: []yamlx.Key[TTLOptions]{{
			Name: "row_limit", Default: strconv.Itoa(ttlDefaultRowLimit),
			Doc: "expired rows one row query reads at most (`crdb.ttl.expired_rows` is capped at it); also the estimated size up to which a table without an index on its expiration gets row queries",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *TTLOptions) {
				d.IntIn(v, p, 1, 1<<31-1, &o.RowLimit)
			},
		}, {
			Name: "row_queries", Default: "{}",
			Doc: "`{\"db.schema.table\": true}` or `false`: run (or not) the row queries for that table, whatever its indexes and size",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *TTLOptions) {
				o.RowQueries = decodeRowQueries(d, v, p)
			},
		}, {
			Name: "row_query_timeout", Default: ttlDefaultRowTimeout.String(),
			Doc: "bounds each row query (never past the run's deadline)",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *TTLOptions) {
				o.RowQueryTimeout, _ = d.Duration(v, p)
			},
		}, {
			Name: "max_row_queries", Default: strconv.Itoa(ttlDefaultMaxRowQuery),
			Doc: "row queries per run at most: beyond it the tables take turns (in name order), so the check's statements per run do not grow with the number of TTL tables",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *TTLOptions) {
				d.IntIn(v, p, 1, 10_000, &o.MaxRowQueries)
			},
		}, {
			Name: "schedules", Default: "true",
			Doc: "read `system.scheduled_jobs` (paused schedules, each job's cron), which needs admin before v23.2 or `VIEWSYSTEMTABLE`; `false` stops trying",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *TTLOptions) {
				if b, ok := d.Boolean(v, p); ok {
					o.NoSchedules = !b
				}
			},
		}, {
			Name: "rediscover_interval", Default: yamlx.FmtDuration(ttlDefaultRediscover),
			Doc: "how often the TTL tables and their indexes are read again (the `SHOW CREATE` text of every table)",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *TTLOptions) {
				o.Rediscover, _ = d.Duration(v, p)
			},
		}},
		New: func(o TTLOptions, _ Schedule) (Check, error) { return NewTTL(o) },
		Log: func(o TTLOptions) []slog.Attr {
			return []slog.Attr{slog.Int("row_limit", o.RowLimit), slog.Int("row_queries", len(o.RowQueries)), slog.Int("max_row_queries", o.MaxRowQueries),
				slog.Bool("schedules", !o.NoSchedules)}
		},
	})
}

// decodeRowQueries decodes the ttl check's per-table switches: a mapping of
// "database.schema.table" to true or false.
func decodeRowQueries(d *yamlx.Decoder, n *yaml.Node, path string) map[string]bool {
	out := map[string]bool{}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, path, `want a mapping of tables to true or false, like {"shop.public.sessions": true}, got %s`, yamlx.KindName(n))
		return out
	}
	for _, p := range d.Pairs(n, path) {
		kp := yamlx.KeyPath(path, p.Key)
		if !validTableName(p.Key, true) {
			d.Errorf(p.KeyNode, kp, "%q: want a table as database.schema.table, like shop.public.sessions", p.Key)
			continue
		}
		if b, ok := d.Boolean(p.Value, kp); ok {
			out[p.Key] = b
		}
	}
	return out
}

// TTL is the ttl check.
type TTL struct {
	o   TTLOptions
	now func() time.Time

	tables       []*ttlTable // nil until discovered, sorted by key
	discoveredAt time.Time
	// rowAfter is the key of the last table whose row query ran: when more
	// tables qualify than MaxRowQueries, the next run starts after it.
	rowAfter string
	// aost is the AS OF SYSTEM TIME expression of the row queries; it falls
	// back to a fixed interval when follower_read_timestamp() is refused
	// (enterprise-only on older versions).
	aost string
	// announced is the newest failed job announced per table; nil until the
	// jobs query first succeeds (first cycle: only recent failures).
	announced       map[ttlKey]int64
	unsupportedLogs time.Time

	// series holds the per-table series sent and their last value: when
	// the table drops out of the list (dropped, renamed, TTL removed) they
	// get a last value (see sweep) and are forgotten.
	series *seriesMemory
	// schedulesDenied: system.scheduled_jobs refused roachdog (42501); not
	// read again until the next discovery. schedulesWarned: said so once.
	schedulesDenied, schedulesWarned bool
	// deniedWarned: tables whose row query was refused, said so once.
	deniedWarned map[ttlKey]bool
	// estimatesWarned: table statistics refused, said so once.
	estimatesWarned bool
	// periods caches cron expression -> seconds between runs (0: unknown).
	periods map[string]float64
	admin   jobsAdminProbe
}

type ttlKey struct{ db, schema, table string }

func (k ttlKey) String() string { return k.db + "." + k.schema + "." + k.table }

// ttlTable is one table with row-level TTL.
type ttlTable struct {
	key    ttlKey
	id     int64
	params ttlParams
	// expr is the SQL of the expiration time; column is set when expr is
	// just a column (the one an index must lead with).
	expr, column string
	indexed      bool
	// estRows is the table's estimated row count from its latest
	// statistics, read each cycle for unindexed tables without a setting;
	// nil when unknown. autoScan is the last decision taken from it (for
	// logging a change once).
	estRows  *int64
	autoScan bool
	// denied: the row query was refused (no SELECT on the table); skipped
	// until the next discovery makes a new ttlTable.
	denied bool
	// schedExpr is the cron of the table's schedule as last read, kept
	// for the cycles where the schedules cannot be read.
	schedExpr string
}

// NewTTL returns the ttl check.
func NewTTL(o TTLOptions) (*TTL, error) {
	for k := range o.RowQueries {
		if strings.Count(k, ".") < 2 {
			return nil, fmt.Errorf("ttl: row_queries key %q: want db.schema.table", k)
		}
	}
	switch {
	case o.RowLimit < 0:
		return nil, fmt.Errorf("ttl: row limit must be positive, got %d", o.RowLimit)
	case o.RowQueryTimeout < 0:
		return nil, fmt.Errorf("ttl: row query timeout must be positive, got %s", o.RowQueryTimeout)
	case o.MaxRowQueries < 0:
		return nil, fmt.Errorf("ttl: max row queries must be positive, got %d", o.MaxRowQueries)
	case o.EventWindow < 0:
		return nil, fmt.Errorf("ttl: event window must be positive, got %s", o.EventWindow)
	case o.Rediscover < 0:
		return nil, fmt.Errorf("ttl: rediscover interval must be positive, got %s", o.Rediscover)
	}
	if o.RowLimit == 0 {
		o.RowLimit = ttlDefaultRowLimit
	}
	if o.RowQueryTimeout == 0 {
		o.RowQueryTimeout = ttlDefaultRowTimeout
	}
	if o.MaxRowQueries == 0 {
		o.MaxRowQueries = ttlDefaultMaxRowQuery
	}
	if o.EventWindow == 0 {
		o.EventWindow = ttlDefaultEventWindow
	}
	if o.Rediscover == 0 {
		o.Rediscover = ttlDefaultRediscover
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	// The caller's map may change later; the check keeps its own copy.
	rq := make(map[string]bool, len(o.RowQueries))
	for k, v := range o.RowQueries {
		rq[k] = v
	}
	o.RowQueries = rq
	return &TTL{o: o, now: now, aost: ttlFollowerReadAOST,
		series: newSeriesMemory(seriesZeroOnce, 0).keepLast(ttlPeriodMetric), deniedWarned: map[ttlKey]bool{}, periods: map[string]float64{}}, nil
}

// Name returns "ttl", the check's configuration key.
func (c *TTL) Name() string { return ttlCheckName }

// ttlJobs is what the jobs query says about one table.
type ttlJobs struct {
	lastSuccess             *time.Time
	other                   bool // a non-succeeded finished job exists
	otherID                 int64
	otherStatus, otherError string
	otherFinished           time.Time
}

// Run collects once.
func (c *TTL) Run(ctx context.Context, t *Target, s Sink) error {
	if err := needSQL(t, s, ttlCheckName); err != nil {
		return err
	}
	log := t.Log()
	// Connect first: which server it is decides the queries' shape.
	if err := t.SQL.Ping(ctx); err != nil {
		err = fmt.Errorf("connect: %w", err)
		reportQuery(s, ttlCheckName, err)
		return err
	}
	srv := t.SQL.Server()
	if v := srv.Version; !v.IsZero() && !v.AtLeast(22, 2) {
		// Row-level TTL is GA in v22.2 (a preview in v22.1, absent before).
		if now := c.now(); now.Sub(c.unsupportedLogs) >= ttlUnsupportedLogEvery {
			c.unsupportedLogs = now
			log.Info("row-level TTL needs CockroachDB v22.2 or later; the ttl check reports no tables", "version", v.String())
		}
		ttlTablesMetric.Send(s, 0)
		reportQuery(s, ttlCheckName, nil)
		return nil
	}
	now := c.now()
	var errs []error
	fail := func(err error) {
		log.Error("ttl query failed", "err", err)
		errs = append(errs, err)
	}
	// Before v23.1 the TTL jobs (owned by node) are invisible to a
	// non-admin user: the job series would say "never ran".
	warning := c.admin.check(ctx, t.SQL, now, log,
		"ttl.job_age_seconds, ttl.last_job_failed and the TTL failure events miss every TTL job")

	if c.tables == nil || now.Sub(c.discoveredAt) >= c.o.Rediscover {
		tables, err := c.discover(ctx, t.SQL, srv.IsCockroach, log)
		if err != nil {
			fail(err)
		}
		if tables != nil {
			// Keep what was logged about each table's size.
			scanned := map[ttlKey]bool{}
			for _, tb := range c.tables {
				scanned[tb.key] = tb.autoScan
			}
			for _, tb := range tables {
				tb.autoScan = scanned[tb.key]
			}
			// Also after a partial failure (indexes unreadable): the list
			// is right, only row queries wait for the next discovery.
			c.tables, c.discoveredAt = tables, now
			c.schedulesDenied = false // a GRANT may have come since
			clear(c.periods)
		}
	}
	if c.tables == nil { // never discovered: nothing to report on
		err := combineQueryErrors(errs)
		reportQueryWarning(s, ttlCheckName, err, warning)
		return err
	}
	ttlTablesMetric.Send(s, float64(len(c.tables)))
	c.sweep(s, now)
	if len(c.tables) == 0 { // no TTL anywhere: nothing else to read
		err := combineQueryErrors(errs)
		reportQueryWarning(s, ttlCheckName, err, warning)
		return nil
	}

	jobs, err := c.readJobs(ctx, t.SQL, log)
	if err != nil {
		fail(err)
	}
	var schedules map[int64]ttlSchedule
	if !c.o.NoSchedules && !c.schedulesDenied {
		if schedules, err = c.readSchedules(ctx, t.SQL, log); err != nil {
			if ae := (*cluster.AccessError)(nil); errors.As(err, &ae) {
				c.schedulesDenied = true
				c.warnSchedulesDenied(log, ae, srv.Version)
			} else {
				fail(err)
			}
		}
	}

	if err := c.readEstimates(ctx, t.SQL, srv.IsCockroach, log); err != nil {
		fail(err)
	}

	first := c.announced == nil
	if jobs != nil && first {
		c.announced = map[ttlKey]int64{}
	}
	turns := c.rowTurns()
	for _, tb := range c.tables {
		if ctx.Err() != nil {
			break
		}
		if err := c.reportTable(ctx, t.SQL, s, tb, turns[tb], jobs, schedules, first, now, srv, log); err != nil {
			fail(err)
		}
	}
	err = combineQueryErrors(errs)
	reportQueryWarning(s, ttlCheckName, err, warning)
	if ctx.Err() != nil {
		return err
	}
	return nil
}

// warnSchedulesDenied logs, once, that system.scheduled_jobs is refused and
// what would open it.
func (c *TTL) warnSchedulesDenied(log *slog.Logger, ae *cluster.AccessError, v cluster.Version) {
	if c.schedulesWarned {
		log.Debug("ttl: system.scheduled_jobs still refused; going on without schedules", "err", ae)
		return
	}
	c.schedulesWarned = true
	u := pgx.Identifier{ae.User}.Sanitize()
	fix := ae.Hint
	switch {
	case strings.Contains(ae.Hint, "allow_unsafe_internals"):
		// v26.1 gate: the hint already says how to open it.
	case v.IsZero() || v.AtLeast(23, 2):
		fix = "GRANT SYSTEM VIEWSYSTEMTABLE TO " + u + " (it reads every system table; before v23.2: GRANT admin TO " + u + ")"
	default:
		fix = "GRANT admin TO " + u + " (system tables cannot be granted one by one before v23.2)"
	}
	log.Warn("ttl: cannot read system.scheduled_jobs; going on without schedules: ttl.schedule_paused reflects ttl_pause only "+
		"and ttl.job_period_seconds comes from ttl_job_cron or the default cron. To read them, run as an admin the statement in fix; "+
		"to stop trying, set checks.ttl.schedules: false", "err", ae.Err.Message, "fix", fix)
}

// sweep sends a last value for the series of tables that left the list
// (dropped, renamed, TTL removed) and forgets them: 0 for each, so that a
// monitor on them recovers instead of keeping its last state for ever,
// except ttl.job_period_seconds, which keeps its last value (the job age
// drops to 0 and job_age / period with it, where 0/0 would give no value).
func (c *TTL) sweep(s Sink, now time.Time) {
	current := make(map[ttlKey]bool, len(c.tables))
	c.series.begin()
	for _, tb := range c.tables {
		current[tb.key] = true
		db, table := ttlTagValues(tb.key)
		for _, d := range ttlTableMetrics {
			c.series.present(d.Series(db, table))
		}
	}
	c.series.sweep(s, now)
	for k := range c.announced {
		if !current[k] {
			delete(c.announced, k)
		}
	}
	for k := range c.deniedWarned {
		if !current[k] {
			delete(c.deniedWarned, k)
		}
	}
}

// ttlTableMetrics are the per-table series, tagged with ttlTagValues.
var ttlTableMetrics = []*emit.GaugeDef{ttlJobAgeMetric, ttlLagMetric, ttlExpiredMetric, ttlLastFailedMetric, ttlPausedMetric, ttlPeriodMetric}

// ttlTagValues are a table's database and table tag values.
func ttlTagValues(k ttlKey) (db, table string) { return k.db, k.schema + "." + k.table }

// rowTurns picks the tables whose row query runs this time: every table
// that qualifies (runsRowQuery) when they are at most MaxRowQueries, else
// MaxRowQueries of them in name order, starting after the last one queried
// and wrapping around, so that each gets its turn.
func (c *TTL) rowTurns() map[*ttlTable]bool {
	var due []*ttlTable
	for _, tb := range c.tables {
		if c.runsRowQuery(tb) {
			due = append(due, tb)
		}
	}
	if len(due) > c.o.MaxRowQueries {
		start := sort.Search(len(due), func(i int) bool { return due[i].key.String() > c.rowAfter })
		due = slices.Concat(due[start:], due[:start])[:c.o.MaxRowQueries]
	}
	turns := make(map[*ttlTable]bool, len(due))
	for _, tb := range due {
		turns[tb] = true
	}
	if len(due) > 0 {
		c.rowAfter = due[len(due)-1].key.String()
	}
	return turns
}

// reportTable sends one table's series; jobs is nil when the jobs could not
// be read (no job series then, rather than zeros that look healthy). turn:
// the table's row query runs this time (rowTurns); a table that waits keeps
// its lag and expired-rows series as they are. The error is the row query's.
func (c *TTL) reportTable(ctx context.Context, db *cluster.DB, s Sink, tb *ttlTable, turn bool, jobs map[ttlKey]ttlJobs,
	schedules map[int64]ttlSchedule, first bool, now time.Time, srv cluster.ServerInfo, log *slog.Logger) error {
	dbTag, tableTag := ttlTagValues(tb.key)
	gauge := func(d *emit.GaugeDef, v float64) { c.series.gauge(s, now, d.Series(dbTag, tableTag), v) }
	sched := schedules[tb.id]
	if schedules != nil {
		tb.schedExpr = sched.expr // "" when the table has no schedule
	}
	gauge(ttlPausedMetric, ttlBool(tb.params.Pause || sched.paused))

	// The cron as the table states it, else the schedule's own (a table
	// made before an upgrade keeps the old default), else the version's
	// default.
	cron := tb.params.Cron
	if cron == "" {
		cron = tb.schedExpr
	}
	if cron == "" {
		cron = ttlDefaultCron(srv.Version)
	}
	if p := c.period(cron); p > 0 {
		gauge(ttlPeriodMetric, p)
	}

	if jobs != nil {
		j := jobs[tb.key]
		if j.lastSuccess != nil {
			gauge(ttlJobAgeMetric, max(now.Sub(*j.lastSuccess).Seconds(), 0))
		}
		// Failed: the newest finished job, unless a success came after it.
		failed := j.other && (j.otherStatus == jobsFailed || j.otherStatus == jobsRevertFailed) &&
			(j.lastSuccess == nil || j.otherFinished.After(*j.lastSuccess))
		gauge(ttlLastFailedMetric, ttlBool(failed))
		if failed && c.announced[tb.key] != j.otherID {
			if !first || now.Sub(j.otherFinished) <= c.o.EventWindow {
				ttlFailedEvent.Send(s, ttlFailureEvent(tb, j), dbTag, tableTag)
			}
			c.announced[tb.key] = j.otherID
		}
	}

	if !c.runsRowQuery(tb) {
		return nil
	}
	if !turn {
		c.series.present(ttlLagMetric.Series(dbTag, tableTag))
		c.series.present(ttlExpiredMetric.Series(dbTag, tableTag))
		return nil
	}
	n, oldest, err := c.rowQuery(ctx, db, srv.IsCockroach, tb, now)
	if ae := (*cluster.AccessError)(nil); errors.As(err, &ae) {
		// A configuration matter, not a failure of the cluster: say it
		// once, skip the table until the next discovery.
		tb.denied = true
		if c.deniedWarned[tb.key] {
			log.Debug("ttl: row query still refused", "table", tb.key.String(), "err", ae.Err.Message)
			return nil
		}
		c.deniedWarned[tb.key] = true
		u := pgx.Identifier{ae.User}.Sanitize()
		rel := pgx.Identifier{tb.key.db, tb.key.schema, tb.key.table}.Sanitize()
		log.Warn("ttl: no privilege to count the expired rows of a table; ttl.lag_seconds and ttl.expired_rows are not sent for it. "+
			"To count them, run as an admin the statement in fix; to stop trying, set it to false in checks.ttl.row_queries",
			"table", tb.key.String(), "err", ae.Err.Message, "fix", "GRANT SELECT ON TABLE "+rel+" TO "+u)
		return nil
	}
	if err != nil {
		return err
	}
	if n >= int64(c.o.RowLimit) {
		log.Debug("expired rows capped at the row limit", "table", tb.key.String(), "limit", c.o.RowLimit)
	}
	lag := 0.0
	if oldest != nil {
		lag = max(now.Sub(*oldest).Seconds(), 0)
	}
	gauge(ttlLagMetric, lag)
	gauge(ttlExpiredMetric, float64(n))
	return nil
}

// ttlDefaultCron is ttl_job_cron's default: '@hourly' in v22.2 and v23.1,
// '@daily' from v23.2 (and when the version is unknown: the newest shape).
func ttlDefaultCron(v cluster.Version) string {
	if !v.IsZero() && !v.AtLeast(23, 2) {
		return "@hourly"
	}
	return "@daily"
}

// period returns the seconds between two runs of cron (the longest gap),
// 0 when roachdog cannot tell; cached until the next discovery.
func (c *TTL) period(cron string) float64 {
	if p, ok := c.periods[cron]; ok {
		return p
	}
	p := 0.0
	if d, ok := ttlCronPeriod(cron); ok {
		p = d.Seconds()
	}
	c.periods[cron] = p
	return p
}

func ttlBool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ttlFailureEvent announces a table's newest TTL job failure (ttlFailedEvent
// adds the table's tags).
func ttlFailureEvent(tb *ttlTable, j ttlJobs) Event {
	name := tb.key.String()
	title := "Row-level TTL job for " + name + " failed"
	var b strings.Builder
	if j.otherError == "" {
		b.WriteString("(no error text recorded)")
	} else {
		b.WriteString(j.otherError)
	}
	fmt.Fprintf(&b, "\n\nJob %d (%s), finished %s.", j.otherID, j.otherStatus, j.otherFinished.UTC().Format(time.RFC3339))
	if j.lastSuccess != nil {
		fmt.Fprintf(&b, " Last successful TTL job finished %s.", j.lastSuccess.UTC().Format(time.RFC3339))
	} else {
		b.WriteString(" No successful TTL job is retained for this table.")
	}
	if tb.params.Cron != "" {
		fmt.Fprintf(&b, " Schedule: %s.", tb.params.Cron)
	}
	return Event{
		Title:          truncateText(title, ttlEventTitleMax),
		Text:           truncateText(b.String(), ttlEventTextMax),
		AggregationKey: "crdb-ttl-" + name,
		AlertType:      Error,
		Timestamp:      j.otherFinished,
	}
}

// runsRowQuery: an explicit setting wins; otherwise indexed tables, and
// unindexed ones estimated at most RowLimit rows (see TTLOptions).
func (c *TTL) runsRowQuery(tb *ttlTable) bool {
	if tb.denied {
		return false
	}
	if on, ok := c.o.RowQueries[tb.key.String()]; ok {
		return on && tb.expr != ""
	}
	if tb.indexed {
		return true
	}
	return tb.expr != "" && tb.estRows != nil && *tb.estRows <= int64(c.o.RowLimit)
}

// sizeDecides reports whether the table's row query depends on its size.
func (c *TTL) sizeDecides(tb *ttlTable) bool {
	_, set := c.o.RowQueries[tb.key.String()]
	return !set && !tb.indexed && !tb.denied && tb.expr != ""
}

// ttlRowStatsQuery reads the latest statistics' row estimates of one
// database's tables: crdb_internal.table_row_statistics covers the
// current (here: the named) database, from the statistics cache (no scan,
// no contention); NULL for a table without statistics.
const ttlRowStatsQuery = `SELECT table_id, estimated_row_count FROM %scrdb_internal.table_row_statistics WHERE table_id = ANY($1::INT8[])`

// readEstimates sets estRows on the tables whose row query depends on
// their size, one query per database holding such tables, and logs each
// table's switch between scanned and not, once per change. A failure
// leaves those tables without row queries this cycle; it is returned for
// sql.can_query.
func (c *TTL) readEstimates(ctx context.Context, db *cluster.DB, crdb bool, log *slog.Logger) error {
	byDB := map[string][]*ttlTable{}
	var dbs []string
	for _, tb := range c.tables {
		if !c.sizeDecides(tb) {
			continue
		}
		tb.estRows = nil
		if _, ok := byDB[tb.key.db]; !ok {
			dbs = append(dbs, tb.key.db)
		}
		byDB[tb.key.db] = append(byDB[tb.key.db], tb)
	}
	var errs []error
	for _, name := range dbs {
		tables := byDB[name]
		if err := c.readDBEstimates(ctx, db, crdb, name, tables); err != nil {
			if ae := (*cluster.AccessError)(nil); errors.As(err, &ae) {
				// A configuration matter (v26.1+ without
				// allow_unsafe_internals): those tables go without row
				// queries, said once.
				if !c.estimatesWarned {
					c.estimatesWarned = true
					log.Warn("ttl: cannot read table statistics; unindexed TTL tables get no row queries unless enabled in checks.ttl.row_queries",
						"database", name, "err", ae.Err.Message, "fix", ae.Hint)
				}
				continue
			}
			errs = append(errs, err)
			continue
		}
		for _, tb := range tables {
			on := c.runsRowQuery(tb)
			if on == tb.autoScan {
				continue
			}
			tb.autoScan = on
			est := any("unknown")
			if tb.estRows != nil {
				est = *tb.estRows
			}
			if on {
				log.Info("ttl: no index leads with the expiration column, but the table is small: its expired rows are counted by a scan",
					"table", tb.key.String(), "estimated_rows", est, "row_limit", c.o.RowLimit)
			} else {
				log.Info("ttl: no index leads with the expiration column and the table is over row_limit (or has no statistics): ttl.lag_seconds and ttl.expired_rows are not sent for it; set it to true in checks.ttl.row_queries to scan it anyway",
					"table", tb.key.String(), "estimated_rows", est, "row_limit", c.o.RowLimit)
			}
		}
	}
	return errors.Join(errs...)
}

func (c *TTL) readDBEstimates(ctx context.Context, db *cluster.DB, crdb bool, dbName string, tables []*ttlTable) error {
	ids := make([]int64, 0, len(tables))
	byID := make(map[int64]*ttlTable, len(tables))
	for _, tb := range tables {
		if tb.id > 0 {
			ids = append(ids, tb.id)
			byID[tb.id] = tb
		}
	}
	if len(ids) == 0 {
		return nil
	}
	type estimate struct {
		ID int64
		N  *int64
	}
	estimates, err := queryRows(ctx, db, fmt.Sprintf("read row estimates of TTL tables in database %s (crdb_internal.table_row_statistics)", dbName),
		pgx.RowToStructByPos[estimate], fmt.Sprintf(ttlRowStatsQuery, ttlPrefix(crdb, dbName)), ids)
	if err != nil {
		return err
	}
	for _, e := range estimates {
		if tb := byID[e.ID]; tb != nil && e.N != nil && *e.N >= 0 {
			v := *e.N
			tb.estRows = &v
		}
	}
	return nil
}

// ttlPrefix returns the catalog prefix for db: `"db".` on CockroachDB,
// nothing on PostgreSQL (see the file comment).
func ttlPrefix(crdb bool, db string) string {
	if !crdb {
		return ""
	}
	return pgx.Identifier{db}.Sanitize() + "."
}

// discover lists the TTL tables and which have an index leading with their
// expiration column.
func (c *TTL) discover(ctx context.Context, db *cluster.DB, crdb bool, log *slog.Logger) ([]*ttlTable, error) {
	prefix := "crdb_internal."
	if crdb {
		prefix = `"".crdb_internal.`
	}
	rows, err := db.Query(ctx, fmt.Sprintf(ttlTablesQuery, prefix))
	if err != nil {
		return nil, fmt.Errorf("list TTL tables (crdb_internal.create_statements): %w", err)
	}
	// Streamed: one SHOW CREATE text per table of the cluster, most of
	// them without TTL, none kept.
	tables := []*ttlTable{}
	var dbName, schema *string
	var id *int64
	var name, stmt string
	_, err = pgx.ForEachRow(rows, []any{&dbName, &schema, &id, &name, &stmt}, func() error {
		p := ttlParseCreate(stmt)
		if !p.On || dbName == nil || schema == nil {
			return nil
		}
		tb := &ttlTable{key: ttlKey{*dbName, *schema, name}, params: p}
		if id != nil {
			tb.id = *id
		}
		switch {
		case p.Expression != "":
			tb.expr = "(" + p.Expression + ")"
			if col, ok := ttlPlainColumn(p.Expression); ok {
				tb.column = col
			}
		default:
			tb.column = ttlExpirationColumn
		}
		if tb.column != "" {
			tb.expr = pgx.Identifier{tb.column}.Sanitize()
		}
		tables = append(tables, tb)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list TTL tables (crdb_internal.create_statements): %w", err)
	}
	sort.Slice(tables, func(a, b int) bool { return tables[a].key.String() < tables[b].key.String() })

	// Index information, per database, for the tables whose row queries
	// depend on it. A failure leaves them unindexed (no row query) and is
	// reported; the table list itself stands.
	byDB := map[string][]*ttlTable{}
	var dbs []string
	for _, tb := range tables {
		if _, set := c.o.RowQueries[tb.key.String()]; set || tb.column == "" {
			continue
		}
		if _, ok := byDB[tb.key.db]; !ok {
			dbs = append(dbs, tb.key.db)
		}
		byDB[tb.key.db] = append(byDB[tb.key.db], tb)
	}
	var firstErr error
	for _, name := range dbs {
		if err := c.markIndexed(ctx, db, crdb, name, byDB[name]); err != nil {
			log.Error("ttl: cannot read indexes; row queries skipped for this database", "database", name, "err", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	log.Debug("discovered TTL tables", "tables", len(tables))
	if firstErr != nil {
		// Keep the list (returned) but say what failed.
		return tables, ttlPartialError{firstErr}
	}
	return tables, nil
}

// ttlPartialError marks a discovery that found the tables but not all their
// indexes.
type ttlPartialError struct{ err error }

func (e ttlPartialError) Error() string { return e.err.Error() }
func (e ttlPartialError) Unwrap() error { return e.err }

// markIndexed sets indexed on the tables of one database that have an index
// (primary or secondary, not partial) whose first key column is their
// expiration column.
func (c *TTL) markIndexed(ctx context.Context, db *cluster.DB, crdb bool, dbName string, tables []*ttlTable) error {
	prefix := ttlPrefix(crdb, dbName)
	names := make([]string, 0, len(tables))
	for _, tb := range tables {
		names = append(names, tb.key.table)
	}
	type rel struct{ schema, table string }
	// Attribute number of each table's expiration column.
	want := map[rel]string{}
	for _, tb := range tables {
		want[rel{tb.key.schema, tb.key.table}] = tb.column
	}
	type column struct {
		Schema, Table, Column string
		Num                   int64
	}
	columns, err := queryRows(ctx, db, fmt.Sprintf("read columns of TTL tables in database %s (pg_catalog.pg_attribute)", dbName),
		pgx.RowToStructByPos[column], fmt.Sprintf(ttlColumnsQuery, prefix), names)
	if err != nil {
		return err
	}
	attnum := map[rel]int64{}
	for _, col := range columns {
		r := rel{col.Schema, col.Table}
		if w, ok := want[r]; ok && w == col.Column {
			attnum[r] = col.Num
		}
	}
	type index struct {
		Schema, Table string
		Indkey        *string
	}
	indexes, err := queryRows(ctx, db, fmt.Sprintf("read indexes of TTL tables in database %s (pg_catalog.pg_index)", dbName),
		pgx.RowToStructByPos[index], fmt.Sprintf(ttlIndexesQuery, prefix), names)
	if err != nil {
		return err
	}
	leads := map[rel]bool{}
	for _, ix := range indexes {
		if ix.Indkey == nil {
			continue
		}
		r := rel{ix.Schema, ix.Table}
		if first, ok := ttlFirstIndexKey(*ix.Indkey); ok {
			if num, known := attnum[r]; known && num == first {
				leads[r] = true
			}
		}
	}
	for _, tb := range tables {
		tb.indexed = leads[rel{tb.key.schema, tb.key.table}]
	}
	return nil
}

// readJobs returns, per table, its newest successful and newest other
// finished TTL job.
func (c *TTL) readJobs(ctx context.Context, db *cluster.DB, log *slog.Logger) (map[ttlKey]ttlJobs, error) {
	type job struct {
		Target   *string
		OK       bool
		ID       int64
		Status   *string
		Finished time.Time
		ErrText  *string
	}
	jobs, err := queryRows(ctx, db, "read ROW LEVEL TTL jobs (crdb_internal.jobs)", pgx.RowToStructByPos[job], ttlJobsQuery)
	if err != nil {
		return nil, err
	}
	out := map[ttlKey]ttlJobs{}
	for _, r := range jobs {
		if r.Target == nil {
			continue
		}
		d, s, tbl, found := ttlJobTarget(*r.Target)
		if !found {
			log.Debug("ttl: job description names no table", "job_id", r.ID, "description", *r.Target)
			continue
		}
		k := ttlKey{d, s, tbl}
		j := out[k]
		if r.OK {
			f := r.Finished
			j.lastSuccess = &f
		} else {
			j.other, j.otherID, j.otherFinished = true, r.ID, r.Finished
			j.otherStatus, j.otherError = stringOr(r.Status, ""), stringOr(r.ErrText, "")
		}
		out[k] = j
	}
	return out, nil
}

// ttlSchedule is a table's TTL schedule: paused or not, and its cron.
type ttlSchedule struct {
	paused bool
	expr   string
}

// readSchedules returns the TTL schedules by table ID.
func (c *TTL) readSchedules(ctx context.Context, db *cluster.DB, log *slog.Logger) (map[int64]ttlSchedule, error) {
	type schedule struct {
		ID    int64
		Label string
		Next  *time.Time
		Expr  *string
	}
	schedules, err := queryRows(ctx, db, "read TTL schedules (system.scheduled_jobs)", pgx.RowToStructByPos[schedule], ttlSchedulesQuery)
	if err != nil {
		return nil, err
	}
	out := map[int64]ttlSchedule{}
	for _, r := range schedules {
		table, ok := ttlScheduleTableID(r.Label)
		if !ok {
			log.Debug("ttl: schedule label names no table ID", "schedule_id", r.ID, "label", r.Label)
			continue
		}
		out[table] = ttlSchedule{paused: r.Next == nil, expr: stringOr(r.Expr, "")}
	}
	return out, nil
}

// rowQuery counts a table's expired rows (at most RowLimit) and finds the
// oldest one's expiration. With an index leading with the expiration
// column this reads at most RowLimit index entries; elsewhere it scans the
// table (opt-in only). On CockroachDB it reads a follower snapshot a few
// seconds old, so it does not contend with the workload or the TTL job.
func (c *TTL) rowQuery(ctx context.Context, db *cluster.DB, crdb bool, tb *ttlTable, now time.Time) (int64, *time.Time, error) {
	rel := pgx.Identifier{tb.key.schema, tb.key.table}
	if crdb {
		rel = pgx.Identifier{tb.key.db, tb.key.schema, tb.key.table}
	}
	// tb.expr is either a quoted column or the table's own
	// ttl_expiration_expression, which CockroachDB validated and runs in
	// its TTL job: it is SQL by definition.
	inner := fmt.Sprintf("SELECT %[1]s AS e FROM %[2]s WHERE %[1]s < $1 ORDER BY %[1]s LIMIT %[3]d",
		tb.expr, rel.Sanitize(), c.o.RowLimit)
	run := func(aost string) (int64, *time.Time, error) {
		q := "SELECT count(*), min(e) FROM (" + inner + ") AS expired"
		if aost != "" {
			q += " AS OF SYSTEM TIME " + aost
		}
		qctx, cancel := context.WithTimeout(ctx, c.o.RowQueryTimeout)
		defer cancel()
		var n int64
		var oldest *time.Time
		err := db.QueryRow(qctx, q, now.UTC()).Scan(&n, &oldest)
		return n, oldest, err
	}
	aost := ""
	if crdb {
		aost = c.aost
	}
	n, oldest, err := run(aost)
	if err != nil && crdb && aost == ttlFollowerReadAOST && ttlFollowerReadRefused(err) {
		c.aost = ttlFallbackAOST
		n, oldest, err = run(c.aost)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("count expired rows of %s: %w", tb.key.String(), err)
	}
	return n, oldest, nil
}

// ttlFollowerReadRefused recognises follower_read_timestamp() being
// unavailable (an enterprise feature before it moved to the core).
func ttlFollowerReadRefused(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "follower_read_timestamp") || strings.Contains(msg, "enterprise")
}

// What the TTL check sends.
var (
	ttlJobAgeMetric = ttlTableGauge("ttl.job_age_seconds", "second",
		"Per TTL table: seconds since its last successful ROW LEVEL TTL job finished (not sent when none is retained).")
	ttlLagMetric = ttlTableGauge("ttl.lag_seconds", "second",
		"Per TTL table: age of the oldest expired row still there, 0 when none (where the row query runs).")
	ttlExpiredMetric = ttlTableGauge("ttl.expired_rows", "row",
		"Per TTL table: expired rows still there, capped at the row limit (where the row query runs).")
	ttlLastFailedMetric = ttlTableGauge("ttl.last_job_failed", "",
		"Per TTL table: 1 when its newest finished TTL job failed, else 0.")
	ttlPausedMetric = ttlTableGauge("ttl.schedule_paused", "",
		"Per TTL table: 1 when its TTL schedule is paused or the table has ttl_pause set, else 0.")
	ttlPeriodMetric = ttlTableGauge("ttl.job_period_seconds", "second",
		"Per TTL table: the longest time between two runs of its TTL job's cron (ttl_job_cron, else the schedule's, else the version's default); not sent for a cron roachdog cannot read.")
	ttlTablesMetric = emit.Gauge{Name: "ttl.tables", Unit: "table", PerNode: 1, ClusterLevel: true,
		Description: "Tables with row-level TTL, in every database.",
	}.Register(ttlCheckName)
	ttlFailedEvent = emit.EventSpec{Name: "ttl.job_failed", Tags: emit.Keys("database", "table"), ClusterLevel: true,
		Description: "Event when a TTL table's newest TTL job failed, with the error text in the body.",
	}.Register(ttlCheckName)
)

// ttlTableGauge defines a per-table gauge (tags: ttlTagValues).
func ttlTableGauge(name, unit, desc string) *emit.GaugeDef {
	return emit.Gauge{Name: name, Unit: unit, Tags: emit.Keys("database", "table"), Description: desc,
		PerNode: 1, ClusterLevel: true}.Register(ttlCheckName)
}
