package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/roachdog/roachdog/apply"
)

type downtimeFlags struct {
	cluster  string
	nodeID   int
	duration time.Duration
	message  string
	start    string
	cancel   string
	apiURL   string
	timeout  time.Duration
}

// cmdDowntime schedules (or cancels) a Datadog downtime muting roachdog's
// monitors for one cluster or one node, for a planned drain or a rolling
// upgrade.
func cmdDowntime(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runDowntime(ctx, args, stdout, stderr, os.Getenv, time.Now)
}

func parseDowntimeFlags(args []string, stderr io.Writer) (downtimeFlags, error) {
	var f downtimeFlags
	fset := flag.NewFlagSet("downtime", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.StringVar(&f.cluster, "cluster", "", "cluster name, as in the config's instances[].cluster (the cluster tag)")
	fset.IntVar(&f.nodeID, "node-id", 0, "mute only this node (CockroachDB node ID; the node_id tag)")
	fset.DurationVar(&f.duration, "duration", 0, "how long the downtime lasts (e.g. 30m, 2h)")
	fset.StringVar(&f.message, "message", "", "message shown on the downtime and in notifications")
	fset.StringVar(&f.start, "start", "now", `"now" or an RFC 3339 time (2026-01-02T15:04:05Z)`)
	fset.StringVar(&f.cancel, "cancel", "", "cancel the downtime with this ID instead of scheduling one")
	fset.StringVar(&f.apiURL, "api-url", "", "Datadog API root, overriding DD_SITE (https, or http on a loopback address; for a proxy)")
	fset.DurationVar(&f.timeout, "timeout", time.Minute, "give up after this long")
	if err := fset.Parse(args); err != nil {
		return f, errUsage
	}
	set := map[string]bool{}
	fset.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	bad := func(format string, a ...any) (downtimeFlags, error) {
		fmt.Fprintf(stderr, "downtime: "+format+"\n", a...)
		return f, errUsage
	}
	switch {
	case fset.NArg() > 0:
		return bad("unexpected argument %q", fset.Arg(0))
	case f.timeout <= 0:
		return bad("--timeout must be positive")
	case f.cancel != "":
		for _, n := range []string{"cluster", "node-id", "duration", "message", "start"} {
			if set[n] {
				return bad("--cancel takes no --%s", n)
			}
		}
		return f, nil
	case f.cluster == "":
		return bad("--cluster is required")
	case set["node-id"] && f.nodeID <= 0:
		return bad("--node-id must be a positive node ID")
	case f.duration <= 0:
		return bad("--duration is required and must be positive (a downtime without an end mutes until someone remembers to cancel it)")
	}
	return f, nil
}

func runDowntime(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) error {
	f, err := parseDowntimeFlags(args, stderr)
	if err != nil {
		return err
	}
	var start time.Time
	if f.cancel == "" && f.start != "now" {
		if start, err = time.Parse(time.RFC3339, f.start); err != nil {
			fmt.Fprintf(stderr, "downtime: --start %q: want now or an RFC 3339 time such as 2026-01-02T15:04:05Z\n", f.start)
			return errUsage
		}
	}
	client, err := newAPIClient(f.apiURL, getenv, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	if f.cancel != "" {
		if err := client.CancelDowntime(ctx, f.cancel); err != nil {
			return fmt.Errorf("cancel downtime %s: %w", f.cancel, err)
		}
		fmt.Fprintf(stderr, "cancelled downtime %s\n", f.cancel)
		return nil
	}

	d := apply.Downtime(apply.Maintenance{
		Cluster: f.cluster, NodeID: f.nodeID, Duration: f.duration, Message: f.message, Start: start,
	}, now())
	res, err := client.CreateDowntime(ctx, d)
	if err != nil {
		return fmt.Errorf("schedule downtime for %s: %w", d.Scope, err)
	}
	from := res.Start
	if from == "" {
		from = "now"
	}
	until := res.End
	if until == "" {
		until = d.End.UTC().Format(time.RFC3339)
	}
	// The ID alone on stdout, for scripts: ID=$(roachdog downtime ...).
	fmt.Fprintln(stdout, res.ID)
	fmt.Fprintf(stderr, "scheduled downtime %s (%s): scope %q, monitors tagged %s, from %s until %s\ncancel it with: roachdog downtime --cancel %s\n",
		res.ID, res.Status, d.Scope, apply.ManagedTag, from, until, res.ID)
	return nil
}
