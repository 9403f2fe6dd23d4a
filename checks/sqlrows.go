package checks

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/roachdog/roachdog/cluster"
)

// queryRows runs query on db and collects its rows with scan (pgx.RowTo,
// pgx.RowToStructByPos or a function of the check's), closing them. Every
// error, of the query, of a row's scan or of the read, is returned as
// "<what>: <error>", what naming the check's query and table. The rows are
// held in memory: for queries of bounded size, not for those that stream a
// table per row (SHOW CREATE text of every table).
func queryRows[T any](ctx context.Context, db *cluster.DB, what string, scan pgx.RowToFunc[T], query string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, query, args...)
	if err == nil {
		var out []T
		if out, err = pgx.CollectRows(rows, scan); err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", what, err)
}

// scanPrefixed makes scan's errors read "scan: <error>", for the messages
// that tell a row that does not scan from a failed read.
func scanPrefixed[T any](scan pgx.RowToFunc[T]) pgx.RowToFunc[T] {
	return func(row pgx.CollectableRow) (T, error) {
		v, err := scan(row)
		if err != nil {
			err = fmt.Errorf("scan: %w", err)
		}
		return v, err
	}
}
