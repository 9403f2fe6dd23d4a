package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/roachdog/roachdog/internal/pgtest"
)

// startMuteServer runs a pgwire server that completes the startup
// handshake like CockroachDB and then never answers a statement. closed
// receives when the client closes a connection.
func startMuteServer(t *testing.T) (url string, closed <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := make(chan struct{}, 16)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	serve := func(c net.Conn) {
		defer wg.Done()
		defer c.Close()
		be := pgproto3.NewBackend(c, c)
		msg, err := be.ReceiveStartupMessage()
		if _, ssl := msg.(*pgproto3.SSLRequest); ssl && err == nil {
			if _, err = c.Write([]byte("N")); err == nil {
				msg, err = be.ReceiveStartupMessage()
			}
		}
		if _, ok := msg.(*pgproto3.StartupMessage); err != nil || !ok {
			return // e.g. a CancelRequest
		}
		be.Send(&pgproto3.AuthenticationOk{})
		be.Send(&pgproto3.ParameterStatus{Name: "crdb_version", Value: "CockroachDB CCL v23.2.4 (x86_64-pc-linux-gnu, built 2024/04/01 00:00:00, go1.21.8)"})
		be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
		be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
		if be.Flush() != nil {
			return
		}
		for {
			// Statements go unanswered; Terminate or a closed socket ends
			// the connection, as on a real server.
			msg, err := be.Receive()
			if _, bye := msg.(*pgproto3.Terminate); bye || err != nil {
				select {
				case gone <- struct{}{}:
				default:
				}
				return
			}
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return fmt.Sprintf("postgres://roachdog:mute-Secret-31@%s/defaultdb?sslmode=disable", ln.Addr()), gone
}

// TestSessionSetupIsBounded: pgxpool connects in the background with a
// context that has no deadline; a server that accepts the connection and
// then stalls must not keep it (and its goroutine) forever.
func TestSessionSetupIsBounded(t *testing.T) {
	t.Parallel()
	url, closed := startMuteServer(t)
	db := openDB(t, url, nil, WithQueryTimeout(300*time.Millisecond))
	err := db.Ping(ctxT(t))
	if err == nil {
		t.Fatal("Ping succeeded against a server that never answers")
	}
	if !strings.Contains(err.Error(), "timeout after 300ms") || strings.Contains(err.Error(), "mute-Secret-31") ||
		!strings.Contains(err.Error(), db.RedactedURL()) {
		t.Errorf("error = %v; want a timeout naming %s, without the password", err, db.RedactedURL())
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the stalled connection was not closed: session setup has no deadline")
	}
}

// TestCloseStopsBackgroundWork: the pool's health check and connections end
// with Close.
func TestCloseStopsBackgroundWork(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	url := srv.URL(srv.NewDB(t, "close"))
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	db, err := OpenDB(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(ctx, "SELECT 5").Scan(&n); err != nil || n != 5 {
		t.Fatalf("%d, %v", n, err)
	}
	db.Close()
	db.Close() // idempotent
	if err := db.Ping(ctx); !errors.Is(err, errPoolClosed) {
		t.Errorf("Ping after Close: %v, want errPoolClosed", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPoolSettingsWinOverURL: pool_* parameters in the URL (which pgxpool
// reads) do not change roachdog's pool, and are not sent to the server.
func TestPoolSettingsWinOverURL(t *testing.T) {
	t.Parallel()
	srv := pgtest.Shared(t)
	db := openDB(t, srv.URL(srv.NewDB(t, "poolurl"))+"&pool_max_conns=10&pool_max_conn_lifetime=5s", nil, WithMaxConns(2))
	if err := db.Ping(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st := db.pool.Stat()
	if st.MaxConns() != 2 {
		t.Errorf("MaxConns = %d, want 2", st.MaxConns())
	}
	if got := db.pool.Config(); got.MaxConnLifetime != maxConnLifetime || got.MaxConnIdleTime != maxConnIdleTime || got.MinConns != 0 {
		t.Errorf("pool config: lifetime %s idle %s min %d", got.MaxConnLifetime, got.MaxConnIdleTime, got.MinConns)
	}
}
