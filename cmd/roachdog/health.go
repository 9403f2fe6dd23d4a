package main

// roachdog health is a one-shot pre-maintenance gate: run it before
// draining a node or starting a rolling upgrade. It reads the cluster once
// and says whether taking a node down is safe:
//
//   - every node that has not been decommissioned is live (liveness over
//     SQL, derived with the liveness check's rules);
//   - no range is under-replicated or unavailable (the sums over every
//     node's /_status/vars, computed by the vars check);
//   - no range would lose quorum with the node (--node-id) or with any one
//     node down: POST /_status/critical_nodes on v23.1+, else computed from
//     crdb_internal.ranges_no_leases and the liveness states.
//
// Exit status: 0 safe, 1 not safe or could not tell, 2 usage.
//
// The judgement and its text are package health's; this file has the
// flags, opens the cluster, prints the report and chooses the exit status.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/health"
)

const healthDefaultTimeout = 30 * time.Second

// Errors of cmdHealth after the report is printed (exit status 1).
var (
	errHealthNotSafe = errors.New("not safe")
	errHealthUnknown = errors.New("could not determine the cluster's health")
)

type healthFlags struct {
	config  string
	cluster string
	nodeID  int64
	timeout time.Duration
	format  string
}

func parseHealthFlags(args []string, stderr io.Writer) (healthFlags, error) {
	var f healthFlags
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", defaultConfig, "configuration file")
	fs.StringVar(&f.cluster, "cluster", "", "cluster to check, as in instances[].cluster (required when the config has several)")
	fs.Int64Var(&f.nodeID, "node-id", 0, "the node about to be taken down (CockroachDB node ID); without it, any node")
	fs.DurationVar(&f.timeout, "timeout", healthDefaultTimeout, "give up after this long (every query and scrape included)")
	fs.StringVar(&f.format, "format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return f, errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	bad := func(format string, a ...any) (healthFlags, error) {
		fmt.Fprintf(stderr, "health: "+format+"\n", a...)
		return f, errUsage
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case set["node-id"] && f.nodeID <= 0:
		return bad("--node-id must be a positive node ID")
	case f.timeout <= 0:
		return bad("--timeout must be positive")
	case f.format != "text" && f.format != "json":
		return bad("--format %q: want text or json", f.format)
	}
	return f, nil
}

// pickInstance returns the instance named by --cluster, or the only one.
func pickInstance(cfg *config.Config, name string, stderr io.Writer) (config.Instance, error) {
	names := make([]string, len(cfg.Instances))
	for i, in := range cfg.Instances {
		if name != "" && in.Cluster == name {
			return in, nil
		}
		names[i] = in.Cluster
	}
	switch {
	case name != "":
		fmt.Fprintf(stderr, "health: no cluster %q in %s (clusters: %s)\n", name, cfg.File, strings.Join(names, ", "))
	case len(cfg.Instances) == 1:
		return cfg.Instances[0], nil
	default:
		fmt.Fprintf(stderr, "health: %s has %d clusters; choose one with --cluster (%s)\n", cfg.File, len(names), strings.Join(names, ", "))
	}
	return config.Instance{}, errUsage
}

func cmdHealth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseHealthFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := config.Load(f.config)
	if err != nil {
		return err
	}
	in, err := pickInstance(cfg, f.cluster, stderr)
	if err != nil {
		return err
	}
	// The report goes to stdout; warnings (unreachable node, failed
	// discovery) to stderr, unless the config asks for more or less.
	level := "warn"
	if l := strings.ToLower(cfg.Init.LogLevel); l == "debug" || l == "error" {
		level = l
	}
	logger, err := newLogger(stderr, cfg.Init.LogFormat, level)
	if err != nil {
		return err
	}
	logger = logger.With("cluster", in.Cluster)

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	conn, err := healthConnect(ctx, in, f.timeout, logger)
	if err != nil {
		return fmt.Errorf("cluster %q: %w", in.Cluster, err)
	}
	defer conn.Close()

	rep := health.Gather(ctx, conn, f.nodeID, logger)
	if f.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else if err := rep.WriteText(stdout); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	switch rep.Verdict {
	case health.Safe:
		return nil
	case health.Unknown:
		return errHealthUnknown
	default:
		return errHealthNotSafe
	}
}

// healthConnect opens what the gate reads one cluster with. It is built here
// rather than by buildInstances so that the statement timeout follows
// --timeout (a large cluster's crdb_internal.ranges_no_leases can take
// longer than the collector's default) and only the chosen cluster is
// opened. Open fails only on settings that cannot work; an unreachable
// server shows up in the report.
func healthConnect(ctx context.Context, in config.Instance, timeout time.Duration, logger *slog.Logger) (*health.Conn, error) {
	spec := clusterSpec(in)
	spec.QueryTimeout, spec.MaxConns = timeout, 2
	h, err := cluster.Open(ctx, spec, logger)
	if err != nil {
		return nil, err
	}
	return &health.Conn{Instance: in, Handle: h}, nil
}
