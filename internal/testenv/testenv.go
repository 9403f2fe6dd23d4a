// Package testenv finds the shared test inputs and decides whether a test
// that lacks an outside dependency skips (a developer's clone) or fails (CI,
// where CI=true and everything must run).
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipOrFail skips the test with why, except under CI where a missing
// dependency is a failure.
func SkipOrFail(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true but %s", why)
	}
	t.Skipf("SKIPPED (loudly): %s", why)
}

// RepoRoot returns the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// Fixtures returns the shared fixtures directory (beside the repository, as
// ../shared/fixtures), skipping the test when it is absent outside CI.
func Fixtures(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared", "fixtures")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		SkipOrFail(t, "shared fixtures not found at ../shared/fixtures")
	}
	return dir
}

// Testdata returns the repository's own testdata directory.
func Testdata(t testing.TB) string {
	t.Helper()
	return filepath.Join(RepoRoot(t), "testdata")
}
