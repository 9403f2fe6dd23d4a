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

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roachdog/roachdog/cluster"
)

const (
	jobsCheckName = "jobs"

	// Metric names (without namespace); jobsCatalog describes them.
	jobsCountMetric      = "jobs.count"
	jobsFailedMetric     = "jobs.failed"
	jobsChangefeedLag    = "changefeed.high_water_lag"
	jobsBackupAge        = "backup.last_success_age"
	jobsFailedEventName  = "jobs.job_failed"
	jobsDefaultWindow    = time.Hour
	jobsEventTextMax     = 4000 // Datadog truncates event text beyond this
	jobsEventTitleMax    = 100  // and titles beyond this
	jobsDescriptionShown = 1000 // job description excerpt in event texts
)

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
	// Counts by type and status: jobs still going, plus terminal ones that
	// finished in the window. Grouped server side so that a cluster running
	// thousands of AUTO CREATE STATS jobs an hour sends a few rows.
	jobsCountQuery = `SELECT job_type, status, count(*) FROM crdb_internal.jobs
WHERE status NOT IN ('succeeded', 'failed', 'canceled', 'revert-failed') OR finished > $1
GROUP BY job_type, status`

	// Failures of the window, with what an operator needs to act on them.
	jobsFailuresQuery = `SELECT job_id, job_type, status, finished, description, error FROM crdb_internal.jobs
WHERE status IN ('failed', 'revert-failed') AND finished > $1
ORDER BY finished, job_id`

	// high_water_timestamp is a DECIMAL "<wall nanos>.<logical>"; read as
	// text so that no digit is lost to a float.
	jobsChangefeedQuery = `SELECT job_id, status, high_water_timestamp::TEXT FROM crdb_internal.jobs
WHERE job_type = 'CHANGEFEED' AND status IN ('running', 'paused', 'pause-requested')`

	// No window: the newest success however old (jobs.retention_time keeps
	// 14 days by default; older backups are unknown).
	jobsBackupQuery = `SELECT max(finished) FROM crdb_internal.jobs
WHERE job_type = 'BACKUP' AND status = 'succeeded'`
)

// JobsOptions configures the jobs check.
type JobsOptions struct {
	// Window is how far back terminal jobs (succeeded, failed, canceled,
	// revert-failed) are counted and failures announced; default 1h.
	// Running, paused, pending and reverting jobs always count.
	Window time.Duration
	// Now is the clock the window and ages are measured against; default
	// time.Now. (Hours-scale ages: the few milliseconds of skew NTP leaves
	// between roachdog's host and the cluster do not matter.)
	Now func() time.Time
}

// Jobs is the jobs check. It remembers, between cycles, which series it has
// sent (to send 0 when a type/status disappears, instead of leaving the last
// value hanging) and which failed jobs it has announced.
type Jobs struct {
	window time.Duration
	now    func() time.Time

	// countSeries and failedSeries are the series sent so far; bounded by
	// job types x statuses (a few dozen each).
	countSeries  map[jobsCountKey]bool
	failedSeries map[string]bool
	// announced holds the failed jobs of the current window already sent as
	// events; nil until the failures query first succeeds.
	announced map[int64]bool
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
	return &Jobs{
		window:       o.Window,
		now:          o.Now,
		countSeries:  map[jobsCountKey]bool{},
		failedSeries: map[string]bool{},
	}, nil
}

// Name returns "jobs", the check's configuration key.
func (j *Jobs) Name() string { return jobsCheckName }

// Run collects once. Each of the four queries is independent: one failing is
// logged and makes sql.can_query CRITICAL, the others still report.
func (j *Jobs) Run(ctx context.Context, t *Target, s Sink) error {
	if t == nil || t.SQL == nil {
		reportQuery(s, jobsCheckName, errNoSQL)
		return errNoSQL
	}
	log := t.Log()
	now := j.now()
	since := now.Add(-j.window).UTC()

	var errs []error
	steps := []func() error{
		func() error { return j.counts(ctx, t.SQL, s, since) },
		func() error { return j.failures(ctx, t.SQL, s, since) },
		func() error { return j.changefeeds(ctx, t.SQL, s, now) },
		func() error { return j.backup(ctx, t.SQL, s, now) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			log.Error("jobs query failed", "err", err)
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	err := jobsCombine(errs)
	reportQuery(s, jobsCheckName, err)
	if len(errs) == len(steps) || ctx.Err() != nil {
		return err
	}
	return nil
}

// counts sends jobs.count by type and status and jobs.failed by type.
func (j *Jobs) counts(ctx context.Context, db *cluster.DB, s Sink, since time.Time) error {
	rows, err := db.Query(ctx, jobsCountQuery, since)
	if err != nil {
		return fmt.Errorf("count jobs by type and status (crdb_internal.jobs): %w", err)
	}
	counts := map[jobsCountKey]int64{}
	failed := map[string]int64{}
	for rows.Next() {
		var jobType, status *string
		var n int64
		if err := rows.Scan(&jobType, &status, &n); err != nil {
			rows.Close()
			return fmt.Errorf("count jobs by type and status (crdb_internal.jobs): %w", err)
		}
		k := jobsCountKey{jobsOr(jobType, "unknown"), jobsOr(status, "unknown")}
		counts[k] += n
		if k.status == jobsFailed || k.status == jobsRevertFailed {
			failed[k.jobType] += n
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count jobs by type and status (crdb_internal.jobs): %w", err)
	}
	// Series sent before and absent now drop to 0: the failure left the
	// window, the job finished.
	for k := range j.countSeries {
		if _, ok := counts[k]; !ok {
			counts[k] = 0
		}
	}
	for typ := range j.failedSeries {
		if _, ok := failed[typ]; !ok {
			failed[typ] = 0
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
		s.Gauge(jobsCountMetric, float64(counts[k]), []string{Tag("job_type", k.jobType), Tag("status", k.status)})
		j.countSeries[k] = true
	}
	types := make([]string, 0, len(failed))
	for typ := range failed {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		s.Gauge(jobsFailedMetric, float64(failed[typ]), []string{Tag("job_type", typ)})
		j.failedSeries[typ] = true
	}
	return nil
}

// failures sends an event per failed job not announced yet. Only failures
// of the window are read, so the first cycle after a start announces those
// that finished in the last window (again, if roachdog restarted within it),
// never older ones. A job leaves the window for good (its finished time does
// not change), so remembering the window's ids is enough.
func (j *Jobs) failures(ctx context.Context, db *cluster.DB, s Sink, since time.Time) error {
	rows, err := db.Query(ctx, jobsFailuresQuery, since)
	if err != nil {
		return fmt.Errorf("read failed jobs (crdb_internal.jobs): %w", err)
	}
	type failure struct {
		id                               int64
		jobType, status, description, er string
		finished                         time.Time
	}
	var found []failure
	for rows.Next() {
		var f failure
		var jobType, status, description, errText *string
		var finished *time.Time
		if err := rows.Scan(&f.id, &jobType, &status, &finished, &description, &errText); err != nil {
			rows.Close()
			return fmt.Errorf("read failed jobs (crdb_internal.jobs): %w", err)
		}
		f.jobType, f.status = jobsOr(jobType, "unknown"), jobsOr(status, jobsFailed)
		f.description, f.er = jobsOr(description, ""), jobsOr(errText, "")
		if finished != nil {
			f.finished = *finished
		}
		found = append(found, f)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read failed jobs (crdb_internal.jobs): %w", err)
	}
	seen := make(map[int64]bool, len(found))
	for _, f := range found {
		seen[f.id] = true
		if j.announced[f.id] {
			continue
		}
		s.Event(jobsFailureEvent(f.id, f.jobType, f.status, f.description, f.er, f.finished))
	}
	j.announced = seen
	return nil
}

// jobsFailureEvent builds the event for one failed job: the error text goes
// in the body, never in tags (unbounded values).
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
		b.WriteString(jobsTruncate(description, jobsDescriptionShown))
	}
	return Event{
		Title:          jobsTruncate(title, jobsEventTitleMax),
		Text:           jobsTruncate(b.String(), jobsEventTextMax),
		AggregationKey: "crdb-job-" + strconv.FormatInt(id, 10),
		AlertType:      Error,
		Timestamp:      finished,
		Tags:           []string{Tag("job_type", jobType)},
	}
}

// changefeeds sends the high-water lag of every running or paused
// changefeed. A changefeed without a high-water mark yet (initial scan) has
// no lag to report.
func (j *Jobs) changefeeds(ctx context.Context, db *cluster.DB, s Sink, now time.Time) error {
	rows, err := db.Query(ctx, jobsChangefeedQuery)
	if err != nil {
		return fmt.Errorf("read changefeed high-water marks (crdb_internal.jobs): %w", err)
	}
	type feed struct {
		id  int64
		lag float64
	}
	var feeds []feed
	for rows.Next() {
		var id int64
		var status, hw *string
		if err := rows.Scan(&id, &status, &hw); err != nil {
			rows.Close()
			return fmt.Errorf("read changefeed high-water marks (crdb_internal.jobs): %w", err)
		}
		if hw == nil {
			continue
		}
		ts, ok := jobsParseHLCDecimal(*hw)
		if !ok {
			continue
		}
		lag := now.Sub(ts).Seconds()
		if lag < 0 { // clock skew: the feed cannot be ahead of now
			lag = 0
		}
		feeds = append(feeds, feed{id, lag})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read changefeed high-water marks (crdb_internal.jobs): %w", err)
	}
	sort.Slice(feeds, func(a, b int) bool { return feeds[a].id < feeds[b].id })
	for _, f := range feeds {
		s.Gauge(jobsChangefeedLag, f.lag, []string{Tag("job_id", strconv.FormatInt(f.id, 10))})
	}
	return nil
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
	var finished *time.Time
	if err := db.QueryRow(ctx, jobsBackupQuery).Scan(&finished); err != nil {
		return fmt.Errorf("read newest successful backup (crdb_internal.jobs): %w", err)
	}
	if finished == nil {
		return nil
	}
	age := now.Sub(*finished).Seconds()
	if age < 0 {
		age = 0
	}
	s.Gauge(jobsBackupAge, age, nil)
	return nil
}

func jobsOr(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}

// jobsTruncate cuts s to at most n bytes without splitting a UTF-8 rune.
func jobsTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// jobsCombine makes one error of a cycle's failed queries, for
// sql.can_query's message: the first few, one line, "; "-separated.
func jobsCombine(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return jobsErrors(errs)
}

// jobsErrors keeps every failure reachable by errors.Is/As.
type jobsErrors []error

const jobsErrorsShown = 3

func (e jobsErrors) Error() string {
	var b strings.Builder
	for i, err := range e {
		if i == jobsErrorsShown {
			fmt.Fprintf(&b, " (and %d more failed queries)", len(e)-jobsErrorsShown)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(strings.ReplaceAll(err.Error(), "\n", " "))
	}
	return b.String()
}

func (e jobsErrors) Unwrap() []error { return e }

// jobsCatalog lists what the check sends; the code above sends exactly these
// names (TestJobsCatalog checks every recorded point against it).
var jobsCatalog = []Metric{
	{Name: jobsCountMetric, Kind: KindGauge, Unit: "job", Tags: []string{"job_type", "status"},
		Description: "Jobs by type and status: running, paused, pending and reverting ones always; succeeded, failed, canceled and revert-failed ones when they finished within the window (default 1h).",
		PerNode:     12, ClusterLevel: true},
	{Name: jobsFailedMetric, Kind: KindGauge, Unit: "job", Tags: []string{"job_type"},
		Description: "Jobs that failed or became revert-failed within the window (default 1h), by type.",
		PerNode:     3, ClusterLevel: true},
	{Name: jobsChangefeedLag, Kind: KindGauge, Unit: "second", Tags: []string{"job_id"},
		Description: "Seconds between now and the high-water timestamp of each running or paused changefeed.",
		PerNode:     1, ClusterLevel: true},
	{Name: jobsBackupAge, Kind: KindGauge, Unit: "second",
		Description: "Seconds since the newest succeeded BACKUP job finished (not sent when no successful backup is retained).",
		PerNode:     1, ClusterLevel: true},
	{Name: jobsFailedEventName, Kind: KindEvent, Tags: []string{"job_type"},
		Description:  "Event per newly failed (or revert-failed) job, titled \"Job <id> (<type>) failed\", with the error text in the body.",
		ClusterLevel: true},
}

func init() {
	registerCatalog(func() []Metric {
		out := make([]Metric, len(jobsCatalog))
		for i, m := range jobsCatalog {
			m.Check = jobsCheckName
			out[i] = m
		}
		return out
	})
}
