package apply

// Planning and executing: what exists in Datadog, what each file changes,
// and the writes.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/roachdog/roachdog/ddapi"
)

// Options says what Apply does.
type Options struct {
	// Dashboards and Monitors say which kinds are applied: only the
	// existing objects of those kinds are read.
	Dashboards, Monitors bool
	// DryRun prints the plan, with its diffs, and writes nothing.
	DryRun bool
	// Percentiles lists distributions (full names, e.g.
	// crdb.sql.service_latency) whose percentile aggregations are turned
	// on, so that p99:<name> queries in the dashboards and monitors have
	// data at once (see EnablePercentiles).
	Percentiles []string
}

// Apply validates every monitor, plans and executes: it prints each
// change (and the summary) to out, and warnings and notes about the
// objects in Datadog to warn.
func Apply(ctx context.Context, c *ddapi.Client, items []Asset, o Options, out, warn io.Writer) error {
	// Validate every monitor before reading or writing anything else: one
	// bad monitor must not leave a half-applied set.
	if err := validateMonitors(ctx, c, items); err != nil {
		return err
	}
	plan, err := planChanges(ctx, c, items, o.Dashboards, o.Monitors, warn)
	if err != nil {
		return err
	}
	if err := executePlan(ctx, c, plan, o.DryRun, out); err != nil {
		return err
	}
	return EnablePercentiles(ctx, c, o.Percentiles, o.DryRun, out, warn)
}

// plannedChange is what apply does with one asset.
type plannedChange struct {
	Asset
	action   string // create, update, unchanged
	id       string // existing id (update, unchanged)
	existing ddapi.Object
}

// validateMonitors asks the API to validate every monitor and reports all
// the rejections at once.
func validateMonitors(ctx context.Context, c *ddapi.Client, items []Asset) error {
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
func planChanges(ctx context.Context, c *ddapi.Client, items []Asset, dash, mon bool, stderr io.Writer) ([]plannedChange, error) {
	managedDash := map[string][]ddapi.DashboardSummary{}
	otherDash := map[string]string{}
	if dash {
		list, err := c.ListDashboards(ctx)
		if err != nil {
			return nil, fmt.Errorf("list dashboards: %w", err)
		}
		for _, d := range list {
			if strings.Contains(d.Description, ManagedTag) {
				managedDash[d.Title] = append(managedDash[d.Title], d)
			} else {
				otherDash[d.Title] = d.ID
			}
		}
	}
	managedMon := map[string][]ddapi.Object{}
	if mon {
		list, err := c.ListMonitors(ctx, ManagedTag)
		if err != nil {
			return nil, fmt.Errorf("list monitors tagged %s: %w", ManagedTag, err)
		}
		for _, m := range list {
			// The filter is the API's; check again rather than trust it.
			if slices.Contains(m.Tags(), ManagedTag) {
				managedMon[m.String("name")] = append(managedMon[m.String("name")], m)
			}
		}
	}

	var plan []plannedChange
	var dups []string
	used := map[string]bool{}
	for _, a := range items {
		p := plannedChange{Asset: a, action: "create"}
		switch a.kind {
		case kindDashboard:
			found := managedDash[a.key]
			if len(found) > 1 {
				dups = append(dups, fmt.Sprintf("  dashboard %q: %d managed dashboards (ids %s)", a.key, len(found), dashIDs(found)))
				continue
			}
			if len(found) == 0 {
				if id, ok := otherDash[a.key]; ok {
					fmt.Fprintf(stderr, "warning: dashboard %q (id %s) exists but is not managed by roachdog (no %s in its description); leaving it alone and creating a managed one\n", a.key, id, ManagedTag)
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
		return nil, fmt.Errorf("apply matches by title and name, and these match more than one object marked %s (delete the extra ones in Datadog, then run again); nothing was written:\n%s", ManagedTag, strings.Join(dups, "\n"))
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
