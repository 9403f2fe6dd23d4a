package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roachdog/roachdog/deadline"
	"github.com/roachdog/roachdog/emit"
)

// Check is one source of metrics as the runner sees it: a name and a run.
// The checks package's checks reach it bound to their cluster
// (checks.Instance.Bind), which lists the nodes and gives the check its
// target; the runner knows time, not CockroachDB.
type Check interface {
	Name() string
	// Run collects once and must return when ctx is done. It is never
	// called concurrently on one Check.
	Run(ctx context.Context, c *emit.Cycle, s emit.Sink) error
}

// OutcomeWatcher is a Check that reports failures of its own collection
// without returning an error (a SQL query that failed, no node scraped:
// checks.Outcome): RunOnce sends through the sink it returns and fails on
// what err says.
type OutcomeWatcher interface {
	WatchOutcome(s emit.Sink) (watched emit.Sink, err func() error)
}

// identified is a Check that wraps the value carrying its state
// (checks.Bound): a reload that keeps that value keeps the check's
// schedule state.
type identified interface{ Identity() any }

// Job is one check on its schedule.
type Job struct {
	Check Check
	// Interval between cycle starts; 15s (the Agent's default
	// min_collection_interval) when not positive.
	Interval time.Duration
	// Timeout bounds one cycle; when not positive, the deadline rule's
	// share of Interval (deadline.Cycle). Give it less than Interval: a
	// cycle that uses the whole interval ends just after the next tick,
	// which finds it still running and is skipped.
	Timeout time.Duration
}

// Instance is one CockroachDB cluster and the checks run against it (bound
// to its connections and node list: checks.Instance).
type Instance struct {
	Cluster string
	// Sink receives what the checks report, already wrapped WithTags
	// (cluster:<name> and the instance's tags).
	Sink emit.Sink
	Jobs []Job
	// Logger is the instance's; the runner adds the cluster and check
	// attributes itself, so it must not carry them already.
	Logger *slog.Logger
}

// defaultInterval applies to jobs without one.
const defaultInterval = 15 * time.Second

// defaultAbandonAfter is how long a cycle waits, past its deadline, for a
// check that ignores its context before giving up on it.
const defaultAbandonAfter = 5 * time.Second

// Runner runs every job of every instance on its own schedule.
type Runner struct {
	jobs   []*job
	m      *SelfMetrics
	logger *slog.Logger
	// abandonAfter: see defaultAbandonAfter; tests shorten it.
	abandonAfter time.Duration
}

type job struct {
	inst     *Instance
	check    Check
	name     string
	interval time.Duration
	timeout  time.Duration
	logger   *slog.Logger
	// busy holds a token while a cycle runs: Check.Run is never called
	// concurrently on one Check, and a tick that finds it taken is skipped.
	busy chan struct{}
	// done is set once a cycle has completed (ok or not).
	done atomic.Bool
	// reach is what the check's cycles said of the nodes they reached
	// (checks that read every node: vars).
	reach reachState
}

// readyUnreachedCycles: a check that reads every node makes roachdog not
// ready once that many of its cycles in a row reached no node (or every
// cycle so far, when fewer): one cycle during a rolling restart of a small
// cluster must not flap readiness, a cluster gone must show.
const readyUnreachedCycles = 3

// reachState follows a job's run of cycles that reached no node.
type reachState struct {
	mu        sync.Mutex
	reported  bool // the check reports the nodes it reached
	ever      bool // some cycle reached a node
	unreached int  // completed cycles in a row that reached none
	since     time.Time
	total     int
}

// note records one completed cycle's reach and logs the start and the end
// of a run of cycles that reached no node, once each.
func (s *reachState) note(logger *slog.Logger, reached, total int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reported, s.total = true, total
	if reached > 0 {
		if s.unreached > 0 && s.ever {
			logger.Info("nodes reachable again", "reached", reached, "nodes", total,
				"unreachable_for", now.Sub(s.since).Round(time.Second), "cycles", s.unreached)
		} else if s.unreached > 0 {
			logger.Info("first node reached", "reached", reached, "nodes", total, "after_cycles", s.unreached)
		}
		s.ever, s.unreached = true, 0
		return
	}
	if s.unreached == 0 {
		s.since = now
		logger.Warn("no node reachable: this check collected nothing; counted as result=unreachable in roachdog_check_runs_total until a node answers",
			"nodes", total)
	}
	s.unreached++
}

// notReady says why the job makes roachdog not ready, "" when it does not.
func (s *reachState) notReady() (why string, unreached int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.reported || s.unreached == 0 {
		return "", 0
	}
	if s.ever && s.unreached < readyUnreachedCycles {
		return "", 0
	}
	return fmt.Sprintf("reached none of its %d node(s) in its last %d cycle(s)", s.total, s.unreached), s.unreached
}

// NewRunner prepares the jobs; nothing runs until RunOnce or Run.
func NewRunner(instances []Instance, m *SelfMetrics, logger *slog.Logger) *Runner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{m: m, logger: logger, abandonAfter: defaultAbandonAfter}
	for i := range instances {
		inst := new(Instance)
		*inst = instances[i] // our own copy: the caller may reuse its slice
		instLogger := inst.Logger
		if instLogger == nil {
			instLogger = logger
		}
		for _, jb := range inst.Jobs {
			name := jb.Check.Name()
			j := &job{
				inst:     inst,
				check:    jb.Check,
				name:     name,
				interval: jb.Interval,
				timeout:  jb.Timeout,
				logger:   instLogger.With("cluster", inst.Cluster, "check", name),
				busy:     make(chan struct{}, 1),
			}
			if j.interval <= 0 {
				j.interval = defaultInterval
			}
			if j.timeout <= 0 {
				j.timeout = deadline.Cycle(j.interval, 0)
			}
			m.initJob(inst.Cluster, name)
			r.jobs = append(r.jobs, j)
		}
	}
	return r
}

// Successor returns the runner for instances that replace r's on a
// configuration reload; call it once r.Run has returned. It shares r's
// self-metrics. A Check that r ran too (the same value, kept across the
// reload with its state) keeps its busy token and its readiness: a check r
// abandoned while it still runs is never run twice at once, and a kept
// check does not make /readyz fail again. The self-metric series of r's
// jobs that are gone are dropped.
func (r *Runner) Successor(instances []Instance, logger *slog.Logger) *Runner {
	next := NewRunner(instances, r.m, logger)
	next.abandonAfter = r.abandonAfter
	prev := make(map[any]*job, len(r.jobs))
	for _, j := range r.jobs {
		if id := identity(j.check); keyable(id) {
			prev[id] = j
		}
	}
	kept := make(map[[2]string]bool, len(next.jobs))
	for _, j := range next.jobs {
		kept[[2]string{j.inst.Cluster, j.name}] = true
		id := identity(j.check)
		if !keyable(id) {
			continue
		}
		if p := prev[id]; p != nil {
			j.busy = p.busy
			j.done.Store(p.done.Load())
		}
	}
	for _, j := range r.jobs {
		if !kept[[2]string{j.inst.Cluster, j.name}] {
			r.m.forgetJob(j.inst.Cluster, j.name)
		}
	}
	return next
}

// identity is what carries a check's state: what it wraps (see identified),
// else the check itself.
func identity(c Check) any {
	if w, ok := c.(identified); ok {
		return w.Identity()
	}
	return c
}

// keyable: id can be a map key (checks are pointers; a value type
// holding a slice would make the map panic).
func keyable(id any) bool {
	return id != nil && reflect.TypeOf(id).Comparable()
}

// Ready reports Readiness without the reason.
func (r *Runner) Ready() bool {
	ok, _ := r.Readiness()
	return ok
}

// Readiness reports whether roachdog is ready, and why not when it is not:
//   - every job has completed at least one cycle, ok or not (by then
//     everything that can be sent has been tried once);
//   - and no check that reads every node (vars) reached none of its nodes
//     in each of its last readyUnreachedCycles cycles, or in every cycle so
//     far when it never reached one. One cycle that reaches a node makes
//     it ready again.
func (r *Runner) Readiness() (bool, string) {
	for _, j := range r.jobs {
		if !j.done.Load() {
			return false, fmt.Sprintf("check %q of cluster %q has not completed its first cycle yet", j.name, j.inst.Cluster)
		}
	}
	for _, j := range r.jobs {
		if why, _ := j.reach.notReady(); why != "" {
			return false, fmt.Sprintf("check %q of cluster %q %s", j.name, j.inst.Cluster, why)
		}
	}
	return true, ""
}

// RunOnce runs every job of every instance once, concurrently, and returns
// the failures joined, each naming its cluster and check. A failure is a
// check that returned an error, or one that reported a failure of its own
// collection without returning one (an OutcomeWatcher: a SQL query that
// failed, no node scraped). A job whose previous cycle is still running (a
// concurrent Run) is waited for.
func (r *Runner) RunOnce(ctx context.Context) error {
	errs := make([]error, len(r.jobs))
	var wg sync.WaitGroup
	for i, j := range r.jobs {
		wg.Go(func() {
			select {
			case j.busy <- struct{}{}:
			case <-ctx.Done():
				errs[i] = fmt.Errorf("cluster %q check %q: %w", j.inst.Cluster, j.name, context.Cause(ctx))
				return
			}
			sink, outcome := j.inst.Sink, func() error { return nil }
			if w, ok := j.check.(OutcomeWatcher); ok {
				sink, outcome = w.WatchOutcome(sink)
			}
			errs[i] = r.cycle(ctx, j, sink)
			if errs[i] == nil {
				if err := outcome(); err != nil {
					errs[i] = fmt.Errorf("cluster %q check %q: %w", j.inst.Cluster, j.name, err)
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Run runs every job on its own ticker until ctx is cancelled, then cancels
// the cycles in flight, waits for them and returns nil. (A check that
// ignores its context is waited for at most 5s past cancellation, then
// abandoned with an error log; see runCheck.) The first cycle of
// each job starts almost at once: a small random delay (at most a tenth of
// the interval, capped at 1s) spreads jobs that share an interval, so they
// do not all hit the cluster in the same instant forever after.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, j := range r.jobs {
		wg.Go(func() { r.loop(ctx, j) })
	}
	wg.Wait()
	return nil
}

func (r *Runner) loop(ctx context.Context, j *job) {
	var cycles sync.WaitGroup
	defer cycles.Wait()

	jitter := time.Duration(rand.Int64N(int64(min(j.interval/10, time.Second)) + 1))
	first := time.NewTimer(jitter)
	select {
	case <-ctx.Done():
		first.Stop()
		return
	case <-first.C:
	}

	start := func() {
		select {
		case j.busy <- struct{}{}:
		default:
			r.m.skipped(j.inst.Cluster, j.name)
			j.logger.Warn("previous cycle still running, skipping this one", "interval", j.interval)
			return
		}
		// The cycle runs beside the ticker so that a slow cycle shows
		// up as skipped ticks rather than a drifting schedule.
		cycles.Go(func() {
			if err := r.cycle(ctx, j, j.inst.Sink); err != nil && ctx.Err() == nil {
				j.logger.Warn("check failed", "err", err)
			}
		})
	}
	ticker := time.NewTicker(j.interval)
	defer ticker.Stop()
	start()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			start()
		}
	}
}

// cycle runs one collection of one job under its timeout and records the
// outcome. The caller has taken j.busy; cycle gives it back when the check
// has returned (see runCheck for a check that does not).
func (r *Runner) cycle(parent context.Context, j *job, sink emit.Sink) (err error) {
	ctx, cancel := context.WithTimeout(parent, j.timeout)
	defer cancel()
	release := true
	defer func() {
		if release {
			<-j.busy
		}
	}()
	begin := time.Now()
	// What the check says of the nodes it reached; guarded, since a check
	// abandoned past its deadline may still call in later.
	var reach struct {
		sync.Mutex
		set            bool
		reached, total int
	}
	defer func() {
		if parent.Err() != nil {
			// Shutting down: the cycle was cut short by us, which says
			// nothing about the cluster; record nothing.
			return
		}
		end := time.Now()
		reach.Lock()
		reported, reached, total := reach.set, reach.reached, reach.total
		reach.Unlock()
		if reported {
			r.m.reached(j.inst.Cluster, j.name, reached, total)
			j.reach.note(j.logger, reached, total, end)
		}
		if err == nil && reported && reached == 0 {
			r.m.observeUnreachable(j.inst.Cluster, j.name, end.Sub(begin).Seconds())
		} else {
			r.m.observeCycle(j.inst.Cluster, j.name, end.Sub(begin).Seconds(), err == nil, float64(end.UnixNano())/1e9)
		}
		j.done.Store(true)
		if err == nil {
			j.logger.Debug("check done", "duration", end.Sub(begin))
		}
	}()

	cyc := &emit.Cycle{
		Logger: j.logger,
		NodeErrors: func(node string, _ error) {
			r.m.nodeError(j.inst.Cluster, j.name, node)
		},
		NodesReached: func(reached, total int) {
			reach.Lock()
			reach.set, reach.reached, reach.total = true, reached, total
			reach.Unlock()
		},
		SeriesDropped: func(reason string, n int) {
			r.m.droppedSeries(j.inst.Cluster, j.name, reason, n)
		},
	}
	finished, err := r.runCheck(ctx, j, cyc, sink)
	release = finished
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && parent.Err() == nil {
			return fmt.Errorf("cluster %q check %q: timed out after %s: %w", j.inst.Cluster, j.name, j.timeout, err)
		}
		return fmt.Errorf("cluster %q check %q: %w", j.inst.Cluster, j.name, err)
	}
	return nil
}

// runCheck calls Check.Run in its own goroutine so that a panic is
// recovered there and a check that ignores its context cannot hold the
// cycle (and shutdown) forever: past the deadline plus abandonAfter the
// cycle gives up and finished is false. The check's goroutine then gives
// j.busy back itself when Run finally returns, so the check is never run
// twice at once; until then its ticks are skipped (and counted).
func (r *Runner) runCheck(ctx context.Context, j *job, cyc *emit.Cycle, sink emit.Sink) (finished bool, err error) {
	const (
		running int32 = iota
		returned
		abandoned
	)
	var state atomic.Int32
	result := make(chan error, 1)
	go func() {
		var err error
		defer func() {
			if p := recover(); p != nil {
				j.logger.Error("check panicked", "panic", p, "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", p)
			}
			result <- err
			if !state.CompareAndSwap(running, returned) {
				<-j.busy // the cycle gave up on us: give the token back
				j.logger.Warn("abandoned check returned at last")
			}
		}()
		err = j.check.Run(ctx, cyc, sink)
	}()
	overran := func(err error) error {
		if err == nil {
			// Run returned nil, but after its deadline: the cycle overran
			// and its results may be partial.
			return context.Cause(ctx)
		}
		return err
	}
	select {
	case err := <-result:
		return true, err
	case <-ctx.Done():
	}
	grace := time.NewTimer(r.abandonAfter)
	defer grace.Stop()
	select {
	case err := <-result:
		return true, overran(err)
	case <-grace.C:
	}
	if !state.CompareAndSwap(running, abandoned) {
		// It returned just as the grace period ended.
		return true, overran(<-result)
	}
	j.logger.Error("check ignores its context; abandoned it", "waited_past_deadline", r.abandonAfter)
	return false, fmt.Errorf("did not return within %s of its deadline (%w); abandoned", r.abandonAfter, context.Cause(ctx))
}
