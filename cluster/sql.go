package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults of OpenDB.
const (
	// DefaultQueryTimeout bounds every statement, client side (context
	// deadline) and server side (statement_timeout).
	DefaultQueryTimeout = 10 * time.Second
	// DefaultMaxConns is the pool size: roachdog's checks query one at a
	// time per cluster, a few may overlap.
	DefaultMaxConns = 3
	// defaultConnectTimeout applies when the URL sets no connect_timeout.
	defaultConnectTimeout = 5 * time.Second
	applicationName       = "roachdog"
)

// How ServerInfo.Version was learnt.
const (
	VersionFromParameter = "crdb_version"    // the crdb_version ParameterStatus (real CockroachDB)
	VersionFromBuildInfo = "node_build_info" // crdb_internal.node_build_info field 'Version'
	VersionAssumed       = "assumed"         // WithAssumedVersion
)

// ServerInfo describes the SQL server behind a DB.
type ServerInfo struct {
	// IsCockroach is true when the server sent the crdb_version parameter at
	// startup: a real CockroachDB node (PostgreSQL never sends it).
	IsCockroach bool
	// Version is the CockroachDB version the server is or emulates; zero when
	// unknown. Queries choose their shape by it.
	Version Version
	// Raw is the server's own description: the crdb_version string, else
	// node_build_info's Build (or Version) value.
	Raw string
	// Source tells where Version came from: VersionFromParameter,
	// VersionFromBuildInfo, VersionAssumed or "" (unknown).
	Source string
}

// Option tunes OpenDB.
type Option func(*dbOptions)

type dbOptions struct {
	assumed      string
	queryTimeout time.Duration
	maxConns     int
}

// WithAssumedVersion makes the DB report CockroachDB version tag (e.g.
// "v20.2.0") whatever the server says. Meant for tests against PostgreSQL
// loaded with an emulated schema; it does not change what is sent to a real
// CockroachDB server.
func WithAssumedVersion(tag string) Option {
	return func(o *dbOptions) { o.assumed = tag }
}

// WithQueryTimeout sets the per-statement timeout (default
// DefaultQueryTimeout). A caller's earlier context deadline still wins.
func WithQueryTimeout(d time.Duration) Option {
	return func(o *dbOptions) { o.queryTimeout = d }
}

// WithMaxConns sets the pool size (default DefaultMaxConns).
func WithMaxConns(n int) Option {
	return func(o *dbOptions) { o.maxConns = n }
}

// DB is roachdog's SQL access to one cluster: a small pgxpool that
// reconnects after a node or load-balancer restart, a timeout on every
// statement, CockroachDB version detection and errors that never carry the
// password. It is safe for concurrent use.
type DB struct {
	cfg      *pgx.ConnConfig // holds the password: never log it
	redacted string
	secrets  []string // spellings of the password to scrub from errors
	logger   *slog.Logger
	opts     dbOptions
	assumed  Version
	pool     *pgxpool.Pool
	closed   atomic.Bool

	info         atomic.Pointer[ServerInfo]
	warnedUnsafe atomic.Bool
	tls          tlsSettings // names the sql_url parameters in TLS hints
}

// OpenDB prepares access to the cluster at connURL (a PostgreSQL connection
// URL or key=value string) and makes a first connection to learn what the server
// is. It fails only when url or an option is invalid: an unreachable server
// is logged and retried on the next query (a monitoring sidecar must start
// while the cluster is down); call Ping to insist on a connection. The pool
// runs pgxpool's health check in the background until Close.
func OpenDB(ctx context.Context, connURL string, logger *slog.Logger, opts ...Option) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := dbOptions{queryTimeout: DefaultQueryTimeout, maxConns: DefaultMaxConns}
	for _, opt := range opts {
		opt(&o)
	}
	if o.queryTimeout <= 0 {
		return nil, fmt.Errorf("SQL query timeout must be positive, got %s", o.queryTimeout)
	}
	if o.maxConns < 1 {
		return nil, fmt.Errorf("SQL pool size must be at least 1, got %d", o.maxConns)
	}
	connURL = withSSLMode(connURL, os.Getenv)
	redacted := redactURL(connURL)
	pcfg, err := pgxpool.ParseConfig(connURL)
	if err != nil {
		// pgx masks the password in its message; scrub anyway, and do not
		// wrap: the parse error may keep the raw string.
		return nil, fmt.Errorf("SQL URL %s: %s", redacted, scrub(err.Error(), urlSecrets(connURL)))
	}
	cfg := pcfg.ConnConfig
	db := &DB{
		cfg:      cfg,
		redacted: redacted,
		secrets:  appendSecrets(urlSecrets(connURL), cfg.Password),
		logger:   logger,
		opts:     o,
	}
	if o.assumed != "" {
		if db.assumed, err = ParseVersion(o.assumed); err != nil {
			return nil, fmt.Errorf("assumed version: %w", err)
		}
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	db.tls = db.checkTLS(&cfg.Config)
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = applicationName
	}
	if db.pool, err = db.newPool(ctx, pcfg); err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		logger.Warn("SQL server not reachable yet; retrying on demand", "url", redacted, "err", err)
	}
	return db, nil
}

// Close closes the pool's connections (busy ones when released) and stops
// its health check. Later calls fail with errPoolClosed.
func (db *DB) Close() {
	db.closed.Store(true)
	db.pool.Close()
}

// RedactedURL is the connection URL with the password masked, for messages.
func (db *DB) RedactedURL() string { return db.redacted }

// Server returns what the most recent new connection learnt about the
// server; the zero ServerInfo until a connection succeeded.
func (db *DB) Server() ServerInfo {
	if p := db.info.Load(); p != nil {
		return *p
	}
	if !db.assumed.IsZero() {
		return ServerInfo{Version: db.assumed, Raw: db.assumed.Raw, Source: VersionAssumed}
	}
	return ServerInfo{}
}

// Ping checks that a connection can be made and used.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel, budget := db.withTimeout(ctx)
	defer cancel()
	c, err := db.acquire(ctx)
	if err != nil {
		return db.wrapErr(ctx, budget, err)
	}
	defer c.Release()
	return db.wrapErr(ctx, budget, c.Conn().PgConn().Ping(ctx))
}

// Query runs a query on a pooled connection. The returned rows hold the
// connection until they are closed or fully read: always Close them. Errors,
// from Query and from rows.Err, say when the statement timed out, explain
// permission failures (AccessError) and never contain the password.
func (db *DB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	qctx, cancel, budget := db.withTimeout(ctx)
	c, err := db.acquire(qctx)
	if err != nil {
		err = db.wrapErr(qctx, budget, err)
		cancel()
		return nil, err
	}
	r, err := c.Query(qctx, sql, args...)
	if err != nil {
		err = db.wrapErr(qctx, budget, err)
		c.Release()
		cancel()
		return nil, err
	}
	return &dbRows{Rows: r, db: db, ctx: qctx, budget: budget, done: func() {
		c.Release()
		cancel()
	}}, nil
}

// QueryRow runs a query expected to return at most one row; Scan reports
// pgx.ErrNoRows when there is none.
func (db *DB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := db.Query(ctx, sql, args...)
	return &dbRow{rows: rows, err: err}
}

// Exec runs a statement that returns no rows.
func (db *DB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	ctx, cancel, budget := db.withTimeout(ctx)
	defer cancel()
	c, err := db.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, db.wrapErr(ctx, budget, err)
	}
	defer c.Release()
	tag, err := c.Exec(ctx, sql, args...)
	return tag, db.wrapErr(ctx, budget, err)
}

// withTimeout bounds ctx by the query timeout and returns the resulting
// budget, for "timeout after ..." messages.
func (db *DB) withTimeout(ctx context.Context) (context.Context, context.CancelFunc, time.Duration) {
	budget := db.opts.queryTimeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < budget {
			budget = left
		}
	}
	ctx, cancel := context.WithTimeout(ctx, db.opts.queryTimeout)
	return ctx, cancel, budget
}

// setupSession bounds statements server side, learns the server version
// and, on CockroachDB v25.4+, opens crdb_internal and system to the session.
func (db *DB) setupSession(ctx context.Context, conn *pgx.Conn) error {
	// Server-side twin of the context deadline: the server stops working
	// even if the cancel request is lost. Same syntax on both servers.
	set := fmt.Sprintf("SET statement_timeout = '%dms'", db.opts.queryTimeout.Milliseconds())
	if _, err := conn.Exec(ctx, set); err != nil {
		return fmt.Errorf("connect to %s: set statement_timeout: %w", db.redacted, db.sanitize(err))
	}
	info, real := db.detect(ctx, conn)
	if ctx.Err() != nil {
		return fmt.Errorf("connect to %s: detect server version: %w", db.redacted, ctx.Err())
	}
	// v25.4 added the allow_unsafe_internals gate, v26.1 closes it by
	// default: without it every crdb_internal/system query fails with 42501.
	// Decided on the real version only: an assumed one must not send a SET
	// the server does not know.
	if real.AtLeast(25, 4) {
		if _, err := conn.Exec(ctx, "SET allow_unsafe_internals = on"); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("connect to %s: set allow_unsafe_internals: %w", db.redacted, ctx.Err())
			}
			if !db.warnedUnsafe.Swap(true) {
				db.logger.Warn("cannot enable allow_unsafe_internals; crdb_internal queries will be refused",
					"url", db.redacted, "err", db.sanitize(err))
			}
		}
	}
	db.setInfo(info)
	return nil
}

// detect learns the server from the crdb_version ParameterStatus, which
// CockroachDB sends at startup and PostgreSQL never does; failing that,
// from crdb_internal.node_build_info (present on CockroachDB and in the
// emulated test schemas). It returns the reported info and the real
// CockroachDB version (zero on other servers).
func (db *DB) detect(ctx context.Context, conn *pgx.Conn) (ServerInfo, Version) {
	var info ServerInfo
	var real Version
	if raw := conn.PgConn().ParameterStatus("crdb_version"); raw != "" {
		info = ServerInfo{IsCockroach: true, Raw: raw}
		if _, v, err := ParseBuildString(raw); err == nil {
			info.Version, info.Source, real = v, VersionFromParameter, v
		} else {
			db.logger.Warn("unrecognised crdb_version; version-dependent queries assume the newest shape", "crdb_version", raw)
		}
	} else if db.assumed.IsZero() {
		info = db.buildInfo(ctx, conn)
	}
	if !db.assumed.IsZero() {
		info.Version, info.Source = db.assumed, VersionAssumed
		if info.Raw == "" {
			info.Raw = db.assumed.Raw
		}
	}
	return info, real
}

func (db *DB) buildInfo(ctx context.Context, conn *pgx.Conn) ServerInfo {
	rows, err := conn.Query(ctx, "SELECT field, value FROM crdb_internal.node_build_info WHERE field IN ('Version', 'Build')")
	if err != nil {
		return ServerInfo{}
	}
	var tag, build string
	for rows.Next() {
		var field, value string
		if rows.Scan(&field, &value) != nil {
			break
		}
		if field == "Version" {
			tag = value
		} else {
			build = value
		}
	}
	rows.Close()
	if rows.Err() != nil || tag == "" {
		// Plain PostgreSQL (42P01): nothing to learn.
		return ServerInfo{}
	}
	v, err := ParseVersion(tag)
	if err != nil {
		db.logger.Warn("unrecognised node_build_info Version", "value", tag)
		return ServerInfo{}
	}
	raw := build
	if raw == "" {
		raw = tag
	}
	return ServerInfo{Version: v, Raw: raw, Source: VersionFromBuildInfo}
}

func (db *DB) setInfo(info ServerInfo) {
	old := db.info.Swap(&info)
	if old != nil && *old == info {
		return
	}
	kind := "PostgreSQL"
	if info.IsCockroach {
		kind = "CockroachDB"
	}
	version := "unknown"
	if !info.Version.IsZero() {
		version = info.Version.String()
	}
	db.logger.Info("SQL server", "url", db.redacted, "server", kind, "version", version, "version_source", info.Source)
}

// connectErr rebuilds a connection error without pgconn.ConnectError, whose
// Config carries the password, naming the redacted URL instead.
func (db *DB) connectErr(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		err = ce.Unwrap()
	}
	msg := "connect to " + db.redacted + ": " + scrub(err.Error(), db.secrets)
	if hint := db.connectHint(err); hint != "" {
		msg += "; " + hint
	}
	return &sqlError{msg: msg, err: err}
}

// connectHint says what a TLS or certificate-login failure means and which
// sql_url parameter to check; "" for other errors.
func (db *DB) connectHint(err error) string {
	if h := tlsHint(err, db.tls); h != "" {
		return h
	}
	if db.tls.haveCert && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
		// Over TLS 1.3 the client's handshake ends before the server has
		// checked the client certificate: a server that refuses it sends
		// its alert and closes, and the client, already writing its
		// startup message, may see a reset or an EOF instead of the alert.
		return "the server closed the connection after the TLS handshake, as it does when it refuses the client certificate; check that sslcert and sslkey in sql_url hold a certificate signed by a CA the server trusts, not expired"
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "28000" && strings.Contains(pgErr.Message, "client certificate"):
		// PostgreSQL's pg_hba "cert" line without a certificate.
		return "the server requires a client certificate for this user: set sslcert and sslkey in sql_url to a certificate whose common name is the SQL user"
	case errors.As(err, &pgErr) && strings.Contains(pgErr.Message, "certificate authentication failed"):
		return "the client certificate does not match the SQL user: its common name must be the user in sql_url"
	case strings.Contains(err.Error(), "server refused TLS connection"):
		return "the server does not offer TLS; for an insecure cluster say sslmode=disable in sql_url"
	}
	return ""
}

// defaultSSLMode replaces libpq's default "prefer" (TLS without
// verification, and plain text when the server does not offer TLS) when
// sql_url sets no sslmode: roachdog never implies an insecure setting.
const defaultSSLMode = "verify-full"

var sslModeParamRe = regexp.MustCompile(`(^|[?&\s])sslmode\s*=`)

// withSSLMode adds sslmode=verify-full to a connection string that sets no
// sslmode, unless PGSSLMODE does (pgx reads it as libpq does).
func withSSLMode(conn string, getenv func(string) string) string {
	if getenv("PGSSLMODE") != "" {
		return conn
	}
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		// Only the query counts: a password may hold "&sslmode=".
		if u, err := url.Parse(conn); err == nil {
			if u.Query().Has("sslmode") {
				return conn
			}
		} else if _, q, ok := strings.Cut(conn[strings.LastIndexByte(conn, '@')+1:], "?"); ok && sslModeParamRe.MatchString("?"+q) {
			return conn
		}
		sep := "?"
		if strings.Contains(conn, "?") {
			sep = "&"
		}
		if i := strings.IndexByte(conn, '#'); i >= 0 {
			return conn[:i] + sep + "sslmode=" + defaultSSLMode + conn[i:]
		}
		return conn + sep + "sslmode=" + defaultSSLMode
	}
	if sslModeParamRe.MatchString(conn) {
		return conn
	}
	if strings.TrimSpace(conn) == "" {
		return "sslmode=" + defaultSSLMode
	}
	return conn + " sslmode=" + defaultSSLMode
}

// checkTLS warns about settings that do not protect the connection, makes
// the client certificate go out whenever the server asks (Go sends none
// when the server does not list its CA, which hides the real problem), and
// returns the names of the settings for error hints.
func (db *DB) checkTLS(cfg *pgconn.Config) tlsSettings {
	configs := []*tls.Config{cfg.TLSConfig}
	for _, fb := range cfg.Fallbacks {
		configs = append(configs, fb.TLSConfig)
	}
	plain, verified, unverified := false, false, false
	var roots *x509.CertPool
	for _, tc := range configs {
		switch {
		case tc == nil:
			plain = true
			continue
		case tc.InsecureSkipVerify && tc.VerifyPeerCertificate == nil:
			unverified = true
		default:
			verified = true
		}
		roots = tc.RootCAs
		if len(tc.Certificates) > 0 && tc.GetClientCertificate == nil {
			cert := tc.Certificates[0]
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		}
	}
	switch {
	case plain && (verified || unverified):
		db.logger.Warn("sql_url's sslmode lets the connection fall back to plain text, password included; use sslmode=verify-full with sslrootcert",
			"url", db.redacted)
	case unverified:
		db.logger.Warn("sql_url's sslmode does not verify the server's certificate; anyone in between can read the password; use sslmode=verify-full with sslrootcert",
			"url", db.redacted)
	}
	s := tlsSettings{ca: "sslrootcert in sql_url", cert: "sslcert and sslkey in sql_url",
		nameFix: "use in sql_url a host name or address the certificate lists"}
	if roots == nil {
		s.ca = "sslrootcert in sql_url (unset, so the system's roots)"
	}
	for _, tc := range configs {
		s.haveCert = s.haveCert || (tc != nil && len(tc.Certificates) > 0)
	}
	return s
}

// wrapErr turns a pgx error into roachdog's: timeouts say so, permission
// failures become AccessError, and the password never survives.
func (db *DB) wrapErr(ctx context.Context, budget time.Duration, err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "42501": // insufficient_privilege
			return db.accessError(pgErr)
		case "57014": // query_canceled: server-side statement_timeout
			if strings.Contains(pgErr.Message, "statement timeout") {
				return fmt.Errorf("timeout after %s: %w", budget.Round(time.Millisecond), db.sanitize(err))
			}
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timeout after %s: %w", budget.Round(time.Millisecond), db.sanitize(err))
	}
	return db.sanitize(err)
}

// sanitize returns err, or an error with the same chain but a scrubbed
// message when the message holds the password.
func (db *DB) sanitize(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := scrub(msg, db.secrets); clean != msg {
		return &sqlError{msg: clean, err: err}
	}
	return err
}

// AccessError is a permission failure (SQLSTATE 42501): a configuration
// problem to fix with the statement in Hint, not a transient failure.
type AccessError struct {
	// User is the SQL user roachdog connects as.
	User string
	// Hint is what an admin should run, e.g. "ALTER ROLE roachdog SET
	// allow_unsafe_internals = on".
	Hint string
	Err  *pgconn.PgError
}

func (e *AccessError) Error() string {
	return fmt.Sprintf("SQL user %s is not allowed: %s (SQLSTATE %s); to fix, run as an admin: %s",
		e.User, e.Err.Message, e.Err.Code, e.Hint)
}

func (e *AccessError) Unwrap() error { return e.Err }

func (db *DB) accessError(pgErr *pgconn.PgError) error {
	user := pgx.Identifier{db.cfg.User}.Sanitize()
	var hint string
	v := db.Server().Version
	switch {
	case strings.Contains(pgErr.Message, "crdb_internal and system is restricted"):
		// CockroachDB v25.4+ gate (default closed from v26.1); roachdog sets
		// it per session, so this means the SET was refused.
		hint = "ALTER ROLE " + user + " SET allow_unsafe_internals = on (or add options=-callow_unsafe_internals=true to the SQL URL)"
	case relationDeniedRe.MatchString(pgErr.Message):
		// A table roachdog has no privilege on: a user table (ttl row
		// queries, schema check) or a system table (which cannot be
		// granted one by one).
		m := relationDeniedRe.FindStringSubmatch(pgErr.Message)
		system := "GRANT SYSTEM VIEWSYSTEMTABLE TO " + user + " (it reads every system table; before v23.2: GRANT admin TO " + user + ")"
		if !v.IsZero() && !v.AtLeast(23, 2) {
			system = "GRANT admin TO " + user
		}
		hint = "GRANT " + strings.ToUpper(m[1]) + " ON TABLE " + strings.TrimSpace(m[2]) + " TO " + user +
			" (in the table's database; for a system table: " + system + ")"
	case v.AtLeast(23, 1):
		hint = "GRANT SYSTEM VIEWCLUSTERMETADATA, VIEWACTIVITY, VIEWCLUSTERSETTING, VIEWJOB TO " + user
	case v.AtLeast(22, 2):
		hint = "GRANT SYSTEM VIEWCLUSTERMETADATA, VIEWACTIVITY, VIEWCLUSTERSETTING TO " + user
	case !v.IsZero():
		// Before v22.2 there are no system privileges; the node and liveness
		// tables need the admin role.
		hint = "GRANT admin TO " + user
	default:
		hint = "GRANT SYSTEM VIEWCLUSTERMETADATA, VIEWACTIVITY, VIEWCLUSTERSETTING, VIEWJOB TO " + user +
			" (before v22.2: GRANT admin TO " + user + ")"
	}
	return &AccessError{User: db.cfg.User, Hint: hint, Err: pgErr}
}

// relationDeniedRe matches CockroachDB's refusal to read a table: "user
// roachdog does not have SELECT privilege on relation events" (or "on
// table"). PostgreSQL's "permission denied for table x" is left out on
// purpose: in tests it stands for CockroachDB refusing a crdb_internal
// table, whose remedy is a system privilege.
var relationDeniedRe = regexp.MustCompile(`does not have (\w+) privilege on (?:relation|table) (\S.*)$`)

// sqlError carries a scrubbed message over the original chain, so that
// errors.Is/As (context deadlines, *pgconn.PgError) keep working.
type sqlError struct {
	msg string
	err error
}

func (e *sqlError) Error() string { return e.msg }
func (e *sqlError) Unwrap() error { return e.err }

// dbRows releases its pooled connection when closed or exhausted.
type dbRows struct {
	pgx.Rows
	db     *DB
	ctx    context.Context
	budget time.Duration
	done   func() // nil once released
	err    error  // final error, set on release
}

func (r *dbRows) Next() bool {
	if r.done == nil {
		return false
	}
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *dbRows) Scan(dest ...any) error {
	err := r.Rows.Scan(dest...)
	if err != nil {
		r.Close()
	}
	return err
}

func (r *dbRows) Close() {
	if r.done == nil {
		return
	}
	r.Rows.Close()
	r.err = r.db.wrapErr(r.ctx, r.budget, r.Rows.Err()) // before done() cancels ctx
	r.done()
	r.done = nil
}

func (r *dbRows) Err() error {
	if r.done == nil {
		return r.err
	}
	return r.db.wrapErr(r.ctx, r.budget, r.Rows.Err())
}

// Conn returns nil: the connection belongs to the pool.
func (r *dbRows) Conn() *pgx.Conn { return nil }

type dbRow struct {
	rows pgx.Rows
	err  error
}

func (r *dbRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

const mask = "xxxxx"

// redactURL masks the password of a connection URL or key=value string.
func redactURL(s string) string {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			// net/url refuses some URLs pgx accepts (several hosts:
			// "h1:26257,h2:26257"): mask by hand.
			return redactRawURL(s)
		}
		if u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), mask)
			}
		}
		q := u.Query()
		changed := false
		for k := range q {
			if k == "password" || k == "sslpassword" {
				q.Set(k, mask)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return kvPasswordRe.ReplaceAllString(s, "${1}="+mask)
}

// redactRawURL masks what could be a password in a URL net/url cannot
// parse: everything between the first ':' of the userinfo and its last '@'
// (a raw '@' or '/' in a password must not expose the rest), and password
// parameters.
func redactRawURL(s string) string {
	i := strings.Index(s, "://") + 3
	scheme, rest := s[:i], s[i:]
	query := ""
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest, query = rest[:q], rest[q:]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if colon := strings.IndexByte(rest[:at], ':'); colon >= 0 {
			rest = rest[:colon+1] + mask + rest[at:]
		}
	}
	return scheme + rest + urlPasswordParamRe.ReplaceAllString(query, "${1}="+mask)
}

var urlPasswordParamRe = regexp.MustCompile(`\b(password|sslpassword)=[^&]*`)

var kvPasswordRe = regexp.MustCompile(`\b(password|sslpassword)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// urlSecrets returns the spellings of the password(s) in a connection
// string: raw and escaped, as they could appear in a message.
func urlSecrets(s string) []string {
	var out []string
	if u, err := url.Parse(s); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if p, ok := u.User.Password(); ok {
			out = appendSecrets(out, p)
		}
		for _, k := range []string{"password", "sslpassword"} {
			for _, p := range u.Query()[k] {
				out = appendSecrets(out, p)
			}
		}
		return out
	}
	for _, m := range kvPasswordRe.FindAllStringSubmatch(s, -1) {
		out = appendSecrets(out, strings.Trim(m[2], "'"))
	}
	return out
}

func appendSecrets(list []string, password string) []string {
	if password == "" {
		return list
	}
	for _, form := range []string{password, url.QueryEscape(password), url.PathEscape(password), url.UserPassword("", password).String()[1:]} {
		if form == "" {
			continue
		}
		dup := false
		for _, have := range list {
			dup = dup || have == form
		}
		if !dup {
			list = append(list, form)
		}
	}
	return list
}

// scrub replaces every secret in msg, longest first (an escaped form may
// contain the raw one).
func scrub(msg string, secrets []string) string {
	sorted := append([]string(nil), secrets...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			if len(sorted[j]) > len(sorted[i]) {
				sorted[i], sorted[j] = sorted[j], sorted[i]
			}
		}
	}
	for _, s := range sorted {
		msg = strings.ReplaceAll(msg, s, mask)
	}
	return msg
}
