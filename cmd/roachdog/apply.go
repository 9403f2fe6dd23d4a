package main

// roachdog apply installs the dashboards and monitors in Datadog. The work
// (loading, checking, planning, the diff, the writes) is package apply's;
// this file has the flags, where the files come from, the API client and
// the warnings.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/roachdog/roachdog/apply"
	"github.com/roachdog/roachdog/assets"
	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/dashboards"
	"github.com/roachdog/roachdog/ddapi"
	"github.com/roachdog/roachdog/monitors"
)

// notifyPlaceholder stands, in the shipped monitor messages, for the
// notification handles given at import time with --notify.
const notifyPlaceholder = assets.NotifyPlaceholder

type applyFlags struct {
	dryRun    bool
	notify    []string
	only      string
	dir       string
	apiURL    string
	timeout   time.Duration
	namespace string
	allowTags []string
	// percentiles: turn on the distributions' percentile aggregations.
	percentiles bool
}

func cmdApply(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runApply(ctx, args, stdout, stderr, os.Getenv, embeddedSources)
}

// handleRe is what a notification handle may look like: @ then no spaces
// and no braces (which would open a template variable).
var handleRe = regexp.MustCompile(`^@[^\s{}]{1,200}$`)

func parseApplyFlags(args []string, stderr io.Writer) (applyFlags, error) {
	var f applyFlags
	fset := flag.NewFlagSet("apply", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.BoolVar(&f.dryRun, "dry-run", false, "show what would be created or updated, with a diff, and write nothing")
	fset.Func("notify", "notification handle(s) replacing "+notifyPlaceholder+" in monitor messages, comma-separated or repeated (e.g. @slack-crdb-alerts,@pagerduty-crdb)", func(s string) error {
		for _, h := range strings.Split(s, ",") {
			h = strings.TrimSpace(h)
			if h == "" {
				continue
			}
			if !handleRe.MatchString(h) {
				return fmt.Errorf("%q is not a notification handle (want @name, no spaces or braces)", h)
			}
			if !slices.Contains(f.notify, h) {
				f.notify = append(f.notify, h)
			}
		}
		return nil
	})
	fset.BoolVar(&f.percentiles, "percentiles", true, "turn on percentile aggregations (billed) for the latency distributions roachdog sends, which the dashboards and monitors query with p99:")
	fset.StringVar(&f.only, "only", "", "apply only dashboards or only monitors")
	fset.StringVar(&f.dir, "dir", "", "read DIR/dashboards/*.json and DIR/monitors/*.json instead of the files built into roachdog")
	fset.StringVar(&f.apiURL, "api-url", "", "Datadog API root, overriding DD_SITE (https, or http on a loopback address; for a proxy)")
	fset.DurationVar(&f.timeout, "timeout", 10*time.Minute, "give up after this long")
	fset.StringVar(&f.namespace, "namespace", "crdb", "metric namespace the files' queries use (init_config.namespace), for the offline check")
	fset.Func("allow-tag", "tag key accepted in queries besides roachdog's own (your instance tags), for the offline check; repeatable or comma-separated", func(s string) error {
		for _, k := range strings.Split(s, ",") {
			if k = strings.TrimSpace(k); k != "" {
				f.allowTags = append(f.allowTags, k)
			}
		}
		return nil
	})
	if err := fset.Parse(args); err != nil {
		return f, errUsage
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "apply: unexpected argument %q\n", fset.Arg(0))
		return f, errUsage
	}
	switch f.only {
	case "", "dashboards", "monitors":
	default:
		fmt.Fprintf(stderr, "apply: --only %q: want dashboards or monitors\n", f.only)
		return f, errUsage
	}
	if f.timeout <= 0 {
		fmt.Fprintln(stderr, "apply: --timeout must be positive")
		return f, errUsage
	}
	return f, nil
}

func runApply(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, sources func() (apply.Sources, error)) error {
	f, err := parseApplyFlags(args, stderr)
	if err != nil {
		return err
	}
	src, err := applySourcesFor(f.dir, sources)
	if err != nil {
		return err
	}
	wantDash, wantMon := f.only != "monitors", f.only != "dashboards"
	items, err := apply.Load(src, wantDash, wantMon, apply.NewOfflineCheck(f.namespace, f.allowTags))
	if err != nil {
		return err
	}
	stripped := apply.Prepare(items, f.notify)
	if stripped > 0 {
		fmt.Fprintf(stderr, "warning: no --notify given: removed %s from %d monitor message(s); those monitors will alert in Datadog but notify no one\n", notifyPlaceholder, stripped)
	}

	client, err := newAPIClient(f.apiURL, getenv, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	var pct []string
	if f.percentiles {
		for _, m := range checks.Catalog() {
			if m.Kind == checks.KindDistribution {
				pct = append(pct, f.namespace+"."+m.Name)
			}
		}
	}
	return apply.Apply(ctx, client, items, apply.Options{Dashboards: wantDash, Monitors: wantMon, DryRun: f.dryRun, Percentiles: pct}, stdout, stderr)
}

// embeddedSources are the files built into the binary.
func embeddedSources() (apply.Sources, error) {
	return apply.Sources{Dashboards: dashboards.FS, Monitors: monitors.FS, DashboardsDir: "dashboards", MonitorsDir: "monitors"}, nil
}

func applySourcesFor(dir string, embedded func() (apply.Sources, error)) (apply.Sources, error) {
	if dir == "" {
		return embedded()
	}
	st, err := os.Stat(dir)
	if err != nil {
		return apply.Sources{}, fmt.Errorf("--dir: %w", err)
	}
	if !st.IsDir() {
		return apply.Sources{}, fmt.Errorf("--dir %s: not a directory", dir)
	}
	d, m := filepath.Join(dir, "dashboards"), filepath.Join(dir, "monitors")
	return apply.Sources{Dashboards: os.DirFS(d), Monitors: os.DirFS(m), DashboardsDir: d, MonitorsDir: m}, nil
}

// newAPIClient builds the Datadog client from DD_SITE, DD_API_KEY and
// DD_APP_KEY (or --api-url), logging retries to stderr.
func newAPIClient(apiURL string, getenv func(string) string, stderr io.Writer) (*ddapi.Client, error) {
	cfg := ddapi.ConfigFromEnv(getenv)
	cfg.APIURL = apiURL
	c, err := ddapi.New(cfg)
	if err != nil {
		return nil, err
	}
	v, _ := buildVersion()
	c.UserAgent = "roachdog/" + v
	c.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	return c, nil
}
