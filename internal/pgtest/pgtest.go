// Package pgtest runs a throwaway PostgreSQL server for tests: initdb into a
// temporary directory, postgres on a free loopback port, gone when the test
// (or the test binary, see Main) ends.
//
// The superuser "postgres" connects over TCP without a password (trust);
// every other role must authenticate with scram-sha-256, so tests can create
// a role with a password and exercise real authentication failures.
//
// When PostgreSQL is not installed the test is skipped (failed under CI=true)
// through testenv.SkipOrFail.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roachdog/roachdog/internal/testenv"
)

// Bounds on every step, so that a broken installation fails the test instead
// of hanging it.
const (
	initdbTimeout = 2 * time.Minute
	readyTimeout  = 30 * time.Second
	stopTimeout   = 10 * time.Second
	execTimeout   = 30 * time.Second
)

// TLSFiles make a server accept TLS: CertFile and KeyFile are its
// certificate and key (PEM), CAFile the CA whose client certificates it
// accepts. Every role but the superuser then authenticates over TLS with a
// client certificate whose common name is the role (pg_hba "cert"), as
// CockroachDB's certificate login does; without TLS, with its password.
type TLSFiles struct {
	CAFile, CertFile, KeyFile string
}

// Server is one running PostgreSQL server.
type Server struct {
	tls     *TLSFiles // copies in dir, owned by the server's user; nil: no TLS
	binDir  string
	dir     string // temporary root, removed by Stop
	dataDir string
	sockDir string
	logPath string
	port    int
	cred    *credential // nil unless tests run as root

	mu   sync.Mutex
	proc *process // nil while stopped
	gone bool     // Stop ran: dir removed, cannot restart

	templatesMu sync.Mutex
	templates   map[string]*template // by the files loaded, see Fixture
}

// template is a database holding a set of files, loaded once and copied by
// Fixture.
type template struct {
	once sync.Once
	name string
	err  error
}

// process is one postgres postmaster we started.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

// errNotInstalled marks a missing PostgreSQL installation (skip, not fail).
var errNotInstalled = errors.New("PostgreSQL server not installed")

// Start runs a new server for this test and stops it (and removes its files)
// in t.Cleanup. It costs one initdb (about a second): prefer Shared for tests
// that can share a server, and Start for those that stop or restart it.
func Start(t testing.TB) *Server {
	t.Helper()
	return startT(t, nil)
}

// StartTLS is Start for a server that accepts TLS with files (see
// TLSFiles).
func StartTLS(t testing.TB, files TLSFiles) *Server {
	t.Helper()
	return startT(t, &files)
}

func startT(t testing.TB, files *TLSFiles) *Server {
	t.Helper()
	s, err := start(files)
	if err != nil {
		if errors.Is(err, errNotInstalled) {
			testenv.SkipOrFail(t, err.Error())
		}
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

var shared struct {
	mu      sync.Mutex
	inMain  bool
	srv     *Server
	err     error
	started bool
}

// Main runs the package's tests and then stops the server handed out by
// Shared. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	cache.enabled.Store(true)
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	shared.inMain = false
	cache.enabled.Store(false)
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if cache.root != "" {
		os.RemoveAll(cache.root)
		cache.root, cache.dataDir = "", ""
	}
	return code
}

// Shared returns the package's shared server, starting it on first use. It
// requires Main in the package's TestMain (which stops it); tests sharing it
// should each work in their own database (NewDB) and must not stop it.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		t.Fatal("pgtest.Shared needs TestMain to call pgtest.Main (which stops the server)")
	}
	if !shared.started {
		shared.started = true
		shared.srv, shared.err = start(nil)
	}
	if shared.err != nil {
		if errors.Is(shared.err, errNotInstalled) {
			testenv.SkipOrFail(t, shared.err.Error())
		}
		t.Fatalf("pgtest: %v", shared.err)
	}
	return shared.srv
}

func start(files *TLSFiles) (s *Server, err error) {
	binDir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := unprivilegedCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("create temporary directory: %w", err)
	}
	s = &Server{
		binDir:  binDir,
		dir:     dir,
		dataDir: filepath.Join(dir, "data"),
		sockDir: filepath.Join(dir, "sock"),
		logPath: filepath.Join(dir, "postgres.log"),
		cred:    cred,
	}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	if err := os.Mkdir(s.sockDir, 0o700); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	if cred != nil {
		// postgres refuses to run as root: the unprivileged user must own
		// everything it writes.
		for _, p := range []string{dir, s.sockDir} {
			if err := os.Chown(p, int(cred.uid), int(cred.gid)); err != nil {
				return nil, fmt.Errorf("chown %s to uid %d: %w", p, cred.uid, err)
			}
		}
	}
	if files != nil {
		if s.tls, err = s.copyTLSFiles(*files); err != nil {
			return nil, err
		}
	}
	if err := s.initdb(); err != nil {
		return nil, err
	}
	// A port picked by the kernel can be taken again before postgres binds
	// it; try a few.
	for attempt := 1; ; attempt++ {
		s.port, err = freePort()
		if err != nil {
			return nil, err
		}
		if err = s.startProcess(); err == nil {
			return s, nil
		}
		if attempt == 3 {
			return nil, err
		}
	}
}

// findBinDir finds the directory holding initdb and postgres: PATH first,
// then the highest /usr/lib/postgresql/<version>/bin (Debian and Ubuntu do
// not put the server binaries on PATH).
func findBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: no initdb and postgres on PATH or in /usr/lib/postgresql/*/bin (install the postgresql package)", errNotInstalled)
}

// pgMajor extracts the version from ".../postgresql/<version>/bin" for
// ordering; unparsable names sort last.
func pgMajor(binDir string) float64 {
	v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	if err != nil {
		return -1
	}
	return v
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.binDir, name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	setProcAttr(cmd, s.cred)
	return cmd
}

// initdb creates the server's data directory: a copy of the one initdb
// made first in this test binary (see Main), or initdb's own.
func (s *Server) initdb() error {
	if src, ok := s.initdbCached(); ok {
		ctx, cancel := context.WithTimeout(context.Background(), initdbTimeout)
		defer cancel()
		// cp -a keeps the modes and owners postgres insists on.
		if out, err := exec.CommandContext(ctx, "cp", "-a", src, s.dataDir).CombinedOutput(); err != nil {
			return fmt.Errorf("copy the initial data directory %s: %w\n%s", src, err, out)
		}
	} else if err := s.runInitdb(s.dataDir); err != nil {
		return err
	}
	return s.writeHBA()
}

// initdbCached returns a data directory fresh from initdb, made once per
// test binary: initdb costs about a second of CPU, a copy a fraction of it.
// Only under Main, which removes it.
func (s *Server) initdbCached() (string, bool) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if !cache.enabled.Load() {
		return "", false
	}
	if !cache.tried {
		cache.tried = true
		// Apart from this server's files, which Stop removes.
		root, err := os.MkdirTemp("", "pgtest-initdb-")
		if err != nil {
			return "", false // each server runs initdb itself
		}
		dir := filepath.Join(root, "data")
		if s.cred != nil {
			err = os.Chown(root, int(s.cred.uid), int(s.cred.gid))
		}
		if err == nil {
			err = s.runInitdb(dir)
		}
		if err != nil {
			os.RemoveAll(root)
			return "", false
		}
		cache.root, cache.dataDir = root, dir
	}
	return cache.dataDir, cache.dataDir != ""
}

// cache is the data directory initdbCached copies.
var cache struct {
	enabled atomic.Bool // under Main
	mu      sync.Mutex
	tried   bool
	root    string // removed by Main
	dataDir string
}

func (s *Server) runInitdb(dataDir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), initdbTimeout)
	defer cancel()
	cmd := s.command(ctx, "initdb",
		"--pgdata="+dataDir, "--username=postgres", "--auth=trust",
		"--no-sync", "--encoding=UTF8", "--locale=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb in %s: %w\n%s", dataDir, err, out)
	}
	return nil
}

// writeHBA writes the server's pg_hba.conf.
func (s *Server) writeHBA() error {
	// The superuser may connect without a password; everybody else needs
	// one, so that tests can exercise authentication failures.
	lines := []string{
		"local all all trust",
		"host all postgres 127.0.0.1/32 trust",
	}
	if s.tls != nil {
		// The first matching line wins: over TLS, a client certificate.
		lines = append(lines, "hostssl all all 127.0.0.1/32 cert")
	}
	lines = append(lines, "host all all 127.0.0.1/32 scram-sha-256", "")
	hba := strings.Join(lines, "\n")
	p := filepath.Join(s.dataDir, "pg_hba.conf")
	if err := os.WriteFile(p, []byte(hba), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if s.cred != nil {
		if err := os.Chown(p, int(s.cred.uid), int(s.cred.gid)); err != nil {
			return fmt.Errorf("chown %s: %w", p, err)
		}
	}
	return nil
}

// startProcess runs postgres directly rather than through pg_ctl: as our
// child it can be killed with the test binary (see setProcAttr), so a
// crashed or timed-out test run leaves no server behind.
func (s *Server) startProcess() error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logf.Close() // the child keeps its own descriptor
	// Not CommandContext: the server outlives this call; Stop ends it.
	cmd := s.command(context.Background(), "postgres",
		"-D", s.dataDir,
		"-p", strconv.Itoa(s.port),
		"-k", s.sockDir,
		"-c", "listen_addresses=127.0.0.1",
		// fsync off for speed; commits still reach the kernel, so they
		// survive Kill (a process crash), not a machine crash.
		"-c", "fsync=off",
		"-c", "full_page_writes=off",
		"-c", "timezone=UTC",
		"-c", "max_connections=50",
		"-c", "shared_buffers=16MB",
	)
	if s.tls != nil {
		cmd.Args = append(cmd.Args, "-c", "ssl=on",
			"-c", "ssl_cert_file="+s.tls.CertFile,
			"-c", "ssl_key_file="+s.tls.KeyFile,
			"-c", "ssl_ca_file="+s.tls.CAFile)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	if err := s.waitReady(p); err != nil {
		s.stopProcess()
		return err
	}
	return nil
}

func (s *Server) waitReady(p *process) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var lastErr error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgconn.Connect(attempt, s.URL("postgres"))
		cancelAttempt()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		lastErr = err
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited during startup (%v); log:\n%s", p.err, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready after %s: %v; log:\n%s", readyTimeout, lastErr, s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// stopProcess performs an immediate shutdown (SIGQUIT, what pg_ctl stop -m
// immediate sends), escalating to SIGKILL if the server does not exit.
func (s *Server) stopProcess() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	quit(p.cmd)
	select {
	case <-p.done:
		return
	case <-time.After(stopTimeout):
	}
	kill(p.cmd)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		// Nothing more can be done; do not hang the test binary.
	}
}

// Stop shuts the server down immediately and removes its files. It is safe
// to call more than once; Start registers it with t.Cleanup.
func (s *Server) Stop() {
	s.stopProcess()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.gone {
		s.gone = true
		os.RemoveAll(s.dir)
	}
}

// Kill stops the server immediately but keeps its data, so that Restart can
// bring it back on the same port (a node or proxy restart as clients see it).
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.stopProcess()
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.stopProcess()
	s.mu.Lock()
	gone := s.gone
	s.mu.Unlock()
	if gone {
		t.Fatal("pgtest: Restart after Stop")
	}
	if err := s.startProcess(); err != nil {
		t.Fatalf("pgtest: restart: %v", err)
	}
}

// copyTLSFiles copies the server's TLS files into its directory, readable
// by the server's user only (postgres refuses a key others can read).
func (s *Server) copyTLSFiles(f TLSFiles) (*TLSFiles, error) {
	out := &TLSFiles{}
	for _, c := range []struct {
		src  string
		dst  *string
		name string
	}{{f.CAFile, &out.CAFile, "ca.crt"}, {f.CertFile, &out.CertFile, "server.crt"}, {f.KeyFile, &out.KeyFile, "server.key"}} {
		b, err := os.ReadFile(c.src)
		if err != nil {
			return nil, fmt.Errorf("TLS file: %w", err)
		}
		p := filepath.Join(s.dir, c.name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", p, err)
		}
		if s.cred != nil {
			if err := os.Chown(p, int(s.cred.uid), int(s.cred.gid)); err != nil {
				return nil, fmt.Errorf("chown %s: %w", p, err)
			}
		}
		*c.dst = p
	}
	return out, nil
}

// Port is the server's TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// URL returns a connection URL for database db as the superuser.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// UserURL returns a connection URL for database db as user with password
// (both URL-escaped).
func (s *Server) UserURL(db, user, password string) string {
	u := fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable",
		escapeUserinfo(user), escapeUserinfo(password), s.port, db)
	return u
}

func escapeUserinfo(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// CreateDB creates database name.
func (s *Server) CreateDB(t testing.TB, name string) {
	t.Helper()
	s.Exec(t, "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
}

var dbSeq atomic.Int64

// NewDB creates a database with a fresh name starting with prefix and returns
// the name: the way tests sharing one server stay out of each other's way.
func (s *Server) NewDB(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s_%d", sanitizeName(prefix), dbSeq.Add(1))
	s.CreateDB(t, name)
	return name
}

// Fixture returns a new database, named from prefix, holding what the SQL
// files at paths create, in order. The files are loaded once per server
// into a template database, which every call with the same paths then
// copies (CREATE DATABASE ... TEMPLATE): a fraction of the cost of loading
// them, so that each test has a database of its own and tests sharing a
// server can run in parallel. A test may change its copy at will; the
// template accepts no connection.
//
// A file that reads the clock (now(), current_timestamp...: expirations
// relative to the present) is loaded into each copy instead, with the
// files after it, so that its times are relative to the test's present,
// not to the template's.
func (s *Server) Fixture(t testing.TB, prefix string, paths ...string) string {
	t.Helper()
	contents := make([]string, len(paths))
	fixed := len(paths) // files before the first that reads the clock
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		contents[i] = string(b)
		if fixed == len(paths) && readsClock(contents[i]) {
			fixed = i
		}
	}
	if fixed == 0 {
		name := s.NewDB(t, prefix)
		s.load(t, name, paths, contents)
		return name
	}
	tmpl, err := s.template(paths[:fixed], contents[:fixed])
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := fmt.Sprintf("%s_%d", sanitizeName(prefix), dbSeq.Add(1))
	s.Exec(t, "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmpl}.Sanitize())
	s.load(t, name, paths[fixed:], contents[fixed:])
	return name
}

// clockRE matches the SQL functions that read the clock.
var clockRE = regexp.MustCompile(`(?i)\b(now\s*\(|current_timestamp|current_date|current_time|localtimestamp|localtime|clock_timestamp|statement_timestamp|transaction_timestamp)`)

func readsClock(sql string) bool { return clockRE.MatchString(sql) }

// load runs the files' contents in database db.
func (s *Server) load(t testing.TB, db string, paths, contents []string) {
	t.Helper()
	for i, c := range contents {
		if err := s.exec(db, c); err != nil {
			t.Fatalf("pgtest: load %s: %v", filepath.Base(paths[i]), err)
		}
	}
}

// template returns the template database holding paths, loading it on
// first use. Different sets load concurrently; callers of one set wait for
// its load.
func (s *Server) template(paths, contents []string) (string, error) {
	key := strings.Join(paths, "\x00")
	s.templatesMu.Lock()
	if s.templates == nil {
		s.templates = map[string]*template{}
	}
	tm := s.templates[key]
	if tm == nil {
		tm = &template{name: fmt.Sprintf("template_%d", dbSeq.Add(1))}
		s.templates[key] = tm
	}
	s.templatesMu.Unlock()
	tm.once.Do(func() { tm.err = s.loadTemplate(tm.name, paths, contents) })
	return tm.name, tm.err
}

func (s *Server) loadTemplate(name string, paths, contents []string) error {
	id := pgx.Identifier{name}.Sanitize()
	if err := s.exec("postgres", "CREATE DATABASE "+id); err != nil {
		return err
	}
	for i, c := range contents {
		if err := s.exec(name, c); err != nil {
			return fmt.Errorf("load %s: %w", filepath.Base(paths[i]), err)
		}
	}
	// No connection may be open on a template while it is copied: refuse
	// them all.
	return s.exec("postgres", "ALTER DATABASE "+id+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
}

func sanitizeName(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if name == "" {
		return "db"
	}
	if len(name) > 40 { // PostgreSQL names stop at 63 bytes
		name = name[:40]
	}
	return name
}

// Exec runs sql (one or more statements, simple protocol) in database db as
// the superuser, failing the test on error.
func (s *Server) Exec(t testing.TB, db, sql string) {
	t.Helper()
	if err := s.exec(db, sql); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

func (s *Server) exec(db, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	conn, err := pgconn.Connect(ctx, s.URL(db))
	if err != nil {
		return fmt.Errorf("connect to database %s: %w", db, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
		return fmt.Errorf("exec in database %s: %w", db, err)
	}
	return nil
}

// LoadFile runs the SQL file at path in database db.
func (s *Server) LoadFile(t testing.TB, db, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := s.exec(db, string(b)); err != nil {
		t.Fatalf("pgtest: load %s: %v", filepath.Base(path), err)
	}
}

// credential is the unprivileged user postgres runs as when tests run as
// root.
type credential struct {
	uid, gid uint32
	name     string
}

func unprivilegedCredential() (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &credential{uid: uint32(uid), gid: uint32(gid), name: name}, nil
	}
	return nil, fmt.Errorf("%w: tests run as root and neither user postgres nor nobody exists to run the server as", errNotInstalled)
}
