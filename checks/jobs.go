package checks

// The jobs check reads crdb_internal.jobs: how many jobs of each type are in
// each status, the failures of the last window (with an event carrying the
// error text for each newly failed job), how far behind each changefeed's
// high-water mark is, and how old the newest successful backup is.
//
// crdb_internal.jobs has the columns used here (job_id, job_type, status,
// finished, description, error, high_water_timestamp) from v20.2 to v26.x.
// Their types move (TIMESTAMP until v23.1, TIMESTAMPTZ from v23.2; pgx scans
// both into time.Time) and from v25.1 the table is rebuilt from system.jobs,
// job_progress and job_status, where columns roachdog does not read
// (descriptor_ids, trace_id, execution_errors) are NULL.
//
// The table is virtual: every read decodes the retained job records (on
// older versions, every payload protobuf). So the counts, the failures and
// the changefeeds come from one read per cycle; only the newest successful
// backup, which may be older than the window, has a query of its own.

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
	jobsCheckName = "jobs"

	jobsDefaultWindow    = time.Hour
	jobsEventTextMax     = 4000 // Datadog truncates event text beyond this
	jobsEventTitleMax    = 100  // and titles beyond this
	jobsDescriptionShown = 1000 // job description excerpt in event texts
	// jobsAdminRecheck is how long the answer of crdb_internal.is_admin()
	// is trusted (a GRANT admin shows within this).
	jobsAdminRecheck = time.Hour
)

// DefaultJobsEventExcludeTypes are the job types whose failures get no
// event by default: automatic statistics fail routinely (a table dropped
// under them) and the ttl check announces ROW LEVEL TTL failures per table.
// They are still counted in jobs.count and jobs.failed.
var DefaultJobsEventExcludeTypes = []string{"AUTO CREATE STATS", "AUTO CREATE PARTIAL STATS", "ROW LEVEL TTL"}

// Job statuses (show-jobs.md). Terminal ones count only when the job finished
// within the window; every other status counts while the job is in it.
const (
	jobsSucceeded    = "succeeded"
	jobsFailed       = "failed"
	jobsCanceled     = "canceled"
	jobsRevertFailed = "revert-failed"
)

// Queries. $1 is the start of the window (UTC): a TIMESTAMP parameter takes
// the wall clock as given, a TIMESTAMPTZ one the instant, both right in UTC.
const (
	// Every job still going, plus terminal ones that finished in the
	// window: one row each. The error and description are sent only for
	// failures, the high-water mark only for changefeeds, so that the
	// routine rows (AUTO CREATE STATS by the thousand on a busy cluster)
	// stay a few bytes. high_water_timestamp is a DECIMAL "<wall
	// nanos>.<logical>", read as text so that no digit is lost to a float.
	jobsQuery = `SELECT job_id, job_type, status, finished,
	CASE WHEN status IN ('failed', 'revert-failed') THEN description END,
	CASE WHEN status IN ('failed', 'revert-failed') THEN error END,
	CASE WHEN job_type = 'CHANGEFEED' THEN high_water_timestamp::TEXT END
FROM crdb_internal.jobs
WHERE status NOT IN ('succeeded', 'failed', 'canceled', 'revert-failed') OR finished > $1`

	// No window: the newest success however old (jobs.retention_time keeps
	// 14 days by default; older backups are unknown).
	jobsBackupQuery = `SELECT finished FROM crdb_internal.jobs
WHERE job_type = 'BACKUP' AND status = 'succeeded' AND finished IS NOT NULL
ORDER BY finished DESC LIMIT 1`

	// Before v23.1 crdb_internal.jobs hides admin-owned jobs from other
	// users; this tells whether roachdog's user is one.
	jobsIsAdminQuery = `SELECT crdb_internal.is_admin(), current_user::TEXT`
)

// JobsOptions configures the jobs check.
type JobsOptions struct {
	// Window is how far back terminal jobs (succeeded, failed, canceled,
	// revert-failed) are counted and failures announced; default 1h.
	// Running, paused, pending and reverting jobs always count.
	Window time.Duration
	// EventExcludeTypes are job types, as crdb_internal.jobs spells them
	// ("AUTO CREATE STATS"; case, spaces and underscores do not matter),
	// whose failures send no event; jobs.count and jobs.failed still count
	// them. nil means DefaultJobsEventExcludeTypes; an empty non-nil slice
	// excludes nothing.
	EventExcludeTypes []string
	// Now is the clock the window and ages are measured against; default
	// time.Now. (Hours-scale ages: the few milliseconds of skew NTP leaves
	// between roachdog's host and the cluster do not matter.)
	Now func() time.Time
}

func init() {
	Register(Registration[JobsOptions]{
		Name: jobsCheckName, SQL: true, Interval: 60 * time.Second, Timeout: 20 * time.Second,
		Doc: "jobs by type and status, failures as events, changefeed lag",
		Defaults: func() JobsOptions {
			return JobsOptions{EventExcludeTypes: slices.Clone(DefaultJobsEventExcludeTypes)}
		},
		Keys: []yamlx.Key[JobsOptions]{{
			Name: "window", DefaultText: "1h, or the interval if longer",
			Doc: "how far back terminal jobs are counted and failures announced; shorter than the interval is a configuration error (a job finishing between two runs would be missed)",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *JobsOptions) {
				o.Window, _ = d.Duration(v, p)
			},
		}, {
			Name: "event_exclude_types", Default: yamlList(DefaultJobsEventExcludeTypes),
			Doc: "job types, as `SHOW JOBS` spells them (case, spaces and underscores do not matter), whose failures send no event (they are still counted); `[]` announces every failure",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *JobsOptions) {
				o.EventExcludeTypes = decodeJobTypes(d, v, p)
			},
		}},
		Finish: func(d *yamlx.Decoder, s Scope, o *JobsOptions) {
			switch {
			case o.Window == 0:
				// A run looks back at least as far as the previous run.
				o.Window = max(jobsDefaultWindow, s.Interval)
			case o.Window < s.Interval:
				d.Errorf(s.Keys["window"].Value, yamlx.KeyPath(s.Path, "window"),
					"%s is shorter than the check's interval (%s): a job finishing between two runs would never be seen",
					yamlx.FmtDuration(o.Window), yamlx.FmtDuration(s.Interval))
			}
		},
		New: func(o JobsOptions, _ Schedule) (Check, error) { return NewJobs(o) },
		Log: func(o JobsOptions) []slog.Attr {
			return []slog.Attr{slog.Duration("window", o.Window), slog.Int("event_exclude_types", len(o.EventExcludeTypes))}
		},
	})
}

// decodeJobTypes decodes a list of job types as crdb_internal.jobs spells
// them ("AUTO CREATE STATS"; the check ignores case, spaces and
// underscores).
func decodeJobTypes(d *yamlx.Decoder, n *yaml.Node, path string) []string {
	items, ok := d.List(n, path)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		p := yamlx.IndexPath(path, i)
		s, ok := d.Str(it, p)
		if !ok {
			continue
		}
		if strings.TrimSpace(s) == "" {
			d.Errorf(it, p, `empty: want a job type such as "AUTO CREATE STATS"`)
			continue
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// Jobs is the jobs check. It remembers, between cycles, which series it has
// sent (to send 0 when a type/status or a changefeed disappears, instead of
// leaving the last value hanging) and which failed jobs it has announced.
type Jobs struct {
	window  time.Duration
	now     func() time.Time
	exclude map[string]bool // normalised job types without failure events

	// counted holds the jobs.count and jobs.failed series sent so far,
	// which get 0 at every cycle once they vanish; bounded by job types x
	// statuses (a few dozen each). feeds holds the changefeeds whose lag
	// was sent, until they stop running and get one last 0.
	counted *seriesMemory
	feeds   *seriesMemory
	// announced holds the failed jobs of the current window already sent as
	// events; nil until the jobs query first succeeds.
	announced map[int64]bool
	admin     jobsAdminProbe
}

type jobsCountKey struct{ jobType, status string }

// NewJobs returns the jobs check.
func NewJobs(o JobsOptions) (*Jobs, error) {
	if o.Window < 0 {
		return nil, fmt.Errorf("jobs: window must be positive, got %s", o.Window)
	}
	if o.Window == 0 {
		o.Window = jobsDefaultWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	types := o.EventExcludeTypes
	if types == nil {
		types = DefaultJobsEventExcludeTypes
	}
	exclude := make(map[string]bool, len(types))
	for _, typ := range types {
		if strings.TrimSpace(typ) == "" {
			return nil, errors.New("jobs: empty job type in the event exclusion list")
		}
		exclude[jobsNormType(typ)] = true
	}
	return &Jobs{
		window:  o.Window,
		now:     o.Now,
		exclude: exclude,
		counted: newSeriesMemory(seriesZeroAlways, 0),
		feeds:   newSeriesMemory(seriesZeroOnce, 0),
	}, nil
}

// jobsNormType folds a job type for comparison: "auto_create_stats" and
// "AUTO CREATE STATS" are the same type.
func jobsNormType(s string) string {
	return strings.Join(strings.Fields(strings.ToUpper(strings.ReplaceAll(s, "_", " "))), " ")
}

// Name returns "jobs", the check's configuration key.
func (j *Jobs) Name() string { return jobsCheckName }

// jobsRow is one job of the cycle's read.
type jobsRow struct {
	id                              int64
	jobType, status                 string
	finished                        *time.Time
	description, errText, highWater *string
}

// Run collects once: one read of the jobs for the counts, failures and
// changefeeds, one for the newest backup. One failing is logged and makes
// sql.can_query CRITICAL; the other still reports.
func (j *Jobs) Run(ctx context.Context, t *Target, s Sink) error {
	if err := needSQL(t, s, jobsCheckName); err != nil {
		return err
	}
	log := t.Log()
	now := j.now()
	since := now.Add(-j.window).UTC()
	warning := j.admin.check(ctx, t.SQL, now, log,
		"jobs.count, jobs.failed, the failure events, changefeed.high_water_lag and backup.last_success_age miss them")

	var errs []error
	fail := func(err error) {
		log.Error("jobs query failed", "err", err)
		errs = append(errs, err)
	}
	const steps = 2
	if rows, err := j.read(ctx, t.SQL, since); err != nil {
		fail(err)
	} else {
		j.counts(s, rows, now)
		j.failures(s, rows)
		j.changefeeds(s, rows, now)
	}
	if ctx.Err() == nil {
		if err := j.backup(ctx, t.SQL, s, now); err != nil {
			fail(err)
		}
	}
	err := combineQueryErrors(errs)
	reportQueryWarning(s, jobsCheckName, err, warning)
	if len(errs) == steps || ctx.Err() != nil {
		return err
	}
	return nil
}

// read returns the jobs still going and those that finished in the window.
func (j *Jobs) read(ctx context.Context, db *cluster.DB, since time.Time) ([]jobsRow, error) {
	return queryRows(ctx, db, "read jobs (crdb_internal.jobs)", func(row pgx.CollectableRow) (jobsRow, error) {
		var r jobsRow
		var jobType, status *string
		err := row.Scan(&r.id, &jobType, &status, &r.finished, &r.description, &r.errText, &r.highWater)
		r.jobType, r.status = stringOr(jobType, "unknown"), stringOr(status, "unknown")
		return r, err
	}, jobsQuery, since)
}

// counts sends jobs.count by type and status and jobs.failed by type.
func (j *Jobs) counts(s Sink, rows []jobsRow, now time.Time) {
	counts := map[jobsCountKey]int64{}
	failed := map[string]int64{}
	for _, r := range rows {
		k := jobsCountKey{r.jobType, r.status}
		counts[k]++
		if k.status == jobsFailed || k.status == jobsRevertFailed {
			failed[k.jobType]++
		}
	}
	keys := make([]jobsCountKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].jobType != keys[b].jobType {
			return keys[a].jobType < keys[b].jobType
		}
		return keys[a].status < keys[b].status
	})
	for _, k := range keys {
		j.counted.gauge(s, now, jobsCount.Series(k.jobType, k.status), float64(counts[k]))
	}
	// Series sent before and absent now drop to 0: the failure left the
	// window, the job finished.
	j.counted.sweep(s, now, jobsCount)
	types := make([]string, 0, len(failed))
	for typ := range failed {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		j.counted.gauge(s, now, jobsFailedGauge.Series(typ), float64(failed[typ]))
	}
	j.counted.sweep(s, now, jobsFailedGauge)
}

// failures sends an event per failed job not announced yet, oldest first.
// Only failures of the window are read, so the first cycle after a start
// announces those that finished in the last window (again, if roachdog
// restarted within it), never older ones. A job leaves the window for good
// (its finished time does not change), so remembering the window's ids is
// enough. Excluded types are remembered too, never announced.
func (j *Jobs) failures(s Sink, rows []jobsRow) {
	var found []jobsRow
	for _, r := range rows {
		if r.status == jobsFailed || r.status == jobsRevertFailed {
			found = append(found, r)
		}
	}
	sort.Slice(found, func(a, b int) bool {
		fa, fb := jobsTime(found[a].finished), jobsTime(found[b].finished)
		if !fa.Equal(fb) {
			return fa.Before(fb)
		}
		return found[a].id < found[b].id
	})
	seen := make(map[int64]bool, len(found))
	for _, f := range found {
		seen[f.id] = true
		if j.announced[f.id] || j.exclude[jobsNormType(f.jobType)] {
			continue
		}
		jobsFailedEvent.Send(s, jobsFailureEvent(f.id, f.jobType, f.status, stringOr(f.description, ""), stringOr(f.errText, ""), jobsTime(f.finished)), f.jobType)
	}
	j.announced = seen
}

func jobsTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// jobsFailureEvent builds the event for one failed job: the error text goes
// in the body, never in tags (unbounded values); jobsFailedEvent adds the
// job_type tag.
func jobsFailureEvent(id int64, jobType, status, description, errText string, finished time.Time) Event {
	verb := "failed"
	if status == jobsRevertFailed {
		verb = "failed to revert (revert-failed: needs manual cleanup)"
	}
	title := fmt.Sprintf("Job %d (%s) %s", id, jobType, verb)
	var b strings.Builder
	if errText == "" {
		b.WriteString("(no error text recorded)")
	} else {
		b.WriteString(errText)
	}
	if description != "" {
		b.WriteString("\n\nJob: ")
		b.WriteString(truncateText(description, jobsDescriptionShown))
	}
	return Event{
		Title:          truncateText(title, jobsEventTitleMax),
		Text:           truncateText(b.String(), jobsEventTextMax),
		AggregationKey: "crdb-job-" + strconv.FormatInt(id, 10),
		AlertType:      Error,
		Timestamp:      finished,
	}
}

// changefeeds sends the high-water lag of every running or paused
// changefeed. A changefeed without a high-water mark yet (initial scan) has
// no lag to report. A changefeed whose lag was sent and that is no longer
// running or paused (canceled, failed, finished, gone) gets a last 0, so
// that a monitor on its lag recovers instead of keeping its last value.
func (j *Jobs) changefeeds(s Sink, rows []jobsRow, now time.Time) {
	type feed struct {
		id  int64
		lag float64
	}
	var feeds []feed
	for _, r := range rows {
		if r.jobType != "CHANGEFEED" {
			continue
		}
		switch r.status {
		case "running", "paused", "pause-requested":
		default:
			continue
		}
		// Still running: no last 0 for it, even when it has no lag now.
		j.feeds.present(jobsFeedSeries(r.id))
		if r.highWater == nil {
			continue
		}
		ts, ok := jobsParseHLCDecimal(*r.highWater)
		if !ok {
			continue
		}
		lag := now.Sub(ts).Seconds()
		if lag < 0 { // clock skew: the feed cannot be ahead of now
			lag = 0
		}
		feeds = append(feeds, feed{r.id, lag})
	}
	sort.Slice(feeds, func(a, b int) bool { return feeds[a].id < feeds[b].id })
	for _, f := range feeds {
		j.feeds.gauge(s, now, jobsFeedSeries(f.id), f.lag)
	}
	j.feeds.sweep(s, now)
}

func jobsFeedSeries(id int64) emit.GaugeSeries {
	return jobsChangefeedLag.Series(strconv.FormatInt(id, 10))
}

// jobsParseHLCDecimal reads a high_water_timestamp: the wall time in
// nanoseconds, optionally followed by ".<logical>" (a DECIMAL such as
// "1795315406750677983.0000000002"). Zero or unparsable means none.
func jobsParseHLCDecimal(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	nanos, err := strconv.ParseInt(s, 10, 64)
	if err != nil || nanos <= 0 {
		return time.Time{}, false
	}
	return time.Unix(0, nanos), true
}

// backup sends the age of the newest successful backup, when there is one
// in the retained jobs.
func (j *Jobs) backup(ctx context.Context, db *cluster.DB, s Sink, now time.Time) error {
	var finished time.Time
	err := db.QueryRow(ctx, jobsBackupQuery).Scan(&finished)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read newest successful backup (crdb_internal.jobs): %w", err)
	}
	jobsBackupAge.Send(s, max(now.Sub(finished).Seconds(), 0))
	return nil
}

// jobsAdminProbe tells whether roachdog's SQL user is admin, on the versions
// where that decides what crdb_internal.jobs shows: before v23.1 a non-admin
// user sees only its own jobs (with CONTROLJOB, those of non-admin users),
// never those of root and node, which own the ROW LEVEL TTL, AUTO CREATE
// STATS and scheduled BACKUP jobs. From v23.1 VIEWJOB shows them all. The
// answer is cached for jobsAdminRecheck; the warning is logged once.
type jobsAdminProbe struct {
	checkedAt time.Time
	warning   string // "" when admin, unknown or not needed
	logged    bool
}

// check returns the warning for sql.can_query, "" when there is none.
// missing says what the check's series miss.
func (p *jobsAdminProbe) check(ctx context.Context, db *cluster.DB, now time.Time, log *slog.Logger, missing string) string {
	if v := db.Server().Version; v.IsZero() || v.AtLeast(23, 1) {
		*p = jobsAdminProbe{}
		return ""
	}
	if !p.checkedAt.IsZero() && now.Sub(p.checkedAt) < jobsAdminRecheck && !now.Before(p.checkedAt) {
		return p.warning
	}
	p.checkedAt = now
	var admin bool
	var user string
	if err := db.QueryRow(ctx, jobsIsAdminQuery).Scan(&admin, &user); err != nil {
		// Not a failure of the check: its queries may still see everything.
		log.Warn("cannot tell whether the SQL user is admin (crdb_internal.is_admin()); jobs owned by root and node are hidden from other users before v23.1", "err", err)
		p.warning = ""
		return ""
	}
	if admin {
		p.warning, p.logged = "", false
		return ""
	}
	u := pgx.Identifier{user}.Sanitize()
	p.warning = fmt.Sprintf("SQL user %s is not admin: before v23.1 crdb_internal.jobs hides from it the jobs of root and node "+
		"(ROW LEVEL TTL, AUTO CREATE STATS, scheduled backups), so %s; to fix, run as an admin: GRANT admin TO %s "+
		"(from v23.1, GRANT SYSTEM VIEWJOB TO %s is enough)", u, missing, u, u)
	if !p.logged {
		log.Warn(p.warning)
		p.logged = true
	}
	return p.warning
}

// What the jobs check sends.
var (
	jobsCount = emit.Gauge{Name: "jobs.count", Unit: "job", Tags: emit.Keys("job_type", "status"), PerNode: 12, ClusterLevel: true,
		Description: "Jobs by type and status: running, paused, pending and reverting ones always; succeeded, failed, canceled and revert-failed ones when they finished within the window (default 1h).",
	}.Register(jobsCheckName)
	jobsFailedGauge = emit.Gauge{Name: "jobs.failed", Unit: "job", Tags: emit.Keys("job_type"), PerNode: 3, ClusterLevel: true,
		Description: "Jobs that failed or became revert-failed within the window (default 1h), by type.",
	}.Register(jobsCheckName)
	jobsChangefeedLag = emit.Gauge{Name: "changefeed.high_water_lag", Unit: "second", Tags: emit.Keys("job_id"), PerNode: 1, ClusterLevel: true,
		Description: "Seconds between now and the high-water timestamp of each running or paused changefeed; 0 once when the changefeed stops (canceled, failed, finished).",
	}.Register(jobsCheckName)
	jobsBackupAge = emit.Gauge{Name: "backup.last_success_age", Unit: "second", PerNode: 1, ClusterLevel: true,
		Description: "Seconds since the newest succeeded BACKUP job finished (not sent when no successful backup is retained).",
	}.Register(jobsCheckName)
	jobsFailedEvent = emit.EventSpec{Name: "jobs.job_failed", Tags: emit.Keys("job_type"), ClusterLevel: true,
		Description: "Event per newly failed (or revert-failed) job, titled \"Job <id> (<type>) failed\", with the error text in the body.",
	}.Register(jobsCheckName)
)
