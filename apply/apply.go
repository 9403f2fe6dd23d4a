package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roachdog/roachdog/assets"
	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/dashboards"
	"github.com/roachdog/roachdog/ddapi"
	"github.com/roachdog/roachdog/monitors"
)

// managedTag marks the monitors apply owns (and the downtimes it schedules
// target). Dashboards carry it in their description instead: the dashboard
// tags field accepts only team: tags in some organisations.
const managedTag = "managed-by:roachdog"

// dashboardMarker is appended to a dashboard's description when its file
// does not already contain managedTag there.
const dashboardMarker = "managed-by:roachdog: installed by `roachdog apply`; edits made in Datadog are replaced on the next apply."

// notifyPlaceholder stands, in the shipped monitor messages, for the
// notification handles given at import time with --notify.
const notifyPlaceholder = assets.NotifyPlaceholder

// readOnlyFields are returned by the API but never sent: a file exported
// from Datadog may carry them.
var readOnlyFields = map[string][]string{
	kindDashboard: {"id", "url", "author_handle", "author_name", "created_at", "modified_at"},
	kindMonitor:   {"id", "created", "created_at", "creator", "modified", "overall_state", "state", "matching_downtimes", "deleted", "org_id", "multi", "overall_state_modified"},
}

const (
	kindDashboard = "dashboard"
	kindMonitor   = "monitor"
)

// applySources says where apply reads its files; tests give fstest.MapFS.
type applySources struct {
	Dashboards fs.FS // *.json at the root
	Monitors   fs.FS
	// DashboardsDir and MonitorsDir prefix file names in messages
	// ("dashboards", or DIR/dashboards with --dir).
	DashboardsDir, MonitorsDir string
}

type applyFlags struct {
	dryRun    bool
	notify    []string
	only      string
	dir       string
	apiURL    string
	timeout   time.Duration
	namespace string
	allowTags []string
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

// asset is one file's object as it will be sent.
type asset struct {
	kind string
	file string // for messages
	key  string // dashboard title or monitor name: what matches it in Datadog
	obj  ddapi.Object
	// placeholder is true when the file's message held notifyPlaceholder.
	placeholder bool
}

// plannedChange is what apply does with one asset.
type plannedChange struct {
	asset
	action   string // create, update, unchanged
	id       string // existing id (update, unchanged)
	existing ddapi.Object
}

func runApply(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, sources func() (applySources, error)) error {
	f, err := parseApplyFlags(args, stderr)
	if err != nil {
		return err
	}
	src, err := applySourcesFor(f.dir, sources)
	if err != nil {
		return err
	}
	wantDash, wantMon := f.only != "monitors", f.only != "dashboards"
	check := offlineChecker(f.namespace, f.allowTags)
	var items []asset
	if wantDash {
		a, err := loadAssets(src.Dashboards, src.DashboardsDir, kindDashboard, check)
		if err != nil {
			return err
		}
		items = append(items, a...)
	}
	if wantMon {
		a, err := loadAssets(src.Monitors, src.MonitorsDir, kindMonitor, check)
		if err != nil {
			return err
		}
		items = append(items, a...)
	}
	if len(items) == 0 {
		return errors.New("no dashboard or monitor files to apply")
	}
	stripped := prepareAssets(items, f.notify)
	if stripped > 0 {
		fmt.Fprintf(stderr, "warning: no --notify given: removed %s from %d monitor message(s); those monitors will alert in Datadog but notify no one\n", notifyPlaceholder, stripped)
	}

	client, err := newAPIClient(f.apiURL, getenv, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	// Validate every monitor before reading or writing anything else: one
	// bad monitor must not leave a half-applied set.
	if err := validateMonitors(ctx, client, items); err != nil {
		return err
	}
	plan, err := planChanges(ctx, client, items, wantDash, wantMon, stderr)
	if err != nil {
		return err
	}
	return executePlan(ctx, client, plan, f.dryRun, stdout)
}

// embeddedSources are the files built into the binary.
func embeddedSources() (applySources, error) {
	return applySources{Dashboards: dashboards.FS, Monitors: monitors.FS, DashboardsDir: "dashboards", MonitorsDir: "monitors"}, nil
}

// offlineChecker runs roachdog validate's rules (package assets) on a file
// before anything is sent.
func offlineChecker(namespace string, allowTags []string) offlineCheck {
	v := &assets.Validator{Catalog: checks.Catalog(), Namespace: namespace, ExtraTags: allowTags}
	return func(kind, file string, data []byte) []error {
		if kind == kindDashboard {
			return v.Dashboard(file, data)
		}
		return v.Monitor(file, data)
	}
}

func applySourcesFor(dir string, embedded func() (applySources, error)) (applySources, error) {
	if dir == "" {
		return embedded()
	}
	st, err := os.Stat(dir)
	if err != nil {
		return applySources{}, fmt.Errorf("--dir: %w", err)
	}
	if !st.IsDir() {
		return applySources{}, fmt.Errorf("--dir %s: not a directory", dir)
	}
	d, m := filepath.Join(dir, "dashboards"), filepath.Join(dir, "monitors")
	return applySources{Dashboards: os.DirFS(d), Monitors: os.DirFS(m), DashboardsDir: d, MonitorsDir: m}, nil
}

// offlineCheck validates one file offline; it returns every problem found.
type offlineCheck func(kind, file string, data []byte) []error

// loadAssets reads every *.json at the root of fsys, in name order, and
// checks what apply relies on: a JSON object with a unique title (name for
// monitors) and the fields the API requires; then check (roachdog
// validate's rules) must find nothing.
func loadAssets(fsys fs.FS, dir, kind string, check offlineCheck) ([]asset, error) {
	if fsys == nil {
		return nil, fmt.Errorf("no %s files in this build: use --dir", kind)
	}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if len(names) == 0 {
		if _, err := fs.Stat(fsys, "."); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		return nil, fmt.Errorf("%s: no *.json files", dir)
	}
	keyField, required := "title", []string{"title", "layout_type", "widgets"}
	if kind == kindMonitor {
		keyField, required = "name", []string{"name", "type", "query", "message"}
	}
	seen := map[string]string{}
	var out []asset
	for _, name := range names {
		file := path.Join(filepath.ToSlash(dir), name)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		obj, err := ddapi.DecodeObject(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		// A monitor may be in integrations-core's "recommended monitor"
		// format, the API body under "definition".
		if def, ok := obj["definition"].(map[string]any); ok && kind == kindMonitor {
			obj = def
		}
		for _, k := range required {
			if v, ok := obj[k]; !ok || v == nil || v == "" {
				return nil, fmt.Errorf("%s: %s %q is missing", file, kind, k)
			}
		}
		key, ok := obj[keyField].(string)
		if !ok || strings.TrimSpace(key) == "" {
			return nil, fmt.Errorf("%s: %s %q must be a non-empty string", file, kind, keyField)
		}
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s: %s %s %q is also used by %s; apply matches by %s, so it must be unique", file, kind, keyField, key, prev, keyField)
		}
		seen[key] = file
		if errs := check(kind, file, data); len(errs) > 0 {
			msgs := make([]string, len(errs))
			for i, e := range errs {
				msgs[i] = "  " + e.Error()
			}
			return nil, fmt.Errorf("%s fails the offline check (roachdog validate); nothing was sent:\n%s", file, strings.Join(msgs, "\n"))
		}
		out = append(out, asset{kind: kind, file: file, key: key, obj: obj})
	}
	return out, nil
}

// prepareAssets turns files into what is sent: read-only fields dropped,
// the managed marker added, notification handles filled in. It returns how
// many monitors lost their placeholder for want of --notify.
func prepareAssets(items []asset, notify []string) (stripped int) {
	for i := range items {
		a := &items[i]
		for _, k := range readOnlyFields[a.kind] {
			delete(a.obj, k)
		}
		switch a.kind {
		case kindDashboard:
			desc := a.obj.String("description")
			if !strings.Contains(desc, managedTag) {
				if desc != "" {
					desc += "\n\n"
				}
				a.obj["description"] = desc + dashboardMarker
			}
		case kindMonitor:
			if !slices.Contains(a.obj.Tags(), managedTag) {
				tags, _ := a.obj["tags"].([]any)
				a.obj["tags"] = append(slices.Clone(tags), managedTag)
			}
			a.placeholder = fillNotify(a.obj, notify)
			if a.placeholder && len(notify) == 0 {
				stripped++
			}
		}
	}
	return stripped
}

// fillNotify replaces notifyPlaceholder in the message and escalation
// message with the handles (or removes it, and a line it leaves empty).
func fillNotify(m ddapi.Object, handles []string) bool {
	repl := strings.Join(handles, " ")
	found := false
	fill := func(s string) string {
		if !strings.Contains(s, notifyPlaceholder) {
			return s
		}
		found = true
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, notifyPlaceholder) {
				l = strings.ReplaceAll(l, notifyPlaceholder, repl)
				if repl == "" {
					// Drop the line the handle stood on, or its blanks.
					if l = strings.Join(strings.Fields(l), " "); l == "" {
						continue
					}
				}
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	if s, ok := m["message"].(string); ok {
		m["message"] = fill(s)
	}
	if opts, ok := m["options"].(map[string]any); ok {
		if s, ok := opts["escalation_message"].(string); ok {
			opts["escalation_message"] = fill(s)
		}
	}
	return found
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

// validateMonitors asks the API to validate every monitor and reports all
// the rejections at once.
func validateMonitors(ctx context.Context, c *ddapi.Client, items []asset) error {
	var bad []string
	for _, a := range items {
		if a.kind != kindMonitor {
			continue
		}
		err := c.ValidateMonitor(ctx, a.obj)
		var apiErr *ddapi.Error
		switch {
		case err == nil:
		case errors.As(err, &apiErr) && apiErr.Status == 400:
			bad = append(bad, fmt.Sprintf("  %s (%q): %s", a.file, a.key, strings.Join(apiErr.Errors, "; ")))
		default:
			return fmt.Errorf("validate monitor %s: %w", a.file, err)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d monitor(s) rejected by the Datadog validate endpoint; nothing was written:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	return nil
}

// planChanges reads what exists and decides, per file, create, update or
// unchanged. Only objects carrying the managed marker are candidates: a
// dashboard or monitor someone made by hand is never touched, even with
// the same title.
func planChanges(ctx context.Context, c *ddapi.Client, items []asset, dash, mon bool, stderr io.Writer) ([]plannedChange, error) {
	managedDash := map[string][]ddapi.DashboardSummary{}
	otherDash := map[string]string{}
	if dash {
		list, err := c.ListDashboards(ctx)
		if err != nil {
			return nil, fmt.Errorf("list dashboards: %w", err)
		}
		for _, d := range list {
			if strings.Contains(d.Description, managedTag) {
				managedDash[d.Title] = append(managedDash[d.Title], d)
			} else {
				otherDash[d.Title] = d.ID
			}
		}
	}
	managedMon := map[string][]ddapi.Object{}
	if mon {
		list, err := c.ListMonitors(ctx, managedTag)
		if err != nil {
			return nil, fmt.Errorf("list monitors tagged %s: %w", managedTag, err)
		}
		for _, m := range list {
			// The filter is the API's; check again rather than trust it.
			if slices.Contains(m.Tags(), managedTag) {
				managedMon[m.String("name")] = append(managedMon[m.String("name")], m)
			}
		}
	}

	var plan []plannedChange
	var dups []string
	used := map[string]bool{}
	for _, a := range items {
		p := plannedChange{asset: a, action: "create"}
		switch a.kind {
		case kindDashboard:
			found := managedDash[a.key]
			if len(found) > 1 {
				dups = append(dups, fmt.Sprintf("  dashboard %q: %d managed dashboards (ids %s)", a.key, len(found), dashIDs(found)))
				continue
			}
			if len(found) == 0 {
				if id, ok := otherDash[a.key]; ok {
					fmt.Fprintf(stderr, "warning: dashboard %q (id %s) exists but is not managed by roachdog (no %s in its description); leaving it alone and creating a managed one\n", a.key, id, managedTag)
				}
				break
			}
			p.id = found[0].ID
			used["d/"+p.id] = true
			existing, err := c.GetDashboard(ctx, p.id)
			if err != nil {
				return nil, fmt.Errorf("read dashboard %q (id %s): %w", a.key, p.id, err)
			}
			p.existing = existing
		case kindMonitor:
			found := managedMon[a.key]
			if len(found) > 1 {
				dups = append(dups, fmt.Sprintf("  monitor %q: %d managed monitors (ids %s)", a.key, len(found), monIDs(found)))
				continue
			}
			if len(found) == 0 {
				break
			}
			id, _ := found[0].MonitorID()
			p.id = strconv.FormatInt(id, 10)
			used["m/"+p.id] = true
			p.existing = found[0]
		}
		if p.existing != nil {
			w, h := normalize(a.obj, p.existing)
			p.action = "update"
			if jsonEqual(w, h) {
				p.action = "unchanged"
			}
		}
		plan = append(plan, p)
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("apply matches by title and name, and these match more than one object marked %s (delete the extra ones in Datadog, then run again); nothing was written:\n%s", managedTag, strings.Join(dups, "\n"))
	}
	// Managed objects without a file are reported, never deleted.
	for _, title := range slices.Sorted(maps.Keys(managedDash)) {
		for _, d := range managedDash[title] {
			if !used["d/"+d.ID] {
				fmt.Fprintf(stderr, "note: managed dashboard %q (id %s) has no file; left as it is\n", title, d.ID)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(managedMon)) {
		for _, m := range managedMon[name] {
			id, _ := m.MonitorID()
			if !used["m/"+strconv.FormatInt(id, 10)] {
				fmt.Fprintf(stderr, "note: managed monitor %q (id %d) has no file; left as it is\n", name, id)
			}
		}
	}
	return plan, nil
}

func dashIDs(ds []ddapi.DashboardSummary) string {
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return strings.Join(ids, ", ")
}

func monIDs(ms []ddapi.Object) string {
	var ids []string
	for _, m := range ms {
		id, _ := m.MonitorID()
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	return strings.Join(ids, ", ")
}

// executePlan prints every change with its diff and, unless dryRun,
// writes it. It stops at the first failed write: what was written stays,
// and running apply again picks up where it stopped.
func executePlan(ctx context.Context, c *ddapi.Client, plan []plannedChange, dryRun bool, stdout io.Writer) error {
	counts := map[string]map[string]int{kindDashboard: {}, kindMonitor: {}}
	for _, p := range plan {
		verb := map[string]string{"create": "created", "update": "updated", "unchanged": "unchanged"}[p.action]
		if dryRun && p.action != "unchanged" {
			verb = "would " + p.action
		}
		id := p.id
		if !dryRun {
			var err error
			switch {
			case p.action == "create" && p.kind == kindDashboard:
				var o ddapi.Object
				o, err = c.CreateDashboard(ctx, p.obj)
				id = o.String("id")
			case p.action == "update" && p.kind == kindDashboard:
				_, err = c.UpdateDashboard(ctx, p.id, p.obj)
			case p.action == "create" && p.kind == kindMonitor:
				var o ddapi.Object
				o, err = c.CreateMonitor(ctx, p.obj)
				if n, ok := o.MonitorID(); ok {
					id = strconv.FormatInt(n, 10)
				}
			case p.action == "update" && p.kind == kindMonitor:
				n, _ := strconv.ParseInt(p.id, 10, 64)
				_, err = c.UpdateMonitor(ctx, n, p.obj)
			}
			if err != nil {
				fmt.Fprint(stdout, applySummary(counts, false))
				return fmt.Errorf("%s %s %q (%s): %w", p.action, p.kind, p.key, p.file, err)
			}
		}
		counts[p.kind][p.action]++
		line := fmt.Sprintf("%-9s  %-14s  %s  %q", p.kind, verb, p.file, p.key)
		if id != "" {
			line += "  id " + id
		}
		fmt.Fprintln(stdout, line)
		if p.action == "update" {
			w, h := normalize(p.obj, p.existing)
			writeDiff(stdout, "    ", "datadog "+p.kind+" "+p.id, p.file, h, w)
		}
	}
	fmt.Fprint(stdout, applySummary(counts, dryRun))
	return nil
}

func applySummary(counts map[string]map[string]int, dryRun bool) string {
	format := "%ss: %d created, %d updated, %d unchanged"
	if dryRun {
		format = "%ss: %d to create, %d to update, %d unchanged"
	}
	var parts []string
	for _, k := range []string{kindDashboard, kindMonitor} {
		c := counts[k]
		parts = append(parts, fmt.Sprintf(format, k, c["create"], c["update"], c["unchanged"]))
	}
	s := strings.Join(parts, "; ")
	if dryRun {
		s += " (dry run: nothing written)"
	}
	return s + "\n"
}
