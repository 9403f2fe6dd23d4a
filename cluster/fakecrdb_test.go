package cluster

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// fakeCRDB is a minimal pgwire server that introduces itself the way
// CockroachDB does (ParameterStatus crdb_version at startup). It speaks the
// simple query protocol only (clients use default_query_exec_mode=
// simple_protocol) and records every statement, so tests can check what the
// DB sends to a CockroachDB server of a given version without one.
type fakeCRDB struct {
	t           *testing.T
	ln          net.Listener
	crdbVersion string

	mu      sync.Mutex
	queries []string
	errors  map[string]*pgproto3.ErrorResponse // statement substring → error
	conns   map[net.Conn]bool
	closed  bool
	wg      sync.WaitGroup
}

func startFakeCRDB(t *testing.T, crdbVersion string) *fakeCRDB {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeCRDB{t: t, ln: ln, crdbVersion: crdbVersion, errors: map[string]*pgproto3.ErrorResponse{}, conns: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		f.closed = true
		for c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

// url connects as user roachdog with a password, so tests can check it
// never shows.
func (f *fakeCRDB) url() string {
	return fmt.Sprintf("postgres://roachdog:fake-Secret-77@%s/defaultdb?sslmode=disable&default_query_exec_mode=simple_protocol", f.ln.Addr())
}

func (f *fakeCRDB) failOn(substr string, e *pgproto3.ErrorResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors[substr] = e
}

func (f *fakeCRDB) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queries...)
}

func (f *fakeCRDB) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			c.Close()
			return
		}
		f.conns[c] = true
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			if err := f.serve(c); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "EOF") {
				f.t.Logf("fake CockroachDB: %v", err)
			}
		}()
	}
}

func (f *fakeCRDB) serve(c net.Conn) error {
	be := pgproto3.NewBackend(c, c)
	msg, err := be.ReceiveStartupMessage()
	if err != nil {
		return err
	}
	if _, ok := msg.(*pgproto3.SSLRequest); ok {
		if _, err := c.Write([]byte("N")); err != nil {
			return err
		}
		if msg, err = be.ReceiveStartupMessage(); err != nil {
			return err
		}
	}
	if _, ok := msg.(*pgproto3.StartupMessage); !ok {
		return fmt.Errorf("unexpected startup message %T", msg)
	}
	be.Send(&pgproto3.AuthenticationOk{})
	for _, p := range [][2]string{
		{"server_version", "13.0.0"},
		{"client_encoding", "UTF8"},
		{"standard_conforming_strings", "on"},
		{"DateStyle", "ISO, MDY"},
		{"crdb_version", f.crdbVersion},
	} {
		be.Send(&pgproto3.ParameterStatus{Name: p[0], Value: p[1]})
	}
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if err := be.Flush(); err != nil {
		return err
	}
	for {
		msg, err := be.Receive()
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.Terminate:
			return nil
		case *pgproto3.Query:
			f.answer(be, m.String)
		default:
			be.Send(&pgproto3.ErrorResponse{Severity: "ERROR", Code: "0A000", Message: fmt.Sprintf("fake CockroachDB: %T not supported", msg)})
			be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
		}
		if err := be.Flush(); err != nil {
			return err
		}
	}
}

func (f *fakeCRDB) answer(be *pgproto3.Backend, sql string) {
	f.mu.Lock()
	f.queries = append(f.queries, sql)
	var fail *pgproto3.ErrorResponse
	for substr, e := range f.errors {
		if strings.Contains(sql, substr) {
			fail = e
		}
	}
	f.mu.Unlock()
	trimmed := strings.TrimSpace(sql)
	switch {
	case fail != nil:
		be.Send(fail)
	case strings.HasPrefix(trimmed, "SET "):
		be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SET")})
	case trimmed == "" || strings.HasPrefix(trimmed, "--"):
		be.Send(&pgproto3.EmptyQueryResponse{})
	case trimmed == "SELECT 1":
		be.Send(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{
			Name: []byte("?column?"), DataTypeOID: 20, DataTypeSize: 8, TypeModifier: -1,
		}}})
		be.Send(&pgproto3.DataRow{Values: [][]byte{[]byte("1")}})
		be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")})
	default:
		be.Send(&pgproto3.ErrorResponse{Severity: "ERROR", Code: "42P01", Message: "fake CockroachDB knows no such relation"})
	}
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
}
