// Package apply installs roachdog's dashboards and monitors in Datadog
// (roachdog apply): it loads the files and checks them offline (package
// assets' rules), prepares what is sent (read-only fields dropped, the
// managed marker added, notification handles filled in), has the API
// validate every monitor, plans each file against what exists (matched by
// title or name among the objects marked ManagedTag, compared with the
// JSON diff of diff.go), and executes the plan or, dry, only prints it.
// It also builds the downtime that mutes those monitors (roachdog
// downtime).
//
// It depends on assets and ddapi, never the reverse. Flags, the API
// client's construction and the exit status are cmd/roachdog's.
package apply

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/roachdog/roachdog/assets"
	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/ddapi"
)

// ManagedTag marks the monitors apply owns (and the downtimes it schedules
// target). Dashboards carry it in their description instead: the dashboard
// tags field accepts only team: tags in some organisations.
const ManagedTag = "managed-by:roachdog"

// dashboardMarker is appended to a dashboard's description when its file
// does not already contain ManagedTag there.
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

// Sources says where apply reads its files; tests give fstest.MapFS.
type Sources struct {
	Dashboards fs.FS // *.json at the root
	Monitors   fs.FS
	// DashboardsDir and MonitorsDir prefix file names in messages
	// ("dashboards", or DIR/dashboards with --dir).
	DashboardsDir, MonitorsDir string
}

// Asset is one file's object as it will be sent.
type Asset struct {
	kind string
	file string // for messages
	key  string // dashboard title or monitor name: what matches it in Datadog
	obj  ddapi.Object
	// placeholder is true when the file's message held notifyPlaceholder.
	placeholder bool
}

// NewOfflineCheck runs roachdog validate's rules (package assets) on a file
// before anything is sent.
func NewOfflineCheck(namespace string, allowTags []string) OfflineCheck {
	v := &assets.Validator{Catalog: checks.Catalog(), Namespace: namespace, ExtraTags: allowTags}
	return func(kind, file string, data []byte) []error {
		if kind == kindDashboard {
			return v.Dashboard(file, data)
		}
		return v.Monitor(file, data)
	}
}

// OfflineCheck validates one file offline; it returns every problem found.
type OfflineCheck func(kind, file string, data []byte) []error

// loadAssets reads every *.json at the root of fsys, in name order, and
// checks what apply relies on: a JSON object with a unique title (name for
// monitors) and the fields the API requires; then check (roachdog
// validate's rules) must find nothing.
func loadAssets(fsys fs.FS, dir, kind string, check OfflineCheck) ([]Asset, error) {
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
	var out []Asset
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
		out = append(out, Asset{kind: kind, file: file, key: key, obj: obj})
	}
	return out, nil
}

// Prepare turns files into what is sent: read-only fields dropped,
// the managed marker added, notification handles filled in. It returns how
// many monitors lost their placeholder for want of --notify.
func Prepare(items []Asset, notify []string) (stripped int) {
	for i := range items {
		a := &items[i]
		for _, k := range readOnlyFields[a.kind] {
			delete(a.obj, k)
		}
		switch a.kind {
		case kindDashboard:
			desc := a.obj.String("description")
			if !strings.Contains(desc, ManagedTag) {
				if desc != "" {
					desc += "\n\n"
				}
				a.obj["description"] = desc + dashboardMarker
			}
		case kindMonitor:
			if !slices.Contains(a.obj.Tags(), ManagedTag) {
				tags, _ := a.obj["tags"].([]any)
				a.obj["tags"] = append(slices.Clone(tags), ManagedTag)
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

// Load reads the dashboard files (when dash) and the monitor files (when
// mon) of src, and checks each with check: see loadAssets.
func Load(src Sources, dash, mon bool, check OfflineCheck) ([]Asset, error) {
	var items []Asset
	if dash {
		a, err := loadAssets(src.Dashboards, src.DashboardsDir, kindDashboard, check)
		if err != nil {
			return nil, err
		}
		items = append(items, a...)
	}
	if mon {
		a, err := loadAssets(src.Monitors, src.MonitorsDir, kindMonitor, check)
		if err != nil {
			return nil, err
		}
		items = append(items, a...)
	}
	if len(items) == 0 {
		return nil, errors.New("no dashboard or monitor files to apply")
	}
	return items, nil
}
