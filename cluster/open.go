package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Spec says how to reach one cluster: its nodes' status URLs or discovery,
// its SQL URL, the TLS settings of the node HTTP client and the status API
// credentials. `roachdog run`, `health` and `record` all open a cluster
// from one with Open.
type Spec struct {
	// StatusURLs are the nodes' HTTP(S) base URLs: the node list, or
	// discovery's seeds.
	StatusURLs []string
	// SQLURL is the connection string; empty means no SQL (no pool, no
	// discovery).
	SQLURL string
	// RedactedSQLURL names SQLURL in errors; it must hold no password.
	RedactedSQLURL string
	// Discover takes the node list from SQL (it needs SQLURL), with
	// Discovery's options; its Seeds are StatusURLs.
	Discover  bool
	Discovery DiscoveryOptions
	// TLS configures the client for the nodes' HTTP endpoints.
	TLS HTTPOptions
	// APIUser and APIPassword log in to the status endpoints that need a
	// session.
	APIUser, APIPassword string
	// QueryTimeout bounds each statement, server and client side;
	// DefaultQueryTimeout when not positive (see deadline.Statement).
	QueryTimeout time.Duration
	// MaxConns caps the SQL pool; DefaultMaxConns when not positive.
	MaxConns int
}

// Handle is an open cluster. Its fields are set by Open and read-only
// after; Close releases them.
type Handle struct {
	// HTTP reaches the nodes' HTTP endpoints (see NewHTTPClient).
	HTTP *http.Client
	// DB is the SQL pool; nil without Spec.SQLURL.
	DB *DB
	// Source gives the node list: the static status URLs, or discovery.
	// The list it returned last is the one API tries.
	Source Source
	// API reaches the status endpoints that need a session; nil when the
	// spec has neither status URLs nor discovery.
	API *API

	closers []func() // in order
}

// Open opens the cluster spec describes. It fails only on settings that
// cannot work (a malformed SQL URL, unreadable certificates): an
// unreachable cluster is retried by every query and scrape. The logger
// receives the warnings about the TLS settings and, later, discovery's.
func Open(ctx context.Context, spec Spec, logger *slog.Logger) (*Handle, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	warnTLS(spec, logger)
	client, err := NewHTTPClient(spec.TLS)
	if err != nil {
		return nil, err
	}
	h := &Handle{HTTP: client}
	h.closers = append(h.closers, client.CloseIdleConnections)
	var seeds []Node
	for _, u := range spec.StatusURLs {
		seeds = append(seeds, Node{StatusURL: strings.TrimRight(u, "/")})
	}
	h.Source = Static(seeds)
	if spec.SQLURL != "" {
		var opts []Option
		if spec.QueryTimeout > 0 {
			opts = append(opts, WithQueryTimeout(spec.QueryTimeout))
		}
		if spec.MaxConns > 0 {
			opts = append(opts, WithMaxConns(spec.MaxConns))
		}
		h.DB, err = OpenDB(ctx, spec.SQLURL, logger, opts...)
		if err != nil {
			h.Close()
			if spec.RedactedSQLURL != "" {
				return nil, fmt.Errorf("sql_url %s: %w", spec.RedactedSQLURL, err)
			}
			return nil, err
		}
		h.closers = append(h.closers, h.DB.Close)
	}
	if spec.Discover && h.DB != nil {
		o := spec.Discovery
		o.Seeds = spec.StatusURLs
		d := NewDiscovery(h.DB, o, logger)
		// Before the pool closes: a refresh in flight uses it.
		h.closers = append([]func(){d.Close}, h.closers...)
		h.Source = d
	}
	if len(spec.StatusURLs) > 0 || spec.Discover {
		// The status endpoints that need a session (critical_nodes) are
		// tried on the current nodes in order.
		nodes := &lastNodes{Source: h.Source, seeds: spec.StatusURLs}
		h.Source = nodes
		h.API = NewAPI(client, nodes.urls, spec.APIUser, spec.APIPassword)
	}
	return h, nil
}

// Close stops discovery, closes the SQL pool and the idle HTTP
// connections.
func (h *Handle) Close() {
	for _, c := range h.closers {
		c()
	}
}

// warnTLS says what is risky or unused in the TLS settings.
func warnTLS(spec Spec, logger *slog.Logger) {
	t := spec.TLS
	if t.InsecureSkipVerify {
		logger.Warn("tls.insecure_skip_verify is on: the nodes' certificates are not verified")
	}
	if t.CAFile != "" || t.CertFile != "" || t.ServerName != "" {
		https := spec.Discover && strings.EqualFold(spec.Discovery.Scheme, "https")
		for _, u := range spec.StatusURLs {
			https = https || strings.HasPrefix(strings.ToLower(u), "https://")
		}
		if !https {
			logger.Warn("tls is set but no node is reached over HTTPS: use https:// status URLs (with discover: discovery.scheme https)")
		}
	}
}

// lastNodes remembers the node list of the latest call, so that the status
// API client tries the nodes the cluster has now (the status URLs until
// then).
type lastNodes struct {
	Source
	seeds []string
	mu    sync.Mutex
	last  []string
}

func (l *lastNodes) Nodes(ctx context.Context) ([]Node, error) {
	nodes, err := l.Source.Nodes(ctx)
	if len(nodes) > 0 {
		urls := make([]string, len(nodes))
		for i, n := range nodes {
			urls[i] = n.StatusURL
		}
		l.mu.Lock()
		l.last = urls
		l.mu.Unlock()
	}
	return nodes, err
}

func (l *lastNodes) urls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) > 0 {
		return l.last
	}
	return l.seeds
}
