package emit

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/roachdog/roachdog"

// moduleImports returns every import path reached from the module package
// dir (relative to the module root), following the module's own packages
// through their non-test files, with the path that reached each.
func moduleImports(t *testing.T, root, dir string) map[string]string {
	t.Helper()
	reached := map[string]string{}
	var walk func(pkg, via string)
	walk = func(pkg, via string) {
		files, err := filepath.Glob(filepath.Join(root, strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/"), "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range file.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				if _, seen := reached[p]; seen {
					continue
				}
				reached[p] = via + " → " + p
				if strings.HasPrefix(p, module+"/") {
					walk(p, via+" → "+p)
				}
			}
		}
	}
	walk(module+"/"+dir, dir)
	return reached
}

// TestLayers: emit is a leaf, and what depends on it alone (the exporter,
// the asset validation) reaches neither the checks, nor the cluster access,
// nor a SQL driver: the exporter knows Datadog and time, the assets know
// the catalog.
func TestLayers(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found above emit: %v", err)
	}
	forbidden := func(p string) bool {
		return p == module+"/checks" || p == module+"/cluster" || strings.HasPrefix(p, "github.com/jackc/pgx")
	}
	for _, tc := range []struct {
		dir string
		bad func(string) bool
	}{
		{"emit", func(p string) bool { return strings.HasPrefix(p, module+"/") }},
		{"exporter", forbidden},
		{"assets", forbidden},
	} {
		var found []string
		for p, via := range moduleImports(t, root, tc.dir) {
			if tc.bad(p) {
				found = append(found, via)
			}
		}
		sort.Strings(found)
		for _, via := range found {
			t.Errorf("%s must not reach %s", tc.dir, via)
		}
	}
}
