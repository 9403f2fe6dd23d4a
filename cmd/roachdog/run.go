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
// visibly rather than hanging it. --once has no time to wait. Variables so
// that a test of giving up need not wait as long (such a test does not run
// in parallel).
var (
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
	// maxProcs is --gomaxprocs; maxProcsSet says it was given.
	maxProcs    int
	maxProcsSet bool
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
	fs.IntVar(&f.maxProcs, "gomaxprocs", defaultMaxProcs, "CPUs that may run roachdog's code at once (0: every CPU the process may use);\nthe GOMAXPROCS environment variable applies instead unless this is given")
	if err := fs.Parse(args); err != nil {
		return f, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "run: unexpected argument %q\n", fs.Arg(0))
		return f, errUsage
	}
	fs.Visit(func(fl *flag.Flag) { f.maxProcsSet = f.maxProcsSet || fl.Name == "gomaxprocs" })
	switch {
	case f.maxProcs < 0:
		fmt.Fprintf(stderr, "run: --gomaxprocs %d: want 0 (every CPU) or more\n", f.maxProcs)
		return f, errUsage
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
	setMaxProcs(f, os.LookupEnv)
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
// the opened cluster (cluster.Open), its tagged sink and its jobs.
func buildInstances(ctx context.Context, cfg *config.Config, sink checks.Sink, logger *slog.Logger) ([]exporter.Instance, func(), error) {
	var handles []*cluster.Handle
	closeAll := func() {
		for _, h := range handles {
			h.Close()
		}
	}
	var out []exporter.Instance
	for _, in := range cfg.Instances {
		spec := clusterSpec(in)
		spec.QueryTimeout = statementTimeout(in)
		h, err := cluster.Open(ctx, spec, logger.With("cluster", in.Cluster))
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("instance %q: %w", in.Cluster, err)
		}
		handles = append(handles, h)
		ci := &checks.Instance{Cluster: in.Cluster, Source: h.Source, HTTP: h.HTTP, SQL: h.DB, API: h.API}
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

// clusterSpec is how an instance's cluster is reached: status URLs or
// discovery, sql_url, tls and status_api.
func clusterSpec(in config.Instance) cluster.Spec {
	t := in.TLS
	return cluster.Spec{
		StatusURLs:     in.StatusURLs,
		SQLURL:         in.SQLURL,
		RedactedSQLURL: in.RedactedSQLURL,
		Discover:       in.Discover,
		Discovery: cluster.DiscoveryOptions{
			Scheme:          in.Discovery.Scheme,
			HTTPPort:        in.Discovery.HTTPPort,
			RefreshInterval: in.Discovery.RefreshInterval,
		},
		TLS: cluster.HTTPOptions{
			CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
			ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify,
		},
		APIUser:     in.APIUser,
		APIPassword: in.APIPassword,
	}
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
