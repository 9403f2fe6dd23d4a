package assets_test

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/roachdog/roachdog/assets"
	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/dashboards"
	"github.com/roachdog/roachdog/monitors"
)

// TestShippedAssets validates the embedded dashboards and monitors against
// the real catalog: the check `roachdog validate` runs in CI.
func TestShippedAssets(t *testing.T) {
	t.Parallel()
	results, err := assets.ValidateAll(dashboards.FS, monitors.FS, checks.Catalog(), "crdb")
	if err != nil {
		t.Fatal(err)
	}
	var nDash, nMon int
	for _, r := range results {
		switch {
		case strings.HasPrefix(r.File, "dashboards/"):
			nDash++
		case strings.HasPrefix(r.File, "monitors/"):
			nMon++
		}
		for _, e := range r.Errs {
			t.Error(e)
		}
	}
	if nDash < 4 || nMon == 0 {
		t.Fatalf("validated %d dashboards and %d monitors; the embedded file systems look empty", nDash, nMon)
	}
}

// TestShippedDashboardConventions checks what the project promises beyond
// Datadog's rules: the same four template variables everywhere, and every
// query filtered by $cluster so that one dashboard serves many clusters.
func TestShippedDashboardConventions(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(dashboards.FS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	type tv struct {
		Name            string   `json:"name"`
		Prefix          string   `json:"prefix"`
		AvailableValues []string `json:"available_values"`
		Default         string   `json:"default"`
	}
	want := []tv{{"cluster", "cluster", []string{}, "*"}, {"node_id", "node_id", []string{}, "*"},
		{"region", "region", []string{}, "*"}, {"env", "env", []string{}, "*"}}
	for _, n := range names {
		data, err := fs.ReadFile(dashboards.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			LayoutType string `json:"layout_type"`
			ReflowType string `json:"reflow_type"`
			Vars       []tv   `json:"template_variables"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if d.LayoutType != "ordered" || d.ReflowType != "fixed" {
			t.Errorf("%s: layout %s/%s, want ordered/fixed", n, d.LayoutType, d.ReflowType)
		}
		if len(d.Vars) != len(want) {
			t.Errorf("%s: template variables %+v, want %+v", n, d.Vars, want)
			continue
		}
		for i := range want {
			if d.Vars[i].Name != want[i].Name || d.Vars[i].Prefix != want[i].Prefix ||
				d.Vars[i].AvailableValues == nil || len(d.Vars[i].AvailableValues) != 0 || d.Vars[i].Default != "*" {
				t.Errorf("%s: template variable %d is %+v, want %+v", n, i, d.Vars[i], want[i])
			}
		}
		var root any
		if err := json.Unmarshal(data, &root); err != nil {
			t.Fatal(err)
		}
		queries := 0
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					if s, ok := e.(string); ok && k == "query" && x["data_source"] == "metrics" {
						queries++
						if !strings.Contains(s, "$cluster") {
							t.Errorf("%s: %s.%s: %q is not filtered by $cluster", n, path, k, s)
						}
					}
					walk(path+"."+k, e)
				}
			case []any:
				for _, e := range x {
					walk(path+"[]", e)
				}
			}
		}
		walk("", root)
		if queries < 10 {
			t.Errorf("%s: only %d metric queries", n, queries)
		}
	}
}

func TestValidateAllDuplicatesAndOrder(t *testing.T) {
	t.Parallel()
	dash := `{"title": "Same", "layout_type": "ordered", "widgets": [{"definition": {"type": "note", "content": "x"}}]}`
	mon := `{"name": "Same", "type": "composite", "query": "1 && 2", "message": "@roachdog-notify"}`
	results, err := assets.ValidateAll(
		fstest.MapFS{"b.json": {Data: []byte(dash)}, "a.json": {Data: []byte(dash)}, "notes.txt": {Data: []byte("skip")}},
		fstest.MapFS{"m1.json": {Data: []byte(mon)}, "m2.json": {Data: []byte(mon)}},
		nil, "crdb")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, r := range results {
		files = append(files, r.File)
	}
	if got := strings.Join(files, " "); got != "dashboards/a.json dashboards/b.json monitors/m1.json monitors/m2.json" {
		t.Fatalf("files %s", got)
	}
	if len(results[0].Errs) != 0 || len(results[2].Errs) != 0 {
		t.Fatalf("first of each is fine: %v %v", results[0].Errs, results[2].Errs)
	}
	if len(results[1].Errs) != 1 || results[1].Errs[0].Error() !=
		`dashboards/b.json: title: "Same" is also the title of dashboards/a.json: apply matches on it, so one would overwrite the other` {
		t.Fatalf("dashboard duplicate: %v", results[1].Errs)
	}
	if len(results[3].Errs) != 1 || !strings.Contains(results[3].Errs[0].Error(), `monitors/m2.json: name: "Same" is also the name of monitors/m1.json`) {
		t.Fatalf("monitor duplicate: %v", results[3].Errs)
	}
}

// TestShippedAssetsUseDistributions: the shipped files query the latency
// distributions, not the per-node histogram gauges (.p99, .max, .avg,
// .count), which only histograms: gauges or both sends: with the default
// configuration those widgets and monitors would stay empty.
func TestShippedAssetsUseDistributions(t *testing.T) {
	t.Parallel()
	cat := checks.Catalog()
	dist := map[string]bool{}
	for _, m := range cat {
		if m.Kind == checks.KindDistribution {
			dist[m.Name] = true
		}
	}
	var defaults []checks.Metric
	for _, m := range cat {
		if i := strings.LastIndexByte(m.Name, '.'); i > 0 && dist[m.Name[:i]] {
			continue
		}
		defaults = append(defaults, m)
	}
	if len(defaults) == len(cat) {
		t.Fatal("no histogram gauge in the catalog: the test checks nothing")
	}
	results, err := assets.ValidateAll(dashboards.FS, monitors.FS, defaults, "crdb")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		for _, e := range r.Errs {
			t.Error(e)
		}
	}
}
