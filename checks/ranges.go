package checks

// The ranges check reports cluster range health and zone-constraint
// conformance: ranges violating their zone's constraints per zone and
// constraint (the number to watch after ALTER DATABASE ... PLACEMENT
// RESTRICTED or a REGIONAL BY ROW change), ranges at risk per critical
// locality, and under-replicated, unavailable and over-replicated ranges.
//
// v23.1+ reads POST /_status/critical_nodes (the replication reports are
// documented as incorrect from v23.1); older versions read the replication
// reports (system.replication_*), written by the cluster every
// kv.replication_reports.interval.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
)

// RangesOptions configures the ranges check.
type RangesOptions struct {
	// Now is the clock for replication.report_age and for forgetting
	// vanished series; default time.Now.
	Now func() time.Time
	// ForgetAfter is how long a per-zone series that disappeared (its
	// violations resolved, its zone dropped) keeps being sent as 0, so that
	// monitors see it recover instead of going silent; default 1h.
	ForgetAfter time.Duration
}

func init() {
	Register(Registration[RangesOptions]{
		Name: rangesCheckName, SQL: true, Interval: 60 * time.Second, Timeout: 20 * time.Second,
		Doc: "replication: unavailable, under- and over-replicated ranges, constraint violations, ranges at risk",
		New: func(o RangesOptions, _ Schedule) (Check, error) { return NewRanges(o) },
	})
}

const (
	rangesCheckName     = "ranges"
	rangesDefaultForget = time.Hour
	rangesCriticalPath  = "/_status/critical_nodes"
	// rangesUnknownZone names ranges whose zone cannot be resolved.
	rangesUnknownZone = "unknown"

	rangesZonesQuery      = `SELECT zone_id, subzone_id, target FROM crdb_internal.zones`
	rangesTablesQuery     = `SELECT table_id, parent_id FROM crdb_internal.tables WHERE table_id = ANY($1)`
	rangesConstraintQuery = `SELECT zone_id, subzone_id, type, config, violating_ranges FROM system.replication_constraint_stats`
	rangesLocalityQuery   = `SELECT zone_id, subzone_id, locality, at_risk_ranges FROM system.replication_critical_localities`
	rangesStatsQuery      = `SELECT COALESCE(sum(unavailable_ranges), 0)::INT8, COALESCE(sum(under_replicated_ranges), 0)::INT8, COALESCE(sum(over_replicated_ranges), 0)::INT8 FROM system.replication_stats`
	rangesMetaQuery       = `SELECT id, "generated" FROM system.reports_meta`

	rangesSeriesMaxLen = 10000 // bound on remembered per-zone series
)

// Well-known zone ids of the system ranges (pkg/keys): their ranges are not
// table data, so their zone is found by key prefix.
const (
	rangesZoneDefault    = 0
	rangesZoneMeta       = 16
	rangesZoneSystem     = 17
	rangesZoneTimeseries = 18
	rangesZoneLiveness   = 22
)

// Ranges is the ranges check. One Ranges serves one cluster.
type Ranges struct {
	now         func() time.Time
	forgetAfter time.Duration
	// series remembers the per-zone series, which keep being sent as 0 for
	// ForgetAfter once they vanish.
	series *seriesMemory
}

var _ Check = (*Ranges)(nil)

// NewRanges validates the options and builds the check.
func NewRanges(o RangesOptions) (*Ranges, error) {
	if o.ForgetAfter < 0 {
		return nil, fmt.Errorf("ranges: forget after %s is negative", o.ForgetAfter)
	}
	r := &Ranges{now: o.Now, forgetAfter: o.ForgetAfter}
	if r.now == nil {
		r.now = time.Now
	}
	if r.forgetAfter == 0 {
		r.forgetAfter = rangesDefaultForget
	}
	r.series = newSeriesMemory(r.forgetAfter, rangesSeriesMaxLen)
	return r, nil
}

// Name returns "ranges".
func (r *Ranges) Name() string { return rangesCheckName }

// Run collects once, from /_status/critical_nodes on v23.1+ and from the
// replication reports before.
func (r *Ranges) Run(ctx context.Context, t *Target, s Sink) error {
	if t.SQL == nil && t.API == nil {
		return errNoSQL
	}
	logger := t.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var v cluster.Version
	if t.SQL != nil {
		v = t.SQL.Server().Version
	}
	switch {
	case v.AtLeast(23, 1):
		return r.runCritical(ctx, t, s, logger, false)
	case !v.IsZero():
		return r.runReports(ctx, t, s, logger)
	case t.SQL == nil:
		// Version unknown without SQL: only the endpoint can answer.
		return r.runCritical(ctx, t, s, logger, false)
	case t.API != nil:
		// Version unknown (not learnt yet): the endpoint exists from v23.1;
		// a 404 means an older cluster with replication reports.
		err := r.runCritical(ctx, t, s, logger, true)
		var ae *cluster.APIError
		if errors.As(err, &ae) && ae.NotFound() {
			return r.runReports(ctx, t, s, logger)
		}
		if err != nil {
			r.reportCritical(s, t, rangesSafeMessage(err))
		}
		return err
	default:
		return r.runReports(ctx, t, s, logger)
	}
}

// ---- v23.1+: /_status/critical_nodes ----

// rangesCriticalNodes is the part of CriticalNodesResponse roachdog reads
// (camelCase JSON of serverpb.CriticalNodesResponse); missing fields are
// empty.
type rangesCriticalNodes struct {
	CriticalNodes []struct {
		NodeID rangesInt `json:"nodeId"`
	} `json:"criticalNodes"`
	Report struct {
		UnderReplicated      []rangesReported `json:"underReplicated"`
		OverReplicated       []rangesReported `json:"overReplicated"`
		ViolatingConstraints []rangesReported `json:"violatingConstraints"`
		Unavailable          []rangesReported `json:"unavailable"`
		UnavailableNodeIDs   []rangesInt      `json:"unavailableNodeIds"`
	} `json:"report"`
}

// rangesReported is a ConformanceReportedRange.
type rangesReported struct {
	RangeDescriptor struct {
		RangeID  rangesInt `json:"rangeId"`
		StartKey []byte    `json:"startKey"` // base64 in JSON
		// InternalReplicas are the range's replicas (ReadCriticalNodes
		// counts the ranges at risk per node from them).
		InternalReplicas []struct {
			NodeID rangesInt `json:"nodeId"`
		} `json:"internalReplicas"`
	} `json:"rangeDescriptor"`
	Config rangesSpanConfig `json:"config"`
}

type rangesSpanConfig struct {
	NumReplicas      rangesInt           `json:"numReplicas"`
	NumVoters        rangesInt           `json:"numVoters"`
	Constraints      []rangesConjunction `json:"constraints"`
	VoterConstraints []rangesConjunction `json:"voterConstraints"`
}

type rangesConjunction struct {
	NumReplicas rangesInt `json:"numReplicas"`
	Constraints []struct {
		Type  json.RawMessage `json:"type"` // 0/1 or "REQUIRED"/"PROHIBITED"
		Key   string          `json:"key"`
		Value string          `json:"value"`
	} `json:"constraints"`
}

// rangesInt accepts a JSON number or a string holding one (int64 fields
// are strings in CockroachDB's JSON, int32 fields numbers), and null.
type rangesInt int64

func (n *rangesInt) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(bytes.TrimSpace(b), `"`)
	if len(b) == 0 || string(b) == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %q", b)
	}
	*n = rangesInt(v)
	return nil
}

// runCritical reads the critical nodes report. A failed call is reported
// in sql.can_query like a failed query (when the instance has SQL, as every
// SQL check does), unless probing: then the caller decides, since a 404
// sends it to the replication reports instead.
func (r *Ranges) runCritical(ctx context.Context, t *Target, s Sink, logger *slog.Logger, probing bool) error {
	if t.API == nil {
		err := errors.New("v23.1+ reads POST " + rangesCriticalPath + ", which needs the HTTP API (status URLs, and a user with a password on secure clusters)")
		logger.Error("ranges", "err", err)
		r.reportCritical(s, t, err.Error())
		return err
	}
	var resp rangesCriticalNodes
	if err := t.API.Post(ctx, rangesCriticalPath, nil, &resp); err != nil {
		logger.Error("read critical nodes report", "err", err)
		err = fmt.Errorf("critical nodes report: %w", err)
		if !probing {
			r.reportCritical(s, t, rangesSafeMessage(err))
		}
		return err
	}
	rep := resp.Report
	rangesUnder.Send(s, float64(len(rep.UnderReplicated)))
	rangesUnavailable.Send(s, float64(len(rep.Unavailable)))
	rangesOver.Send(s, float64(len(rep.OverReplicated)))
	critical := map[rangesInt]bool{}
	for _, n := range resp.CriticalNodes {
		critical[n.NodeID] = true
	}
	rangesCritical.Send(s, float64(len(critical)))

	// Zone names come from SQL; without it every range is zone:unknown.
	var zones *rangesZones
	if t.SQL != nil {
		var err error
		zones, err = loadRangesZones(ctx, t.SQL, rep.ViolatingConstraints)
		if err != nil {
			logger.Error("resolve zone names", "err", err)
		}
		reportQuery(s, rangesCheckName, err)
	}
	type key struct{ zone, constraint string }
	counts := map[key]int{}
	for _, rr := range rep.ViolatingConstraints {
		counts[key{zones.name(rr.RangeDescriptor.StartKey), rangesConstraintText(rr.Config)}]++
	}
	now := r.now()
	for k, n := range counts {
		r.series.gauge(s, now, rangesViolations.Series(k.zone, k.constraint), float64(n))
	}
	r.series.sweep(s, now, rangesViolations)
	return nil
}

// rangesConstraintText writes a span config's constraints the way the
// replication reports and zone configs write one conjunction
// ("+region=eu-west1,-zone=a:1"); several conjunctions are joined with ";",
// voter constraints prefixed "voters:". The report does not say which
// conjunction a range violates, so the tag names them all.
func rangesConstraintText(c rangesSpanConfig) string {
	var parts []string
	for _, conj := range c.Constraints {
		parts = append(parts, conj.String())
	}
	for _, conj := range c.VoterConstraints {
		parts = append(parts, "voters:"+conj.String())
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ";")
}

func (c rangesConjunction) String() string {
	cs := make([]string, 0, len(c.Constraints))
	for _, k := range c.Constraints {
		sign := "+"
		switch strings.Trim(string(k.Type), `" `) {
		case "1", "PROHIBITED":
			sign = "-"
		}
		if k.Key == "" {
			cs = append(cs, sign+k.Value)
		} else {
			cs = append(cs, sign+k.Key+"="+k.Value)
		}
	}
	s := strings.Join(cs, ",")
	if c.NumReplicas > 0 {
		s += ":" + strconv.FormatInt(int64(c.NumReplicas), 10)
	}
	return s
}

// rangesZones resolves zone ids and range start keys to zone targets
// ("TABLE shop.public.customers", "DATABASE movr", "RANGE default").
type rangesZones struct {
	targets map[[2]int64]string // (zone_id, subzone_id) → target
	parents map[int64]int64     // table id → database id
}

// loadRangesZones reads crdb_internal.zones, and crdb_internal.tables for
// the tables of violating ranges that have no zone of their own (their
// database's zone applies). It returns what it could read with the error.
func loadRangesZones(ctx context.Context, db *cluster.DB, violating []rangesReported) (*rangesZones, error) {
	z, err := readRangesZones(ctx, db)
	if err != nil {
		return z, err
	}
	var missing []int64
	seen := map[int64]bool{}
	for _, rr := range violating {
		id, ok := rangesTableID(rr.RangeDescriptor.StartKey)
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		if _, has := z.targets[[2]int64{id, 0}]; !has {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return z, nil
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
	rows, err := db.Query(ctx, rangesTablesQuery, missing)
	if err != nil {
		return z, fmt.Errorf("query crdb_internal.tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			return z, fmt.Errorf("query crdb_internal.tables: scan: %w", err)
		}
		z.parents[id] = parent
	}
	if err := rows.Err(); err != nil {
		return z, fmt.Errorf("query crdb_internal.tables: %w", err)
	}
	return z, nil
}

func readRangesZones(ctx context.Context, db *cluster.DB) (*rangesZones, error) {
	z := &rangesZones{targets: map[[2]int64]string{}, parents: map[int64]int64{}}
	rows, err := db.Query(ctx, rangesZonesQuery)
	if err != nil {
		return z, fmt.Errorf("query crdb_internal.zones: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			zone, sub int64
			target    *string
		)
		if err := rows.Scan(&zone, &sub, &target); err != nil {
			return z, fmt.Errorf("query crdb_internal.zones: scan: %w", err)
		}
		if target != nil && *target != "" {
			z.targets[[2]int64{zone, sub}] = *target
		}
	}
	if err := rows.Err(); err != nil {
		return z, fmt.Errorf("query crdb_internal.zones: %w", err)
	}
	return z, nil
}

// target returns the zone's target, or "unknown".
func (z *rangesZones) target(zone, sub int64) string {
	if z != nil {
		if t, ok := z.targets[[2]int64{zone, sub}]; ok {
			return t
		}
	}
	return rangesUnknownZone
}

// name returns the zone whose config applies to the range starting at key:
// the table's zone, else its database's, else RANGE default; system ranges
// by their key prefix. Subzones (indexes, partitions) are not decoded: a
// partition's ranges count under their table's zone.
func (z *rangesZones) name(key []byte) string {
	if z == nil {
		return rangesUnknownZone
	}
	if zone, ok := rangesSystemZone(key); ok {
		return z.orDefault(zone)
	}
	id, ok := rangesTableID(key)
	if !ok {
		return rangesUnknownZone // tenant keyspace, /Max, garbage
	}
	if t, ok := z.targets[[2]int64{id, 0}]; ok {
		return t
	}
	if parent, ok := z.parents[id]; ok {
		return z.orDefault(parent)
	}
	// Neither a zone nor a known table (dropped meanwhile, or
	// crdb_internal.tables unreadable): do not guess.
	return rangesUnknownZone
}

func (z *rangesZones) orDefault(zone int64) string {
	if t, ok := z.targets[[2]int64{zone, 0}]; ok {
		return t
	}
	return z.target(rangesZoneDefault, 0)
}

// rangesSystemZone maps keys below the table keyspace to their pseudo zone
// (pkg/keys: /Min and /Meta1, /Meta2 → meta; /System/NodeLiveness →
// liveness; /System/tsd → timeseries; rest of /System → system).
func rangesSystemZone(key []byte) (int64, bool) {
	switch {
	case len(key) == 0 || key[0] < 0x04:
		return rangesZoneMeta, true
	case key[0] != 0x04:
		return 0, false
	case bytes.HasPrefix(key, []byte("\x04\x00liveness-")):
		return rangesZoneLiveness, true
	case bytes.HasPrefix(key, []byte("\x04tsd")):
		return rangesZoneTimeseries, true
	default:
		return rangesZoneSystem, true
	}
}

// rangesTableID decodes the table id that starts a system-tenant key: the
// id is encoded with encoding.EncodeUvarintAscending (one byte 0x88+id up
// to 109, else 0xf6..0xfd followed by 1..8 big-endian bytes). 0xfe starts
// a secondary tenant's keyspace, 0xff is /Max.
func rangesTableID(key []byte) (int64, bool) {
	if len(key) == 0 {
		return 0, false
	}
	b := key[0]
	switch {
	case b >= 0x88 && b <= 0xf5:
		return int64(b) - 0x88, true
	case b >= 0xf6 && b <= 0xfd:
		n := int(b) - 0xf5
		if len(key) < 1+n {
			return 0, false
		}
		var v uint64
		for _, c := range key[1 : 1+n] {
			v = v<<8 | uint64(c)
		}
		if v > 1<<62 {
			return 0, false
		}
		return int64(v), true
	}
	return 0, false
}

// ---- <= v22.2: replication reports ----

func (r *Ranges) runReports(ctx context.Context, t *Target, s Sink, logger *slog.Logger) error {
	if t.SQL == nil {
		return errNoSQL
	}
	db := t.SQL
	var errs []error
	fail := func(what string, err error) {
		err = fmt.Errorf("%s: %w", what, err)
		logger.Error("ranges", "err", err)
		errs = append(errs, err)
	}
	zones, err := readRangesZones(ctx, db)
	if err != nil {
		fail("resolve zone names", err)
	}
	collected := 0
	now := r.now()

	if counts, err := rangesReportRows(ctx, db, rangesConstraintQuery, true, func(zone, sub int64, kind, config string) (string, string) {
		c := config
		if kind != "" && kind != "constraint" {
			c = kind + ":" + config
		}
		return zones.target(zone, sub), c
	}); err != nil {
		fail("query system.replication_constraint_stats", err)
	} else {
		collected++
		for k, n := range counts {
			r.series.gauge(s, now, rangesViolations.Series(k[0], k[1]), float64(n))
		}
		r.series.sweep(s, now, rangesViolations)
	}

	if counts, err := rangesReportRows(ctx, db, rangesLocalityQuery, false, func(zone, sub int64, locality, _ string) (string, string) {
		return zones.target(zone, sub), locality
	}); err != nil {
		fail("query system.replication_critical_localities", err)
	} else {
		collected++
		for k, n := range counts {
			r.series.gauge(s, now, rangesAtRisk.Series(k[0], k[1]), float64(n))
		}
		r.series.sweep(s, now, rangesAtRisk)
	}

	var unavailable, under, over int64
	if err := db.QueryRow(ctx, rangesStatsQuery).Scan(&unavailable, &under, &over); err != nil {
		fail("query system.replication_stats", err)
	} else {
		collected++
		rangesUnder.Send(s, float64(under))
		rangesUnavailable.Send(s, float64(unavailable))
		rangesOver.Send(s, float64(over))
	}

	if age, ok, err := rangesOldestReport(ctx, db, now); err != nil {
		fail("query system.reports_meta", err)
	} else {
		collected++
		if ok {
			rangesReportAge.Send(s, age.Seconds())
		} else {
			logger.Warn("no replication report generated yet (kv.replication_reports.interval = 0 disables them)")
		}
	}

	err = errors.Join(errs...)
	reportQuery(s, rangesCheckName, err)
	if collected == 0 {
		return err
	}
	return nil
}

// rangesReportRows sums a report's per-zone rows by the (zone, second tag)
// pair keyOf returns; the query yields zone_id, subzone_id, one string (two
// when twoStrings; else b is "") and a count.
func rangesReportRows(ctx context.Context, db *cluster.DB, query string, twoStrings bool, keyOf func(zone, sub int64, a, b string) (string, string)) (map[[2]string]int64, error) {
	type row struct {
		zone, sub, n int64
		a, b         string
	}
	rows, err := db.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, scanPrefixed(func(cr pgx.CollectableRow) (row, error) {
		var r row
		dest := []any{&r.zone, &r.sub, &r.a, &r.n}
		if twoStrings {
			dest = []any{&r.zone, &r.sub, &r.a, &r.b, &r.n}
		}
		err := cr.Scan(dest...)
		return r, err
	}))
	if err != nil {
		return nil, err
	}
	counts := map[[2]string]int64{}
	for _, r := range list {
		k1, k2 := keyOf(r.zone, r.sub, r.a, r.b)
		counts[[2]string{k1, k2}] += r.n
	}
	return counts, nil
}

// rangesOldestReport returns the age of the oldest report: the three reports
// (1 constraints, 2 critical localities, 3 replication stats) are written
// together, so the oldest tells whether the reporter still runs.
func rangesOldestReport(ctx context.Context, db *cluster.DB, now time.Time) (time.Duration, bool, error) {
	type report struct {
		ID        int64
		Generated time.Time
	}
	rows, err := db.Query(ctx, rangesMetaQuery)
	if err != nil {
		return 0, false, err
	}
	reports, err := pgx.CollectRows(rows, scanPrefixed(pgx.RowToStructByPos[report]))
	if err != nil {
		return 0, false, err
	}
	var oldest time.Time
	for _, r := range reports {
		if oldest.IsZero() || r.Generated.Before(oldest) {
			oldest = r.Generated
		}
	}
	if oldest.IsZero() {
		return 0, false, nil
	}
	age := now.Sub(oldest)
	if age < 0 {
		age = 0 // clock skew between roachdog and the cluster
	}
	return age, true, nil
}

// What the ranges check sends: cluster-level gauges, one series per
// cluster (per zone and constraint or locality for the first two).
var (
	rangesViolations = rangesGauge("replication.constraint_violations", "range", emit.Keys("zone", "constraint"),
		"Ranges violating their zone's constraints, per zone and constraint (0 for a while after they recover).")
	rangesAtRisk = rangesGauge("replication.ranges_at_risk", "range", emit.Keys("zone", "locality"),
		"Ranges that lose quorum if the locality fails, per zone and critical locality (replication reports, v22.2 and older).")
	rangesUnder = rangesGauge("replication.ranges.underreplicated", "range", nil,
		"Under-replicated ranges, cluster-wide (critical nodes report on v23.1+, replication reports before).")
	rangesUnavailable = rangesGauge("replication.ranges.unavailable", "range", nil,
		"Unavailable ranges (fewer live replicas than a quorum), cluster-wide.")
	rangesOver = rangesGauge("replication.ranges.overreplicated", "range", nil,
		"Over-replicated ranges, cluster-wide.")
	rangesCritical = rangesGauge("replication.critical_nodes", "node", nil,
		"Nodes that are not safe to stop: they hold replicas of under-replicated or unavailable ranges (v23.1+).")
	rangesReportAge = rangesGauge("replication.report_age", "second", nil,
		"Seconds since the oldest replication report was generated (v22.2 and older).")
)

func rangesGauge(name, unit string, tags emit.TagKeys, desc string) *emit.GaugeDef {
	return emit.Gauge{Name: name, Unit: unit, Tags: tags, Description: desc, PerNode: 1, ClusterLevel: true}.Register(rangesCheckName)
}

// ---- one-shot reading, for roachdog health ----

// CriticalNodes is POST /_status/critical_nodes read once (v23.1+).
type CriticalNodes struct {
	// Nodes are the ids of the nodes not safe to stop, sorted: CockroachDB
	// calls a node critical when it holds a replica of an under-replicated
	// or unavailable range.
	Nodes []int64
	// AtRisk counts, per node id, the under-replicated or unavailable
	// ranges with a replica on that node.
	AtRisk map[int64]int
	// Underreplicated and Unavailable are the report's range counts.
	Underreplicated, Unavailable int
}

// ReadCriticalNodes asks the cluster which nodes are not safe to stop. The
// endpoint exists from v23.1: on older versions the error is a
// *cluster.APIError whose NotFound is true.
func ReadCriticalNodes(ctx context.Context, api *cluster.API) (CriticalNodes, error) {
	if api == nil {
		return CriticalNodes{}, errors.New("POST " + rangesCriticalPath + " needs the HTTP API (status URLs)")
	}
	var resp rangesCriticalNodes
	if err := api.Post(ctx, rangesCriticalPath, nil, &resp); err != nil {
		return CriticalNodes{}, fmt.Errorf("critical nodes report: %w", err)
	}
	out := CriticalNodes{
		AtRisk:          map[int64]int{},
		Underreplicated: len(resp.Report.UnderReplicated),
		Unavailable:     len(resp.Report.Unavailable),
	}
	seen := map[int64]bool{}
	for _, n := range resp.CriticalNodes {
		if id := int64(n.NodeID); id > 0 && !seen[id] {
			seen[id] = true
			out.Nodes = append(out.Nodes, id)
		}
	}
	sort.Slice(out.Nodes, func(i, j int) bool { return out.Nodes[i] < out.Nodes[j] })
	// A range may be listed both under-replicated and unavailable: count it
	// once per node.
	counted := map[rangesInt]bool{}
	for _, list := range [][]rangesReported{resp.Report.UnderReplicated, resp.Report.Unavailable} {
		for _, rr := range list {
			d := rr.RangeDescriptor
			if counted[d.RangeID] {
				continue
			}
			counted[d.RangeID] = true
			onNode := map[int64]bool{}
			for _, r := range d.InternalReplicas {
				if id := int64(r.NodeID); id > 0 && !onNode[id] {
					onNode[id] = true
					out.AtRisk[id]++
				}
			}
		}
	}
	return out, nil
}

// RangeVoters is one range's voting replicas, by node.
type RangeVoters struct {
	RangeID int64
	// Nodes are the nodes of the voters' stores, one entry per voter (a
	// node appears twice if two of its stores hold voters).
	Nodes []int64
	// UnknownStores are voters' stores that no node reports.
	UnknownStores []int64
}

const (
	rangesStoresQuery = `SELECT node_id, store_id FROM crdb_internal.kv_store_status`
	// The replica arrays hold store ids. From v21.1, replicas holds voters
	// and non-voters and voting_replicas the voters; v20.2 has no
	// voting_replicas and its replicas holds the voters only (learners are
	// in learner_replicas). The arrays are read as text ("{1,2,3}", or
	// "1 2 3" where a version declares them INT2VECTOR): their declared
	// type changed across versions, and CockroachDB's binary arrays carry
	// 8-byte elements whatever the declared element type.
	rangesVotersQuery       = `SELECT range_id, voting_replicas::TEXT FROM crdb_internal.ranges_no_leases`
	rangesVotersQueryBefore = `SELECT range_id, replicas::TEXT FROM crdb_internal.ranges_no_leases`
)

// ReadRangeVoters reads every range's voters from
// crdb_internal.ranges_no_leases (one row per range, read from the range
// descriptors in meta2: the statement timeout bounds it on large clusters)
// and maps their stores to nodes with crdb_internal.kv_store_status.
func ReadRangeVoters(ctx context.Context, db *cluster.DB) ([]RangeVoters, error) {
	if db == nil {
		return nil, errNoSQL
	}
	stores, err := rangesStoreNodes(ctx, db)
	if err != nil {
		return nil, err
	}
	v := db.Server().Version
	query := rangesVotersQuery
	if !v.IsZero() && !v.AtLeast(21, 1) {
		query = rangesVotersQueryBefore
	}
	out, err := rangesReadVoters(ctx, db, query, stores)
	if err != nil && query == rangesVotersQuery && rangesUndefinedColumn(err) {
		// Version unknown or mislabelled: the v20.2 shape.
		out, err = rangesReadVoters(ctx, db, rangesVotersQueryBefore, stores)
	}
	if err != nil {
		return nil, fmt.Errorf("query crdb_internal.ranges_no_leases: %w", err)
	}
	return out, nil
}

func rangesStoreNodes(ctx context.Context, db *cluster.DB) (map[int64]int64, error) {
	type store struct{ Node, Store int64 }
	list, err := queryRows(ctx, db, "query crdb_internal.kv_store_status", scanPrefixed(pgx.RowToStructByPos[store]), rangesStoresQuery)
	if err != nil {
		return nil, err
	}
	stores := make(map[int64]int64, len(list))
	for _, st := range list {
		stores[st.Store] = st.Node
	}
	if len(stores) == 0 {
		return nil, errors.New("query crdb_internal.kv_store_status: no store reported")
	}
	return stores, nil
}

func rangesReadVoters(ctx context.Context, db *cluster.DB, query string, stores map[int64]int64) ([]RangeVoters, error) {
	rows, err := db.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (RangeVoters, error) {
		var (
			r    RangeVoters
			text *string
		)
		if err := row.Scan(&r.RangeID, &text); err != nil {
			return r, fmt.Errorf("scan: %w", err)
		}
		voters, err := rangesParseIDs(text)
		if err != nil {
			return r, fmt.Errorf("range %d: %w", r.RangeID, err)
		}
		for _, s := range voters {
			if n, ok := stores[s]; ok {
				r.Nodes = append(r.Nodes, n)
			} else {
				r.UnknownStores = append(r.UnknownStores, s)
			}
		}
		return r, nil
	})
}

// rangesParseIDs parses an integer array's text form: "{1,2,3}" (an
// array) or "1 2 3" (an int2vector); NULL is empty.
func rangesParseIDs(s *string) ([]int64, error) {
	if s == nil {
		return nil, nil
	}
	t := strings.TrimSpace(*s)
	t = strings.TrimSuffix(strings.TrimPrefix(t, "{"), "}")
	fields := strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == ' ' })
	out := make([]int64, 0, len(fields))
	for _, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("replica array %q: %w", *s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func rangesUndefinedColumn(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42703"
}

// RangeHealth is the cluster's range counts summed over the scraped nodes'
// /_status/vars, as the vars check computes crdb.cluster.ranges.*.
type RangeHealth struct {
	// Ranges, Underreplicated and Unavailable are the sums over every
	// store of every scraped node.
	Ranges, Underreplicated, Unavailable int64
	// Targets is how many status URLs were tried.
	Targets int
	// Scraped are the ids of the nodes whose /_status/vars was read, sorted
	// (0 for a node whose payload did not say its id).
	Scraped []int
	// Failed has one error per node that could not be scraped.
	Failed []error
}

// ScrapeRangeHealth scrapes every node of t once with the vars check and
// returns the range counts. Range counts are counted by one replica per
// range (the live leaseholder, else the first live replica), so the sums
// are the cluster's only when every live node was scraped: compare Scraped
// with the live nodes. It fails when no node reported range counts.
func ScrapeRangeHealth(ctx context.Context, t *Target, o VarsOptions) (RangeHealth, error) {
	// The gate judges completeness itself (against the liveness read over
	// SQL), so it wants the sums of whatever answered and every node that
	// did not answer reported as failed.
	o.PartialSums, o.ReportUnscraped = true, true
	v, err := NewVars(o)
	if err != nil {
		return RangeHealth{}, err
	}
	var rec rangesHealthSink
	if err := v.Run(ctx, t, &rec); err != nil {
		return RangeHealth{}, err
	}
	h := RangeHealth{Targets: len(t.Nodes), Scraped: rec.scraped, Failed: rec.failed}
	sort.Ints(h.Scraped)
	under, okUnder := rec.gauges[varsClRangesUnder.Name()]
	unavailable, okUnavailable := rec.gauges[varsClRangesUnavailable.Name()]
	if !okUnder || !okUnavailable {
		if len(h.Scraped) == 0 {
			return h, fmt.Errorf("no node's /_status/vars could be read (%d tried)", h.Targets)
		}
		return h, errors.New("no scraped node reported ranges_underreplicated and ranges_unavailable")
	}
	h.Ranges = int64(rec.gauges[varsClRanges.Name()])
	h.Underreplicated, h.Unavailable = int64(under), int64(unavailable)
	return h, nil
}

// rangesHealthSink keeps what ScrapeRangeHealth reads from one vars cycle.
// The vars check calls its sink from one goroutine.
type rangesHealthSink struct {
	gauges  map[string]float64
	scraped []int
	failed  []error
}

func (r *rangesHealthSink) Gauge(name string, v float64, tags []string) {
	switch name {
	case varsClRanges.Name(), varsClRangesUnder.Name(), varsClRangesUnavailable.Name():
		if r.gauges == nil {
			r.gauges = map[string]float64{}
		}
		r.gauges[name] = v
	case varsNodeUp.Name:
		if v != 1 {
			return
		}
		id := 0
		for _, tag := range tags {
			if s, ok := strings.CutPrefix(tag, "node_id:"); ok {
				id, _ = strconv.Atoi(s)
			}
		}
		r.scraped = append(r.scraped, id)
	}
}

func (r *rangesHealthSink) Count(string, int64, []string) {}

func (r *rangesHealthSink) Distribution(string, []Sample, []string) {}

func (r *rangesHealthSink) ServiceCheck(name string, st Status, msg string, _ []string) {
	if name == varsCanScrape.Name && st != OK {
		r.failed = append(r.failed, errors.New(msg))
	}
}

func (r *rangesHealthSink) Event(Event) {}

// reportCritical sends sql.can_query CRITICAL for a failed critical nodes
// call, on instances with SQL (the check reports sql.can_query only there,
// as every SQL check does). The message is built from what roachdog knows
// of each node's failure, never from the response bodies (an error page can
// hold anything); the full error is in the log.
func (r *Ranges) reportCritical(s Sink, t *Target, msg string) {
	if t.SQL == nil {
		return
	}
	sqlCanQuery.Send(s, Critical, rangesCheckName+": "+msg, rangesCheckName)
}

// rangesMessageMax bounds the service check message.
const rangesMessageMax = 1000

// rangesSafeMessage describes err (describeAPIErrors) on one line of at
// most rangesMessageMax bytes (oneLineText).
func rangesSafeMessage(err error) string {
	// The outer "critical nodes report: " prefix wraps a single error.
	inner := err
	if u := errors.Unwrap(err); u != nil {
		inner = u
	}
	return oneLineText("POST "+rangesCriticalPath+" failed: "+describeAPIErrors(inner), rangesMessageMax)
}
