package checks

// The liveness check reads every node's liveness record over SQL and
// derives its state in CockroachDB's order (NodeVitality.LivenessStatus;
// see livenessState for the one deliberate difference):
// live, suspect (expired, not yet dead), dead, draining, decommissioning or
// decommissioned. It sends the count per state, a 0/1 gauge per node and
// state, an event on every transition and the cluster.nodes_live service
// check.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// LivenessOptions configures the liveness check.
type LivenessOptions struct {
	// ExpectedNodes is how many nodes the cluster should have; 0 means not
	// configured. When set it is sent as nodes.expected, and fewer nodes up
	// (live, draining or suspect) than expected makes cluster.nodes_live
	// CRITICAL.
	ExpectedNodes int
	// Now is the clock for bookkeeping: forgetting absent nodes and
	// re-reading server.time_until_store_dead. States themselves are derived
	// against the cluster's own now(), read in the same query as the
	// records, so a skewed roachdog host cannot make live nodes look
	// expired. Default time.Now.
	Now func() time.Time
	// ForgetAfter drops the remembered state of a node absent from the
	// liveness records for that long (a decommissioned node purged from
	// gossip); default 1h.
	ForgetAfter time.Duration
}

func init() {
	Register(Registration[LivenessOptions]{
		Name: livenessCheckName, SQL: true, Timeout: 10 * time.Second,
		Doc: "node states from `crdb_internal.kv_node_liveness`",
		Keys: []yamlx.Key[LivenessOptions]{{
			Name: "expected_nodes", Default: "0",
			Doc: "nodes the cluster should have: sent as `crdb.nodes.expected`; fewer up (live, draining or suspect) makes `crdb.cluster.nodes_live` CRITICAL; 0 is off",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *LivenessOptions) {
				d.IntIn(v, p, 0, 10_000, &o.ExpectedNodes)
			},
		}},
		New: func(o LivenessOptions, _ Schedule) (Check, error) { return NewLiveness(o) },
		Log: func(o LivenessOptions) []slog.Attr { return []slog.Attr{slog.Int("expected_nodes", o.ExpectedNodes)} },
	})
}

// Liveness states, in the contract's order.
const (
	livenessLive            = "live"
	livenessSuspect         = "suspect"
	livenessDead            = "dead"
	livenessDraining        = "draining"
	livenessDecommissioning = "decommissioning"
	livenessDecommissioned  = "decommissioned"
)

var livenessStates = []string{
	livenessLive, livenessSuspect, livenessDead,
	livenessDraining, livenessDecommissioning, livenessDecommissioned,
}

const (
	livenessCheckName = "liveness"
	// livenessDefaultStoreDead is server.time_until_store_dead's default,
	// used when the setting cannot be read.
	livenessDefaultStoreDead = 5 * time.Minute
	// livenessSettingRefresh spaces reads of the setting: it rarely changes.
	livenessSettingRefresh = 10 * time.Minute
	livenessDefaultForget  = time.Hour

	livenessKVQuery = `SELECT node_id, expiration, draining, membership, now() FROM crdb_internal.kv_node_liveness`
	// gossip_liveness is the gateway's gossip view (may lag by seconds);
	// it is the only SQL source on versions without kv_node_liveness.
	livenessGossipQuery = `SELECT node_id, expiration, draining, membership, now() FROM crdb_internal.gossip_liveness`
	// SHOW CLUSTER SETTING needs VIEWCLUSTERSETTING (or MODIFYCLUSTERSETTING)
	// and is allowed on v26.1 without allow_unsafe_internals.
	livenessShowSetting = `SHOW CLUSTER SETTING server.time_until_store_dead`
	// The table works on PostgreSQL (tests) and on CockroachDB with the
	// same privilege; its value is a Go duration string ("1m15s").
	livenessSettingTable = `SELECT value FROM crdb_internal.cluster_settings WHERE variable = 'server.time_until_store_dead'`
)

// Liveness is the liveness check. One Liveness serves one cluster.
type Liveness struct {
	expected    int
	now         func() time.Time
	forgetAfter time.Duration

	// nodes is the last known state per node id.
	nodes map[int64]*livenessNode
	// seeded is set after the first successful cycle: states found then are
	// initial states, not transitions.
	seeded bool

	storeDead     time.Duration // server.time_until_store_dead, as last read
	storeDeadRead time.Time     // when it was read; zero: never
	storeDeadWarn bool          // "using the default" logged

	// gossipFor is the server version for which kv_node_liveness was found
	// missing; reads go to gossip_liveness until the version changes (an
	// upgrade can bring the table).
	gossipFor   *cluster.Version
	gossipNoted bool
}

type livenessNode struct {
	state    string
	lastSeen time.Time
}

// livenessRecord is one row of the liveness table.
type livenessRecord struct {
	NodeID     int64
	Expiration time.Time
	Draining   bool
	Membership string
}

var _ Check = (*Liveness)(nil)

// NewLiveness validates the options and builds the check.
func NewLiveness(o LivenessOptions) (*Liveness, error) {
	if o.ExpectedNodes < 0 {
		return nil, fmt.Errorf("liveness: expected nodes %d is negative", o.ExpectedNodes)
	}
	if o.ForgetAfter < 0 {
		return nil, fmt.Errorf("liveness: forget after %s is negative", o.ForgetAfter)
	}
	l := &Liveness{
		expected:    o.ExpectedNodes,
		now:         o.Now,
		forgetAfter: o.ForgetAfter,
		nodes:       map[int64]*livenessNode{},
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.forgetAfter == 0 {
		l.forgetAfter = livenessDefaultForget
	}
	return l, nil
}

// Name returns "liveness".
func (l *Liveness) Name() string { return livenessCheckName }

// Run reads the liveness records once and reports them.
func (l *Liveness) Run(ctx context.Context, t *Target, s Sink) error {
	if t.SQL == nil {
		return errNoSQL
	}
	logger := t.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	storeDead, settingErr := l.timeUntilStoreDead(ctx, t.SQL, logger)
	records, dbNow, err := l.read(ctx, t.SQL, logger)
	if err != nil {
		logger.Error("read node liveness", "err", err)
		reportQuery(s, livenessCheckName, errors.Join(err, settingErr))
		livenessNodesLive.Send(s, Unknown, errorMessage("cannot read node liveness: "+err.Error()))
		return err
	}
	reportQuery(s, livenessCheckName, settingErr)
	l.report(t, s, logger, records, dbNow, storeDead)
	return nil
}

// read returns the liveness records and the cluster's now().
func (l *Liveness) read(ctx context.Context, db *cluster.DB, logger *slog.Logger) ([]livenessRecord, time.Time, error) {
	v := db.Server().Version
	if l.gossipFor != nil && *l.gossipFor != v {
		l.gossipFor = nil // version changed: look for kv_node_liveness again
	}
	// kv_node_liveness is absent from v20.2 (real capture: SQLSTATE 42P01)
	// and listed in the v21.x docs, release not pinned: from v21.1 (or an
	// unknown version) it is tried first, and a 42P01 falls back.
	if !l.usesGossip(v) {
		recs, now, err := livenessQuery(ctx, db, livenessKVQuery)
		if err == nil || !isUndefinedTable(err) {
			if err != nil {
				err = fmt.Errorf("query crdb_internal.kv_node_liveness: %w", err)
			}
			return recs, now, err
		}
		l.gossipFor = &v
	}
	if !l.gossipNoted {
		l.gossipNoted = true
		logger.Info("crdb_internal.kv_node_liveness does not exist on this version; reading crdb_internal.gossip_liveness (the gateway node's gossip view, which can lag by a few seconds)",
			"version", v.String())
	}
	recs, now, err := livenessQuery(ctx, db, livenessGossipQuery)
	if err != nil {
		err = fmt.Errorf("query crdb_internal.gossip_liveness: %w", err)
	}
	return recs, now, err
}

// usesGossip reports whether read goes to gossip_liveness on version v.
func (l *Liveness) usesGossip(v cluster.Version) bool {
	return l.gossipFor != nil || (!v.IsZero() && !v.AtLeast(21, 1))
}

func livenessQuery(ctx context.Context, db *cluster.DB, query string) ([]livenessRecord, time.Time, error) {
	rows, err := db.Query(ctx, query)
	if err != nil {
		return nil, time.Time{}, err
	}
	var now time.Time
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (livenessRecord, error) {
		var (
			r   livenessRecord
			exp string
		)
		if err := row.Scan(&r.NodeID, &exp, &r.Draining, &r.Membership, &now); err != nil {
			return r, fmt.Errorf("scan: %w", err)
		}
		var err error
		if r.Expiration, err = parseHLC(exp); err != nil {
			return r, fmt.Errorf("node %d: %w", r.NodeID, err)
		}
		return r, nil
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(recs) == 0 {
		// now() came with no row; ask for it alone.
		if err := db.QueryRow(ctx, "SELECT now()").Scan(&now); err != nil {
			return nil, time.Time{}, fmt.Errorf("read now(): %w", err)
		}
	}
	return recs, now, nil
}

func isUndefinedTable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42P01"
}

// parseHLC parses an HLC timestamp as CockroachDB prints it:
// "<seconds>.<nanos>,<logical>" (hlc.Timestamp.String, e.g.
// "1795315514.749737273,0"; a trailing "?" marks a synthetic timestamp).
// A whole number without a dot is accepted too: as wall nanoseconds when it
// is that large, else as seconds.
func parseHLC(s string) (time.Time, error) {
	wall, _, _ := strings.Cut(strings.TrimSpace(s), ",")
	wall = strings.TrimSuffix(wall, "?")
	secs, frac, hasDot := strings.Cut(wall, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, fmt.Errorf("parse liveness expiration %q: want <seconds>.<nanos>,<logical>", truncateText(s, 64))
	}
	if !hasDot {
		// 1e14 s is year ~3 million; 1e14 ns is 1970-01-02: no overlap.
		if sec >= 1e14 {
			return time.Unix(0, sec), nil
		}
		return time.Unix(sec, 0), nil
	}
	if frac == "" || len(frac) > 9 {
		return time.Time{}, fmt.Errorf("parse liveness expiration %q: want up to 9 digits of nanoseconds", truncateText(s, 64))
	}
	ns, err := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	if err != nil || ns < 0 {
		return time.Time{}, fmt.Errorf("parse liveness expiration %q: bad nanoseconds", truncateText(s, 64))
	}
	return time.Unix(sec, ns), nil
}

// livenessState derives a node's state in CockroachDB's order
// (NodeVitality.LivenessStatus): health first, membership second.
//   - dead (expired for time_until_store_dead or longer): decommissioned when
//     membership is not active, else dead;
//   - live (not expired): decommissioning when membership is not active
//     (CockroachDB says DECOMMISSIONING even once membership reads
//     decommissioned, while the process still heartbeats), else draining
//     when draining, else live;
//   - expired, not yet dead: suspect. One deliberate difference: a node whose
//     membership is already decommissioned is reported decommissioned, not
//     suspect: stopping a node after its decommission finished would
//     otherwise page "node suspect" for every planned removal.
//
// A node that crashes mid-decommission therefore shows suspect, then
// decommissioned once dead, as the DB Console shows it.
func livenessState(r livenessRecord, now time.Time, storeDead time.Duration) string {
	active := r.Membership == "" || r.Membership == "active"
	switch {
	case now.Sub(r.Expiration) >= storeDead:
		if !active {
			return livenessDecommissioned
		}
		return livenessDead
	case r.Expiration.After(now):
		switch {
		case !active:
			return livenessDecommissioning
		case r.Draining:
			return livenessDraining
		}
		return livenessLive
	case r.Membership == "decommissioned":
		return livenessDecommissioned
	default:
		return livenessSuspect
	}
}

// timeUntilStoreDead returns server.time_until_store_dead, re-read every
// livenessSettingRefresh. When it cannot be read it returns the last known
// value (the default at first) and the error.
func (l *Liveness) timeUntilStoreDead(ctx context.Context, db *cluster.DB, logger *slog.Logger) (time.Duration, error) {
	now := l.now()
	if !l.storeDeadRead.IsZero() && now.Sub(l.storeDeadRead) < livenessSettingRefresh && now.After(l.storeDeadRead) {
		return l.storeDead, nil
	}
	if l.storeDead == 0 {
		l.storeDead = livenessDefaultStoreDead
	}
	d, err := readStoreDead(ctx, db)
	if err != nil {
		err = fmt.Errorf("read server.time_until_store_dead (assuming %s): %w", l.storeDead, err)
		logger.Warn("cannot read server.time_until_store_dead", "assuming", l.storeDead, "err", err)
		return l.storeDead, err
	}
	if d <= 0 {
		if !l.storeDeadWarn {
			l.storeDeadWarn = true
			logger.Warn("server.time_until_store_dead not found; assuming the default", "assuming", livenessDefaultStoreDead)
		}
		d = livenessDefaultStoreDead
	}
	l.storeDead, l.storeDeadRead = d, now
	return d, nil
}

// readStoreDead returns the setting, or 0 when no row holds it.
func readStoreDead(ctx context.Context, db *cluster.DB) (time.Duration, error) {
	var showErr error
	if db.Server().IsCockroach {
		var iv pgtype.Interval
		err := db.QueryRow(ctx, livenessShowSetting).Scan(&iv)
		if err == nil {
			if !iv.Valid {
				return 0, nil
			}
			return time.Duration(iv.Microseconds)*time.Microsecond +
				time.Duration(iv.Days)*24*time.Hour + time.Duration(iv.Months)*30*24*time.Hour, nil
		}
		if ctx.Err() != nil {
			return 0, err
		}
		showErr = fmt.Errorf("SHOW CLUSTER SETTING: %w", err)
	}
	values, err := queryRows(ctx, db, "crdb_internal.cluster_settings", scanPrefixed(pgx.RowTo[string]), livenessSettingTable)
	if err != nil {
		return 0, errors.Join(showErr, err)
	}
	if len(values) == 0 {
		return 0, nil
	}
	value := values[len(values)-1]
	d, err := time.ParseDuration(strings.TrimSpace(value))
	if err != nil {
		return 0, fmt.Errorf("crdb_internal.cluster_settings: value %q: %w", value, err)
	}
	return d, nil
}

// report sends the gauges, the events and the service check of one cycle.
func (l *Liveness) report(t *Target, s Sink, logger *slog.Logger, recs []livenessRecord, dbNow time.Time, storeDead time.Duration) {
	sort.Slice(recs, func(i, j int) bool { return recs[i].NodeID < recs[j].NodeID })
	counts := make(map[string]int, len(livenessStates))
	byState := make(map[string][]int64, len(livenessStates))
	seen := make(map[int64]bool, len(recs))
	bookNow := l.now()
	for _, r := range recs {
		if seen[r.NodeID] {
			continue // one record per node; a duplicate would double count
		}
		seen[r.NodeID] = true
		state := livenessState(r, dbNow, storeDead)
		counts[state]++
		byState[state] = append(byState[state], r.NodeID)
		id := strconv.FormatInt(r.NodeID, 10)
		for _, st := range livenessStates {
			v := 0.0
			if st == state {
				v = 1
			}
			livenessNodeState.Send(s, v, id, st)
		}
		prev := l.nodes[r.NodeID]
		switch {
		case prev == nil:
			if l.seeded {
				logger.Info("node appeared in liveness records", "node_id", r.NodeID, "state", state)
			}
			l.nodes[r.NodeID] = &livenessNode{state: state, lastSeen: bookNow}
		default:
			if prev.state != state {
				l.transition(t, s, logger, r.NodeID, prev.state, state, dbNow, r.Expiration)
				prev.state = state
			}
			prev.lastSeen = bookNow
		}
	}
	for id, n := range l.nodes {
		if !seen[id] && bookNow.Sub(n.lastSeen) >= l.forgetAfter {
			logger.Info("forgetting node absent from liveness records", "node_id", id, "last_state", n.state,
				"absent_for", bookNow.Sub(n.lastSeen).Round(time.Second))
			delete(l.nodes, id)
		}
	}
	l.seeded = true

	for _, st := range livenessStates {
		livenessNodes[st].Send(s, float64(counts[st]))
	}
	if l.expected > 0 {
		livenessExpected.Send(s, float64(l.expected))
	}
	status, msg := l.status(len(seen), counts, byState)
	livenessNodesLive.Send(s, status, msg)
}

// transition sends the event for one node changing state.
func (l *Liveness) transition(t *Target, s Sink, logger *slog.Logger, id int64, from, to string, at, expiration time.Time) {
	logger.Info("node liveness changed", "node_id", id, "from", from, "to", to)
	alert := Info
	switch to {
	case livenessDead:
		alert = Error
	case livenessSuspect, livenessDraining, livenessDecommissioning:
		alert = WarningAlert
	case livenessLive:
		alert = Success
	}
	title := fmt.Sprintf("CockroachDB node %d liveness: %s → %s", id, strings.ToUpper(from), strings.ToUpper(to))
	text := fmt.Sprintf("Node %d changed from %s to %s at %s (cluster time).\nLiveness record expiration: %s.\n%s",
		id, from, to, at.UTC().Format(time.RFC3339), expiration.UTC().Format(time.RFC3339Nano), livenessMeaning[to])
	cl := ""
	if t != nil {
		cl = t.Cluster
	}
	idStr := strconv.FormatInt(id, 10)
	livenessChange.Send(s, Event{
		Title:          title,
		Text:           text,
		AggregationKey: "crdb-liveness-" + cl + "-node-" + idStr,
		AlertType:      alert,
		Timestamp:      at,
	}, idStr, from, to)
}

var livenessMeaning = map[string]string{
	livenessLive:            "The node heartbeats its liveness record.",
	livenessSuspect:         "The node stopped heartbeating; it becomes dead after server.time_until_store_dead, when its replicas are moved elsewhere.",
	livenessDead:            "The node has not heartbeated for server.time_until_store_dead; the cluster re-replicates its ranges.",
	livenessDraining:        "The node is draining (graceful shutdown or drain): it sheds leases and SQL clients.",
	livenessDecommissioning: "The node is being decommissioned: its replicas are moving to other nodes.",
	livenessDecommissioned:  "The node is decommissioned and may no longer rejoin the cluster.",
}

// status computes cluster.nodes_live: CRITICAL when a node is dead or fewer
// nodes than expected are up; WARNING when one is draining, suspect or
// decommissioning; OK otherwise. "Up" counts live, draining and suspect
// nodes, so that a rolling restart (draining, then down for seconds) warns
// rather than pages; a node that stays down turns dead and pages.
func (l *Liveness) status(total int, counts map[string]int, byState map[string][]int64) (Status, string) {
	if total == 0 {
		return Unknown, "no liveness records"
	}
	var parts []string
	for _, st := range []string{livenessDead, livenessSuspect, livenessDraining, livenessDecommissioning} {
		if ids := byState[st]; len(ids) > 0 {
			parts = append(parts, st+": "+livenessNodeList(ids))
		}
	}
	up := counts[livenessLive] + counts[livenessDraining] + counts[livenessSuspect]
	summary := fmt.Sprintf("%d live", counts[livenessLive])
	if l.expected > 0 {
		summary = fmt.Sprintf("%d live of %d expected", counts[livenessLive], l.expected)
	}
	msg := summary
	if len(parts) > 0 {
		msg += "; " + strings.Join(parts, "; ")
	}
	switch {
	case counts[livenessDead] > 0:
		return Critical, msg
	case l.expected > 0 && up < l.expected:
		return Critical, msg + fmt.Sprintf("; only %d nodes up, %d expected", up, l.expected)
	case counts[livenessSuspect] > 0 || counts[livenessDraining] > 0 || counts[livenessDecommissioning] > 0:
		return Warning, msg
	}
	return OK, msg
}

func livenessNodeList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "n" + strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}

// What the liveness check sends.
var (
	// livenessNodes holds nodes.<state> for each state.
	livenessNodes = func() map[string]*emit.GaugeDef {
		out := make(map[string]*emit.GaugeDef, len(livenessStates))
		for _, st := range livenessStates {
			out[st] = emit.Gauge{Name: "nodes." + st, Unit: "node", PerNode: 1, ClusterLevel: true,
				Description: "Nodes whose liveness state is " + st + " (sent every cycle, 0 included).",
			}.Register(livenessCheckName)
		}
		return out
	}()
	livenessExpected = emit.Gauge{Name: "nodes.expected", Unit: "node", PerNode: 1, ClusterLevel: true, Optional: true,
		Description: "Configured number of nodes the cluster should have (only when expected_nodes is set).",
	}.Register(livenessCheckName)
	livenessNodeState = emit.Gauge{Name: "node.liveness", Tags: emit.Keys("node_id", "state"), PerNode: len(livenessStates),
		Description: "1 for the node's current liveness state, 0 for the five others (one series per node and state).",
	}.Register(livenessCheckName)
	livenessNodesLive = emit.ServiceCheck{Name: "cluster.nodes_live", PerNode: 1, ClusterLevel: true,
		Description: "OK when every node is live (and at least expected_nodes are up); WARNING when a node is draining, suspect or decommissioning; CRITICAL when a node is dead or fewer nodes than expected are up.",
	}.Register(livenessCheckName)
	livenessChange = emit.EventSpec{Name: "node.liveness_change", Tags: emit.Keys("node_id", "old_state", "new_state"), ClusterLevel: true,
		Description: "Event \"CockroachDB node <id> liveness: LIVE → DRAINING\" on every liveness state transition.",
	}.Register(livenessCheckName)
)

// ---- one-shot reading, for roachdog health ----

// NodeLiveness is one node's liveness, derived exactly as the liveness check
// derives it.
type NodeLiveness struct {
	NodeID int64
	// State is live, suspect, dead, draining, decommissioning or
	// decommissioned.
	State string
	// Heartbeating is true while the node's liveness record has not expired
	// (against the cluster's now()): the process is up and its replicas
	// vote, whatever its membership or draining flag.
	Heartbeating bool
	// Address is the node's advertised RPC address from
	// crdb_internal.gossip_nodes; "" when unknown.
	Address string
}

// Live reports whether the node is live: heartbeating, active, not draining.
func (n NodeLiveness) Live() bool { return n.State == livenessLive }

// Decommissioned reports whether the node has left the cluster for good.
func (n NodeLiveness) Decommissioned() bool { return n.State == livenessDecommissioned }

// LivenessSnapshot is the cluster's liveness read once.
type LivenessSnapshot struct {
	// Nodes holds one entry per node, sorted by id.
	Nodes []NodeLiveness
	// Source names the table read: crdb_internal.kv_node_liveness, or
	// crdb_internal.gossip_liveness on versions without it.
	Source string
	// StoreDead is the server.time_until_store_dead used to tell suspect
	// from dead nodes.
	StoreDead time.Duration
	// Warnings are failures that did not prevent deriving the states: the
	// setting could not be read (its last known value or default was
	// used), the addresses could not be read.
	Warnings []error
}

const livenessAddressQuery = `SELECT node_id, address FROM crdb_internal.gossip_nodes`

// ReadLiveness reads every node's liveness record once and derives its state
// with the liveness check's rules (same queries, same version fallback, same
// server.time_until_store_dead handling). It fails only when no liveness
// table could be read. logger may be nil.
func ReadLiveness(ctx context.Context, db *cluster.DB, logger *slog.Logger) (LivenessSnapshot, error) {
	if db == nil {
		return LivenessSnapshot{}, errNoSQL
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l, err := NewLiveness(LivenessOptions{})
	if err != nil {
		return LivenessSnapshot{}, err
	}
	var snap LivenessSnapshot
	storeDead, settingErr := l.timeUntilStoreDead(ctx, db, logger)
	if settingErr != nil {
		snap.Warnings = append(snap.Warnings, settingErr)
	}
	recs, dbNow, err := l.read(ctx, db, logger)
	if err != nil {
		return LivenessSnapshot{}, err
	}
	snap.StoreDead = storeDead
	snap.Source = "crdb_internal.kv_node_liveness"
	if l.usesGossip(db.Server().Version) {
		snap.Source = "crdb_internal.gossip_liveness"
	}
	addrs, err := livenessAddresses(ctx, db)
	if err != nil {
		snap.Warnings = append(snap.Warnings, err)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].NodeID < recs[j].NodeID })
	for i, r := range recs {
		if i > 0 && recs[i-1].NodeID == r.NodeID {
			continue // one record per node, as the check counts them
		}
		snap.Nodes = append(snap.Nodes, NodeLiveness{
			NodeID:       r.NodeID,
			State:        livenessState(r, dbNow, storeDead),
			Heartbeating: r.Expiration.After(dbNow),
			Address:      addrs[r.NodeID],
		})
	}
	return snap, nil
}

// livenessAddresses maps node ids to their advertised RPC addresses; it
// returns what it read with the error.
func livenessAddresses(ctx context.Context, db *cluster.DB) (map[int64]string, error) {
	out := map[int64]string{}
	rows, err := db.Query(ctx, livenessAddressQuery)
	if err != nil {
		return out, fmt.Errorf("query crdb_internal.gossip_nodes (node addresses): %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id   int64
			addr string
		)
		if err := rows.Scan(&id, &addr); err != nil {
			return out, fmt.Errorf("query crdb_internal.gossip_nodes (node addresses): scan: %w", err)
		}
		out[id] = addr
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("query crdb_internal.gossip_nodes (node addresses): %w", err)
	}
	return out, nil
}
