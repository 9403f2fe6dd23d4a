package main

// The apply tests run against ddapitest, a LOCAL EMULATION of the Datadog
// API (an httptest server that stores objects in memory and records every
// request). They check what roachdog sends and decides, not Datadog itself.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/roachdog/roachdog/checks"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/roachdog/roachdog/apply"
	"github.com/roachdog/roachdog/ddapi"
	"github.com/roachdog/roachdog/ddapi/ddapitest"
)

const testDashCapacity = `{
  "title": "roachdog test: capacity",
  "description": "Disk capacity per node.",
  "layout_type": "ordered",
  "template_variables": [{"name": "cluster", "prefix": "cluster", "default": "*"}],
  "widgets": [
    {"definition": {"title": "Disk used", "type": "timeseries",
      "requests": [{"q": "max:crdb.capacity.used_ratio{$cluster} by {node_id}", "display_type": "line"}]}},
    {"definition": {"type": "note", "content": "Monitors alert at 90 %.", "background_color": "white"}}
  ]
}`

const testDashClock = `{
  "title": "roachdog test: clock",
  "layout_type": "ordered",
  "template_variables": [{"name": "cluster", "prefix": "cluster", "default": "*"}],
  "widgets": [
    {"definition": {"title": "Clock offset", "type": "timeseries",
      "requests": [{"q": "max:crdb.clock.offset.mean{$cluster} by {node_id}", "display_type": "line"}]}}
  ]
}`

const testMonDisk = `{
  "name": "[roachdog test] Store disk almost full on node {{node_id.name}} of {{cluster.name}}",
  "type": "query alert",
  "query": "max(last_10m):max:crdb.capacity.used_ratio{*} by {cluster,node_id} > 0.9",
  "message": "{{#is_alert}}\nDisk {{value}} full on node {{node_id.name}} (alert above {{threshold}}).\n{{/is_alert}}\n{{#is_warning}}\nDisk {{value}} full on node {{node_id.name}} (warning above {{warn_threshold}}).\n{{/is_warning}}\n{{#is_recovery}}\nDisk usage on node {{node_id.name}} is back to normal.\n{{/is_recovery}}\n\n@roachdog-notify\n",
  "tags": ["service:cockroachdb"],
  "priority": 2,
  "options": {"thresholds": {"critical": 0.9, "warning": 0.8}, "notify_no_data": false, "include_tags": true}
}`

const testMonClock = `{
  "name": "[roachdog test] Clock offset near the maximum on node {{node_id.name}} of {{cluster.name}}",
  "type": "query alert",
  "query": "max(last_5m):max:crdb.clock.offset.mean{*} by {cluster,node_id} > 0.4",
  "message": "{{#is_alert}}\nClock offset {{value}} s on node {{node_id.name}}.\n{{/is_alert}}\n{{#is_warning}}\nClock offset {{value}} s on node {{node_id.name}}.\n{{/is_warning}}\n{{#is_recovery}}\nClock offset back to normal on node {{node_id.name}}.\n{{/is_recovery}}\n\n@roachdog-notify\n",
  "tags": ["managed-by:roachdog", "service:cockroachdb"],
  "options": {"thresholds": {"critical": 0.4, "warning": 0.25}, "notify_no_data": false}
}`

type applyHarness struct {
	srv       *ddapitest.Server
	dash, mon fstest.MapFS
	env       map[string]string
}

func newApplyHarness(t *testing.T) *applyHarness {
	t.Helper()
	srv := ddapitest.New(t)
	return &applyHarness{
		srv: srv,
		dash: fstest.MapFS{
			"capacity.json": {Data: []byte(testDashCapacity)},
			"clock.json":    {Data: []byte(testDashClock)},
		},
		mon: fstest.MapFS{
			"store_disk.json": {Data: []byte(testMonDisk)},
			"clock.json":      {Data: []byte(testMonClock)},
		},
		env: map[string]string{"DD_API_KEY": srv.APIKey, "DD_APP_KEY": srv.AppKey},
	}
}

// run runs apply against the emulation and checks that no key leaks into
// its output or error, whatever happened.
func (h *applyHarness) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	sources := func() (apply.Sources, error) {
		return apply.Sources{Dashboards: h.dash, Monitors: h.mon, DashboardsDir: "dashboards", MonitorsDir: "monitors"}, nil
	}
	args = append([]string{"--api-url", h.srv.URL}, args...)
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--percentiles") }) {
		// These tests are about dashboards and monitors; the
		// percentile tests ask for them.
		args = append(args, "--percentiles=false")
	}
	err = runApply(context.Background(), args, &out, &errb, func(k string) string { return h.env[k] }, sources)
	all := out.String() + errb.String()
	if err != nil {
		all += err.Error()
	}
	for _, k := range []string{h.srv.APIKey, h.srv.AppKey} {
		if strings.Contains(all, k) {
			t.Errorf("a key was printed:\n%s", all)
		}
	}
	return out.String(), errb.String(), err
}

func (h *applyHarness) setFile(fsys fstest.MapFS, name, from, to string) {
	s := string(fsys[name].Data)
	if !strings.Contains(s, from) {
		panic("test edit: " + from + " not in " + name)
	}
	fsys[name] = &fstest.MapFile{Data: []byte(strings.Replace(s, from, to, 1))}
}

func requestList(reqs []ddapitest.Request) string {
	var s []string
	for _, r := range reqs {
		s = append(s, r.String())
	}
	return strings.Join(s, ", ")
}

func TestApplyLocalEmulationFirstRunCreatesSecondRunWritesNothing(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	out, _, err := h.run(t, "--notify", "@slack-crdb")
	if err != nil {
		t.Fatal(err)
	}
	writes := h.srv.Writes()
	if got := requestList(writes); got != "POST /api/v1/dashboard, POST /api/v1/dashboard, POST /api/v1/monitor, POST /api/v1/monitor" {
		t.Errorf("first run wrote %s; want two dashboard and two monitor creates", got)
	}
	if n := len(h.srv.Dashboards()); n != 2 {
		t.Errorf("%d dashboards stored", n)
	}
	for _, want := range []string{
		`dashboard  created         dashboards/capacity.json  "roachdog test: capacity"  id `,
		`monitor    created         monitors/store_disk.json  "[roachdog test] Store disk almost full`,
		"dashboards: 2 created, 0 updated, 0 unchanged; monitors: 2 created, 0 updated, 0 unchanged",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// What was sent carries the managed markers.
	for _, d := range h.srv.Dashboards() {
		if !strings.Contains(d.String("description"), apply.ManagedTag) {
			t.Errorf("dashboard %q sent without the marker: %q", d.String("title"), d.String("description"))
		}
	}
	for _, m := range h.srv.Monitors() {
		tags := m.Tags()
		n := 0
		for _, tag := range tags {
			if tag == apply.ManagedTag {
				n++
			}
		}
		if n != 1 {
			t.Errorf("monitor %q tags %v: want %s exactly once", m.String("name"), tags, apply.ManagedTag)
		}
	}

	h.srv.ResetRequests()
	out, _, err = h.run(t, "--notify", "@slack-crdb")
	if err != nil {
		t.Fatal(err)
	}
	if w := h.srv.Writes(); len(w) != 0 {
		t.Errorf("second run wrote %s; want nothing", requestList(w))
	}
	if !strings.Contains(out, "dashboards: 0 created, 0 updated, 2 unchanged; monitors: 0 created, 0 updated, 2 unchanged") {
		t.Errorf("second run:\n%s", out)
	}
	if len(h.srv.Dashboards()) != 2 || len(h.srv.Monitors()) != 2 {
		t.Errorf("duplicates after a second run: %d dashboards, %d monitors", len(h.srv.Dashboards()), len(h.srv.Monitors()))
	}
}

func TestApplyLocalEmulationChangedFileUpdatesOnlyIt(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	if _, _, err := h.run(t, "--notify", "@slack-crdb"); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, m := range h.srv.Monitors() {
		id, _ := m.MonitorID()
		ids[m.String("name")] = jsonString(id)
	}

	h.setFile(h.mon, "store_disk.json", `"critical": 0.9, "warning": 0.8`, `"critical": 0.95, "warning": 0.8`)
	h.setFile(h.mon, "store_disk.json", `{cluster,node_id} > 0.9`, `{cluster,node_id} > 0.95`)
	h.srv.ResetRequests()
	out, _, err := h.run(t, "--notify", "@slack-crdb")
	if err != nil {
		t.Fatal(err)
	}
	diskID := ids["[roachdog test] Store disk almost full on node {{node_id.name}} of {{cluster.name}}"]
	if got, want := requestList(h.srv.Writes()), "PUT /api/v1/monitor/"+diskID; got != want {
		t.Errorf("wrote %q; want only %q", got, want)
	}
	for _, want := range []string{
		"monitor    updated         monitors/store_disk.json",
		"-options.thresholds.critical: 0.9",
		"+options.thresholds.critical: 0.95",
		"monitors: 0 created, 1 updated, 1 unchanged",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// A dashboard edit: one PUT of that dashboard, nothing else.
	h.setFile(h.dash, "clock.json", `"title": "Clock offset"`, `"title": "Clock offset (mean)"`)
	h.srv.ResetRequests()
	if _, _, err := h.run(t, "--notify", "@slack-crdb"); err != nil {
		t.Fatal(err)
	}
	var clockID string
	for _, d := range h.srv.Dashboards() {
		if d.String("title") == "roachdog test: clock" {
			clockID = d.String("id")
		}
	}
	if got, want := requestList(h.srv.Writes()), "PUT /api/v1/dashboard/"+clockID; got != want {
		t.Errorf("wrote %q; want only %q", got, want)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestApplyLocalEmulationRemovedThresholdIsAnUpdate(t *testing.T) {
	t.Parallel()
	// Projection ignores what the file does not set; thresholds are
	// compared whole so dropping the warning level reaches Datadog.
	h := newApplyHarness(t)
	if _, _, err := h.run(t); err != nil {
		t.Fatal(err)
	}
	h.setFile(h.mon, "clock.json", `"critical": 0.4, "warning": 0.25`, `"critical": 0.4`)
	h.setFile(h.mon, "clock.json", `{{#is_warning}}\nClock offset {{value}} s on node {{node_id.name}}.\n{{/is_warning}}\n`, ``)
	h.srv.ResetRequests()
	out, _, err := h.run(t)
	if err != nil {
		t.Fatal(err)
	}
	if w := h.srv.Writes(); len(w) != 1 || !strings.HasPrefix(w[0].String(), "PUT /api/v1/monitor/") {
		t.Errorf("wrote %s; want one monitor PUT", requestList(w))
	}
	if !strings.Contains(out, "-options.thresholds.warning: 0.25") {
		t.Errorf("diff does not show the removed warning:\n%s", out)
	}
}

func TestApplyLocalEmulationRateLimitRetried(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	h.srv.AddFault(ddapitest.Fault{Method: "POST", Path: "/api/v1/dashboard", Status: 429,
		Header: map[string]string{"X-RateLimit-Limit": "60", "X-RateLimit-Period": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"},
		Body:   `{"errors":["Rate limit exceeded"]}`})
	out, stderr, err := h.run(t, "--only", "dashboards")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if got := requestList(h.srv.Writes()); got != "POST /api/v1/dashboard, POST /api/v1/dashboard, POST /api/v1/dashboard" {
		t.Errorf("wrote %s; want the rate-limited create retried once, then the second", got)
	}
	if len(h.srv.Dashboards()) != 2 {
		t.Errorf("%d dashboards stored; want 2", len(h.srv.Dashboards()))
	}
	if !strings.Contains(stderr, "retrying") || !strings.Contains(stderr, "wait=1s") {
		t.Errorf("the retry is not logged:\n%s", stderr)
	}
	if !strings.Contains(out, "dashboards: 2 created") {
		t.Errorf("output:\n%s", out)
	}
}

func TestApplyLocalEmulationForbiddenIsReported(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	h.srv.AddFault(ddapitest.Fault{Method: "POST", Path: "/api/v1/dashboard", Status: 403, Body: `{"errors":["Forbidden"]}`})
	_, _, err := h.run(t)
	if err == nil {
		t.Fatal("apply succeeded despite a 403")
	}
	if errors.Is(err, errUsage) {
		t.Errorf("a 403 must exit 1, not as a usage error")
	}
	for _, want := range []string{`create dashboard "roachdog test: capacity"`, "POST /api/v1/dashboard: HTTP 403 Forbidden", "forbidden: check DD_APP_KEY permissions", "dashboards_write"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if len(h.srv.Dashboards())+len(h.srv.Monitors()) != 0 {
		t.Errorf("something was written after the 403")
	}
}

func TestApplyLocalEmulationWrongKeysAreForbidden(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	h.env["DD_APP_KEY"] = "not-the-right-app-key"
	_, _, err := h.run(t)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || strings.Contains(err.Error(), "not-the-right-app-key") {
		t.Fatalf("got %v; want a 403 that does not quote the key", err)
	}
}

func TestApplyLocalEmulationInvalidMonitorStopsBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	h.srv.SetValidator(func(m ddapi.Object) []string {
		if strings.Contains(m.String("query"), "clock.offset") {
			return []string{"The value provided for parameter 'query' is invalid: unknown function"}
		}
		return nil
	})
	_, _, err := h.run(t)
	if err == nil {
		t.Fatal("apply succeeded despite a rejected monitor")
	}
	for _, want := range []string{"1 monitor(s) rejected by the Datadog validate endpoint; nothing was written", "monitors/clock.json", "parameter 'query' is invalid"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if w := h.srv.Writes(); len(w) != 0 {
		t.Errorf("wrote %s before stopping", requestList(w))
	}
	validations := 0
	for _, r := range h.srv.Requests() {
		if r.String() == "POST /api/v1/monitor/validate" {
			validations++
		}
	}
	if validations != 2 {
		t.Errorf("%d validate calls; want every monitor validated (2)", validations)
	}
}

func TestApplyLocalEmulationNotify(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	_, stderr, err := h.run(t, "--notify", "@slack-crdb-alerts, @pagerduty-crdb", "--notify", "@slack-crdb-alerts", "--only", "monitors")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("unexpected warning:\n%s", stderr)
	}
	creates := 0
	for _, r := range h.srv.Writes() {
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatal(err)
		}
		msg, _ := m["message"].(string)
		if strings.Contains(msg, notifyPlaceholder) || !strings.Contains(msg, "\n@slack-crdb-alerts @pagerduty-crdb\n") {
			t.Errorf("%s sent message %q; want the placeholder replaced by both handles", r, msg)
		}
		creates++
	}
	if creates != 2 {
		t.Errorf("%d monitor writes", creates)
	}
}

func TestApplyLocalEmulationNoNotifyRemovesPlaceholderAndWarns(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	_, stderr, err := h.run(t, "--only", "monitors")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "warning: no --notify given: removed @roachdog-notify from 2 monitor message(s)") {
		t.Errorf("no warning:\n%s", stderr)
	}
	for _, m := range h.srv.Monitors() {
		msg := m.String("message")
		if strings.Contains(msg, "@") {
			t.Errorf("message still notifies someone: %q", msg)
		}
		if !strings.HasSuffix(msg, "{{/is_recovery}}\n\n") {
			t.Errorf("message tail %q: the placeholder's line should be dropped, the rest kept", msg[max(0, len(msg)-30):])
		}
	}
	// Adding handles later updates the messages, and only them.
	h.srv.ResetRequests()
	out, _, err := h.run(t, "--only", "monitors", "--notify", "@ops")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.srv.Writes()); n != 2 {
		t.Errorf("%d writes; want the 2 monitors updated", n)
	}
	if !strings.Contains(out, "@@ message @@") || !strings.Contains(out, "+@ops") {
		t.Errorf("diff does not show the new handle:\n%s", out)
	}
}

func TestApplyLocalEmulationDryRun(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	out, _, err := h.run(t, "--dry-run", "--notify", "@ops")
	if err != nil {
		t.Fatal(err)
	}
	if w := h.srv.Writes(); len(w) != 0 {
		t.Errorf("dry run wrote %s", requestList(w))
	}
	for _, want := range []string{"would create", "dashboards: 2 to create, 0 to update, 0 unchanged; monitors: 2 to create, 0 to update, 0 unchanged (dry run: nothing written)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	if _, _, err := h.run(t, "--notify", "@ops"); err != nil {
		t.Fatal(err)
	}
	h.setFile(h.mon, "clock.json", "Clock offset {{value}} s on node {{node_id.name}}.\\n{{/is_alert}}", "Clock offset {{value}} s on node {{node_id.name}}: check NTP.\\n{{/is_alert}}")
	h.setFile(h.mon, "clock.json", `"critical": 0.4,`, `"critical": 0.45,`)
	h.setFile(h.mon, "clock.json", `{cluster,node_id} > 0.4`, `{cluster,node_id} > 0.45`)
	h.setFile(h.dash, "capacity.json", `"background_color": "white"`, `"background_color": "yellow"`)
	h.srv.ResetRequests()
	out, _, err = h.run(t, "--dry-run", "--notify", "@ops")
	if err != nil {
		t.Fatal(err)
	}
	if w := h.srv.Writes(); len(w) != 0 {
		t.Errorf("dry run wrote %s", requestList(w))
	}
	for _, want := range []string{
		`dashboard  would update    dashboards/capacity.json  "roachdog test: capacity"  id `,
		"    --- datadog dashboard ",
		"    +++ dashboards/capacity.json",
		`    -widgets[1].definition.background_color: "white"`,
		`    +widgets[1].definition.background_color: "yellow"`,
		`monitor    would update    monitors/clock.json`,
		"    @@ message @@",
		"     {{#is_alert}}",
		"    -Clock offset {{value}} s on node {{node_id.name}}.",
		"    +Clock offset {{value}} s on node {{node_id.name}}: check NTP.",
		"     {{/is_alert}}",
		"    -options.thresholds.critical: 0.4",
		"    +options.thresholds.critical: 0.45",
		`monitor    unchanged       monitors/store_disk.json`,
		"dashboards: 0 to create, 1 to update, 1 unchanged; monitors: 0 to create, 1 to update, 1 unchanged (dry run: nothing written)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The server-added widget ids and option defaults are not differences.
	if strings.Contains(out, ".id:") || strings.Contains(out, "new_group_delay") || strings.Contains(out, "notify_audit") {
		t.Errorf("diff shows fields the files never set:\n%s", out)
	}
}

func TestApplyLocalEmulationOnly(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	if _, _, err := h.run(t, "--only", "monitors"); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.srv.Requests() {
		if strings.HasPrefix(r.Path, "/api/v1/dashboard") {
			t.Errorf("--only monitors sent %s", r)
		}
	}
	h.srv.ResetRequests()
	if _, _, err := h.run(t, "--only", "dashboards"); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.srv.Requests() {
		if strings.HasPrefix(r.Path, "/api/v1/monitor") {
			t.Errorf("--only dashboards sent %s", r)
		}
	}
	if len(h.srv.Dashboards()) != 2 || len(h.srv.Monitors()) != 2 {
		t.Errorf("got %d dashboards, %d monitors", len(h.srv.Dashboards()), len(h.srv.Monitors()))
	}
}

func TestApplyLocalEmulationDir(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	dir := t.TempDir()
	for sub, fsys := range map[string]fstest.MapFS{"dashboards": h.dash, "monitors": h.mon} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, f := range fsys {
			if err := os.WriteFile(filepath.Join(dir, sub, name), f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The embedded set is empty here: only --dir can provide the files.
	h.dash, h.mon = fstest.MapFS{}, fstest.MapFS{}
	out, _, err := h.run(t, "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, filepath.ToSlash(filepath.Join(dir, "monitors", "clock.json"))) || len(h.srv.Monitors()) != 2 || len(h.srv.Dashboards()) != 2 {
		t.Errorf("--dir not applied:\n%s", out)
	}
	if _, _, err := h.run(t, "--dir", filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "--dir") {
		t.Errorf("missing --dir: %v", err)
	}
}

func TestApplyLocalEmulationLeavesUnmanagedObjectsAlone(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	var dash ddapi.Object
	json.Unmarshal([]byte(testDashClock), &dash)
	handID := h.srv.SeedDashboard(dash) // same title, made by hand: no marker
	var mon ddapi.Object
	json.Unmarshal([]byte(testMonDisk), &mon)
	handMon := h.srv.SeedMonitor(mon) // same name, without the managed tag

	_, stderr, err := h.run(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range h.srv.Writes() {
		if strings.HasSuffix(r.Path, "/"+handID) || strings.HasSuffix(r.Path, "/"+jsonString(handMon)) {
			t.Errorf("touched a hand-made object: %s", r)
		}
	}
	if !strings.Contains(stderr, `warning: dashboard "roachdog test: clock" (id `+handID+`) exists but is not managed by roachdog`) {
		t.Errorf("no warning about the hand-made dashboard:\n%s", stderr)
	}
	if len(h.srv.Dashboards()) != 3 || len(h.srv.Monitors()) != 3 {
		t.Errorf("got %d dashboards, %d monitors; want 3 and 3", len(h.srv.Dashboards()), len(h.srv.Monitors()))
	}
}

func TestApplyLocalEmulationReportsManagedObjectsWithoutFile(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	if _, _, err := h.run(t); err != nil {
		t.Fatal(err)
	}
	delete(h.mon, "clock.json")
	h.srv.ResetRequests()
	_, stderr, err := h.run(t)
	if err != nil {
		t.Fatal(err)
	}
	if w := h.srv.Writes(); len(w) != 0 {
		t.Errorf("wrote %s; a managed monitor without a file must be left alone", requestList(w))
	}
	if !regexp.MustCompile(`note: managed monitor "\[roachdog test\] Clock offset.*" \(id \d+\) has no file; left as it is`).MatchString(stderr) {
		t.Errorf("no note:\n%s", stderr)
	}
}

func TestApplyLocalEmulationRefusesAmbiguousMatches(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	if _, _, err := h.run(t); err != nil {
		t.Fatal(err)
	}
	// Someone cloned a managed monitor, tag included.
	dup := h.srv.Monitors()[0]
	delete(dup, "id")
	h.srv.SeedMonitor(dup)
	h.setFile(h.dash, "clock.json", `"title": "Clock offset"`, `"title": "Clock offset (mean)"`)
	h.srv.ResetRequests()
	_, _, err := h.run(t)
	if err == nil || !strings.Contains(err.Error(), "match more than one object") || !strings.Contains(err.Error(), "2 managed monitors (ids ") {
		t.Fatalf("got %v; want an ambiguity error", err)
	}
	if w := h.srv.Writes(); len(w) != 0 {
		t.Errorf("wrote %s despite the ambiguity", requestList(w))
	}
}

func TestApplyBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		args  []string
		edit  func(h *applyHarness)
		usage bool
		err   string
	}{
		{name: "unknown only", args: []string{"--only", "slos"}, usage: true},
		{name: "bad handle", args: []string{"--notify", "slack-ops"}, usage: true},
		{name: "handle with braces", args: []string{"--notify", "@{{x}}"}, usage: true},
		{name: "extra argument", args: []string{"now"}, usage: true},
		{name: "no api key", edit: func(h *applyHarness) { delete(h.env, "DD_API_KEY") }, err: "DD_API_KEY is not set"},
		{name: "not json", edit: func(h *applyHarness) { h.mon["x.json"] = &fstest.MapFile{Data: []byte("{")} }, err: "monitors/x.json"},
		{name: "missing query", edit: func(h *applyHarness) {
			h.mon["x.json"] = &fstest.MapFile{Data: []byte(`{"name":"x","type":"query alert","message":"m"}`)}
		}, err: `monitors/x.json: monitor "query" is missing`},
		{name: "duplicate title", edit: func(h *applyHarness) {
			h.dash["copy.json"] = &fstest.MapFile{Data: []byte(testDashClock)}
		}, err: `is also used by dashboards/clock.json`},
		{name: "offline check", edit: func(h *applyHarness) {
			h.setFile(h.dash, "clock.json", "crdb.clock.offset.mean", "crdb.clock.offset.meen")
		}, err: "dashboards/clock.json fails the offline check (roachdog validate); nothing was sent"},
		{name: "no files", edit: func(h *applyHarness) { h.dash = fstest.MapFS{} }, err: "dashboards: no *.json files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newApplyHarness(t)
			if tc.edit != nil {
				tc.edit(h)
			}
			_, _, err := h.run(t, tc.args...)
			if tc.usage {
				if !errors.Is(err, errUsage) {
					t.Errorf("got %v; want a usage error", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("got %v; want %q", err, tc.err)
			}
			if len(h.srv.Requests()) != 0 {
				t.Errorf("bad input still sent %d requests", len(h.srv.Requests()))
			}
		})
	}
}

func TestApplyRecommendedMonitorFormat(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	h.mon["clock.json"] = &fstest.MapFile{Data: []byte(`{"version": 2, "title": "Clock", "description": "d", "tags": ["integration:x"], "definition": ` + testMonClock + `}`)}
	if _, _, err := h.run(t, "--only", "monitors"); err != nil {
		t.Fatal(err)
	}
	for _, m := range h.srv.Monitors() {
		if _, ok := m["definition"]; ok || m.String("query") == "" {
			t.Errorf("sent the wrapper instead of the definition: %v", m)
		}
	}
}

func TestApplyLocalEmulationShippedFilesAreIdempotent(t *testing.T) {
	t.Parallel()
	// The files built into roachdog, through the whole path: offline check,
	// validation, creation, then a second run that must write nothing.
	srv := ddapitest.New(t)
	env := map[string]string{"DD_API_KEY": srv.APIKey, "DD_APP_KEY": srv.AppKey}
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args = append([]string{"--api-url", srv.URL, "--notify", "@ops"}, args...)
		if err := runApply(context.Background(), args, &out, &errb, func(k string) string { return env[k] }, embeddedSources); err != nil {
			t.Fatalf("%v\n%s", err, errb.String())
		}
		return out.String()
	}
	run()
	src, _ := embeddedSources()
	nDash, _ := fs.Glob(src.Dashboards, "*.json")
	nMon, _ := fs.Glob(src.Monitors, "*.json")
	if len(nDash) == 0 || len(nMon) == 0 {
		t.Fatalf("no shipped files: %d dashboards, %d monitors", len(nDash), len(nMon))
	}
	if len(srv.Dashboards()) != len(nDash) || len(srv.Monitors()) != len(nMon) {
		t.Errorf("created %d dashboards, %d monitors; want %d, %d", len(srv.Dashboards()), len(srv.Monitors()), len(nDash), len(nMon))
	}
	for _, m := range srv.Monitors() {
		if strings.Contains(m.String("message"), notifyPlaceholder) || !strings.Contains(m.String("message"), "@ops") {
			t.Errorf("monitor %q: placeholder not replaced", m.String("name"))
		}
	}
	srv.ResetRequests()
	out := run()
	if w := srv.Writes(); len(w) != 0 {
		t.Errorf("second run wrote %s:\n%s", requestList(w), out)
	}
}

func TestCmdApplyReadsEnvironment(t *testing.T) {
	srv := ddapitest.New(t)
	t.Setenv("DD_API_KEY", srv.APIKey)
	t.Setenv("DD_APP_KEY", srv.AppKey)
	t.Setenv("DD_SITE", "datadoghq.eu") // --api-url wins
	var out, errb bytes.Buffer
	if err := cmdApply(context.Background(), []string{"--dry-run", "--api-url", srv.URL, "--only", "monitors"}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if len(srv.Requests()) == 0 || len(srv.Writes()) != 0 || !strings.Contains(out.String(), "(dry run: nothing written)") {
		t.Errorf("%d requests, %d writes:\n%s", len(srv.Requests()), len(srv.Writes()), out.String())
	}
}

func TestApplyAllowTagReachesTheOfflineCheck(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	h.setFile(h.mon, "clock.json", `max:crdb.clock.offset.mean{*}`, `max:crdb.clock.offset.mean{team:db}`)
	if _, _, err := h.run(t, "--only", "monitors"); err == nil || !strings.Contains(err.Error(), "fails the offline check") {
		t.Fatalf("got %v; want the unknown tag key rejected offline", err)
	}
	if _, _, err := h.run(t, "--only", "monitors", "--allow-tag", "env,team"); err != nil {
		t.Fatalf("with --allow-tag team: %v", err)
	}
}

// TestApplyLocalEmulationPercentiles: apply turns on the percentile
// aggregations of every distribution in the catalog: a metric without a
// tag configuration gets one that keeps all tags queryable; one with a
// configuration keeps its tags and only gains include_percentiles; one
// already on is left alone. The dry run reads and shows, and writes
// nothing. A metric Datadog does not know yet is a warning, not a failure.
func TestApplyLocalEmulationPercentiles(t *testing.T) {
	t.Parallel()
	h := newApplyHarness(t)
	var dists []string
	for _, m := range checks.Catalog() {
		if m.Kind == checks.KindDistribution {
			dists = append(dists, "crdb."+m.Name)
		}
	}
	if len(dists) < 8 {
		t.Fatalf("%d distributions in the catalog", len(dists))
	}
	h.srv.SeedTagConfig("crdb.sql.txn_latency", map[string]any{"metric_type": "distribution", "tags": []any{"cluster", "region"}})
	h.srv.SeedTagConfig("crdb.sql.exec_latency", map[string]any{"metric_type": "distribution", "tags": []any{}, "include_percentiles": true})
	h.srv.AddFault(ddapitest.Fault{Method: "POST", Path: "/api/v2/metrics/crdb.ttl.span_duration/tags", Status: 404, Body: `{"errors":["Metric not found"]}`})

	out, _, err := h.run(t, "--dry-run", "--percentiles", "--notify", "@ops")
	if err != nil {
		t.Fatal(err)
	}
	if w := h.srv.Writes(); len(w) != 0 {
		t.Errorf("dry run wrote %s", requestList(w))
	}
	for _, want := range []string{
		"percentiles  would enable    crdb.sql.service_latency",
		"percentiles  unchanged       crdb.sql.exec_latency",
		fmt.Sprintf("distribution percentiles: %d to enable, 1 already on (dry run: nothing written)", len(dists)-1),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}

	h.srv.ResetRequests()
	out, errOut, err := h.run(t, "--percentiles", "--notify", "@ops")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("distribution percentiles: %d enabled, 1 already on, 1 not yet known to Datadog", len(dists)-2); !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	if !strings.Contains(errOut, "warning: percentiles of crdb.ttl.span_duration not enabled") {
		t.Errorf("no warning for the unknown metric:\n%s", errOut)
	}
	created, ok := h.srv.TagConfig("crdb.sql.service_latency")
	if !ok {
		t.Fatal("no tag configuration created for crdb.sql.service_latency")
	}
	a := created["attributes"].(map[string]any)
	if a["include_percentiles"] != true || a["exclude_tags_mode"] != true || a["metric_type"] != "distribution" || len(a["tags"].([]any)) != 0 {
		t.Errorf("created %v; want percentiles on, every tag kept (empty deny-list)", a)
	}
	kept, _ := h.srv.TagConfig("crdb.sql.txn_latency")
	a = kept["attributes"].(map[string]any)
	if a["include_percentiles"] != true || !slices.Equal(a["tags"].([]any), []any{"cluster", "region"}) {
		t.Errorf("existing configuration became %v; want its tags kept and percentiles on", a)
	}
	for _, r := range h.srv.Writes() {
		if r.Method == "PATCH" && r.Path == "/api/v2/metrics/crdb.sql.txn_latency/tags" && strings.Contains(string(r.Body), `"tags"`) {
			t.Errorf("PATCH sent tags: %s", r.Body)
		}
	}

	// Again: only the metric that was unknown is tried (and now works).
	h.srv.ResetRequests()
	_, _, err = h.run(t, "--percentiles", "--notify", "@ops")
	if err != nil {
		t.Fatal(err)
	}
	if got := requestList(h.srv.Writes()); got != "POST /api/v2/metrics/crdb.ttl.span_duration/tags" {
		t.Errorf("third run wrote %s", got)
	}

	// Without the permission: the error names it.
	h.srv.AddFault(ddapitest.Fault{Method: "PATCH", Path: "/api/v2/metrics/crdb.sql.service_latency/tags", Status: 403, Body: `{"errors":["Forbidden"]}`})
	h.srv.SeedTagConfig("crdb.sql.service_latency", map[string]any{"metric_type": "distribution", "tags": []any{}})
	_, _, err = h.run(t, "--percentiles", "--notify", "@ops")
	if err == nil || !strings.Contains(err.Error(), "crdb.sql.service_latency") || !strings.Contains(err.Error(), "metric_tags_write") {
		t.Errorf("forbidden: %v", err)
	}
}
