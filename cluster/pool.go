package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool settings. roachdog needs a handful of connections and keeps none
// open when idle for long: a monitoring sidecar must not hold sessions on a
// node the operator is draining.
const (
	maxConnLifetime = 30 * time.Minute
	maxConnIdleTime = 5 * time.Minute
	// healthCheckPeriod is how often pgxpool's background check closes idle
	// connections past maxConnIdleTime or maxConnLifetime.
	healthCheckPeriod = time.Minute
	// pingTimeout bounds the ping before a pooled connection is reused, so
	// that a connection to a black-holed host cannot eat the caller's whole
	// query budget.
	pingTimeout = 3 * time.Second
)

// errPoolClosed is returned after Close.
var errPoolClosed = errors.New("SQL connection pool closed")

// newPool builds the pgxpool over pcfg (from pgxpool.ParseConfig). Pool
// parameters in the URL (pool_max_conns...) are overridden by roachdog's.
func (db *DB) newPool(ctx context.Context, pcfg *pgxpool.Config) (*pgxpool.Pool, error) {
	pcfg.MaxConns = int32(db.opts.maxConns)
	pcfg.MinConns = 0
	pcfg.MinIdleConns = 0
	pcfg.MaxConnLifetime = maxConnLifetime
	pcfg.MaxConnLifetimeJitter = 0
	pcfg.MaxConnIdleTime = maxConnIdleTime
	pcfg.HealthCheckPeriod = healthCheckPeriod
	pcfg.PingTimeout = pingTimeout
	// Ping every pooled connection before reuse (one round trip, cheap at
	// roachdog's few queries per cycle; pgxpool's default only pings after
	// a second idle): a restarted node or proxy then costs one failed ping
	// and a new connection, not a failed query. Connections that broke, were
	// cancelled mid-query or were left in a transaction are destroyed on
	// release by pgxpool itself.
	pcfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	pcfg.AfterConnect = db.afterConnect
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("SQL pool for %s: %w", db.redacted, db.sanitize(err))
	}
	return pool, nil
}

// afterConnect prepares a new connection's session. pgxpool runs it with a
// context that has no deadline (the connection outlives the Acquire that
// asked for it), so it bounds the setup statements itself.
func (db *DB) afterConnect(ctx context.Context, conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, db.opts.queryTimeout)
	defer cancel()
	return db.setupSession(ctx, conn)
}

// acquire returns a healthy pooled connection; the caller must Release it.
// Its errors name the server by the redacted URL and never hold
// pgconn.ConnectError, whose Config carries the password.
func (db *DB) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	if db.closed.Load() {
		return nil, errPoolClosed
	}
	c, err := db.pool.Acquire(ctx)
	if err == nil {
		return c, nil
	}
	var ce *pgconn.ConnectError
	switch {
	case db.closed.Load():
		return nil, errPoolClosed
	case errors.As(err, &ce):
		return nil, db.connectErr(err)
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		// Waiting for a free connection, or for a new one to connect.
		return nil, fmt.Errorf("get a SQL connection to %s: %w", db.redacted, err)
	case errors.Is(err, context.DeadlineExceeded):
		// The session setup of the connection we waited for ran out of its
		// own budget (afterConnect) while ours had not: pgxpool may hand us
		// a connection another caller started earlier. It is a timeout all
		// the same, of the setup's budget.
		return nil, fmt.Errorf("timeout after %s: %w", db.opts.queryTimeout, err)
	}
	return nil, err
}
