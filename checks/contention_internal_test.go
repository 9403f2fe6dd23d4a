package checks

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roachdog/roachdog/cluster"
)

func TestTopNOption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n, want int
		err     string
	}{
		{n: 0, want: 20},
		{n: 1, want: 1},
		{n: 50, want: 50},
		{n: -1, err: "x: top_n must be between 1 and 50, got -1"},
		{n: 51, err: "x: top_n must be between 1 and 50, got 51"},
	} {
		got, err := topNOption("x", tc.n, 20, 50)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("topNOption(%d) = %d, %v; want error %q", tc.n, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("topNOption(%d) = %d, %v; want %d", tc.n, got, err, tc.want)
		}
	}
}

// TestContentionAccessGrant: the grant named for a refused contention read
// follows the server version, as the statements check's does.
func TestContentionAccessGrant(t *testing.T) {
	t.Parallel()
	denied := &cluster.AccessError{User: `ro"ach`, Err: &pgconn.PgError{Code: "42501", Message: "no"}}
	for _, tc := range []struct {
		v    cluster.Version
		want string
	}{
		{cluster.Version{Major: 23, Minor: 2}, `(GRANT SYSTEM VIEWACTIVITY TO "ro""ach"):`},
		{cluster.Version{Major: 21, Minor: 2}, `(ALTER USER "ro""ach" WITH VIEWACTIVITY):`},
		{cluster.Version{}, `(GRANT SYSTEM VIEWACTIVITY TO "ro""ach" (before v22.2: ALTER USER "ro""ach" WITH VIEWACTIVITY)):`},
	} {
		err := contentionAccess(denied, "crdb_internal.cluster_contended_indexes", tc.v)
		if !strings.Contains(err.Error(), "crdb_internal.cluster_contended_indexes needs the VIEWACTIVITY or VIEWACTIVITYREDACTED system privilege "+tc.want) ||
			!errors.Is(err, denied) {
			t.Errorf("contentionAccess at %v = %v, want it to contain %s", tc.v, err, tc.want)
		}
	}
	if other := errors.New("boom"); contentionAccess(other, "t", cluster.Version{}) != other {
		t.Error("contentionAccess rewrote an error that is not a refusal")
	}
}
