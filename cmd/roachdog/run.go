package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/exporter"
)

const defaultConfig = "conf.d/roachdog.d/conf.yaml"

// shutdownGrace bounds how long roachdog waits, after SIGTERM, for the cycle
// in flight and the final flush.
const shutdownGrace = 5 * time.Second

// How long start-up waits for the Agent's DNS name to resolve (docker compose
// starts roachdog and the Agent together): long enough for the Agent's
// container to come up, short enough that a mistyped host fails start-up
// visibly rather than hanging it. --once has no time to wait.
const (
	agentWait     = exporter.DefaultAgentWait
	agentWaitOnce = 5 * time.Second
)

type runFlags struct {
	config    string
	once      bool
	cycles    int
	dryRun    bool
	logFormat string
	logLevel  string
}

func parseRunFlags(args []string, stderr io.Writer) (runFlags, error) {
	var f runFlags
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", defaultConfig, "configuration file (Datadog Agent check format)")
	fs.BoolVar(&f.once, "once", false, "run one collection cycle of every check, then exit")
	fs.IntVar(&f.cycles, "cycles", 0, "run N collection cycles of every check, min_collection_interval apart, then exit\n(counts and distributions appear from the second; --once is --cycles 1)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print DogStatsD datagrams to stdout instead of sending them")
	fs.StringVar(&f.logFormat, "log-format", "", "text or json (overrides init_config.log_format)")
	fs.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error (overrides init_config.log_level)")
	if err := fs.Parse(args); err != nil {
		return f, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "run: unexpected argument %q\n", fs.Arg(0))
		return f, errUsage
	}
	switch {
	case f.cycles < 0:
		fmt.Fprintf(stderr, "run: --cycles %d: want a positive number\n", f.cycles)
		return f, errUsage
	case f.once && f.cycles > 1:
		fmt.Fprintf(stderr, "run: --once and --cycles %d disagree: --once is --cycles 1\n", f.cycles)
		return f, errUsage
	case f.once:
		f.cycles = 1
	case f.cycles > 0:
		f.once = true // a bounded run: everything --once implies
	}
	return f, nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	var hup chan os.Signal
	if !f.once {
		// Registered first: a SIGHUP during start-up (whose default is to
		// end the process) is kept and reloads once the checks run.
		hup = make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
	}
	cfg, err := config.Load(f.config)
	if err != nil {
		return err
	}
	logger, err := newLogger(stderr, pick(f.logFormat, cfg.Init.LogFormat), pick(f.logLevel, cfg.Init.LogLevel))
	if err != nil {
		return err
	}
	v, c := buildVersion()
	self := exporter.NewSelfMetrics(v, c)

	// The self-metrics server comes first: /healthz answers while start-up
	// waits for the Agent, and /readyz says not ready until the runner has
	// completed a cycle of every check (and while vars reaches no node; see
	// Runner.Readiness).
	var runner atomic.Pointer[exporter.Runner]
	ready := func() bool {
		r := runner.Load()
		return r != nil && r.Ready()
	}
	var srv *http.Server
	if addr := cfg.Init.ListenAddress; addr != "" && addr != "off" && !f.dryRun && !f.once {
		opts := []exporter.HTTPOption{exporter.ReadyReason(func() string {
			if r := runner.Load(); r != nil {
				_, why := r.Readiness()
				return why
			}
			return ""
		})}
		if cfg.Init.Pprof {
			opts = append(opts, exporter.Pprof())
		}
		srv = exporter.NewHTTPServer(addr, self, ready, logger, opts...)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen on %s (init_config.listen_address): %w", addr, err)
		}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("self-metrics server stopped", "addr", addr, "err", err)
			}
		}()
		logger.Info("serving /metrics, /healthz, /readyz", "addr", ln.Addr().String())
		defer func() {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			_ = srv.Shutdown(shutdownCtx)
		}()
	}

	var sink checks.Sink
	var flush func() error
	if f.dryRun {
		sink = exporter.NewTextFor(stdout, cfg.Init.DogStatsDAddr, cfg.Init.Namespace, cfg.Init.Tags)
		flush = func() error { return nil }
	} else {
		wait := agentWait
		if f.once {
			wait = agentWaitOnce
		}
		dctx, cancel := context.WithTimeout(ctx, wait)
		d, err := exporter.NewDogStatsD(dctx, cfg.Init.DogStatsDAddr, cfg.Init.Namespace, cfg.Init.Tags, self, logger)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				// SIGTERM while waiting for the Agent: a requested stop,
				// not a failure.
				logger.Info("stopped during start-up, before the DogStatsD client was ready")
				return nil
			}
			return err // names the address already
		}
		sink = d
		flush = d.Close
	}

	instances, closeAll, err := buildInstances(ctx, cfg, sink, logger)
	if err != nil {
		_ = flush()
		return err
	}
	gen := &generation{cfg: cfg, instances: instances, close: closeAll}
	defer func() { gen.close() }() // the generation running last, after a reload
	r := exporter.NewRunner(instances, self, logger)
	gen.runner = r
	runner.Store(r)

	if f.once {
		runErr := runCycles(ctx, r, f.cycles, minInterval(cfg))
		if ctx.Err() != nil {
			// SIGTERM/SIGINT: a requested stop, which exits 0 as it does
			// without --once; the checks it cut short failed for that
			// reason only.
			logger.Info("stopped by a signal before the cycle completed; what was collected is flushed",
				"unfinished", runErr)
			runErr = nil
		}
		if err := flush(); err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("flush: %w", err))
		}
		return runErr
	}
	logger.Info("roachdog started", "version", v, "clusters", len(instances), "dogstatsd", cfg.Init.DogStatsDAddr, "dry_run", f.dryRun)

	// Run returns once ctx is cancelled (SIGTERM/SIGINT) and the cycles in
	// flight have stopped; SIGHUP reloads the configuration meanwhile.
	rl := &reloader{path: f.config, sink: sink, self: self, logger: logger, current: &runner, gen: gen}
	runErr := rl.run(ctx, hup)
	logger.Info("shutting down")
	if err := flush(); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("flush: %w", err))
	}
	return runErr
}

// runCycles runs n cycles of every check, interval apart (so that counts
// and distributions, deltas from the previous cycle, appear from the
// second), and returns the errors of every cycle. A cancelled ctx ends it
// early.
func runCycles(ctx context.Context, r *exporter.Runner, n int, interval time.Duration) error {
	var errs []error
	for i := range n {
		if i > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(append(errs, context.Cause(ctx))...)
			case <-time.After(interval):
			}
		}
		if err := r.RunOnce(ctx); err != nil {
			if n > 1 {
				err = fmt.Errorf("cycle %d of %d: %w", i+1, n, err)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// minInterval is the shortest min_collection_interval of the configured
// clusters: the spacing of --cycles.
func minInterval(cfg *config.Config) time.Duration {
	var d time.Duration
	for _, in := range cfg.Instances {
		if d == 0 || in.MinCollectionInterval < d {
			d = in.MinCollectionInterval
		}
	}
	return d
}

// buildInstances turns each configured cluster into the runner's instance:
// node source (static or discovered), HTTP client, tagged sink and jobs.
func buildInstances(ctx context.Context, cfg *config.Config, sink checks.Sink, logger *slog.Logger) ([]exporter.Instance, func(), error) {
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	var out []exporter.Instance
	for _, in := range cfg.Instances {
		log := logger.With("cluster", in.Cluster)
		httpClient, err := nodesHTTPClient(in, log)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("instance %q: %w", in.Cluster, err)
		}
		var seeds []cluster.Node
		for _, u := range in.StatusURLs {
			seeds = append(seeds, cluster.Node{StatusURL: strings.TrimRight(u, "/")})
		}
		var source cluster.Source = cluster.Static(seeds)
		var db *cluster.DB
		if in.SQLURL != "" {
			// OpenDB fails only on a malformed URL or option; an unreachable
			// cluster is retried on every query.
			db, err = cluster.OpenDB(ctx, in.SQLURL, log, cluster.WithQueryTimeout(statementTimeout(in)))
			if err != nil {
				closeAll()
				return nil, nil, fmt.Errorf("instance %q: sql_url %s: %w", in.Cluster, in.RedactedSQLURL, err)
			}
			closers = append(closers, db.Close)
		}
		if in.Discover && db != nil { // config guarantees sql_url with discover
			d := cluster.NewDiscovery(db, cluster.DiscoveryOptions{
				Scheme:          in.Discovery.Scheme,
				HTTPPort:        in.Discovery.HTTPPort,
				RefreshInterval: in.Discovery.RefreshInterval,
				Seeds:           in.StatusURLs,
			}, log)
			// Before db.Close: a refresh in flight uses the pool.
			closers = append([]func(){d.Close}, closers...)
			source = d
		}
		var api *cluster.API
		if len(in.StatusURLs) > 0 || in.Discover {
			// The status endpoints that need a session (critical_nodes) are
			// tried on the current nodes in order; logging in uses the
			// status_api credentials (default: sql_url's user).
			nodes := &lastNodes{Source: source, seeds: in.StatusURLs}
			source = nodes
			api = cluster.NewAPI(httpClient, nodes.urls, in.APIUser, in.APIPassword)
		}
		ci := &checks.Instance{Cluster: in.Cluster, Source: source, HTTP: httpClient, SQL: db, API: api}
		jobs, err := buildJobs(in, ci)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("instance %q: %w", in.Cluster, err)
		}
		tags := append([]string{"cluster:" + in.Cluster}, in.Tags...)
		for _, q := range checks.OptionsOf[checks.CustomQueriesOptions](in.Checks).Queries {
			exporter.TrustTags(sink, q.Tags...) // configured: may use env, service...
		}
		out = append(out, exporter.Instance{
			Cluster: in.Cluster,
			Sink:    exporter.WithTags(sink, tags...),
			Jobs:    jobs,
			Logger:  logger, // the runner adds the cluster and the check
		})
	}
	return out, closeAll, nil
}

// lastNodes remembers the node list of the latest cycle, so that the status
// API client tries the nodes the cluster has now (static list until then).
type lastNodes struct {
	cluster.Source
	seeds []string
	mu    sync.Mutex
	last  []string
}

func (l *lastNodes) Nodes(ctx context.Context) ([]cluster.Node, error) {
	nodes, err := l.Source.Nodes(ctx)
	if len(nodes) > 0 {
		urls := make([]string, len(nodes))
		for i, n := range nodes {
			urls[i] = n.StatusURL
		}
		l.mu.Lock()
		l.last = urls
		l.mu.Unlock()
	}
	return nodes, err
}

func (l *lastNodes) urls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) > 0 {
		return l.last
	}
	return l.seeds
}

// nodesHTTPClient builds the client for the instance's nodes (see
// cluster.NewHTTPClient) from its tls settings.
func nodesHTTPClient(in config.Instance, logger *slog.Logger) (*http.Client, error) {
	t := in.TLS
	if t.InsecureSkipVerify {
		logger.Warn("tls.insecure_skip_verify is on: the nodes' certificates are not verified")
	}
	if t.CAFile != "" || t.CertFile != "" || t.ServerName != "" {
		https := in.Discover && in.Discovery.Scheme == "https"
		for _, u := range in.StatusURLs {
			https = https || strings.HasPrefix(strings.ToLower(u), "https://")
		}
		if !https {
			logger.Warn("tls is set but no node is reached over HTTPS: use https:// status URLs (with discover: discovery.scheme https)")
		}
	}
	return cluster.NewHTTPClient(cluster.HTTPOptions{
		CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
		ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify,
	})
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	switch strings.ToLower(level) {
	case "", "info":
		lvl = slog.LevelInfo
	case "debug":
		lvl = slog.LevelDebug
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
}

func pick(flagValue, configValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return configValue
}
