// Package pgwire records and replays PostgreSQL wire-protocol exchanges, so
// that the SQL checks can be tested on the exact bytes a real server sent.
//
// A Proxy sits between a client (roachdog) and a server (CockroachDB or
// PostgreSQL) and writes every message of both directions to a recording:
// JSON lines, one message per line, readable and editable by hand (see
// Entry). A Server answers a client from recordings, as a fake server: it
// matches each statement by its normalized text (and its parameters when
// several executions were recorded) and sends back the recorded row
// descriptions, data rows (byte for byte, in the formats the client asked
// for), command tags and errors.
//
// What is supported: the simple and the extended query protocol (Parse,
// Bind, Describe, Execute, Sync, Close, Flush, Query), cleartext, MD5 and
// SCRAM authentication passed through (secrets are never written), TLS to
// the upstream server. Not supported: COPY, function calls, GSSAPI, TLS
// between the client and the proxy or the replay server (the client must
// use sslmode=disable; both listen on loopback).
package pgwire

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Directions of an Entry.
const (
	FromClient = "client"
	FromServer = "server"
)

// Entry is one recorded message: one line of a recording file. Only the
// fields of its Type are set.
type Entry struct {
	// Conn numbers the client connections of a recording from 1.
	Conn int `json:"conn"`
	// From is FromClient or FromServer.
	From string `json:"from"`
	// Type is the message type as pgproto3 names it: "Parse", "DataRow"...
	Type string `json:"type"`

	// Parse, Describe, Close, Bind: statement or portal name.
	Name string `json:"name,omitempty"`
	// Bind: the prepared statement bound.
	Statement string `json:"statement,omitempty"`
	// Describe, Close: "S" (statement) or "P" (portal).
	Object string `json:"object,omitempty"`
	// Parse, Query: the SQL text.
	Query string `json:"query,omitempty"`
	// Parse: parameter types the client declared; ParameterDescription:
	// those the server inferred.
	ParamOIDs []uint32 `json:"param_oids,omitempty"`
	// Bind: parameter formats, values and the result formats asked for
	// (0 text, 1 binary; one code applies to every column, none means text).
	ParamFormats  []int16  `json:"param_formats,omitempty"`
	Params        []*Value `json:"params,omitempty"`
	ResultFormats []int16  `json:"result_formats,omitempty"`
	// Execute: row limit (0: all).
	MaxRows uint32 `json:"max_rows,omitempty"`
	// RowDescription: the columns, with type OIDs and formats.
	Fields []Field `json:"fields,omitempty"`
	// DataRow: the values, byte for byte.
	Values []*Value `json:"values,omitempty"`
	// CommandComplete: the tag ("SELECT 3").
	Tag string `json:"tag,omitempty"`
	// ErrorResponse, NoticeResponse.
	Error *ErrorFields `json:"error,omitempty"`
	// StartupMessage: parameters (user, database, application_name...).
	Startup map[string]string `json:"startup,omitempty"`
	// ParameterStatus: name and value (crdb_version, server_version...).
	Param string `json:"param,omitempty"`
	Value string `json:"value,omitempty"`
	// ReadyForQuery: transaction status, "I", "T" or "E".
	TxStatus string `json:"tx_status,omitempty"`
	// Authentication messages: the method; password messages are only
	// noted, never written.
	Auth string `json:"auth,omitempty"`
}

// Field is one column of a RowDescription.
type Field struct {
	Name     string `json:"name"`
	TableOID uint32 `json:"table_oid,omitempty"`
	AttNum   uint16 `json:"attnum,omitempty"`
	TypeOID  uint32 `json:"type_oid"`
	TypeSize int16  `json:"type_size"`
	TypeMod  int32  `json:"type_mod"`
	Format   int16  `json:"format"`
}

// Value is one parameter or column value; a nil *Value is SQL NULL. Text
// holds values that are printable UTF-8, Hex every other byte string
// (binary formats): exactly one of them is set, so bytes survive the round
// trip unchanged.
type Value struct {
	Text *string `json:"text,omitempty"`
	Hex  *string `json:"hex,omitempty"`
}

// NewValue encodes b; nil stays NULL.
func NewValue(b []byte) *Value {
	if b == nil {
		return nil
	}
	if printable(b) {
		s := string(b)
		return &Value{Text: &s}
	}
	h := hex.EncodeToString(b)
	return &Value{Hex: &h}
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range string(b) {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

// Bytes decodes v; NULL is nil.
func (v *Value) Bytes() ([]byte, error) {
	switch {
	case v == nil:
		return nil, nil
	case v.Text != nil && v.Hex != nil:
		return nil, errors.New("value has both text and hex")
	case v.Text != nil:
		return []byte(*v.Text), nil
	case v.Hex != nil:
		b, err := hex.DecodeString(*v.Hex)
		if err != nil {
			return nil, fmt.Errorf("hex value: %w", err)
		}
		if b == nil {
			b = []byte{}
		}
		return b, nil
	default:
		return nil, errors.New("value has neither text nor hex (write null for NULL)")
	}
}

// ErrorFields are the fields of an ErrorResponse or NoticeResponse that a
// client acts on.
type ErrorFields struct {
	Severity string `json:"severity,omitempty"`
	Code     string `json:"code"` // SQLSTATE
	Message  string `json:"message"`
	Detail   string `json:"detail,omitempty"`
	Hint     string `json:"hint,omitempty"`
}

func encodeValues(vals [][]byte) []*Value {
	out := make([]*Value, len(vals))
	for i, v := range vals {
		out[i] = NewValue(v)
	}
	return out
}

func decodeValues(vals []*Value) ([][]byte, error) {
	out := make([][]byte, len(vals))
	for i, v := range vals {
		b, err := v.Bytes()
		if err != nil {
			return nil, fmt.Errorf("value %d: %w", i+1, err)
		}
		out[i] = b
	}
	return out, nil
}

func errorFields(e *pgproto3.ErrorResponse) *ErrorFields {
	return &ErrorFields{Severity: e.Severity, Code: e.Code, Message: e.Message, Detail: e.Detail, Hint: e.Hint}
}

// clientEntry turns a frontend message into an Entry. Messages that carry
// secrets are reduced to their type.
func clientEntry(m pgproto3.FrontendMessage) Entry {
	e := Entry{From: FromClient, Type: typeName(m)}
	switch m := m.(type) {
	case *pgproto3.StartupMessage:
		e.Startup = make(map[string]string, len(m.Parameters))
		for k, v := range m.Parameters {
			if strings.EqualFold(k, "password") {
				continue
			}
			e.Startup[k] = v
		}
	case *pgproto3.Parse:
		e.Name, e.Query, e.ParamOIDs = m.Name, m.Query, m.ParameterOIDs
	case *pgproto3.Bind:
		e.Name, e.Statement = m.DestinationPortal, m.PreparedStatement
		e.ParamFormats, e.Params, e.ResultFormats = m.ParameterFormatCodes, encodeValues(m.Parameters), m.ResultFormatCodes
	case *pgproto3.Describe:
		e.Object, e.Name = string(m.ObjectType), m.Name
	case *pgproto3.Close:
		e.Object, e.Name = string(m.ObjectType), m.Name
	case *pgproto3.Execute:
		e.Name, e.MaxRows = m.Portal, m.MaxRows
	case *pgproto3.Query:
		e.Query = m.String
	case *pgproto3.PasswordMessage, *pgproto3.SASLInitialResponse, *pgproto3.SASLResponse, *pgproto3.GSSResponse:
		e.Auth = "redacted"
	}
	return e
}

// serverEntry turns a backend message into an Entry.
func serverEntry(m pgproto3.BackendMessage) Entry {
	e := Entry{From: FromServer, Type: typeName(m)}
	switch m := m.(type) {
	case *pgproto3.ParameterStatus:
		e.Param, e.Value = m.Name, m.Value
	case *pgproto3.ParameterDescription:
		e.ParamOIDs = m.ParameterOIDs
	case *pgproto3.RowDescription:
		e.Fields = make([]Field, len(m.Fields))
		for i, f := range m.Fields {
			e.Fields[i] = Field{Name: string(f.Name), TableOID: f.TableOID, AttNum: f.TableAttributeNumber,
				TypeOID: f.DataTypeOID, TypeSize: f.DataTypeSize, TypeMod: f.TypeModifier, Format: f.Format}
		}
	case *pgproto3.DataRow:
		e.Values = encodeValues(m.Values)
	case *pgproto3.CommandComplete:
		e.Tag = string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		e.Error = errorFields(m)
	case *pgproto3.NoticeResponse:
		e.Error = errorFields((*pgproto3.ErrorResponse)(m))
	case *pgproto3.ReadyForQuery:
		e.TxStatus = string(m.TxStatus)
	case *pgproto3.AuthenticationOk:
		e.Auth = "ok"
	case *pgproto3.AuthenticationCleartextPassword:
		e.Auth = "cleartext"
	case *pgproto3.AuthenticationMD5Password:
		e.Auth = "md5"
	case *pgproto3.AuthenticationSASL:
		e.Auth = "sasl " + strings.Join(m.AuthMechanisms, ",")
	case *pgproto3.AuthenticationSASLContinue, *pgproto3.AuthenticationSASLFinal:
		e.Auth = "sasl (redacted)"
	}
	return e
}

// backendMessage rebuilds the message of a server Entry.
func (e *Entry) backendMessage() (pgproto3.BackendMessage, error) {
	switch e.Type {
	case "ParseComplete":
		return &pgproto3.ParseComplete{}, nil
	case "BindComplete":
		return &pgproto3.BindComplete{}, nil
	case "CloseComplete":
		return &pgproto3.CloseComplete{}, nil
	case "NoData":
		return &pgproto3.NoData{}, nil
	case "EmptyQueryResponse":
		return &pgproto3.EmptyQueryResponse{}, nil
	case "PortalSuspended":
		return &pgproto3.PortalSuspended{}, nil
	case "ParameterDescription":
		return &pgproto3.ParameterDescription{ParameterOIDs: e.ParamOIDs}, nil
	case "ParameterStatus":
		return &pgproto3.ParameterStatus{Name: e.Param, Value: e.Value}, nil
	case "RowDescription":
		fs := make([]pgproto3.FieldDescription, len(e.Fields))
		for i, f := range e.Fields {
			fs[i] = pgproto3.FieldDescription{Name: []byte(f.Name), TableOID: f.TableOID, TableAttributeNumber: f.AttNum,
				DataTypeOID: f.TypeOID, DataTypeSize: f.TypeSize, TypeModifier: f.TypeMod, Format: f.Format}
		}
		return &pgproto3.RowDescription{Fields: fs}, nil
	case "DataRow":
		vals, err := decodeValues(e.Values)
		if err != nil {
			return nil, err
		}
		return &pgproto3.DataRow{Values: vals}, nil
	case "CommandComplete":
		return &pgproto3.CommandComplete{CommandTag: []byte(e.Tag)}, nil
	case "ErrorResponse", "NoticeResponse":
		if e.Error == nil {
			return nil, fmt.Errorf("%s without error fields", e.Type)
		}
		r := pgproto3.ErrorResponse{Severity: e.Error.Severity, SeverityUnlocalized: e.Error.Severity,
			Code: e.Error.Code, Message: e.Error.Message, Detail: e.Error.Detail, Hint: e.Error.Hint}
		if r.Severity == "" {
			r.Severity, r.SeverityUnlocalized = "ERROR", "ERROR"
		}
		if e.Type == "NoticeResponse" {
			n := pgproto3.NoticeResponse(r)
			return &n, nil
		}
		return &r, nil
	case "ReadyForQuery":
		st := byte('I')
		if e.TxStatus != "" {
			st = e.TxStatus[0]
		}
		return &pgproto3.ReadyForQuery{TxStatus: st}, nil
	}
	return nil, fmt.Errorf("server message %q cannot be replayed", e.Type)
}

func typeName(m any) string {
	s := fmt.Sprintf("%T", m)
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// Writer writes a recording, one Entry per line. It is not safe for
// concurrent use; the Proxy serializes its writes.
type Writer struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewWriter writes entries to w.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &Writer{w: bw, enc: enc}
}

// Write adds one entry.
func (w *Writer) Write(e Entry) error { return w.enc.Encode(e) }

// Flush writes buffered entries out.
func (w *Writer) Flush() error { return w.w.Flush() }

// maxLine bounds one line of a recording (a DataRow of a big result).
const maxLine = 64 << 20

// ReadFile reads a recording.
func ReadFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// Read reads recording entries, one JSON object per line; blank lines and
// lines starting with # (comments in hand-written recordings) are skipped.
func Read(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var out []Entry
	line := 0
	for sc.Scan() {
		line++
		b := strings.TrimSpace(sc.Text())
		if b == "" || strings.HasPrefix(b, "#") {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(b))
		dec.DisallowUnknownFields()
		var e Entry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if e.From != FromClient && e.From != FromServer {
			return nil, fmt.Errorf("line %d: from %q: want %q or %q", line, e.From, FromClient, FromServer)
		}
		if e.Type == "" {
			return nil, fmt.Errorf("line %d: no type", line)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return out, nil
}

// NormalizeQuery is the key statements are matched by: the text with runs
// of white space collapsed to one space and trimmed, so that re-indenting
// a query in the Go source does not orphan its recordings, while any other
// change (a cast added, a column renamed) does.
func NormalizeQuery(q string) string { return strings.Join(strings.Fields(q), " ") }
