package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// connPool is a small pool of pgx connections. pgxpool would serve, but it
// needs github.com/jackc/puddle/v2, which go.sum does not carry; roachdog
// needs only a handful of connections and three rules, so this keeps to
// pgx's core:
//   - at most max connections at once (callers wait, honouring ctx);
//   - an idle connection is pinged before every reuse (one round trip, cheap
//     at roachdog's few queries per cycle) and dropped when older than
//     maxLifetime or idle longer than maxIdle, so a restarted node or proxy
//     costs one failed ping, not a failed query;
//   - a connection that broke, was cancelled mid-query or was left in a
//     transaction is closed, never reused.
//
// No goroutine runs in the background: pruning happens on acquire.
type connPool struct {
	dial        func(ctx context.Context) (*pgx.Conn, error)
	slots       chan struct{} // one token per connection in use
	maxIdle     time.Duration
	maxLifetime time.Duration
	now         func() time.Time

	mu     sync.Mutex
	idle   []*pooledConn // most recently released last
	closed bool
}

type pooledConn struct {
	conn     *pgx.Conn
	created  time.Time
	released time.Time
}

// errPoolClosed is returned by acquire after close.
var errPoolClosed = errors.New("SQL connection pool closed")

const (
	// closeTimeout bounds the Terminate message sent when dropping a
	// connection.
	closeTimeout = time.Second
	// pingTimeout bounds the health check of an idle connection.
	pingTimeout = 3 * time.Second
)

func newConnPool(max int, dial func(context.Context) (*pgx.Conn, error)) *connPool {
	return &connPool{
		dial:        dial,
		slots:       make(chan struct{}, max),
		maxIdle:     5 * time.Minute,
		maxLifetime: 30 * time.Minute,
		now:         time.Now,
	}
}

// acquire returns a healthy connection; the caller must release it.
func (p *connPool) acquire(ctx context.Context) (*pooledConn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a free SQL connection: %w", ctx.Err())
	}
	for {
		pc, err := p.popIdle()
		if err != nil {
			<-p.slots
			return nil, err
		}
		if pc == nil {
			break
		}
		now := p.now()
		if now.Sub(pc.created) > p.maxLifetime || now.Sub(pc.released) > p.maxIdle {
			closeConn(pc.conn)
			continue
		}
		if err := ping(ctx, pc.conn); err != nil {
			closeConn(pc.conn)
			if ctx.Err() != nil {
				<-p.slots
				return nil, fmt.Errorf("check idle SQL connection: %w", ctx.Err())
			}
			continue // dead connection (restarted server): try the next or dial
		}
		return pc, nil
	}
	conn, err := p.dial(ctx)
	if err != nil {
		<-p.slots
		return nil, err
	}
	now := p.now()
	return &pooledConn{conn: conn, created: now, released: now}, nil
}

func (p *connPool) popIdle() (*pooledConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errPoolClosed
	}
	n := len(p.idle)
	if n == 0 {
		return nil, nil
	}
	pc := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	return pc, nil
}

// release returns pc to the pool, or closes it when it cannot be reused.
func (p *connPool) release(pc *pooledConn) {
	defer func() { <-p.slots }()
	c := pc.conn
	if c.IsClosed() || c.PgConn().IsBusy() || c.PgConn().TxStatus() != 'I' {
		closeConn(c)
		return
	}
	pc.released = p.now()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		closeConn(c)
		return
	}
	p.idle = append(p.idle, pc)
	p.mu.Unlock()
}

// close closes the idle connections now and the busy ones as they are
// released.
func (p *connPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.closed = true
	p.mu.Unlock()
	for _, pc := range idle {
		closeConn(pc.conn)
	}
}

// ping checks an idle connection. Its own short deadline keeps a connection
// to a black-holed host from eating the caller's whole query budget.
func ping(ctx context.Context, c *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return c.PgConn().Ping(ctx)
}

func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	_ = c.Close(ctx)
}
