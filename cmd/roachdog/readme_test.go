package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/testenv"
)

const (
	catalogStart = "<!-- catalog:start -->\n"
	catalogEnd   = "<!-- catalog:end -->"
)

// TestREADMECatalog keeps the README's metric catalog generated from the
// code. ROACHDOG_UPDATE_README=1 (make docs) rewrites it.
func TestREADMECatalog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testenv.RepoRoot(t), "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gen bytes.Buffer
	if err := writeCatalogMarkdown(&gen, "crdb", checks.Catalog()); err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i, j := strings.Index(s, catalogStart), strings.Index(s, catalogEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", catalogStart, catalogEnd)
	}
	current := s[i+len(catalogStart) : j]
	if current == gen.String() {
		return
	}
	if os.Getenv("ROACHDOG_UPDATE_README") == "1" {
		updated := s[:i+len(catalogStart)] + gen.String() + s[j:]
		if err := os.WriteFile(path, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("README.md catalog updated")
		return
	}
	t.Errorf("README.md's metric catalog is stale: run `make docs`")
}
