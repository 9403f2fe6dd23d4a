package checks_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/pgtest"
	"github.com/roachdog/roachdog/internal/pgwire"
	"github.com/roachdog/roachdog/internal/testenv"
)

// The conkey recording: the schema check's exchanges with the emulated
// v20.2 shop catalog, where pg_constraint.conkey is answered the way a
// real CockroachDB v20.2 answers it (see testdata/recordings/README.md).
const (
	conkeyDB        = "conkey_shop"
	conkeyRecording = "recordings/schema_conkey_v20.2/schema.jsonl"
)

// conkeyCasts are the casts the fix added to the schema check's queries,
// with the text the queries had before: the recording holds both forms, so
// the schema check before the fix replays too, and fails as on the real
// cluster.
var conkeyCasts = [][2]string{
	{"con.conkey::INT8[]", "con.conkey"},
	{"a.attnum::INT8", "a.attnum"},
	{"i.indkey::TEXT", "i.indkey"},
	{"i.indnkeyatts::INT8", "i.indnkeyatts"},
}

// TestSchemaReplayCockroachConkey runs the schema check on what CockroachDB
// v20.2 sends for pg_constraint.conkey: a column declared smallint[] (OID
// 1005) whose binary elements are 8-byte integers. Before the fix the
// check scanned that column as sent and failed on every database with a
// foreign key ("int2: invalid length: expected 2 bytes, got 8"); cast to
// INT8[] it reads the same 8-byte elements declared as int8[].
func TestSchemaReplayCockroachConkey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testenv.Testdata(t), conkeyRecording)
	entries, err := pgwire.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The recording holds the pre-fix query's answer as CockroachDB sends
	// it: declared int2[], elements of element type int8 and 8 bytes.
	if !conkeyHasCockroachEncoding(entries) {
		t.Fatalf("%s: no conkey column declared int2[] (1005) with 8-byte int8 elements", conkeyRecording)
	}
	rec, err := pgwire.NewRecording(entries)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := pgwire.Start(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	db, err := cluster.OpenDB(ctx, srv.URL(conkeyDB), logger)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	rec2, err := runCheck(t, schemaNew(t, checks.SchemaOptions{}), &checks.Target{Cluster: "test", SQL: db, Logger: logger})
	if err != nil {
		t.Fatalf("Run: %v\nlogs:\n%s", err, logs)
	}
	if sc := canQuery(t, rec2, "schema"); sc.Status != checks.OK {
		t.Errorf("sql.can_query = %v %q, want OK", sc.Status, sc.Message)
	}
	diffMetricLines(t, metricLines(rec2), schemaGauges(conkeyDB,
		map[string]int{"orders": 1, "shipments": 1, "refunds": 1, "events": 0, "audit_log": 0},
		map[string]int{"orders": 1, "shipments": 1, "refunds": 0, "events": 1, "audit_log": 1}))
	if m := srv.Misses(); len(m) > 0 {
		t.Errorf("statements missing from the recording: %q", m)
	}

	// The replay reproduces the field failure: the query as it was, scanned
	// into the same Go types, fails exactly as reported.
	old := conkeyOldQuery(t, entries)
	conn, err := pgx.Connect(ctx, srv.URL(conkeyDB))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var (
		rel, ref       uint32
		name, del, upd string
		conkey         []int64
	)
	rows, err := conn.Query(ctx, old)
	if err == nil {
		for rows.Next() && err == nil {
			err = rows.Scan(&rel, &name, &conkey, &ref, &del, &upd)
		}
		rows.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "int2: invalid length: expected 2 bytes, got 8") {
		t.Errorf("pre-fix query on CockroachDB's bytes: err %v, want the int2 length error", err)
	}
}

// conkeyHasCockroachEncoding finds a conkey value declared int2[] that is
// an array of 8-byte int8 elements.
func conkeyHasCockroachEncoding(entries []pgwire.Entry) bool {
	found := false
	conkeyValues(entries, func(v **pgwire.Value) {
		b, err := (*v).Bytes()
		if err == nil && len(b) >= 24 && binary.BigEndian.Uint32(b[8:]) == 20 && binary.BigEndian.Uint32(b[20:]) == 8 {
			found = true
		}
	})
	return found
}

// conkeyValues calls fn with every non-NULL value of a conkey column
// declared int2[] (OID 1005): the statements' descriptions (pgx parses and
// describes before it binds) tell which executions return one.
func conkeyValues(entries []pgwire.Entry, fn func(v **pgwire.Value)) {
	type stmtKey struct {
		conn int
		name string
	}
	lastParse := map[int]string{}
	cols := map[stmtKey]int{} // statement → conkey column
	active := map[int]int{}   // conn → conkey column of the bound statement, -1 none
	for k := range entries {
		e := &entries[k]
		switch {
		case e.From == pgwire.FromClient && e.Type == "Parse":
			lastParse[e.Conn] = e.Name
			delete(cols, stmtKey{e.Conn, e.Name})
		case e.From == pgwire.FromServer && e.Type == "RowDescription":
			for i, f := range e.Fields {
				if f.Name == "conkey" && f.TypeOID == 1005 {
					cols[stmtKey{e.Conn, lastParse[e.Conn]}] = i
				}
			}
		case e.From == pgwire.FromClient && e.Type == "Bind":
			active[e.Conn] = -1
			if i, ok := cols[stmtKey{e.Conn, e.Statement}]; ok {
				active[e.Conn] = i
			}
		case e.Type == "DataRow":
			if i, ok := active[e.Conn]; ok && i >= 0 && i < len(e.Values) && e.Values[i] != nil {
				fn(&e.Values[i])
			}
		}
	}
}

// conkeyOldQuery returns the recorded pre-fix foreign-key query.
func conkeyOldQuery(t *testing.T, entries []pgwire.Entry) string {
	t.Helper()
	for _, e := range entries {
		if e.Type == "Parse" && strings.Contains(e.Query, "con.conkey,") {
			return e.Query
		}
	}
	t.Fatalf("%s: no pre-fix foreign-key query", conkeyRecording)
	return ""
}

// TestUpdateSchemaConkeyRecording regenerates the conkey recording
// (ROACHDOG_UPDATE_RECORDINGS=1): it records the schema check through the
// recording proxy against PostgreSQL loaded with the emulated v20.2 shop,
// records the queries as they were before the fix the same way, and
// re-encodes the pre-fix conkey answers as CockroachDB v20.2 does. Run it
// again when a query of the schema check changes.
func TestUpdateSchemaConkeyRecording(t *testing.T) {
	t.Parallel()
	if os.Getenv("ROACHDOG_UPDATE_RECORDINGS") != "1" {
		t.Skip("regenerates " + conkeyRecording + " with ROACHDOG_UPDATE_RECORDINGS=1")
	}
	srv := pgtest.Shared(t)
	srv.Exec(t, "postgres", "DROP DATABASE IF EXISTS "+conkeyDB)
	srv.CreateDB(t, conkeyDB)
	for _, f := range []string{"crdb_v20.2.sql", "crdb_v20.2_schema.sql", "scenario_schema_shop.sql", "scenario_schema_crdb_v20.2.sql"} {
		srv.LoadFile(t, conkeyDB, filepath.Join(testenv.Testdata(t), "sql", f))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	recorder := pgwire.NewRecorder(&buf)
	p := &pgwire.Proxy{Upstream: fmt.Sprintf("127.0.0.1:%d", srv.Port()), Rec: recorder}
	pctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(pctx, ln) }()
	url := fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", ln.Addr(), conkeyDB)

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	db, err := cluster.OpenDB(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runCheck(t, schemaNew(t, checks.SchemaOptions{}), &checks.Target{Cluster: "test", SQL: db}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	db.Close()
	if err := recorder.Flush(); err != nil {
		t.Fatal(err)
	}
	entries, err := pgwire.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	// The same queries without the casts, through the proxy too.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type != "Parse" {
			continue
		}
		old := e.Query
		for _, c := range conkeyCasts {
			old = strings.ReplaceAll(old, c[0], c[1])
		}
		if old == e.Query {
			continue
		}
		rows, err := conn.Query(ctx, old)
		if err != nil {
			t.Fatalf("%s: %v", old, err)
		}
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", old, err)
		}
	}
	conn.Close(ctx)
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if err := recorder.Flush(); err != nil {
		t.Fatal(err)
	}
	entries, err = pgwire.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	n := conkeyToCockroach(t, entries)
	if n == 0 {
		t.Fatal("no conkey value re-encoded")
	}
	var out bytes.Buffer
	out.WriteString(`# Generated by TestUpdateSchemaConkeyRecording (ROACHDOG_UPDATE_RECORDINGS=1);
# see testdata/recordings/README.md. The schema check's exchanges with
# PostgreSQL loaded with the emulated CockroachDB v20.2 shop catalog, and the
# same queries before the casts were added; in the latter, every conkey value
# (declared int2[], OID 1005) is re-encoded as CockroachDB v20.2 sends it:
# element type int8 (OID 20), 8-byte elements.
`)
	w := pgwire.NewWriter(&out)
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testenv.Testdata(t), conkeyRecording)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d conkey values re-encoded)", path, n)
}

// conkeyToCockroach re-encodes, in place, the binary conkey values of
// columns declared int2[] (PostgreSQL: element type int2, 2-byte
// elements) the way CockroachDB v20.2 writes them: it encodes an array by
// its datum's element type, INT8 for conkey, whatever the declared type.
func conkeyToCockroach(t *testing.T, entries []pgwire.Entry) int {
	t.Helper()
	n := 0
	conkeyValues(entries, func(v **pgwire.Value) {
		b, err := (*v).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		c, err := int2ArrayAsInt8(b)
		if err != nil {
			t.Fatalf("conkey %x: %v", b, err)
		}
		*v = pgwire.NewValue(c)
		n++
	})
	return n
}

// int2ArrayAsInt8 rewrites a one-dimensional binary int2 array with int8
// elements: header (ndims, has-nulls, element OID, then length and lower
// bound per dimension), then each element as a 4-byte length and its bytes.
func int2ArrayAsInt8(b []byte) ([]byte, error) {
	if len(b) < 12 {
		return nil, errors.New("short array header")
	}
	ndims := binary.BigEndian.Uint32(b)
	if binary.BigEndian.Uint32(b[8:]) != 21 || ndims > 1 {
		return nil, fmt.Errorf("not a one-dimensional int2 array (header %s)", hex.EncodeToString(b[:12]))
	}
	out := binary.BigEndian.AppendUint32(nil, ndims)
	out = append(out, b[4:8]...)
	out = binary.BigEndian.AppendUint32(out, 20)
	if ndims == 0 {
		return out, nil
	}
	if len(b) < 20 {
		return nil, errors.New("short dimension")
	}
	out = append(out, b[12:20]...)
	for p := 20; p < len(b); {
		if p+4 > len(b) {
			return nil, errors.New("truncated element")
		}
		l := int32(binary.BigEndian.Uint32(b[p:]))
		p += 4
		if l == -1 {
			out = binary.BigEndian.AppendUint32(out, uint32(0xffffffff))
			continue
		}
		if l != 2 || p+2 > len(b) {
			return nil, fmt.Errorf("element of %d bytes", l)
		}
		v := int16(binary.BigEndian.Uint16(b[p:]))
		p += 2
		out = binary.BigEndian.AppendUint32(out, 8)
		out = binary.BigEndian.AppendUint64(out, uint64(int64(v)))
	}
	return out, nil
}
