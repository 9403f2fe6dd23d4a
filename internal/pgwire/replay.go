package pgwire

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Recording is what a fake server answers from: the recorded statements,
// indexed by normalized query text.
type Recording struct {
	mu       sync.Mutex
	params   []Entry                  // ParameterStatus, first value of each name
	prepared map[string][]*prepared   // Parse (+ Describe S) results by query
	execs    map[string][]*execution  // Bind/Describe P/Execute results by query
	simple   map[string][]*simpleExec // simple-protocol results by query
	cursor   map[string]int           // next execution per query
}

type prepared struct {
	parse    []Entry // ParseComplete or ErrorResponse
	describe []Entry // ParameterDescription + RowDescription/NoData, or ErrorResponse
}

type execution struct {
	query         string
	params        [][]byte
	resultFormats []int16
	stmt          *prepared
	bind          []Entry // BindComplete or ErrorResponse
	describe      []Entry // RowDescription/NoData (absent when the client skipped Describe P)
	execute       []Entry // DataRow... + CommandComplete, or ErrorResponse
}

type simpleExec struct {
	out []Entry // every answer up to and including ReadyForQuery
}

// LoadFiles reads recordings and indexes them together.
func LoadFiles(paths ...string) (*Recording, error) {
	r := newRecording()
	for _, p := range paths {
		entries, err := ReadFile(p)
		if err != nil {
			return nil, err
		}
		if err := r.Add(entries); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return r, nil
}

// LoadDir reads every *.jsonl recording of dir.
func LoadDir(dir string) (*Recording, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no *.jsonl recording", dir)
	}
	sort.Strings(paths)
	return LoadFiles(paths...)
}

func newRecording() *Recording {
	return &Recording{
		prepared: map[string][]*prepared{},
		execs:    map[string][]*execution{},
		simple:   map[string][]*simpleExec{},
		cursor:   map[string]int{},
	}
}

// NewRecording indexes entries (of one or more connections).
func NewRecording(entries []Entry) (*Recording, error) {
	r := newRecording()
	if err := r.Add(entries); err != nil {
		return nil, err
	}
	return r, nil
}

// Queries lists the recorded statements (normalized), sorted.
func (r *Recording) Queries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for q := range r.prepared {
		out = append(out, q)
	}
	for q := range r.simple {
		if _, dup := r.prepared[q]; !dup {
			out = append(out, q)
		}
	}
	sort.Strings(out)
	return out
}

// Parameter returns a recorded ParameterStatus value (crdb_version...).
func (r *Recording) Parameter(name string) (string, bool) {
	for _, e := range r.params {
		if e.Param == name {
			return e.Value, true
		}
	}
	return "", false
}

// Request kinds, for matching server answers to the client's requests.
type reqKind int

const (
	reqParse reqKind = iota
	reqDescribeS
	reqBind
	reqDescribeP
	reqExecute
	reqSync
	reqClose
	reqQuery
)

type pending struct {
	kind reqKind
	out  *[]Entry
	// index files the request in the Recording; it runs on the first
	// answer, so that requests the server skipped (after an error, up to
	// Sync) are not replayed as statements answered with nothing.
	index func()
}

// connBuilder follows one recorded connection.
type connBuilder struct {
	r       *Recording
	stmts   map[string]*prepared
	queries map[string]string // statement name → normalized query
	portals map[string]*execution
	queue   []pending
	started bool
	// skipping: an ErrorResponse ended an extended-protocol request
	// before the client's Sync was recorded. The server ignores every
	// message up to that Sync, and so must the builder: the proxy records
	// the two directions as they happen, so a server's error is often
	// recorded before the client's pipelined Describe and Sync.
	skipping bool
}

// Add indexes entries; entries of different connections may interleave.
func (r *Recording) Add(entries []Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	conns := map[int]*connBuilder{}
	for i, e := range entries {
		b := conns[e.Conn]
		if b == nil {
			b = &connBuilder{r: r, stmts: map[string]*prepared{}, queries: map[string]string{}, portals: map[string]*execution{}}
			conns[e.Conn] = b
		}
		var err error
		if e.From == FromClient {
			err = b.client(e)
		} else {
			err = b.server(e)
		}
		if err != nil {
			return fmt.Errorf("entry %d (connection %d, %s %s): %w", i+1, e.Conn, e.From, e.Type, err)
		}
	}
	return nil
}

func (b *connBuilder) client(e Entry) error {
	if b.skipping {
		if e.Type != "Sync" {
			return nil // ignored by the server: no answer will come
		}
		b.skipping = false
	}
	switch e.Type {
	case "Parse":
		q := NormalizeQuery(e.Query)
		p := &prepared{}
		b.stmts[e.Name], b.queries[e.Name] = p, q
		b.queue = append(b.queue, pending{reqParse, &p.parse, func() { b.r.prepared[q] = append(b.r.prepared[q], p) }})
	case "Describe":
		if e.Object == "S" {
			p := b.stmts[e.Name]
			if p == nil {
				return fmt.Errorf("describe of unknown statement %q", e.Name)
			}
			b.queue = append(b.queue, pending{reqDescribeS, &p.describe, nil})
			return nil
		}
		x := b.portals[e.Name]
		if x == nil {
			return fmt.Errorf("describe of unknown portal %q", e.Name)
		}
		b.queue = append(b.queue, pending{reqDescribeP, &x.describe, nil})
	case "Bind":
		p := b.stmts[e.Statement]
		if p == nil {
			return fmt.Errorf("bind of unknown statement %q", e.Statement)
		}
		params, err := decodeValues(e.Params)
		if err != nil {
			return err
		}
		q := b.queries[e.Statement]
		x := &execution{query: q, params: params, resultFormats: e.ResultFormats, stmt: p}
		b.portals[e.Name] = x
		b.queue = append(b.queue, pending{reqBind, &x.bind, func() { b.r.execs[q] = append(b.r.execs[q], x) }})
	case "Execute":
		x := b.portals[e.Name]
		if x == nil {
			return fmt.Errorf("execute of unknown portal %q", e.Name)
		}
		b.queue = append(b.queue, pending{reqExecute, &x.execute, nil})
	case "Sync":
		b.queue = append(b.queue, pending{reqSync, new([]Entry), nil})
	case "Close":
		b.queue = append(b.queue, pending{reqClose, new([]Entry), nil})
	case "Query":
		q := NormalizeQuery(e.Query)
		s := &simpleExec{}
		b.queue = append(b.queue, pending{reqQuery, &s.out, func() { b.r.simple[q] = append(b.r.simple[q], s) }})
	}
	return nil
}

func (b *connBuilder) server(e Entry) error {
	switch e.Type {
	case "ParameterStatus":
		if !slices.ContainsFunc(b.r.params, func(p Entry) bool { return p.Param == e.Param }) {
			b.r.params = append(b.r.params, e)
		}
		return nil
	case "AuthenticationOk", "AuthenticationCleartextPassword", "AuthenticationMD5Password", "AuthenticationSASL",
		"AuthenticationSASLContinue", "AuthenticationSASLFinal", "BackendKeyData", "NoticeResponse", "NotificationResponse":
		return nil
	}
	if !b.started && len(b.queue) == 0 {
		switch e.Type {
		case "ReadyForQuery":
			b.started = true
			return nil
		case "ErrorResponse":
			return nil // refused at startup
		}
	}
	if len(b.queue) == 0 {
		return errors.New("server message with no client request pending")
	}
	head := &b.queue[0]
	if head.index != nil {
		head.index()
		head.index = nil
	}
	*head.out = append(*head.out, e)
	done := false
	switch head.kind {
	case reqParse:
		done = e.Type == "ParseComplete"
	case reqDescribeS:
		done = e.Type == "RowDescription" || e.Type == "NoData"
	case reqBind:
		done = e.Type == "BindComplete"
	case reqDescribeP:
		done = e.Type == "RowDescription" || e.Type == "NoData"
	case reqExecute:
		done = e.Type == "CommandComplete" || e.Type == "EmptyQueryResponse" || e.Type == "PortalSuspended"
	case reqSync, reqQuery:
		done = e.Type == "ReadyForQuery"
	case reqClose:
		done = e.Type == "CloseComplete"
	}
	if e.Type == "ErrorResponse" && head.kind != reqSync && head.kind != reqQuery {
		// The server skips the rest up to Sync, including what the
		// client sent but the recording does not hold yet.
		b.queue = b.queue[1:]
		for len(b.queue) > 0 && b.queue[0].kind != reqSync {
			b.queue = b.queue[1:]
		}
		b.skipping = len(b.queue) == 0
		return nil
	}
	if done {
		b.queue = b.queue[1:]
	}
	return nil
}

// lookupPrepared returns the recorded Parse of q, preferring one that was
// described.
func (r *Recording) lookupPrepared(q string) *prepared {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := r.prepared[q]
	for _, p := range ps {
		if len(p.describe) > 0 {
			return p
		}
	}
	if len(ps) > 0 {
		return ps[0]
	}
	return nil
}

// pickExecution returns the next recorded execution of q, preferring the
// next one bound with the same parameter values; recordings are replayed
// in a loop, so a check can run more cycles than were recorded.
func (r *Recording) pickExecution(q string, params [][]byte) *execution {
	r.mu.Lock()
	defer r.mu.Unlock()
	xs := r.execs[q]
	if len(xs) == 0 {
		return nil
	}
	start := r.cursor[q] % len(xs)
	for i := range xs {
		k := (start + i) % len(xs)
		if sameParams(xs[k].params, params) {
			r.cursor[q] = k + 1
			return xs[k]
		}
	}
	r.cursor[q] = start + 1
	return xs[start]
}

func (r *Recording) pickSimple(q string) *simpleExec {
	r.mu.Lock()
	defer r.mu.Unlock()
	xs := r.simple[q]
	if len(xs) == 0 {
		return nil
	}
	k := "simple\x00" + q
	i := r.cursor[k] % len(xs)
	r.cursor[k] = i + 1
	return xs[i]
}

func sameParams(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// formats expands result format codes to n columns, as the protocol reads
// them: none is all text, one applies to all.
func formats(codes []int16, n int) []int16 {
	out := make([]int16, n)
	switch len(codes) {
	case 0:
	case 1:
		for i := range out {
			out[i] = codes[0]
		}
	default:
		copy(out, codes)
	}
	return out
}

// columns returns the number of result columns the statement described.
func (p *prepared) columns() (int, bool) {
	for _, e := range p.describe {
		if e.Type == "RowDescription" {
			return len(e.Fields), true
		}
		if e.Type == "NoData" {
			return 0, true
		}
	}
	return 0, false
}

// Server is a fake PostgreSQL server answering from a Recording.
type Server struct {
	rec    *Recording
	ln     net.Listener
	logger *slog.Logger

	mu     sync.Mutex
	conns  map[net.Conn]bool
	misses []string
	closed bool
	wg     sync.WaitGroup
}

// Start serves rec on a new loopback port until Close.
func Start(rec *Recording, logger *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("replay server: listen: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{rec: rec, ln: ln, logger: logger, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is a connection URL for the server (user and database are accepted
// as given; no password is asked).
func (s *Server) URL(db string) string {
	return "postgres://roachdog@" + s.Addr() + "/" + db + "?sslmode=disable"
}

// Misses returns the statements clients sent that no recording holds.
func (s *Server) Misses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.misses)
}

// Close stops the server, closes its connections and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			if err := s.handle(c); err != nil {
				s.logger.Debug("replay server: connection ended", "err", err)
			}
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

func (s *Server) miss(q string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.misses, q) {
		s.misses = append(s.misses, q)
	}
}

// replayErr is the error a client gets for a statement the recordings do
// not hold: SQLSTATE XX000 with the statement, so the test says what to
// record.
func replayErr(format string, args ...any) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: "XX000",
		Message: "replay: " + fmt.Sprintf(format, args...)}
}

// quoted shortens a statement for error messages.
func quoted(q string) string {
	if len(q) > 300 {
		q = q[:300] + "..."
	}
	return fmt.Sprintf("%q", q)
}

// replayConn is one client connection to the Server.
type replayConn struct {
	s       *Server
	be      *pgproto3.Backend
	stmts   map[string]string // statement name → normalized query
	portals map[string]*execution
	skip    bool // after an error, until Sync
}

func (s *Server) handle(c net.Conn) error {
	be := pgproto3.NewBackend(c, c)
	for started := false; !started; {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return err
		}
		switch msg.(type) {
		case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
			if _, err := c.Write([]byte{'N'}); err != nil {
				return err
			}
		case *pgproto3.CancelRequest:
			return nil // replies are immediate: nothing to cancel
		case *pgproto3.StartupMessage:
			started = true
		}
	}
	be.Send(&pgproto3.AuthenticationOk{})
	for _, p := range s.rec.params {
		be.Send(&pgproto3.ParameterStatus{Name: p.Param, Value: p.Value})
	}
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if err := be.Flush(); err != nil {
		return err
	}
	rc := &replayConn{s: s, be: be, stmts: map[string]string{}, portals: map[string]*execution{}}
	for {
		msg, err := be.Receive()
		if err != nil {
			return err
		}
		if _, ok := msg.(*pgproto3.Terminate); ok {
			return nil
		}
		if err := rc.answer(msg); err != nil {
			return err
		}
	}
}

// send writes recorded entries; an ErrorResponse among them starts
// skipping to Sync.
func (rc *replayConn) send(entries []Entry) error {
	for _, e := range entries {
		m, err := e.backendMessage()
		if err != nil {
			return err
		}
		rc.be.Send(m)
		if e.Type == "ErrorResponse" {
			rc.skip = true
		}
	}
	return nil
}

func (rc *replayConn) fail(e *pgproto3.ErrorResponse) {
	rc.be.Send(e)
	rc.skip = true
}

func (rc *replayConn) answer(msg pgproto3.FrontendMessage) error {
	if _, ok := msg.(*pgproto3.Sync); !ok && rc.skip {
		return nil
	}
	rec := rc.s.rec
	switch m := msg.(type) {
	case *pgproto3.Sync:
		rc.skip = false
		rc.be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
		return rc.be.Flush()
	case *pgproto3.Flush:
		return rc.be.Flush()
	case *pgproto3.Parse:
		q := NormalizeQuery(m.Query)
		p := rec.lookupPrepared(q)
		if p == nil {
			if isSet(q) {
				// Session settings (statement_timeout follows the
				// configuration) need no recording.
				rc.stmts[m.Name] = q
				rc.be.Send(&pgproto3.ParseComplete{})
				return nil
			}
			rc.s.miss(q)
			rc.fail(replayErr("no recording of statement %s", quoted(q)))
			return nil
		}
		rc.stmts[m.Name] = q
		return rc.send(p.parse)
	case *pgproto3.Describe:
		if m.ObjectType == 'S' {
			q, ok := rc.stmts[m.Name]
			if !ok {
				rc.fail(replayErr("describe of unknown statement %q", m.Name))
				return nil
			}
			p := rec.lookupPrepared(q)
			if p == nil { // a SET
				rc.be.Send(&pgproto3.ParameterDescription{})
				rc.be.Send(&pgproto3.NoData{})
				return nil
			}
			if len(p.describe) == 0 {
				rc.fail(replayErr("statement %s was never described in the recording", quoted(q)))
				return nil
			}
			return rc.send(p.describe)
		}
		x, ok := rc.portals[m.Name]
		if !ok {
			rc.fail(replayErr("describe of unknown portal %q", m.Name))
			return nil
		}
		if x == nil { // a SET
			rc.be.Send(&pgproto3.NoData{})
			return nil
		}
		if len(x.describe) > 0 {
			return rc.send(x.describe)
		}
		// Recorded without Describe Portal (the client knew the columns):
		// the statement's description with the formats bound.
		for _, e := range x.stmt.describe {
			if e.Type == "RowDescription" {
				e.Fields = slices.Clone(e.Fields)
				fs := formats(x.resultFormats, len(e.Fields))
				for i := range e.Fields {
					e.Fields[i].Format = fs[i]
				}
				return rc.send([]Entry{e})
			}
			if e.Type == "NoData" {
				return rc.send([]Entry{e})
			}
		}
		rc.fail(replayErr("no row description recorded for %s", quoted(x.query)))
		return nil
	case *pgproto3.Bind:
		q, ok := rc.stmts[m.PreparedStatement]
		if !ok {
			rc.fail(replayErr("bind of unknown statement %q", m.PreparedStatement))
			return nil
		}
		x := rec.pickExecution(q, m.Parameters)
		if x == nil {
			if isSet(q) {
				rc.portals[m.DestinationPortal] = nil
				rc.be.Send(&pgproto3.BindComplete{})
				return nil
			}
			rc.s.miss(q)
			rc.fail(replayErr("statement %s was prepared but never executed in the recording", quoted(q)))
			return nil
		}
		// The recorded rows are bytes in the formats the recording client
		// asked for; answering another format would hand the client bytes
		// it decodes wrongly.
		if n, ok := x.stmt.columns(); ok {
			want, got := formats(x.resultFormats, n), formats(m.ResultFormatCodes, n)
			if !slices.Equal(want, got) {
				rc.fail(replayErr("statement %s: the client asks for result formats %v, the recording holds %v",
					quoted(q), got, want))
				return nil
			}
		}
		rc.portals[m.DestinationPortal] = x
		return rc.send(x.bind)
	case *pgproto3.Execute:
		x, ok := rc.portals[m.Portal]
		if !ok {
			rc.fail(replayErr("execute of unknown portal %q", m.Portal))
			return nil
		}
		if x == nil { // a SET
			rc.be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SET")})
			return nil
		}
		if len(x.execute) == 0 {
			rc.fail(replayErr("statement %s has no recorded result", quoted(x.query)))
			return nil
		}
		return rc.send(x.execute)
	case *pgproto3.Close:
		rc.be.Send(&pgproto3.CloseComplete{})
		return nil
	case *pgproto3.Query:
		q := NormalizeQuery(m.String)
		if x := rec.pickSimple(q); x != nil {
			if err := rc.send(x.out); err != nil {
				return err
			}
			rc.skip = false
			if n := len(x.out); n == 0 || x.out[n-1].Type != "ReadyForQuery" {
				// A recording cut short: the client must not wait forever.
				rc.be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
			}
			return rc.be.Flush()
		}
		switch {
		case isSet(q):
			rc.be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SET")})
		case isEmpty(q):
			// pgx's Ping.
			rc.be.Send(&pgproto3.EmptyQueryResponse{})
		default:
			rc.s.miss(q)
			rc.be.Send(replayErr("no recording of statement %s", quoted(q)))
		}
		rc.be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
		return rc.be.Flush()
	default:
		rc.fail(replayErr("message %T is not supported by the replay server", msg))
		return nil
	}
}

func isSet(q string) bool { return len(q) > 4 && strings.EqualFold(q[:4], "SET ") }

// isEmpty: only comments ("-- ping") or nothing.
func isEmpty(q string) bool {
	for _, line := range strings.Split(q, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line != ";" && !strings.HasPrefix(line, "--") {
			return false
		}
	}
	return true
}

// FixturesRecordings lists the recording sets under root: every directory
// <root>/*/recordings/<set> holding *.jsonl files.
func FixturesRecordings(root string) ([]string, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "*", "recordings", "*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			continue
		}
		if m, _ := filepath.Glob(filepath.Join(d, "*.jsonl")); len(m) > 0 {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out, nil
}
