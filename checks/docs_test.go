package checks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/testenv"
	"github.com/roachdog/roachdog/internal/yamlx"
)

const (
	optionsStart = "<!-- options:start -->\n"
	optionsEnd   = "<!-- options:end -->"
)

// TestDocsOptions keeps each check's options table, in
// docs/checks/<name>.md, generated from its registration: every key, its
// default and what it does. ROACHDOG_UPDATE_DOCS=1 (make docs) rewrites
// the tables.
func TestDocsOptions(t *testing.T) {
	t.Parallel()
	for _, e := range checks.Registered() {
		path := filepath.Join(testenv.RepoRoot(t), "docs", "checks", e.Name+".md")
		page, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("check %s has no page: %v", e.Name, err)
			continue
		}
		s := string(page)
		i, j := strings.Index(s, optionsStart), strings.Index(s, optionsEnd)
		if i < 0 || j < i {
			t.Errorf("%s lacks the %q ... %q markers of its options table", path, optionsStart, optionsEnd)
			continue
		}
		gen := optionsTable(e)
		if s[i+len(optionsStart):j] == gen {
			continue
		}
		if os.Getenv("ROACHDOG_UPDATE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(s[:i+len(optionsStart)]+gen+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: options table updated", path)
			continue
		}
		t.Errorf("%s: the options table is stale: run `make docs`", path)
	}
}

// optionsTable is a check's options table in Markdown.
func optionsTable(e checks.Entry) string {
	var b strings.Builder
	key := "checks." + e.Name
	if e.InstanceKey {
		key = e.Name
	}
	fmt.Fprintf(&b, "`%s`: %s.\n\n", key, e.Doc)
	b.WriteString("| key | default | meaning |\n|---|---|---|\n")
	row := func(key, def, doc string) {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", key, def, strings.ReplaceAll(doc, "|", `\|`))
	}
	keys := e.Keys
	prefix := "checks." + e.Name + "."
	if e.InstanceKey {
		interval := "every `min_collection_interval`"
		row(e.Name, "none", "a list; the check runs "+interval+" when it has an entry, which needs `sql_url`")
		keys, prefix = e.ItemKeys, e.Name+"[]."
	} else {
		enabled := "on"
		switch {
		case e.Off:
			enabled = "off"
		case e.SQL:
			enabled = "on when `sql_url` is set"
		}
		row(prefix+"enabled", enabled, "runs the check")
		interval := "`min_collection_interval`"
		if e.Interval > 0 {
			interval = "`" + yamlx.FmtDuration(e.Interval) + "`"
		}
		row(prefix+"interval", interval, "time between two runs (a number of seconds or a duration)")
		timeout := "the interval"
		if e.Timeout > 0 {
			timeout = "`" + yamlx.FmtDuration(e.Timeout) + "`"
		}
		doc := "bounds one run and each of its statements; capped to the interval, and a run gets at most 80% of the interval"
		switch {
		case e.NodeTimeout:
			doc = "bounds each node's scrape (connect, response, body); capped to the interval and to the run's deadline, 80% of the interval"
		case !e.SQL:
			doc = "bounds one run; capped to the interval, and a run gets at most 80% of the interval"
		}
		row(prefix+"timeout", timeout, doc)
	}
	for _, k := range keys {
		def := k.DefaultText
		if k.Default != "" {
			def = "`" + k.Default + "`"
		}
		row(prefix+k.Name, def, k.Doc)
	}
	return b.String()
}
