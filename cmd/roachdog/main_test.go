package main

import (
	"os"
	"testing"

	"github.com/roachdog/roachdog/internal/pgtest"
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
