package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// TestMain lets the test binary stand in for the roachdog binary
// (ROACHDOG_TEST_AS_MAIN=1 runs main with the process's arguments), so tests
// can exercise real signals and exit codes without a separate build; it also
// stops the package's shared PostgreSQL server.
func TestMain(m *testing.M) {
	if os.Getenv("ROACHDOG_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(pgtest.Main(m))
}

// sqlDB returns a database of the test's own on pg holding the testdata/sql
// files, in order (a copy of a template loaded once, see pgtest.Fixture).
func sqlDB(t *testing.T, pg *pgtest.Server, prefix string, files ...string) string {
	t.Helper()
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(testenv.Testdata(t), "sql", f)
	}
	return pg.Fixture(t, prefix, paths...)
}
