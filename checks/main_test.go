package checks_test

import (
	"os"
	"testing"

	"github.com/roachdog/roachdog/internal/pgtest"
)

// TestMain stops the package's shared PostgreSQL server (pgtest.Shared) after
// the tests; the SQL checks' tests each use their own database on it.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
