package checks

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/pgtest"
)

// TestQueryRows: rows are collected in order, and every error names the
// query: "<what>: " before the failed query, a row that does not scan
// ("scan: " too with scanPrefixed) and a read that fails after some rows;
// the database's error stays reachable.
func TestQueryRows(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	db, err := cluster.OpenDB(ctx, srv.URL(srv.NewDB(t, "sqlrows")), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	t.Cleanup(db.Close)

	type pair struct {
		N      int64
		Double *int64
	}
	got, err := queryRows(ctx, db, "read pairs", pgx.RowToStructByPos[pair],
		`SELECT x::INT8, CASE WHEN x = 2 THEN NULL ELSE x * 2 END::INT8 FROM generate_series(1, $1::INT8) AS x`, 3)
	if err != nil {
		t.Fatalf("queryRows: %v", err)
	}
	six := int64(6)
	two := int64(2)
	if want := []pair{{1, &two}, {2, nil}, {3, &six}}; !slices.EqualFunc(got, want, func(a, b pair) bool {
		return a.N == b.N && (a.Double == nil) == (b.Double == nil) && (a.Double == nil || *a.Double == *b.Double)
	}) {
		t.Errorf("got %+v, want %+v", got, want)
	}

	for _, tc := range []struct {
		name, query string
		scan        pgx.RowToFunc[int64]
		prefix      string
		code        string // SQLSTATE reachable through the error, if any
	}{
		{"query", `SELECT n FROM no_such_table`, pgx.RowTo[int64], "read n: ", "42P01"},
		{"scan", `SELECT 'x'::TEXT`, pgx.RowTo[int64], "read n: can't scan", ""},
		{"scan prefixed", `SELECT 'x'::TEXT`, scanPrefixed(pgx.RowTo[int64]), "read n: scan: can't scan", ""},
		{"read after rows", `SELECT (10 / (3 - x))::INT8 FROM generate_series(1, 5) AS x`, scanPrefixed(pgx.RowTo[int64]), "read n: ", "22012"},
	} {
		rows, err := queryRows(ctx, db, "read n", tc.scan, tc.query)
		if err == nil || rows != nil {
			t.Errorf("%s: got %v, %v; want an error and no rows", tc.name, rows, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.prefix) || (tc.prefix == "read n: " && strings.Contains(err.Error(), "scan:")) {
			t.Errorf("%s: error %q, want it to start with %q", tc.name, err, tc.prefix)
		}
		var pgErr *pgconn.PgError
		if tc.code != "" && (!errors.As(err, &pgErr) || pgErr.Code != tc.code) {
			t.Errorf("%s: error %q does not carry SQLSTATE %s", tc.name, err, tc.code)
		}
	}
}
