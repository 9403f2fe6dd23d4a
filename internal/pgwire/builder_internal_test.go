package pgwire

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The proxy records the client and the server directions in two
// goroutines, and PostgreSQL sends an ErrorResponse as soon as a Parse
// fails: the error is often recorded before the Describe and Sync that
// the client had already pipelined. These tests build recordings in every
// such order and check that each answer is indexed under its request.

const (
	qMissing = "SELECT node_id FROM crdb_internal.gossip_liveness"
	qOK      = "SELECT 1 AS one"
	qPiped   = "SELECT x FROM missing_table WHERE x = $1"
)

func cl(typ string, e Entry) Entry { e.Conn, e.From, e.Type = 1, FromClient, typ; return e }
func sv(typ string, e Entry) Entry { e.Conn, e.From, e.Type = 1, FromServer, typ; return e }

var (
	errMissing = sv("ErrorResponse", Entry{Error: &ErrorFields{Severity: "ERROR", Code: "42P01",
		Message: `relation "crdb_internal.gossip_liveness" does not exist`}})
	errPiped = sv("ErrorResponse", Entry{Error: &ErrorFields{Severity: "ERROR", Code: "42P01",
		Message: `relation "missing_table" does not exist`}})
	rfq = sv("ReadyForQuery", Entry{TxStatus: "I"})
)

// failedPrepare is pgx preparing a statement the server refuses: Parse,
// Describe S, Sync sent at once; errAt is where the ErrorResponse landed
// among the client's three entries (1: right after Parse).
func failedPrepare(errAt int) []Entry {
	out := []Entry{
		cl("Parse", Entry{Name: "s1", Query: qMissing}),
		cl("Describe", Entry{Name: "s1", Object: "S"}),
		cl("Sync", Entry{}),
	}
	out = slices.Insert(out, errAt, errMissing)
	return append(out, rfq)
}

// failedPipeline is a Parse, Bind, Describe P, Execute, Sync batch whose
// Parse fails; errAt as in failedPrepare.
func failedPipeline(errAt int) []Entry {
	out := []Entry{
		cl("Parse", Entry{Query: qPiped}),
		cl("Bind", Entry{Params: []*Value{NewValue([]byte("1"))}}),
		cl("Describe", Entry{Object: "P"}),
		cl("Execute", Entry{}),
		cl("Sync", Entry{}),
	}
	out = slices.Insert(out, errAt, errPiped)
	return append(out, rfq)
}

// succeeding: a ping, then a statement prepared and executed, whose
// answers must not be shifted onto the failed requests before them.
func succeeding() []Entry {
	row := []Field{{Name: "one", TypeOID: 23, TypeSize: 4, TypeMod: -1}}
	return []Entry{
		cl("Query", Entry{Query: "-- ping"}),
		sv("EmptyQueryResponse", Entry{}), rfq,
		cl("Parse", Entry{Name: "s2", Query: qOK}),
		cl("Describe", Entry{Name: "s2", Object: "S"}),
		cl("Sync", Entry{}),
		sv("ParseComplete", Entry{}), sv("ParameterDescription", Entry{}), sv("RowDescription", Entry{Fields: row}), rfq,
		cl("Bind", Entry{Statement: "s2", ResultFormats: []int16{1}}),
		cl("Describe", Entry{Object: "P"}),
		cl("Execute", Entry{}),
		cl("Sync", Entry{}),
		sv("BindComplete", Entry{}),
		sv("RowDescription", Entry{Fields: []Field{{Name: "one", TypeOID: 23, TypeSize: 4, TypeMod: -1, Format: 1}}}),
		sv("DataRow", Entry{Values: []*Value{NewValue([]byte{0, 0, 0, 1})}}),
		sv("CommandComplete", Entry{Tag: "SELECT 1"}), rfq,
	}
}

func startup() []Entry {
	return []Entry{
		cl("StartupMessage", Entry{Startup: map[string]string{"user": "roachdog"}}),
		sv("AuthenticationOk", Entry{Auth: "ok"}), rfq,
	}
}

func types(es []Entry) string {
	var s []string
	for _, e := range es {
		s = append(s, e.Type)
	}
	return strings.Join(s, ",")
}

func TestBuilderErrorBeforePipelinedMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		entries []Entry
	}{
		{"prepare: error after Sync", failedPrepare(3)},
		{"prepare: error before Describe and Sync", failedPrepare(1)},
		{"prepare: error before Sync", failedPrepare(2)},
		{"pipeline: error after Sync", failedPipeline(5)},
		{"pipeline: error right after Parse", failedPipeline(1)},
		{"pipeline: error before Execute", failedPipeline(3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			entries := slices.Concat(startup(), tc.entries, succeeding())
			rec, err := NewRecording(entries)
			if err != nil {
				t.Fatal(err)
			}
			failed := qMissing
			if strings.HasPrefix(tc.name, "pipeline") {
				failed = qPiped
			}
			ps := rec.prepared[failed]
			if len(ps) != 1 || types(ps[0].parse) != "ErrorResponse" || len(ps[0].describe) != 0 {
				for _, p := range ps {
					t.Logf("parse %s, describe %s", types(p.parse), types(p.describe))
				}
				t.Fatalf("%s: want one Parse answered by the ErrorResponse alone, undescribed", failed)
			}
			if xs := rec.execs[failed]; len(xs) != 0 {
				t.Errorf("%s: %d executions indexed; the server ignored the Bind", failed, len(xs))
			}
			if ps := rec.simple["-- ping"]; len(ps) != 1 || types(ps[0].out) != "EmptyQueryResponse,ReadyForQuery" {
				for _, p := range ps {
					t.Logf("ping answered %s", types(p.out))
				}
				t.Errorf("ping: %d recorded, want one answered EmptyQueryResponse,ReadyForQuery", len(ps))
			}
			p := rec.lookupPrepared(qOK)
			if p == nil || types(p.parse) != "ParseComplete" || types(p.describe) != "ParameterDescription,RowDescription" {
				t.Fatalf("%s: prepared %+v", qOK, p)
			}
			xs := rec.execs[qOK]
			if len(xs) != 1 || types(xs[0].bind) != "BindComplete" || types(xs[0].describe) != "RowDescription" ||
				types(xs[0].execute) != "DataRow,CommandComplete" {
				t.Fatalf("%s: executions %+v", qOK, xs)
			}

			// And a client replayed from it sees the same as on the server.
			srv, err := Start(rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, err := pgx.Connect(ctx, srv.URL("db"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var n int
			err = conn.QueryRow(ctx, failed, 1).Scan(&n)
			if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || pe.Code != "42P01" {
				t.Errorf("%s: got %v, want the recorded 42P01", failed, err)
			}
			if err := conn.Ping(ctx); err != nil {
				t.Errorf("ping: %v", err)
			}
			if err := conn.QueryRow(ctx, qOK).Scan(&n); err != nil || n != 1 {
				t.Errorf("%s: %d, %v", qOK, n, err)
			}
		})
	}
}
