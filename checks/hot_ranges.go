package checks

// The hot_ranges check reports the cluster's busiest ranges, resolved to
// database, table and index: what the DB Console's Hot Ranges page shows,
// as gauges for the top N only (bounded series) and an event when a table or
// index enters the top N, with the hash-sharded fix when the schema check's
// rules find its index led by a sequential column.
//
// Sources, feature-detected (the project's surfaces reference names
// GET /api/v2/ranges/hot/ as the Stable endpoint but documents no response
// shape; the shapes below are CockroachDB's own, as read from its source
// and the v20.2 capture in the shared fixtures):
//
//   - GET /api/v2/ranges/hot/, newer shape: {"ranges": [{range_id, node_id,
//     qps, writes_per_second, reads_per_second, write_bytes_per_second,
//     read_bytes_per_second, cpu_time_per_second, leaseholder_node_id,
//     database_name, schema_name, table_name, index_name, replica_node_ids,
//     store_id}], "response_error": [{error_message, node_id}], "next"}.
//     The first version with it is not pinned (the reference is silent;
//     v22.2 or v23.1 by the source history): it is recognised by its
//     "ranges" key, not by version. Some newer builds list several
//     databases/tables/indexes per range ("databases", "tables",
//     "indexes"): read when present, unverified.
//   - GET /api/v2/ranges/hot/, older shape (the API's first releases):
//     {"ranges_by_node_id": {"<node>": [{range_id, start_key, end_key,
//     store_id, queries_per_second}]}, "response_error", "next"}: QPS only,
//     no names.
//   - GET /_status/hotranges (v20.2 has no /api/v2/: a release binary
//     answers 404, one without UI 200 text/html, which the API client
//     reports as NotFound): {"nodeId", "hotRangesByNodeId": {"<node>":
//     {"errorMessage", "stores": [{"storeId", "hotRanges": [{"desc":
//     {"rangeId", "startKey", ...}, "queriesPerSecond"}]}]}}}, as captured
//     on v20.2. Every replica reports its range; only the leaseholder
//     measures QPS, so the replica with the highest QPS is taken as the
//     leaseholder (an inference: the endpoint does not say).
//
// Names missing from the endpoint come from crdb_internal.ranges_no_leases
// (database_name, table_name, index_name: up to v22.2, and v23.1 unless
// sql.show_ranges_deprecated_behavior.enabled is off), else from the
// range's start key (table id) and crdb_internal.tables; an index the
// endpoint does not name is looked up in the database's
// crdb_internal.table_indexes by the index id of the start key.
//
// Privileges: admin or VIEWCLUSTERMETADATA for the endpoint (the DB
// Console's Hot Ranges page; the API docs say admin), VIEWACTIVITY for
// ranges_no_leases.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// HotRangesOptions configures the hot_ranges check.
type HotRangesOptions struct {
	// TopN is how many of the busiest ranges are reported; default 10, at
	// most HotRangesMaxTopN. Series grow with it (see the catalog).
	TopN int
	// MinQPS leaves out ranges serving fewer queries per second: on an idle
	// cluster the "top N" are ranges nobody uses, and reporting them would
	// only make noise. Default 1; 0 is allowed (every range counts).
	MinQPS *float64
	// MaxEvents caps the events of one run (one per table or index that
	// entered the top N); default 5.
	MaxEvents int
	// Now is the clock of events; default time.Now.
	Now func() time.Time
}

// Defaults and bounds of the hot_ranges check.
const (
	HotRangesDefaultTopN      = 10
	HotRangesMaxTopN          = 100
	HotRangesDefaultMinQPS    = 1.0
	HotRangesDefaultMaxEvents = 5
)

const (
	hotCheckName = "hot_ranges"
	hotPathV2    = "/api/v2/ranges/hot/"
	hotPathV1    = "/_status/hotranges"
	// hotMaxPages bounds the pages of /api/v2/ranges/hot/ followed in one
	// run (the endpoint pages across nodes only when asked for a limit,
	// which roachdog does not ask: one page is the rule).
	hotMaxPages = 20
	// hotReprobe is how long, after /api/v2/ranges/hot/ was found missing,
	// the check uses /_status/hotranges before trying it again (an upgrade
	// adds it).
	hotReprobe = time.Hour
	// hotNodesShown bounds the node ids the WARNING names (a large
	// cluster can have hundreds fail at once; each is in the log).
	hotNodesShown = 10
	// hotNameMax bounds each name from the cluster in event texts and logs.
	hotNameMax = 128
	// hotUnknown names what could not be resolved.
	hotUnknown = "unknown"

	hotNamesQuery = `SELECT range_id::INT8, start_key::BYTEA, database_name::TEXT, table_name::TEXT, index_name::TEXT
FROM crdb_internal.ranges_no_leases WHERE range_id = ANY($1::INT8[])`
	hotKeysQuery   = `SELECT range_id::INT8, start_key::BYTEA FROM crdb_internal.ranges_no_leases WHERE range_id = ANY($1::INT8[])`
	hotTablesQuery = `SELECT table_id::INT8, COALESCE(database_name, '')::TEXT, name::TEXT, COALESCE(schema_name, '')::TEXT
FROM crdb_internal.tables WHERE table_id = ANY($1::INT8[])`
	hotTablesQueryV20 = `SELECT table_id::INT8, COALESCE(database_name, '')::TEXT, name::TEXT, ''::TEXT
FROM crdb_internal.tables WHERE table_id = ANY($1::INT8[])`
	hotIndexQuery = `SELECT descriptor_id::INT8, index_id::INT8, index_name::TEXT FROM %scrdb_internal.table_indexes
WHERE descriptor_id = ANY($1::INT8[])`
)

// HotRanges is the hot_ranges check. One HotRanges serves one cluster.
type HotRanges struct {
	topN      int
	minQPS    float64
	maxEvents int
	now       func() time.Time

	series *seriesMemory
	// top is the set of tables and indexes in the top N at the last
	// successful run, for the "entered" events.
	top map[hotGroupKey]bool
	// v2MissingAt is when /api/v2/ranges/hot/ was last found missing.
	v2MissingAt time.Time
	// noNameColumns: ranges_no_leases has no name columns (v23.1+ new
	// behaviour), learnt from SQLSTATE 42703.
	noNameColumns bool
	noSchemaCol   bool // crdb_internal.tables has no schema_name (v20.2)
	// warnedMissing: the log said that no node serves either endpoint.
	warnedMissing bool
}

var _ Check = (*HotRanges)(nil)

// NewHotRanges validates the options and builds the check.
func NewHotRanges(o HotRangesOptions) (*HotRanges, error) {
	topN, err := topNOption(hotCheckName, o.TopN, HotRangesDefaultTopN, HotRangesMaxTopN)
	if err != nil {
		return nil, err
	}
	h := &HotRanges{topN: topN, minQPS: HotRangesDefaultMinQPS, maxEvents: o.MaxEvents, now: o.Now, top: map[hotGroupKey]bool{}}
	if o.MinQPS != nil {
		if *o.MinQPS < 0 || math.IsNaN(*o.MinQPS) || math.IsInf(*o.MinQPS, 0) {
			return nil, fmt.Errorf("hot_ranges: min_qps must be a non-negative number, got %v", *o.MinQPS)
		}
		h.minQPS = *o.MinQPS
	}
	switch {
	case h.maxEvents < 0:
		return nil, fmt.Errorf("hot_ranges: max_events must not be negative, got %d", h.maxEvents)
	case h.maxEvents == 0:
		h.maxEvents = HotRangesDefaultMaxEvents
	}
	if h.now == nil {
		h.now = time.Now
	}
	// At most topN groups per metric are sent per run; the memory holds
	// them and those that just left.
	h.series = newSeriesMemory(seriesZeroOnce, 0)
	return h, nil
}

func init() {
	Register(Registration[HotRangesOptions]{
		// It reads the status API, and names ranges and checks indexes over
		// SQL: it goes with the SQL checks.
		Name: hotCheckName, SQL: true, Interval: 60 * time.Second, Timeout: 20 * time.Second,
		Doc: "the busiest ranges from the status API, resolved to table and index, with an event when an index enters the top N",
		Defaults: func() HotRangesOptions {
			minQPS := HotRangesDefaultMinQPS
			return HotRangesOptions{TopN: HotRangesDefaultTopN, MinQPS: &minQPS, MaxEvents: HotRangesDefaultMaxEvents}
		},
		Keys: []yamlx.Key[HotRangesOptions]{
			topNKey(HotRangesDefaultTopN, HotRangesMaxTopN,
				fmt.Sprintf("how many of the busiest ranges are reported (at most %d); series grow with it", HotRangesMaxTopN),
				func(o *HotRangesOptions) *int { return &o.TopN }),
			{
				Name: "min_qps", Default: strconv.FormatFloat(HotRangesDefaultMinQPS, 'g', -1, 64),
				Doc: "ranges serving fewer queries per second are left out (an idle cluster's top ranges are noise); 0 counts every range",
				Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *HotRangesOptions) {
					if q, ok := decodeMinQPS(d, v, p); ok {
						o.MinQPS = &q
					}
				},
			}, {
				Name: "max_events", Default: strconv.Itoa(HotRangesDefaultMaxEvents),
				Doc: "events per run, one per table or index that entered the top N; more are summed up in one",
				Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *HotRangesOptions) {
					d.IntIn(v, p, 1, 1000, &o.MaxEvents)
				},
			},
		},
		New: func(o HotRangesOptions, _ Schedule) (Check, error) { return NewHotRanges(o) },
		Log: func(o HotRangesOptions) []slog.Attr {
			minQPS := HotRangesDefaultMinQPS
			if o.MinQPS != nil {
				minQPS = *o.MinQPS
			}
			return []slog.Attr{slog.Int("top_n", o.TopN), slog.Float64("min_qps", minQPS), slog.Int("max_events", o.MaxEvents)}
		},
	})
}

// decodeMinQPS reads a number of queries per second, 0 or more.
func decodeMinQPS(d *yamlx.Decoder, n *yaml.Node, path string) (float64, bool) {
	const want = "want a number of queries per second, 0 or more"
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float" && n.ShortTag() != "!!str") {
		d.Errorf(n, path, "%s, got %s", want, yamlx.KindName(n))
		return 0, false
	}
	s, ok := d.Str(n, path)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		d.Errorf(n, path, "%s, got %s", want, d.Show(n, s))
		return 0, false
	}
	return v, true
}

// Name returns "hot_ranges".
func (h *HotRanges) Name() string { return hotCheckName }

// hotRange is one range as the endpoints report it, merged across replicas.
type hotRange struct {
	id       int64
	node     int64 // leaseholder (or the replica that measured the QPS)
	qps      float64
	rates    bool // the endpoint gave the rates below
	writes   float64
	reads    float64
	wBytes   float64
	rBytes   float64
	cpuNanos float64
	database string
	schema   string
	table    string
	index    string
	startKey []byte
}

// hotGroupKey is what gauges and events are keyed by.
type hotGroupKey struct{ database, table, index string }

// Run reads the hot ranges once.
func (h *HotRanges) Run(ctx context.Context, t *Target, s Sink) error {
	log := t.Log()
	if t == nil || t.API == nil {
		err := errors.New("hot_ranges reads " + hotPathV2 + " (or " + hotPathV1 + "), which needs the HTTP API (status URLs, and a user with a password on secure clusters)")
		log.Error("hot_ranges", "err", err)
		h.report(s, t, err.Error(), Critical)
		return err
	}
	ranges, nodeErrs, err := h.fetch(ctx, t)
	if hotNotServed(err) {
		// Neither endpoint is served (a build or proxy without them):
		// nothing to read, which is not a failure of the cluster; said
		// once in the log, and in the service check every run.
		if !h.warnedMissing {
			log.Warn("hot_ranges: the nodes serve neither "+hotPathV2+" nor "+hotPathV1+": no hot ranges", "err", hotSafeMessage(err))
			h.warnedMissing = true
		}
		h.report(s, t, "neither "+hotPathV2+" nor "+hotPathV1+" is served (HTTP 404 or not JSON): no hot ranges", Warning)
		return nil
	}
	if err != nil {
		log.Error("read hot ranges", "err", err)
		h.report(s, t, hotSafeMessage(err), Critical)
		return err
	}
	h.warnedMissing = false
	for _, ne := range nodeErrs {
		msg := oneLineText(ne.msg, 300)
		log.Warn("a node did not report its hot ranges", "node_id", ne.node, "err", msg)
		t.ReportNodeError(strconv.FormatInt(ne.node, 10), errors.New(msg))
	}

	top := hotTop(ranges, h.topN, h.minQPS)
	var sqlErr error
	if len(top) > 0 && t.SQL != nil {
		sqlErr = h.resolve(ctx, t.SQL, top)
		if sqlErr != nil {
			log.Error("resolve hot ranges to tables", "err", sqlErr)
		}
	}
	now := h.now()
	groups := h.send(s, now, top)

	var entered []hotGroup
	newTop := make(map[hotGroupKey]bool, len(groups))
	for _, g := range groups {
		newTop[g.key] = true
		if !h.top[g.key] && g.key.table != hotUnknown {
			entered = append(entered, g)
		}
	}
	h.top = newTop
	h.sendEvents(ctx, t, s, entered, now)

	warning := ""
	if len(nodeErrs) > 0 {
		ids := make([]string, 0, hotNodesShown+1)
		for _, ne := range nodeErrs[:min(len(nodeErrs), hotNodesShown)] {
			ids = append(ids, strconv.FormatInt(ne.node, 10))
		}
		if more := len(nodeErrs) - hotNodesShown; more > 0 {
			ids = append(ids, fmt.Sprintf("and %d more", more))
		}
		warning = fmt.Sprintf("nodes %s did not report their hot ranges (first error: %s)",
			strings.Join(ids, ", "), oneLineText(nodeErrs[0].msg, 200))
	}
	if t.SQL != nil {
		reportQueryWarning(s, hotCheckName, sqlErr, warning)
	}
	return nil
}

// report sends sql.can_query for the check on instances with SQL (every
// SQL check reports it; the hot ranges' names come from SQL).
func (h *HotRanges) report(s Sink, t *Target, msg string, st Status) {
	if t == nil || t.SQL == nil {
		return
	}
	sqlCanQuery.Send(s, st, errorMessage(hotCheckName+": "+msg), hotCheckName)
}

// ---- reading the endpoints ----

type hotNodeError struct {
	node int64
	msg  string
}

// fetch reads every node's hot ranges, merged by range id.
func (h *HotRanges) fetch(ctx context.Context, t *Target) ([]hotRange, []hotNodeError, error) {
	now := h.now()
	if h.v2MissingAt.IsZero() || now.Sub(h.v2MissingAt) >= hotReprobe {
		ranges, nodeErrs, err := h.fetchV2(ctx, t.API)
		if !hotNotServed(err) {
			if err == nil {
				h.v2MissingAt = time.Time{}
			}
			return ranges, nodeErrs, err
		}
		t.Log().Info("hot_ranges: "+hotPathV2+" not served (before v21.1?); reading "+hotPathV1, "retry_after", hotReprobe)
		h.v2MissingAt = now
	}
	return h.fetchV1(ctx, t.API)
}

// hotNotServed reports whether every node that was asked answered that it
// does not serve the endpoint (404, or a 2xx that is not JSON): one node
// down among them makes it a failure, not a missing endpoint.
func hotNotServed(err error) bool {
	if err == nil {
		return false
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !hotNotServed(e) {
				return false
			}
		}
		return len(j.Unwrap()) > 0
	}
	var ae *cluster.APIError
	return errors.As(err, &ae) && ae.NotFound()
}

// hotV2Response is either shape of GET /api/v2/ranges/hot/.
type hotV2Response struct {
	Ranges         []hotV2Range            `json:"ranges"`
	RangesByNodeID map[string][]hotV2Range `json:"ranges_by_node_id"`
	Errors         []struct {
		ErrorMessage string    `json:"error_message"`
		NodeID       rangesInt `json:"node_id"`
	} `json:"response_error"`
	Next string `json:"next"`
}

// hotV2Range holds the fields of both shapes' range entries.
type hotV2Range struct {
	RangeID           rangesInt `json:"range_id"`
	NodeID            rangesInt `json:"node_id"`
	LeaseholderNodeID rangesInt `json:"leaseholder_node_id"`
	QPS               *hotFloat `json:"qps"`
	QueriesPerSecond  hotFloat  `json:"queries_per_second"` // older shape
	Writes            *hotFloat `json:"writes_per_second"`
	Reads             hotFloat  `json:"reads_per_second"`
	WriteBytes        hotFloat  `json:"write_bytes_per_second"`
	ReadBytes         hotFloat  `json:"read_bytes_per_second"`
	CPU               hotFloat  `json:"cpu_time_per_second"`
	DatabaseName      string    `json:"database_name"`
	SchemaName        string    `json:"schema_name"`
	TableName         string    `json:"table_name"`
	IndexName         string    `json:"index_name"`
	Databases         []string  `json:"databases"`
	Tables            []string  `json:"tables"`
	Indexes           []string  `json:"indexes"`
	StartKey          hotBytes  `json:"start_key"`
}

func (h *HotRanges) fetchV2(ctx context.Context, api *cluster.API) ([]hotRange, []hotNodeError, error) {
	merged := map[int64]*hotRange{}
	var nodeErrs []hotNodeError
	start := ""
	for page := 0; page < hotMaxPages; page++ {
		path := hotPathV2
		if start != "" {
			path += "?start=" + url.QueryEscape(start)
		}
		var resp hotV2Response
		if err := api.Get(ctx, path, &resp); err != nil {
			return nil, nil, hotAPIError(err)
		}
		for _, r := range resp.Ranges {
			hotMerge(merged, r.toRange(int64(r.NodeID)))
		}
		for node, list := range resp.RangesByNodeID {
			id, _ := strconv.ParseInt(node, 10, 64)
			for _, r := range list {
				hotMerge(merged, r.toRange(id))
			}
		}
		for _, e := range resp.Errors {
			nodeErrs = append(nodeErrs, hotNodeError{node: int64(e.NodeID), msg: e.ErrorMessage})
		}
		if resp.Next == "" || resp.Next == start || len(resp.Ranges)+len(resp.RangesByNodeID) == 0 {
			break
		}
		start = resp.Next
	}
	return hotList(merged), hotSortErrs(nodeErrs), nil
}

func (r hotV2Range) toRange(reporter int64) hotRange {
	out := hotRange{id: int64(r.RangeID), node: reporter, qps: float64(r.QueriesPerSecond),
		database: r.DatabaseName, schema: r.SchemaName, table: r.TableName, index: r.IndexName, startKey: r.StartKey}
	if r.QPS != nil {
		out.qps = float64(*r.QPS)
	}
	if r.LeaseholderNodeID > 0 {
		out.node = int64(r.LeaseholderNodeID)
	}
	if r.Writes != nil { // the newer shape carries every rate
		out.rates = true
		out.writes, out.reads = float64(*r.Writes), float64(r.Reads)
		out.wBytes, out.rBytes, out.cpuNanos = float64(r.WriteBytes), float64(r.ReadBytes), float64(r.CPU)
	}
	// A range spanning several tables or indexes: named after the first,
	// as the DB Console lists them.
	if out.database == "" && len(r.Databases) > 0 {
		out.database = r.Databases[0]
	}
	if out.table == "" && len(r.Tables) > 0 {
		out.table = r.Tables[0]
	}
	if out.index == "" && len(r.Indexes) > 0 {
		out.index = r.Indexes[0]
	}
	return out
}

// hotV1Response is GET /_status/hotranges as v20.2 answers it.
type hotV1Response struct {
	ByNode map[string]struct {
		ErrorMessage string `json:"errorMessage"`
		Stores       []struct {
			HotRanges []struct {
				Desc struct {
					RangeID  rangesInt `json:"rangeId"`
					StartKey hotBytes  `json:"startKey"`
				} `json:"desc"`
				QPS hotFloat `json:"queriesPerSecond"`
			} `json:"hotRanges"`
		} `json:"stores"`
	} `json:"hotRangesByNodeId"`
}

func (h *HotRanges) fetchV1(ctx context.Context, api *cluster.API) ([]hotRange, []hotNodeError, error) {
	var resp hotV1Response
	if err := api.Get(ctx, hotPathV1, &resp); err != nil {
		return nil, nil, hotAPIError(err)
	}
	merged := map[int64]*hotRange{}
	var nodeErrs []hotNodeError
	for node, nr := range resp.ByNode {
		id, _ := strconv.ParseInt(node, 10, 64)
		if nr.ErrorMessage != "" {
			nodeErrs = append(nodeErrs, hotNodeError{node: id, msg: nr.ErrorMessage})
		}
		for _, st := range nr.Stores {
			for _, r := range st.HotRanges {
				hotMerge(merged, hotRange{id: int64(r.Desc.RangeID), node: id, qps: float64(r.QPS), startKey: r.Desc.StartKey})
			}
		}
	}
	return hotList(merged), hotSortErrs(nodeErrs), nil
}

// hotMerge keeps, per range, the report with the highest QPS: the
// leaseholder's (followers report little or nothing).
func hotMerge(m map[int64]*hotRange, r hotRange) {
	if r.id <= 0 {
		return
	}
	if old, ok := m[r.id]; ok && old.qps >= r.qps {
		return
	}
	m[r.id] = &r
}

func hotList(m map[int64]*hotRange) []hotRange {
	out := make([]hotRange, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	return out
}

func hotSortErrs(errs []hotNodeError) []hotNodeError {
	sort.Slice(errs, func(i, j int) bool { return errs[i].node < errs[j].node })
	return errs
}

// hotTop returns the n busiest ranges with at least minQPS, busiest first
// (range id breaks ties, so the order is stable).
func hotTop(all []hotRange, n int, minQPS float64) []hotRange {
	out := all[:0:0]
	for _, r := range all {
		if r.qps >= minQPS && r.qps > 0 {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b hotRange) int {
		if c := cmp.Compare(b.qps, a.qps); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	if len(out) > n {
		out = out[:n:n]
	}
	return out
}

// hotFloat is a JSON number, or a string holding one (proto3 JSON writes
// NaN and Infinity as strings); anything not a finite non-negative number
// reads as 0 rather than failing the whole response.
type hotFloat float64

func (f *hotFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		v = 0
	}
	*f = hotFloat(v)
	return nil
}

// hotBytes is a base64 JSON string (protobuf bytes); malformed is empty.
type hotBytes []byte

func (k *hotBytes) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		*k = nil
		return nil
	}
	v, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		v = nil
	}
	*k = v
	return nil
}

// hotAPIError makes a refused request (403) say which grant is missing.
func hotAPIError(err error) error {
	var ae *cluster.APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusForbidden {
		return &hotPermissionError{err: err}
	}
	return err
}

// hotPermissionError is a 403 from the hot ranges endpoint.
type hotPermissionError struct{ err error }

const hotGrantHint = "the user roachdog logs in as needs the VIEWCLUSTERMETADATA system privilege " +
	"(GRANT SYSTEM VIEWCLUSTERMETADATA TO roachdog; before v22.2, and where the API docs require it: GRANT admin TO roachdog)"

func (e *hotPermissionError) Error() string {
	return "hot ranges refused (HTTP 403): " + hotGrantHint + ": " + e.err.Error()
}

func (e *hotPermissionError) Unwrap() error { return e.err }

// hotSafeMessage describes a failed read (describeAPIErrors) on one
// bounded line, naming the grant when the nodes refused it.
func hotSafeMessage(err error) string {
	prefix := "reading hot ranges failed: "
	var pe *hotPermissionError
	if errors.As(err, &pe) {
		prefix = "hot ranges refused (HTTP 403): " + hotGrantHint + ": "
		err = pe.err
	}
	return oneLineText(prefix+describeAPIErrors(err), errorMessageMax)
}

// ---- resolving names ----

// resolve fills in database, table and index of the top ranges the
// endpoint did not name. It changes only what it can resolve; the rest
// stays empty (reported as "unknown").
func (h *HotRanges) resolve(ctx context.Context, db *cluster.DB, top []hotRange) error {
	var ids []int64
	for _, r := range top {
		if r.table == "" || r.database == "" {
			ids = append(ids, r.id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	byID := map[int64]*hotRange{}
	for i := range top {
		byID[top[i].id] = &top[i]
	}
	var errs []error
	if !h.noNameColumns {
		type row struct {
			ID                     int64
			Key                    []byte
			Database, Table, Index string
		}
		rows, err := queryRows(ctx, db, "query crdb_internal.ranges_no_leases", scanPrefixed(pgx.RowToStructByPos[row]), hotNamesQuery, ids)
		switch {
		case err == nil:
			for _, rw := range rows {
				if r := byID[rw.ID]; r != nil {
					r.database, r.table = cmp.Or(r.database, rw.Database), cmp.Or(r.table, rw.Table)
					r.index = cmp.Or(r.index, rw.Index)
					if len(r.startKey) == 0 {
						r.startKey = rw.Key
					}
				}
			}
		case hotUndefinedColumn(err):
			h.noNameColumns = true
		default:
			errs = append(errs, err)
		}
	}
	if h.noNameColumns {
		if err := h.resolveByKey(ctx, db, ids, byID); err != nil {
			errs = append(errs, err)
		}
	}
	if err := h.resolveIndexes(ctx, db, top); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// resolveByKey names ranges by the table id their start key begins with.
func (h *HotRanges) resolveByKey(ctx context.Context, db *cluster.DB, ids []int64, byID map[int64]*hotRange) error {
	var noKey []int64
	for _, id := range ids {
		if len(byID[id].startKey) == 0 {
			noKey = append(noKey, id)
		}
	}
	if len(noKey) > 0 {
		type row struct {
			ID  int64
			Key []byte
		}
		rows, err := queryRows(ctx, db, "query crdb_internal.ranges_no_leases", scanPrefixed(pgx.RowToStructByPos[row]), hotKeysQuery, noKey)
		if err != nil {
			return err
		}
		for _, rw := range rows {
			if r := byID[rw.ID]; r != nil {
				r.startKey = rw.Key
			}
		}
	}
	tables := map[int64][]*hotRange{}
	var tids []int64
	for _, id := range ids {
		r := byID[id]
		tid, ok := rangesTableID(r.startKey)
		if !ok {
			continue
		}
		if _, seen := tables[tid]; !seen {
			tids = append(tids, tid)
		}
		tables[tid] = append(tables[tid], r)
	}
	if len(tids) == 0 {
		return nil
	}
	type row struct {
		ID                     int64
		Database, Name, Schema string
	}
	for {
		q := hotTablesQuery
		if h.noSchemaCol {
			q = hotTablesQueryV20
		}
		rows, err := queryRows(ctx, db, "query crdb_internal.tables", scanPrefixed(pgx.RowToStructByPos[row]), q, tids)
		if err != nil {
			if !h.noSchemaCol && hotUndefinedColumn(err) {
				h.noSchemaCol = true
				continue
			}
			return err
		}
		for _, rw := range rows {
			for _, r := range tables[rw.ID] {
				r.database, r.table = cmp.Or(r.database, rw.Database), cmp.Or(r.table, rw.Name)
				r.schema = cmp.Or(r.schema, rw.Schema)
			}
		}
		return nil
	}
}

// resolveIndexes names the index of ranges that lie in one index but were
// given none (v20.2 leaves index_name empty for primary indexes), from
// the index id that follows the table id in the start key. A range that
// starts at its table's first key (no index id) keeps no index name.
func (h *HotRanges) resolveIndexes(ctx context.Context, db *cluster.DB, top []hotRange) error {
	type want struct {
		r            *hotRange
		table, index int64
	}
	byDB := map[string][]want{}
	for i := range top {
		r := &top[i]
		if r.index != "" || r.database == "" {
			continue
		}
		tid, iid, ok := hotTableIndexID(r.startKey)
		if !ok {
			continue
		}
		byDB[r.database] = append(byDB[r.database], want{r, tid, iid})
	}
	dbs := make([]string, 0, len(byDB))
	for d := range byDB {
		dbs = append(dbs, d)
	}
	sort.Strings(dbs)
	var errs []error
	for _, d := range dbs {
		ws := byDB[d]
		var tids []int64
		for _, w := range ws {
			if !slices.Contains(tids, w.table) {
				tids = append(tids, w.table)
			}
		}
		type row struct {
			Table, Index int64
			Name         string
		}
		// table_indexes lists the current database only on older
		// versions: qualify it with the range's database.
		q := fmt.Sprintf(hotIndexQuery, pgx.Identifier{d}.Sanitize()+".")
		rows, err := queryRows(ctx, db, "query "+d+".crdb_internal.table_indexes", scanPrefixed(pgx.RowToStructByPos[row]), q, tids)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, w := range ws {
			for _, rw := range rows {
				if rw.Table == w.table && rw.Index == w.index {
					w.r.index = rw.Name
				}
			}
		}
	}
	return errors.Join(errs...)
}

// hotTableIndexID decodes /Table/<table>/<index> from a system-tenant key
// (both uvarints, encoded as rangesTableID reads them).
func hotTableIndexID(key []byte) (table, index int64, ok bool) {
	table, ok = rangesTableID(key)
	if !ok {
		return 0, 0, false
	}
	rest := key[hotUvarintLen(key[0]):]
	index, ok = rangesTableID(rest)
	return table, index, ok
}

func hotUvarintLen(b byte) int {
	if b >= 0xf6 && b <= 0xfd {
		return 1 + int(b) - 0xf5
	}
	return 1
}

func hotUndefinedColumn(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42703"
}

// ---- sending ----

// hotGroup is the top ranges of one table and index with one leaseholder.
type hotGroup struct {
	key      hotGroupKey
	node     int64
	ranges   []hotRange // busiest first
	qps, max float64
	rates    bool
	writes   float64
	reads    float64
	wBytes   float64
	rBytes   float64
	cpuNanos float64
}

// send reports the gauges of the top ranges, grouped by table, index and
// leaseholder, and zeroes once the groups that left the top N.
func (h *HotRanges) send(s Sink, now time.Time, top []hotRange) []hotGroup {
	type gk struct {
		key  hotGroupKey
		node int64
	}
	idx := map[gk]int{}
	var groups []hotGroup
	for _, r := range top {
		k := gk{hotKeyOf(r), r.node}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, hotGroup{key: k.key, node: r.node})
		}
		g := &groups[i]
		g.ranges = append(g.ranges, r)
		g.qps += r.qps
		g.max = max(g.max, r.qps)
		if r.rates {
			g.rates = true
			g.writes += r.writes
			g.reads += r.reads
			g.wBytes += r.wBytes
			g.rBytes += r.rBytes
			g.cpuNanos += r.cpuNanos
		}
	}
	h.series.begin()
	for _, g := range groups {
		db, table, index, node := g.key.database, g.key.table, g.key.index, strconv.FormatInt(g.node, 10)
		h.series.gauge(s, now, hotQPS.Series(db, table, index, node), g.qps)
		h.series.gauge(s, now, hotMaxQPS.Series(db, table, index, node), g.max)
		h.series.gauge(s, now, hotRanges.Series(db, table, index, node), float64(len(g.ranges)))
		if g.rates {
			h.series.gauge(s, now, hotWrites.Series(db, table, index, node), g.writes)
			h.series.gauge(s, now, hotReads.Series(db, table, index, node), g.reads)
			h.series.gauge(s, now, hotWriteBytes.Series(db, table, index, node), g.wBytes)
			h.series.gauge(s, now, hotReadBytes.Series(db, table, index, node), g.rBytes)
			h.series.gauge(s, now, hotCPU.Series(db, table, index, node), g.cpuNanos)
		}
	}
	h.series.sweep(s, now)
	return groups
}

// hotKeyOf names a range's table as the schema check does
// ("schema.table"; the bare table where the version gives no schema).
func hotKeyOf(r hotRange) hotGroupKey {
	k := hotGroupKey{database: cmp.Or(r.database, hotUnknown), table: hotUnknown, index: cmp.Or(r.index, hotUnknown)}
	if r.table != "" {
		k.table = r.table
		if r.schema != "" {
			k.table = r.schema + "." + r.table
		}
	}
	return k
}

// sendEvents announces the tables and indexes that entered the top N, at
// most maxEvents of them (the busiest), the rest in one summary.
func (h *HotRanges) sendEvents(ctx context.Context, t *Target, s Sink, entered []hotGroup, now time.Time) {
	if len(entered) == 0 {
		return
	}
	// One entry per table and index: the busiest leaseholder's group.
	seen := map[hotGroupKey]bool{}
	list := entered[:0:0]
	for _, g := range entered {
		if !seen[g.key] {
			seen[g.key] = true
			list = append(list, g)
		}
	}
	fixes := h.sequentialFixes(ctx, t, list)
	for i, g := range list {
		if i == h.maxEvents {
			var lines []string
			for _, r := range list[i:] {
				lines = append(lines, "- "+oneLineText(hotTitle(r), hotNameMax*3))
			}
			hotEntered.Send(s, Event{
				Title:          fmt.Sprintf("%d more tables or indexes entered the top %d hot ranges", len(list)-i, h.topN),
				Text:           truncateText(strings.Join(lines, "\n"), schemaMaxEventText),
				AggregationKey: hotCheckName,
				AlertType:      Info,
				Timestamp:      now,
			}, "summary", "summary", "summary")
			return
		}
		hotEntered.Send(s, Event{
			Title:          oneLineText(hotTitle(g), schemaMaxEventTitle),
			Text:           truncateText(h.eventText(t, g, fixes[g.key]), schemaMaxEventText),
			AggregationKey: hotCheckName + " " + oneLineText(g.key.database+"."+g.key.table, hotNameMax*2),
			AlertType:      WarningAlert,
			Timestamp:      now,
		}, g.key.database, g.key.table, g.key.index)
	}
}

func hotTitle(g hotGroup) string {
	return fmt.Sprintf("Hot range in %s.%s@%s", g.key.database, g.key.table, g.key.index)
}

func (h *HotRanges) eventText(t *Target, g hotGroup, fix string) string {
	r := g.ranges[0]
	var b strings.Builder
	name := func(s string) string { return oneLineText(s, hotNameMax) }
	fmt.Fprintf(&b, "Range %d of %s.%s, index %s, entered the cluster's top %d ranges by QPS: %.1f queries/s.",
		r.id, name(g.key.database), name(g.key.table), name(g.key.index), h.topN, r.qps)
	if len(g.ranges) > 1 {
		fmt.Fprintf(&b, " %d of the top ranges are in this index on this leaseholder (%.1f queries/s together).", len(g.ranges), g.qps)
	}
	fmt.Fprintf(&b, "\n\nLeaseholder: node %d, locality %s.", r.node, hotLocality(t, r.node))
	if r.rates {
		fmt.Fprintf(&b, "\nWrites %.1f/s (%.0f B/s), reads %.1f/s (%.0f B/s), CPU %.1f ms/s.",
			r.writes, r.wBytes, r.reads, r.rBytes, r.cpuNanos/1e6)
	}
	if fix != "" {
		b.WriteString("\n\n" + fix)
	}
	return b.String()
}

// hotLocality is the leaseholder's locality as the node list knows it.
func hotLocality(t *Target, node int64) string {
	for _, n := range t.Nodes {
		if int64(n.ID) == node && node > 0 && len(n.Locality) > 0 {
			parts := make([]string, 0, len(n.Locality))
			for _, tier := range n.Locality {
				parts = append(parts, oneLineText(tier.Key, 64)+"="+oneLineText(tier.Value, 64))
			}
			return strings.Join(parts, ",")
		}
	}
	return hotUnknown
}

// sequentialFixes asks the schema check's rules whether each entered
// index is led by a sequential column, and returns the explanation with
// its hash-sharded fix by group. One catalog analysis per database; a
// failure only loses the suggestion (logged).
func (h *HotRanges) sequentialFixes(ctx context.Context, t *Target, list []hotGroup) map[hotGroupKey]string {
	out := map[hotGroupKey]string{}
	if t.SQL == nil {
		return out
	}
	info := t.SQL.Server()
	if !info.IsCockroach && info.Version.IsZero() {
		return out // PostgreSQL: no hash sharding to suggest
	}
	if len(list) > h.maxEvents {
		list = list[:h.maxEvents]
	}
	sc := &Schema{now: h.now, dbs: map[string]*schemaDBState{}}
	problems := map[string][]schemaProblem{}
	for _, g := range list {
		d := g.key.database
		// The system database's tables are CockroachDB's own: no fix to
		// suggest there.
		if d == hotUnknown || d == "system" || g.key.index == hotUnknown {
			continue
		}
		found, ok := problems[d]
		if !ok {
			var err error
			found, _, err = sc.analyseDatabase(ctx, t.SQL, t.Log(), d, info, true)
			if err != nil {
				t.Log().Warn("hot_ranges: cannot tell whether the hot index is sequential", "database", oneLineText(d, hotNameMax), "err", err)
			}
			problems[d] = found
		}
		for _, p := range found {
			if p.kind != schemaProblemSequential || p.object != g.key.index {
				continue
			}
			if p.table != g.key.table && p.schema+"."+p.table != g.key.table {
				continue
			}
			out[g.key] = schemaText(p, info)
			break
		}
	}
	return out
}

// What the hot_ranges check sends. The gauges are per table, index and
// leaseholder node, for the top N ranges only.
var (
	hotQPS = hotGauge("hot_ranges.qps", "query",
		"Queries per second served by the top-N hot ranges of the index on that leaseholder node (top N only; 0 once when it leaves).")
	hotMaxQPS = hotGauge("hot_ranges.max_range_qps", "query",
		"Queries per second of the busiest of those ranges: the one to watch for a single hot range.")
	hotRanges = hotGauge("hot_ranges.ranges", "range",
		"How many of the cluster's top-N hot ranges are in the index on that leaseholder node.")
	hotWrites = hotGauge("hot_ranges.writes_per_second", "operation",
		"Writes per second of those ranges (versions whose hot ranges API reports it).")
	hotReads = hotGauge("hot_ranges.reads_per_second", "operation",
		"Reads per second of those ranges (versions whose hot ranges API reports it).")
	hotWriteBytes = hotGauge("hot_ranges.write_bytes_per_second", "byte",
		"Bytes written per second to those ranges (versions whose hot ranges API reports it).")
	hotReadBytes = hotGauge("hot_ranges.read_bytes_per_second", "byte",
		"Bytes read per second from those ranges (versions whose hot ranges API reports it).")
	hotCPU = hotGauge("hot_ranges.cpu_nanos_per_second", "nanosecond",
		"CPU nanoseconds per second spent on those ranges (versions whose hot ranges API reports it).")
	hotEntered = emit.EventSpec{Name: "hot_ranges.entered", Tags: emit.Keys("database", "table", "index"), PerNode: 1, ClusterLevel: true,
		Description: "A table's index entered the top-N hot ranges: range id, QPS, leaseholder node and locality, and the hash-sharded fix when the index is led by a sequential column.",
	}.Register(hotCheckName)
)

// hotGauge registers one of the hot_ranges gauges, which share their tags.
func hotGauge(name, unit, description string) *emit.GaugeDef {
	return emit.Gauge{Name: name, Unit: unit, Tags: emit.Keys("database", "table", "index", "node_id"),
		PerNode: HotRangesDefaultTopN, ClusterLevel: true, Description: description,
	}.Register(hotCheckName)
}
