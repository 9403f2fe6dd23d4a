package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of DiscoveryOptions.
const (
	DefaultHTTPPort        = 8080
	DefaultRefreshInterval = 30 * time.Second
	DefaultStatusTimeout   = 5 * time.Second
	DefaultRefreshTimeout  = 10 * time.Second
	// maxRetryDelay caps the wait before retrying after a failed refresh,
	// so that discovery recovers quickly once SQL is back.
	maxRetryDelay = 5 * time.Second
)

// DiscoveryOptions tunes Discovery.
type DiscoveryOptions struct {
	// Scheme of the status URLs: "http" (default) or "https".
	Scheme string
	// HTTPPort is used for a node whose HTTP port cannot be read from the
	// cluster (crdb_internal.kv_node_status failed); default 8080.
	HTTPPort int
	// RefreshInterval is how long a node list is reused; default 30s.
	RefreshInterval time.Duration
	// StatusTimeout bounds the kv_node_status query that reads the nodes'
	// command lines; default 5s. It is a cluster-wide RPC that can hang on
	// an unhealthy cluster, and discovery does without it.
	StatusTimeout time.Duration
	// RefreshTimeout bounds one refresh (both queries); default 10s.
	// Refreshes run in the background, on their own budget: a slow or
	// hanging SQL endpoint never eats the time of the checks that ask for
	// the node list.
	RefreshTimeout time.Duration
	// Seeds are static status URLs, used until the first successful query
	// and while SQL fails before any success.
	Seeds []string
}

// Discovery finds the cluster's nodes through SQL and follows them as they
// join, restart and are decommissioned. It implements Source and is safe for
// concurrent use.
//
// Each node's status URL is built the way CockroachDB builds its advertised
// HTTP address: --advertise-http-addr when given, else the host of the
// node's advertised RPC address (crdb_internal.gossip_nodes.address) with
// the port of --http-addr / --http-port (8080 when neither is set). The
// flags come from crdb_internal.kv_node_status.args, read only for nodes not
// seen before or restarted since (their started_at changed).
//
// Nodes never waits for SQL once a list is known: a stale list is returned
// at once and refreshed in the background (one refresh at a time, bounded by
// RefreshTimeout). Close stops a refresh in flight.
type Discovery struct {
	db     *DB
	opts   DiscoveryOptions
	seeds  []Node
	logger *slog.Logger
	now    func() time.Time // tests replace it

	// ctx ends with Close; background refreshes run under it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex    // guards the fields below; never held across I/O
	inflight   chan struct{} // closed when the refresh in flight ends; nil when none
	closed     bool
	nodes      []Node // last good list, sorted by ID
	discovered bool
	fetched    time.Time // last successful refresh
	tried      time.Time // last failed refresh
	lastErr    error
	http       map[int]httpEntry // node ID → what its command line says
}

// httpEntry caches a node's HTTP address as read from its command line, for
// the process that started at startedAt.
type httpEntry struct {
	startedAt time.Time
	addr      httpAddr
}

// NewDiscovery returns a Discovery reading db (nil serves the seeds with an
// error). Zero options take their
// defaults; an unknown Scheme is logged and replaced by "http".
func NewDiscovery(db *DB, opts DiscoveryOptions, logger *slog.Logger) *Discovery {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts.Scheme = strings.ToLower(opts.Scheme)
	switch opts.Scheme {
	case "http", "https":
	case "":
		opts.Scheme = "http"
	default:
		logger.Warn("unknown status URL scheme; using http", "scheme", opts.Scheme)
		opts.Scheme = "http"
	}
	if opts.HTTPPort <= 0 || opts.HTTPPort > 65535 {
		opts.HTTPPort = DefaultHTTPPort
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	if opts.StatusTimeout <= 0 {
		opts.StatusTimeout = DefaultStatusTimeout
	}
	if opts.RefreshTimeout <= 0 {
		opts.RefreshTimeout = DefaultRefreshTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Discovery{
		db:     db,
		opts:   opts,
		logger: logger,
		now:    time.Now,
		ctx:    ctx,
		cancel: cancel,
		http:   map[int]httpEntry{},
	}
	for _, s := range opts.Seeds {
		if s = strings.TrimRight(strings.TrimSpace(s), "/"); s != "" {
			d.seeds = append(d.seeds, Node{StatusURL: s})
		}
	}
	return d
}

// Nodes returns the node list. A list older than the refresh interval is
// returned as is while a background refresh re-reads it from SQL. While
// refreshes fail it returns the last good list (the seeds before any
// success) together with the error; after a failure SQL is not retried for
// min(RefreshInterval, 5s).
//
// Only the very first call, before any refresh has ended, waits for the
// refresh: at most half of ctx's remaining time (RefreshTimeout without a
// deadline), so that the caller keeps the other half for its own work. It
// then returns the seeds with an error if the refresh has not ended.
func (d *Discovery) Nodes(ctx context.Context) ([]Node, error) {
	nodes, fresh, err := d.cached()
	if fresh {
		return nodes, err
	}
	done := d.startRefresh()
	d.mu.Lock()
	first := !d.discovered && d.tried.IsZero()
	d.mu.Unlock()
	if !first || done == nil {
		nodes, _, err = d.cached() // the refresh may have just ended
		return nodes, err
	}
	wait := d.opts.RefreshTimeout
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/2)
	}
	if ctx.Err() != nil {
		wait = 0
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
		nodes, _, err = d.cached()
		return nodes, err
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		if err = ctx.Err(); err == nil {
			err = fmt.Errorf("not done after %s", wait.Round(time.Millisecond))
		}
	}
	nodes, _, _ = d.cached()
	return nodes, fmt.Errorf("discover nodes: first refresh %w; using the %d seed URLs meanwhile", err, len(nodes))
}

// Refresh re-reads the node list now (or joins the refresh in flight) and
// waits for it, at most until ctx ends. It returns what Nodes would then.
func (d *Discovery) Refresh(ctx context.Context) ([]Node, error) {
	done := d.startRefresh()
	if done == nil {
		nodes, _, err := d.cached()
		return nodes, errors.Join(err, errDiscoveryClosed)
	}
	select {
	case <-done:
		nodes, _, err := d.cached()
		return nodes, err
	case <-ctx.Done():
		nodes, _, _ := d.cached()
		return nodes, fmt.Errorf("discover nodes: %w", ctx.Err())
	}
}

// Close stops a refresh in flight and waits for it; later calls of Nodes
// serve the last list without refreshing. Safe to call more than once.
func (d *Discovery) Close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
}

var errDiscoveryClosed = errors.New("discover nodes: discovery closed")

// startRefresh starts a background refresh unless one is in flight, and
// returns the channel closed when it ends; nil after Close.
func (d *Discovery) startRefresh() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	if d.inflight != nil {
		return d.inflight
	}
	done := make(chan struct{})
	d.inflight = done
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		ctx, cancel := context.WithTimeout(d.ctx, d.opts.RefreshTimeout)
		defer cancel()
		_, _ = d.refresh(ctx) // recorded in the cache, errors included
		d.mu.Lock()
		d.inflight = nil
		d.mu.Unlock()
		close(done)
	}()
	return done
}

// cached returns the current list and whether it may be served without a
// refresh (with the last error, while failures are being waited out).
func (d *Discovery) cached() (nodes []Node, fresh bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	nodes = d.current()
	if d.lastErr != nil {
		retry := min(d.opts.RefreshInterval, maxRetryDelay)
		return nodes, now.Sub(d.tried) < retry, d.lastErr
	}
	return nodes, d.discovered && now.Sub(d.fetched) < d.opts.RefreshInterval, nil
}

// current returns a copy of the last good list, or of the seeds. d.mu held.
func (d *Discovery) current() []Node {
	src := d.seeds
	if d.discovered {
		src = d.nodes
	}
	out := make([]Node, len(src))
	for i, n := range src {
		n.Locality = slices.Clone(n.Locality)
		out[i] = n
	}
	return out
}

// gossipNode is one row of the discovery query.
type gossipNode struct {
	id         int
	address    string // advertised RPC address, host:port
	locality   string
	startedAt  time.Time
	membership string
}

const gossipQuery = `SELECT n.node_id, n.address, n.locality, n.started_at, COALESCE(l.membership, '')
FROM crdb_internal.gossip_nodes AS n
LEFT JOIN crdb_internal.gossip_liveness AS l ON l.node_id = n.node_id
ORDER BY n.node_id`

// args is JSONB, read as text: the JSON text is what is parsed, and the
// text form does not depend on the binary JSONB encoding of each version.
const argsQuery = `SELECT node_id, args::TEXT FROM crdb_internal.kv_node_status`

func (d *Discovery) refresh(ctx context.Context) ([]Node, error) {
	if d.db == nil {
		err := errors.New("discover nodes: no SQL connection configured")
		d.mu.Lock()
		defer d.mu.Unlock()
		d.lastErr, d.tried = err, d.now()
		return d.current(), err
	}
	rows, err := d.readGossip(ctx)
	if err == nil && len(rows) == 0 {
		err = errors.New("crdb_internal.gossip_nodes returned no nodes")
	}
	if err != nil {
		return d.fail(err)
	}

	d.mu.Lock()
	cache := make(map[int]httpEntry, len(d.http))
	for id, e := range d.http {
		cache[id] = e
	}
	d.mu.Unlock()

	// Read command lines only for nodes new or restarted since last time.
	var need bool
	for _, r := range rows {
		if e, ok := cache[r.id]; !ok || !e.startedAt.Equal(r.startedAt) {
			need = true
			break
		}
	}
	var args map[int]httpAddr
	if need {
		args, err = d.readArgs(ctx)
		if err != nil {
			d.logger.Warn("cannot read node command lines; using the configured HTTP port for new nodes",
				"port", d.opts.HTTPPort, "err", err)
		}
	}

	live := make(map[int]httpEntry, len(rows))
	var nodes []Node
	var decommissioned []int
	for _, r := range rows {
		if r.membership == "decommissioned" {
			decommissioned = append(decommissioned, r.id)
			continue
		}
		host, ok := splitHost(r.address)
		if !ok {
			d.logger.Warn("node has no usable address; skipped", "node", r.id, "address", r.address)
			continue
		}
		var addr httpAddr
		if e, ok := cache[r.id]; ok && e.startedAt.Equal(r.startedAt) {
			addr = e.addr
			live[r.id] = e
		} else if a, ok := args[r.id]; ok {
			addr = a
			live[r.id] = httpEntry{startedAt: r.startedAt, addr: a}
		} else {
			addr = httpAddr{port: strconv.Itoa(d.opts.HTTPPort)} // not cached: retried next refresh
		}
		nodes = append(nodes, Node{
			ID:        r.id,
			StatusURL: d.opts.Scheme + "://" + addr.hostPort(host),
			Locality:  ParseLocality(r.locality),
		})
	}
	if len(nodes) == 0 {
		// Every gossiped node decommissioned or unusable: more likely a
		// broken view than an empty cluster; keep scraping what we had.
		return d.fail(fmt.Errorf("none of the %d gossiped nodes is usable (decommissioned: %v)", len(rows), decommissioned))
	}
	slices.SortFunc(nodes, func(a, b Node) int { return a.ID - b.ID })

	d.mu.Lock()
	prev, had := d.nodes, d.discovered
	recovered := d.lastErr != nil
	d.nodes, d.discovered = nodes, true
	d.fetched, d.lastErr = d.now(), nil
	d.http = live
	out := d.current()
	d.mu.Unlock()

	if recovered {
		d.logger.Info("node discovery recovered")
	}
	d.logChanges(prev, had, nodes, decommissioned)
	return out, nil
}

// fail records a failed refresh and returns the last good list (or the
// seeds) with the error.
func (d *Discovery) fail(err error) ([]Node, error) {
	err = fmt.Errorf("discover nodes via SQL (%s): %w", d.db.RedactedURL(), err)
	if d.ctx.Err() != nil {
		// Closed mid-refresh: says nothing about SQL.
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.current(), err
	}
	d.mu.Lock()
	first := d.lastErr == nil
	d.lastErr, d.tried = err, d.now()
	nodes := d.current()
	d.mu.Unlock()
	if first {
		d.logger.Warn("node discovery failed; keeping the last known nodes", "nodes", len(nodes), "err", err)
	} else {
		d.logger.Debug("node discovery still failing", "err", err)
	}
	return nodes, err
}

func (d *Discovery) readGossip(ctx context.Context) ([]gossipNode, error) {
	rows, err := d.db.Query(ctx, gossipQuery)
	if err != nil {
		return nil, fmt.Errorf("query crdb_internal.gossip_nodes: %w", err)
	}
	defer rows.Close()
	var out []gossipNode
	for rows.Next() {
		var r gossipNode
		var id int64
		if err := rows.Scan(&id, &r.address, &r.locality, &r.startedAt, &r.membership); err != nil {
			return nil, fmt.Errorf("scan crdb_internal.gossip_nodes: %w", err)
		}
		r.id = int(id)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query crdb_internal.gossip_nodes: %w", err)
	}
	return out, nil
}

// readArgs reads every node's command line and extracts its HTTP address.
// A node whose args cannot be decoded is left out (it gets the fallback).
func (d *Discovery) readArgs(ctx context.Context) (map[int]httpAddr, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.StatusTimeout)
	defer cancel()
	rows, err := d.db.Query(ctx, argsQuery)
	if err != nil {
		return nil, fmt.Errorf("query crdb_internal.kv_node_status: %w", err)
	}
	defer rows.Close()
	out := map[int]httpAddr{}
	for rows.Next() {
		var id int64
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, fmt.Errorf("scan crdb_internal.kv_node_status: %w", err)
		}
		var args []string
		if err := json.Unmarshal(raw, &args); err != nil {
			d.logger.Warn("node command line is not a JSON string array; using the configured HTTP port",
				"node", id, "err", err)
			continue
		}
		out[int(id)] = httpAddrFromArgs(args)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query crdb_internal.kv_node_status: %w", err)
	}
	return out, nil
}

func (d *Discovery) logChanges(prev []Node, had bool, next []Node, decommissioned []int) {
	if !had {
		d.logger.Info("discovered nodes", "count", len(next), "nodes", nodeSummary(next))
		return
	}
	old := make(map[int]Node, len(prev))
	for _, n := range prev {
		old[n.ID] = n
	}
	seen := make(map[int]bool, len(next))
	for _, n := range next {
		seen[n.ID] = true
		o, ok := old[n.ID]
		switch {
		case !ok:
			d.logger.Info(fmt.Sprintf("node %d joined: %s", n.ID, n.StatusURL), "node", n.ID, "url", n.StatusURL)
		case o.StatusURL != n.StatusURL:
			d.logger.Info(fmt.Sprintf("node %d moved: %s -> %s", n.ID, o.StatusURL, n.StatusURL), "node", n.ID, "url", n.StatusURL)
		}
	}
	for _, o := range prev {
		if seen[o.ID] {
			continue
		}
		reason := "gone from gossip"
		if slices.Contains(decommissioned, o.ID) {
			reason = "decommissioned"
		}
		d.logger.Info(fmt.Sprintf("node %d left (%s): %s", o.ID, reason, o.StatusURL), "node", o.ID, "url", o.StatusURL)
	}
}

func nodeSummary(nodes []Node) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = fmt.Sprintf("%d=%s", n.ID, n.StatusURL)
	}
	return strings.Join(parts, " ")
}

// httpAddr is what a node's command line says about its advertised HTTP
// address; empty parts are filled in by hostPort.
type httpAddr struct {
	host string // from --advertise-http-addr only
	port string
}

// hostPort completes a with the node's advertised RPC host and the default
// port, the way CockroachDB derives its advertised HTTP address.
func (a httpAddr) hostPort(rpcHost string) string {
	host, port := a.host, a.port
	if host == "" || isUnspecified(host) {
		host = rpcHost
	}
	if port == "" {
		port = strconv.Itoa(DefaultHTTPPort)
	}
	return net.JoinHostPort(host, port)
}

// httpAddrFromArgs reads the HTTP flags of a cockroach command line. Flags
// are accepted as --flag=value and --flag value; the last occurrence wins,
// as in CockroachDB's flag parser; "--" ends the flags. The host of
// --http-addr (a listen address) is not used: CockroachDB advertises the
// --advertise-addr host with the --http-addr port unless
// --advertise-http-addr says otherwise.
func httpAddrFromArgs(args []string) httpAddr {
	var listenPort, httpPort string
	var adv *httpAddr
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(a, "=")
		switch name {
		case "--http-addr", "--advertise-http-addr", "--http-port":
		default:
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				continue // flag without its value: ignore
			}
			i++
			value = args[i]
		}
		switch name {
		case "--http-addr":
			_, listenPort = splitHostPort(value)
		case "--http-port":
			httpPort = value
		case "--advertise-http-addr":
			h, p := splitHostPort(value)
			adv = &httpAddr{host: h, port: p}
		}
	}
	// --http-port overrides the port part of --http-addr (deprecated flag).
	port := listenPort
	if httpPort != "" {
		port = httpPort
	}
	if adv != nil {
		if adv.port == "" {
			adv.port = port
		}
		return *adv
	}
	return httpAddr{port: port}
}

// splitHostPort splits "host:port", "host", ":port", "[v6]:port" or
// "[v6]", returning empty parts where absent.
func splitHostPort(s string) (host, port string) {
	if h, p, err := net.SplitHostPort(s); err == nil {
		return h, p
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), ""
}

// splitHost returns the host of an advertised address ("roach1:26257",
// "[::1]:26257", "10.0.0.1").
func splitHost(addr string) (string, bool) {
	h, _ := splitHostPort(strings.TrimSpace(addr))
	return h, h != ""
}

func isUnspecified(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}
