package pgwire

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Recorder collects the entries of every connection of a Proxy into one
// recording. It is safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	w     *Writer
	conns int
	err   error
}

// NewRecorder writes a recording to w.
func NewRecorder(w io.Writer) *Recorder { return &Recorder{w: NewWriter(w)} }

func (r *Recorder) newConn() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns++
	return r.conns
}

func (r *Recorder) add(conn int, e Entry) {
	e.Conn = conn
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = r.w.Write(e)
	}
}

// Flush writes what is buffered and returns the first write error.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	return r.err
}

// Proxy forwards PostgreSQL connections to Upstream and records them.
// Clients connect without TLS (sslmode=disable, or a TLS request that the
// proxy declines); the proxy speaks TLS to the server when TLS is set.
type Proxy struct {
	// Upstream is the server's host:port.
	Upstream string
	// TLS, when set, encrypts the connection to the server (client
	// certificates included); nil speaks plain TCP.
	TLS *tls.Config
	// TLSFallback continues in plain TCP when the server declines TLS
	// (sslmode=prefer); otherwise that fails the connection.
	TLSFallback bool
	// DialTimeout bounds connecting to the server; default 10s.
	DialTimeout time.Duration
	// Rec receives every message.
	Rec *Recorder
	// Logger: connection failures; default discards.
	Logger *slog.Logger
}

// Serve accepts connections on ln until ctx is done or ln is closed, then
// closes the connections in flight and waits for them.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			if err := p.handle(ctx, c); err != nil {
				p.logger().Warn("pgwire proxy: connection ended", "client", c.RemoteAddr().String(), "err", err)
			}
		}()
	}
}

func (p *Proxy) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// sslRequestCode is the protocol number of SSLRequest.
const sslRequestCode = 80877103

// dial connects to the server, with TLS when configured.
func (p *Proxy) dial(ctx context.Context) (net.Conn, error) {
	timeout := p.DialTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.Upstream)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", p.Upstream, err)
	}
	if p.TLS == nil {
		return c, nil
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	req := make([]byte, 8)
	binary.BigEndian.PutUint32(req, 8)
	binary.BigEndian.PutUint32(req[4:], sslRequestCode)
	ans := make([]byte, 1)
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: TLS request: %w", p.Upstream, err)
	}
	if _, err := io.ReadFull(c, ans); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: TLS request: %w", p.Upstream, err)
	}
	switch ans[0] {
	case 'S':
		tc := tls.Client(c, p.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s: TLS handshake: %w", p.Upstream, err)
		}
		_ = c.SetDeadline(time.Time{})
		return tc, nil
	case 'N':
		if p.TLSFallback {
			_ = c.SetDeadline(time.Time{})
			return c, nil
		}
		c.Close()
		return nil, fmt.Errorf("%s: server refused TLS", p.Upstream)
	default:
		c.Close()
		return nil, fmt.Errorf("%s: unexpected answer %q to the TLS request", p.Upstream, ans[0])
	}
}

// handle proxies one client connection.
func (p *Proxy) handle(ctx context.Context, client net.Conn) error {
	defer client.Close()
	be := pgproto3.NewBackend(client, client)
	var startup *pgproto3.StartupMessage
	for startup == nil {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return fmt.Errorf("read startup message: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
			// The client side is plain TCP on loopback.
			if _, err := client.Write([]byte{'N'}); err != nil {
				return err
			}
		case *pgproto3.CancelRequest:
			return p.forwardCancel(ctx, m)
		case *pgproto3.StartupMessage:
			startup = m
		default:
			return fmt.Errorf("unexpected startup message %T", msg)
		}
	}
	up, err := p.dial(ctx)
	if err != nil {
		be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "08001", Message: "recording proxy: " + err.Error()})
		_ = be.Flush()
		return err
	}
	defer up.Close()
	stop := context.AfterFunc(ctx, func() { up.Close() })
	defer stop()
	fe := pgproto3.NewFrontend(up, up)
	conn := p.Rec.newConn()
	rec := func(e Entry) { p.Rec.add(conn, e) }

	rec(clientEntry(startup))
	fe.Send(startup)
	if err := fe.Flush(); err != nil {
		return fmt.Errorf("send startup message: %w", err)
	}
	// Authentication, in one goroutine: which password message the client
	// sends next depends on the server's last request.
	for ready := false; !ready; {
		msg, err := fe.Receive()
		if err != nil {
			return fmt.Errorf("server, during startup: %w", err)
		}
		rec(serverEntry(msg))
		be.Send(msg)
		if err := be.Flush(); err != nil {
			return err
		}
		switch msg.(type) {
		case *pgproto3.AuthenticationCleartextPassword, *pgproto3.AuthenticationMD5Password,
			*pgproto3.AuthenticationSASL, *pgproto3.AuthenticationSASLContinue:
			if err := be.SetAuthType(fe.GetAuthType()); err != nil {
				return err
			}
			cm, err := be.Receive()
			if err != nil {
				return fmt.Errorf("client, during authentication: %w", err)
			}
			rec(clientEntry(cm))
			fe.Send(cm)
			if err := fe.Flush(); err != nil {
				return err
			}
		case *pgproto3.AuthenticationGSS:
			return errors.New("GSSAPI authentication is not supported by the recording proxy")
		case *pgproto3.ErrorResponse:
			return nil // the server closes the connection
		case *pgproto3.ReadyForQuery:
			ready = true
		}
	}

	errc := make(chan error, 2)
	go func() {
		for {
			msg, err := be.Receive()
			if err != nil {
				errc <- clientGone(err)
				return
			}
			rec(clientEntry(msg))
			fe.Send(msg)
			if err := fe.Flush(); err != nil {
				errc <- fmt.Errorf("send to server: %w", err)
				return
			}
			if _, ok := msg.(*pgproto3.Terminate); ok {
				errc <- nil
				return
			}
		}
	}()
	go func() {
		for {
			msg, err := fe.Receive()
			if err != nil {
				errc <- serverGone(err)
				return
			}
			rec(serverEntry(msg))
			be.Send(msg)
			if err := be.Flush(); err != nil {
				errc <- fmt.Errorf("send to client: %w", err)
				return
			}
		}
	}()
	err = <-errc
	// Either side ended: end the other.
	client.Close()
	up.Close()
	<-errc
	return err
}

func clientGone(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("read from client: %w", err)
}

func serverGone(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("read from server: %w", err)
}

// forwardCancel passes a cancel request (pgx sends one when a query's
// context ends) to the server on a connection of its own.
func (p *Proxy) forwardCancel(ctx context.Context, m *pgproto3.CancelRequest) error {
	up, err := p.dial(ctx)
	if err != nil {
		return fmt.Errorf("forward cancel request: %w", err)
	}
	defer up.Close()
	b, err := m.Encode(nil)
	if err != nil {
		return err
	}
	_, err = up.Write(b)
	return err
}
