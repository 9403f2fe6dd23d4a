package apply

// Apply's tests run against ddapitest, a LOCAL EMULATION of the Datadog API
// (an httptest server keeping objects in memory); they check what apply
// sends and decides, not Datadog itself. The command's flags and its
// whole output are tested in cmd/roachdog.

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/roachdog/roachdog/ddapi"
	"github.com/roachdog/roachdog/ddapi/ddapitest"
)

const (
	testDash = `{"id": "abc-def", "url": "/dashboard/abc-def", "author_handle": "someone@example.com",
  "title": "roachdog test", "description": "Capacity.", "layout_type": "ordered",
  "widgets": [{"definition": {"title": "Disk used", "type": "timeseries",
    "requests": [{"q": "max:crdb.capacity.used_ratio{*} by {node_id}", "display_type": "line"}]}}]}`
	testMon = `{"id": 12, "overall_state": "OK", "name": "[roachdog test] disk full on {{node_id.name}}", "type": "query alert",
  "query": "max(last_10m):max:crdb.capacity.used_ratio{*} by {cluster,node_id} > 0.9",
  "message": "Disk full.\n\n@roachdog-notify\n", "tags": ["managed-by:roachdog", "team:db"],
  "options": {"thresholds": {"critical": 0.9}}}`
)

func loadTest(t *testing.T, dash, mon string) []Asset {
	t.Helper()
	src := Sources{
		Dashboards: fstest.MapFS{"d.json": {Data: []byte(dash)}}, DashboardsDir: "dashboards",
		Monitors: fstest.MapFS{"m.json": {Data: []byte(mon)}}, MonitorsDir: "monitors",
	}
	items, err := Load(src, true, true, NewOfflineCheck("crdb", nil))
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// TestPrepare: what is sent has no read-only field, the managed marker
// once, and the handles in place of the placeholder.
func TestPrepare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		notify   []string
		stripped int
		message  string
	}{
		{"handles", []string{"@a", "@b"}, 0, "Disk full.\n\n@a @b\n"},
		{"no handles", nil, 1, "Disk full.\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			items := loadTest(t, testDash, testMon)
			if got := Prepare(items, tc.notify); got != tc.stripped {
				t.Errorf("stripped %d, want %d", got, tc.stripped)
			}
			d, m := items[0].obj, items[1].obj
			for _, k := range []string{"id", "url", "author_handle"} {
				if _, ok := d[k]; ok {
					t.Errorf("dashboard still has read-only %q", k)
				}
			}
			for _, k := range []string{"id", "overall_state"} {
				if _, ok := m[k]; ok {
					t.Errorf("monitor still has read-only %q", k)
				}
			}
			if got := d.String("description"); got != "Capacity.\n\n"+dashboardMarker {
				t.Errorf("description %q", got)
			}
			if got := m.Tags(); !slices.Equal(got, []string{ManagedTag, "team:db"}) {
				t.Errorf("tags %v: the marker was there already", got)
			}
			if got := m.String("message"); got != tc.message {
				t.Errorf("message %q, want %q", got, tc.message)
			}
		})
	}
}

// TestApplyDryRunThenApply: a dry run plans without writing; the real run
// creates; the next plans nothing; a hand-made monitor of the same name
// is never a candidate.
func TestApplyDryRunThenApply(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	hand := ddapi.Object(decodeTestObject(t, testMon))
	hand["tags"] = []any{"team:db"} // made by hand: no marker
	delete(hand, "id")
	handID := srv.SeedMonitor(hand)
	c, err := ddapi.New(ddapi.Config{APIURL: srv.URL, APIKey: srv.APIKey, AppKey: srv.AppKey})
	if err != nil {
		t.Fatal(err)
	}
	run := func(dry bool) (string, string) {
		t.Helper()
		items := loadTest(t, testDash, testMon)
		Prepare(items, []string{"@ops"})
		var out, warn bytes.Buffer
		if err := Apply(context.Background(), c, items, Options{Dashboards: true, Monitors: true, DryRun: dry}, &out, &warn); err != nil {
			t.Fatal(err)
		}
		return out.String(), warn.String()
	}

	out, _ := run(true)
	if w := srv.Writes(); len(w) != 0 {
		t.Errorf("dry run wrote %v", w)
	}
	for _, want := range []string{
		"dashboard  would create    dashboards/d.json  \"roachdog test\"\n",
		"monitor    would create    monitors/m.json  \"[roachdog test] disk full on {{node_id.name}}\"\n",
		"dashboards: 1 to create, 0 to update, 0 unchanged; monitors: 1 to create, 0 to update, 0 unchanged (dry run: nothing written)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}

	out, _ = run(false)
	if n := len(srv.Writes()); n != 2 || len(srv.Monitors()) != 2 {
		t.Errorf("%d writes, %d monitors stored; want 2 creates beside the hand-made monitor:\n%s", n, len(srv.Monitors()), out)
	}
	for _, r := range srv.Writes() {
		if strings.HasSuffix(r.Path, "/"+strconv.FormatInt(handID, 10)) {
			t.Errorf("touched the hand-made monitor: %s", r)
		}
	}

	srv.ResetRequests()
	out, _ = run(false)
	if w := srv.Writes(); len(w) != 0 {
		t.Errorf("second run wrote %v", w)
	}
	if !strings.HasSuffix(out, "dashboards: 0 created, 0 updated, 1 unchanged; monitors: 0 created, 0 updated, 1 unchanged\n") {
		t.Errorf("second run:\n%s", out)
	}
}
