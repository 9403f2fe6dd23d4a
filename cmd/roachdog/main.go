// Command roachdog sends CockroachDB observability to Datadog: it scrapes
// every node's /_status/vars (and, with more checks, SQL and the status API)
// and forwards a curated set of metrics, service checks and events to the
// local Datadog Agent over DogStatsD.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
)

// errUsage marks a command-line mistake (exit status 2).
var errUsage = errors.New("usage")

const usage = `roachdog: CockroachDB observability for Datadog

Usage:
  roachdog run [--config FILE] [--once | --cycles N] [--dry-run] [--log-format text|json] [--log-level LEVEL] [--gomaxprocs N]
  roachdog health [--config FILE] [--cluster NAME] [--node-id N] [--timeout 30s] [--format text|json]
  roachdog catalog [--format table|markdown|json] [--namespace NS]
  roachdog validate [--namespace NS] [--dir DIR]
  roachdog apply [--dry-run] [--notify @h[,@h]] [--only dashboards|monitors] [--dir DIR]
  roachdog downtime --cluster NAME [--node-id N] --duration D [--message M] | --cancel ID
  roachdog record --sql-url URL --dir DIR [--checks LIST] [--timeout 1m]
  roachdog version

Commands:
  run       collect from every configured cluster and send to the Datadog Agent
            (--once: one cycle, then exit, 1 when a check failed; --cycles N:
            N cycles min_collection_interval apart, so counts and
            distributions show from the second; --dry-run:
            print the DogStatsD datagrams to stdout instead of sending
            them; --gomaxprocs N: CPUs used at once, default 1, 0 for
            every CPU; SIGHUP re-reads the configuration file)
  health    pre-maintenance gate: exit 1 unless every node is live, no range
            is under-replicated or unavailable, and taking a node down (or
            --node-id) keeps quorum
  catalog   print every metric roachdog can send, with type, unit, tags,
            expected series per node and description
  validate  check the shipped dashboards and monitors offline against the
            metric catalog (or the files under DIR/dashboards, DIR/monitors)
  apply     create or update the dashboards and monitors in Datadog
            (DD_API_KEY, DD_APP_KEY, DD_SITE), idempotently
  downtime  schedule (or cancel) a Datadog downtime for a cluster or node,
            for a planned drain or rolling upgrade
  record    run the SQL checks once through a recording proxy and write
            each check's wire exchanges (DIR/<check>.jsonl) and datagrams
            (DIR/<check>.datagrams), for tests that replay them
  version   print the version
  healthcheck [--url URL]
            probe a running roachdog's /healthz (the container's HEALTHCHECK)

The default config file is conf.d/roachdog.d/conf.yaml.
`

func main() {
	setGC(os.LookupEnv)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// defaultGCPercent is the garbage collector's target unless GOGC is set.
// roachdog's heap between cycles is mostly per-node state that lives on;
// Go's default of 100 lets the heap grow to twice that before collecting.
// At 50 the process's peak RSS at 300 nodes is about 10 MB lower, for no
// CPU the load harness can measure (README, Performance).
const defaultGCPercent = 50

// setGC applies defaultGCPercent unless the environment sets GOGC (which
// the runtime has already applied).
func setGC(lookup func(string) (string, bool)) {
	if _, ok := lookup("GOGC"); !ok {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// defaultMaxProcs is how many CPUs run's goroutines use at once unless
// --gomaxprocs or GOMAXPROCS says otherwise (node_exporter defaults to 1
// too). roachdog's work is a burst of scrapes every interval; spread over
// more CPUs, each blocking read hands its P back and idle Ps spin looking
// for work. On the load harness's 2-core machine at 100 nodes, one CPU
// costs a fifth less in all (1.17% of a core against 1.45%, README,
// Performance), and one core is far more than a real cluster needs: the
// price is less headroom for payloads far beyond real ones.
const defaultMaxProcs = 1

// setMaxProcs applies --gomaxprocs when given, else leaves a GOMAXPROCS
// set in the environment (which the runtime has already applied), else
// applies defaultMaxProcs. 0 is Go's own default: every CPU the process
// may use.
func setMaxProcs(f runFlags, lookup func(string) (string, bool)) {
	if _, env := lookup("GOMAXPROCS"); env && !f.maxProcsSet {
		return
	}
	if f.maxProcs == 0 {
		runtime.SetDefaultGOMAXPROCS()
		return
	}
	runtime.GOMAXPROCS(f.maxProcs)
}

// run dispatches a command line and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "catalog":
		err = cmdCatalog(args[1:], stdout, stderr)
	case "healthcheck":
		err = cmdHealthcheck(ctx, args[1:], stdout, stderr)
	case "health":
		err = cmdHealth(ctx, args[1:], stdout, stderr)
	case "validate":
		err = cmdValidate(args[1:], stdout, stderr)
	case "apply":
		err = cmdApply(ctx, args[1:], stdout, stderr)
	case "downtime":
		err = cmdDowntime(ctx, args[1:], stdout, stderr)
	case "record":
		err = cmdRecord(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "roachdog: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "roachdog %s: %v\n", args[0], err)
		return 1
	}
}
