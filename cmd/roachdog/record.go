package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/exporter"
	"github.com/roachdog/roachdog/internal/pgwire"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// recordChecks are the SQL checks `roachdog record` runs, in order.
var recordChecks = []string{"liveness", "ranges", "jobs", "ttl", "schema"}

// recordCluster is the cluster tag of recorded datagrams.
const recordCluster = "recorded"

// recordManifest describes a recorded set (manifest.json).
type recordManifest struct {
	Roachdog string `json:"roachdog"`
	// Server is the crdb_version (or server_version) the server announced.
	Server string `json:"server"`
	// Checks maps each recorded check to the clock it ran with: a replay
	// runs it with the same clock, so ages and windows come out the same.
	Checks map[string]time.Time `json:"checks"`
}

type recordFlags struct {
	sqlURL  string
	dir     string
	checks  string
	timeout time.Duration
	listen  string
}

func cmdRecord(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f recordFlags
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.sqlURL, "sql-url", "", "the cluster's SQL URL, as sql_url in the configuration (password: PGPASSWORD)")
	fs.StringVar(&f.dir, "dir", "", "directory to write the recordings to (created)")
	fs.StringVar(&f.checks, "checks", strings.Join(recordChecks, ","), "checks to record, comma-separated")
	fs.DurationVar(&f.timeout, "timeout", time.Minute, "deadline of each check's run")
	fs.StringVar(&f.listen, "listen", "", "proxy mode: listen on this loopback address and record every client's session to DIR/session.jsonl until interrupted")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || f.sqlURL == "" || f.dir == "" || f.timeout <= 0 {
		fmt.Fprintln(stderr, "usage: roachdog record --sql-url URL --dir DIR [--checks liveness,ranges,jobs,ttl,schema] [--timeout 1m]")
		fmt.Fprintln(stderr, "       roachdog record --sql-url URL --dir DIR --listen 127.0.0.1:26258")
		return errUsage
	}
	var names []string
	for _, n := range strings.Split(f.checks, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(recordChecks, n) {
			fmt.Fprintf(stderr, "record: unknown check %q (want some of %s)\n", n, strings.Join(recordChecks, ", "))
			return errUsage
		}
		names = append(names, n)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	up, err := parseUpstream(f.sqlURL)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", f.dir, err)
	}
	if f.listen != "" {
		return recordSessions(ctx, up, f.listen, f.dir, stdout, logger)
	}
	v, _ := buildVersion()
	man := recordManifest{Roachdog: v, Checks: map[string]time.Time{}}
	var failed []error
	for _, name := range names {
		now := time.Now().UTC().Truncate(time.Microsecond)
		server, runErr, err := recordOne(ctx, up, name, f.dir, now, f.timeout, logger)
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if runErr != nil {
			// Recorded all the same: a failure is worth replaying.
			failed = append(failed, fmt.Errorf("%s failed (recorded all the same): %w", name, runErr))
		}
		man.Checks[name] = now
		if man.Server == "" {
			man.Server = server
		}
		fmt.Fprintf(stdout, "recorded %s: %s, %s\n", name,
			filepath.Join(f.dir, name+".jsonl"), filepath.Join(f.dir, name+".datagrams"))
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(f.dir, "manifest.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return errors.Join(failed...)
}

// recordSessions is the proxy mode: every connection made to listen (by
// `roachdog run --once`, psql...) is recorded to DIR/session.jsonl until
// ctx ends (SIGINT, SIGTERM). The proxy accepts plain TCP only, so it
// listens on loopback addresses only.
func recordSessions(ctx context.Context, up *upstream, listen, dir string, stdout io.Writer, logger *slog.Logger) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--listen %s: not a loopback address (clients reach the proxy without TLS)", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	path := filepath.Join(dir, "session.jsonl")
	f, err := os.Create(path)
	if err != nil {
		ln.Close()
		return err
	}
	defer f.Close()
	p := up.proxy
	p.Rec = pgwire.NewRecorder(f)
	p.Logger = logger
	fmt.Fprintf(stdout, "recording to %s; point sql_url at %s (sslmode=disable); interrupt to stop\n",
		path, yamlx.RedactURLText(up.clientOf(ln.Addr().String())))
	serveErr := p.Serve(ctx, ln)
	if err := p.Rec.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return serveErr
}

// upstream is where the recording proxy connects, and how roachdog
// connects to the proxy.
type upstream struct {
	addr     string
	proxy    pgwire.Proxy // Upstream and TLS set
	clientOf func(proxyAddr string) string
}

// parseUpstream reads a SQL URL as pgx would (sslmode, sslrootcert,
// sslcert, sslkey, PGPASSWORD...): the proxy takes its address and TLS
// settings; roachdog reaches the proxy in plain TCP on loopback with the
// same user, password, database and runtime parameters.
func parseUpstream(sqlURL string) (*upstream, error) {
	if !strings.HasPrefix(sqlURL, "postgres://") && !strings.HasPrefix(sqlURL, "postgresql://") {
		// Not echoed: a key=value string may hold a password.
		return nil, errors.New("--sql-url: want a postgresql:// URL")
	}
	redacted := yamlx.RedactURLText(sqlURL)
	cfg, err := pgconn.ParseConfig(sqlURL)
	if err != nil {
		// pgconn masks the password in its parse errors.
		return nil, fmt.Errorf("--sql-url %s: %w", redacted, err)
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		return nil, fmt.Errorf("--sql-url %s: Unix sockets are not supported; give a host", redacted)
	}
	up := &upstream{addr: addr}
	up.proxy.Upstream = addr
	up.proxy.TLS = cfg.TLSConfig
	for _, fb := range cfg.Fallbacks {
		if fb.TLSConfig == nil && fb.Host == cfg.Host && fb.Port == cfg.Port {
			up.proxy.TLSFallback = true
		}
	}
	user, password, database := cfg.User, cfg.Password, cfg.Database
	params := cfg.RuntimeParams
	up.clientOf = func(proxyAddr string) string {
		u := url.URL{Scheme: "postgres", Host: proxyAddr, Path: "/" + database}
		if password != "" {
			u.User = url.UserPassword(user, password)
		} else {
			u.User = url.User(user)
		}
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		q.Set("sslmode", "disable")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return up, nil
}

// recordOne runs one check through a recording proxy of its own: the
// wire exchanges go to DIR/<check>.jsonl, the datagrams the check produced
// to DIR/<check>.datagrams. It returns the server's version string and
// the check's own failure (runErr) apart from failures to record (err).
func recordOne(ctx context.Context, up *upstream, name, dir string, now time.Time, timeout time.Duration, logger *slog.Logger) (server string, runErr, err error) {
	wire, err := os.Create(filepath.Join(dir, name+".jsonl"))
	if err != nil {
		return "", nil, err
	}
	defer wire.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	p := up.proxy
	p.Rec = pgwire.NewRecorder(wire)
	p.Logger = logger
	pctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- p.Serve(pctx, ln) }()

	var out strings.Builder
	server, runErr = runRecordedCheck(ctx, name, up.clientOf(ln.Addr().String()), now, timeout, &out, logger)
	stop()
	serveErr := <-served
	if err := p.Rec.Flush(); err != nil {
		return "", nil, fmt.Errorf("write recording: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".datagrams"), []byte(out.String()), 0o644); err != nil {
		return "", nil, err
	}
	return server, runErr, serveErr
}

// newRecordCheck builds a recorded check with its default options and a
// fixed clock, the same way for recording and replay.
func newRecordCheck(name string, now time.Time) (checks.Check, error) {
	clock := func() time.Time { return now }
	switch name {
	case "liveness":
		return checks.NewLiveness(checks.LivenessOptions{Now: clock})
	case "ranges":
		return checks.NewRanges(checks.RangesOptions{Now: clock})
	case "jobs":
		return checks.NewJobs(checks.JobsOptions{Now: clock})
	case "ttl":
		return checks.NewTTL(checks.TTLOptions{Now: clock})
	case "schema":
		return checks.NewSchema(checks.SchemaOptions{Now: clock})
	}
	return nil, fmt.Errorf("unknown check %q", name)
}

// runRecordedCheck runs check name once against sqlURL and writes its
// datagrams to w, as `roachdog run --once --dry-run` prints them. It
// returns the server's version string.
func runRecordedCheck(ctx context.Context, name, sqlURL string, now time.Time, timeout time.Duration, w io.Writer, logger *slog.Logger) (string, error) {
	c, err := newRecordCheck(name, now)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	h, err := cluster.Open(ctx, cluster.Spec{SQLURL: sqlURL}, logger.With("check", name))
	if err != nil {
		return "", err
	}
	defer h.Close()
	sink := exporter.NewText(w, "crdb", []string{"cluster:" + recordCluster})
	target := &checks.Target{Cluster: recordCluster, SQL: h.DB, Logger: logger.With("check", name)}
	runErr := c.Run(ctx, target, sink)
	if err := sink.Err(); err != nil {
		return "", err
	}
	return h.DB.Server().Raw, runErr
}
