// Package health is the judgement behind `roachdog health`, the one-shot
// pre-maintenance gate: it reads one cluster once and says whether taking
// a node down is safe:
//
//   - every node that has not been decommissioned is live (liveness over
//     SQL, derived with the liveness check's rules);
//   - no range is under-replicated or unavailable (the sums over every
//     node's /_status/vars, computed by the vars check);
//   - no range would lose quorum with the node in question or with any one
//     node down: POST /_status/critical_nodes on v23.1+, else computed from
//     crdb_internal.ranges_no_leases and the liveness states (quorum.go).
//
// Gather reads and judges; the command line (flags, opening the cluster,
// printing the Report, exit status) is cmd/roachdog's.
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
)

// Conn is what the gate reads one cluster with: its configuration and the
// cluster opened from it. The caller opens the cluster (see roachdog
// health: the statement timeout follows --timeout) and closes it.
type Conn struct {
	Instance config.Instance
	*cluster.Handle
}

// not be read becomes a finding.
func Gather(ctx context.Context, c *Conn, nodeID int64, logger *slog.Logger) *Report {
	var in inputs
	in.cluster, in.nodeID = c.Instance.Cluster, nodeID

	nodes, err := c.Source.Nodes(ctx)
	if err != nil {
		in.notes = append(in.notes, fmt.Sprintf("node discovery failed; using the %d known status URLs: %v", len(nodes), err))
	}
	var api *cluster.API
	if len(nodes) > 0 {
		api = c.API // tries the nodes just listed
	}

	// Scrape while SQL is read: different endpoints, one deadline.
	done := make(chan struct{})
	go func() {
		defer close(done)
		vc, _ := c.Instance.Checks.Get("vars")
		v := checks.OptionsOf[checks.VarsOptions](c.Instance.Checks)
		in.ranges, in.rangesErr = checks.ScrapeRangeHealth(ctx, &checks.Target{
			Cluster: c.Instance.Cluster,
			Nodes:   nodes,
			HTTP:    c.HTTP,
			Logger:  logger,
		}, checks.VarsOptions{
			Timeout:            vc.Timeout,
			MaxPayloadBytes:    v.MaxPayloadBytes,
			MaxConcurrent:      v.MaxConcurrent,
			MaxSeriesPerFamily: v.MaxSeriesPerFamily,
			MaxSeriesPerCycle:  v.MaxSeriesPerCycle,
			Quantiles:          []float64{}, // histograms are not needed
		})
	}()

	if c.DB == nil {
		in.liveErr = errors.New("no sql_url configured for this cluster: node liveness is read over SQL")
	} else {
		in.live, in.liveErr = checks.ReadLiveness(ctx, c.DB, logger)
		if v := c.DB.Server().Version; !v.IsZero() {
			in.version = "CockroachDB " + v.String()
		}
	}
	in.quorum = readQuorum(ctx, c.DB, api, in.live, in.liveErr)
	<-done
	return evaluate(in)
}

// inputs is everything read from the cluster.
type inputs struct {
	cluster   string
	version   string
	nodeID    int64
	live      checks.LivenessSnapshot
	liveErr   error
	ranges    checks.RangeHealth
	rangesErr error
	quorum    quorumResult
	notes     []string
}

// Verdicts (Report.Verdict).
const (
	Safe    = "safe"
	NotSafe = "not_safe"
	Unknown = "unknown" // nothing could be read
)

// Report is the gate's answer, printed as text or JSON.
type Report struct {
	Cluster string `json:"cluster"`
	Version string `json:"version,omitempty"`
	// NodeID is the node about to be taken down (--node-id); 0 (omitted)
	// means any node.
	NodeID   int64    `json:"node_id,omitempty"`
	Safe     bool     `json:"safe"`
	Verdict  string   `json:"verdict"`
	Liveness Liveness `json:"liveness"`
	Nodes    []Node   `json:"nodes"`
	Ranges   Ranges   `json:"ranges"`
	Quorum   Quorum   `json:"quorum"`
	// Findings are the reasons it is not safe, one per line.
	Findings []string `json:"findings"`
	// Notes are things worth knowing that do not decide the verdict.
	Notes []string `json:"notes,omitempty"`
}

// Liveness says where the liveness states came from, or why they could
// not be read.
type Liveness struct {
	Source string `json:"source,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Node is one liveness record.
type Node struct {
	NodeID  int64  `json:"node_id"`
	Address string `json:"address"`
	State   string `json:"state"`
}

// Ranges are the sums of the range gauges over every scraped node.
type Ranges struct {
	Source          string `json:"source"`
	Total           int64  `json:"total"`
	Underreplicated int64  `json:"underreplicated"`
	Unavailable     int64  `json:"unavailable"`
	NodesScraped    int    `json:"nodes_scraped"`
	NodesTried      int    `json:"nodes_tried"`
	Error           string `json:"error,omitempty"`
}

// Quorum says which nodes cannot stop without a range losing quorum.
type Quorum struct {
	Source string `json:"source"`
	// RangesRead is how many ranges were examined (computed over SQL).
	RangesRead int `json:"ranges_read,omitempty"`
	// CriticalNodes are the nodes the cluster says are not safe to stop.
	CriticalNodes []int64 `json:"critical_nodes,omitempty"`
	// AtRisk lists, per node, the ranges that lose quorum without it
	// (computed), or the under-replicated or unavailable ranges it holds a
	// replica of (critical nodes).
	AtRisk []Risk `json:"at_risk"`
	// WithoutQuorum counts ranges already below quorum (computed).
	WithoutQuorum int    `json:"ranges_without_quorum"`
	Error         string `json:"error,omitempty"`
}

// Risk is one node that cannot stop, and how many ranges it puts at risk.
type Risk struct {
	NodeID int64 `json:"node_id"`
	Ranges int   `json:"ranges"`
}

// evaluate turns what was read into findings and a verdict.
func evaluate(in inputs) *Report {
	rep := &Report{
		Cluster:  in.cluster,
		Version:  in.version,
		NodeID:   in.nodeID,
		Nodes:    []Node{},
		Findings: []string{},
	}
	// One line each: joined errors carry newlines.
	find := func(format string, a ...any) { rep.Findings = append(rep.Findings, oneLine(fmt.Sprintf(format, a...))) }
	note := func(format string, a ...any) { rep.Notes = append(rep.Notes, oneLine(fmt.Sprintf(format, a...))) }

	for _, n := range in.notes {
		note("%s", n)
	}

	// Nodes.
	addr := map[int64]string{}
	heartbeating := map[int64]bool{}
	if in.liveErr != nil {
		rep.Liveness.Error = oneLine(in.liveErr.Error())
		find("could not determine node liveness: %v", in.liveErr)
	} else {
		rep.Liveness.Source = in.live.Source
		for _, w := range in.live.Warnings {
			note("%v", w)
		}
		for _, n := range in.live.Nodes {
			addr[n.NodeID] = n.Address
			rep.Nodes = append(rep.Nodes, Node{NodeID: n.NodeID, Address: oneLine(n.Address), State: oneLine(n.State)})
			if n.Heartbeating && !n.Decommissioned() {
				heartbeating[n.NodeID] = true
			}
			if !n.Live() && !n.Decommissioned() {
				find("%s is %s", nodeLabel(n.NodeID, n.Address), n.State)
			}
		}
		if len(in.live.Nodes) == 0 {
			find("could not determine node liveness: the liveness table has no record")
		}
		if in.nodeID > 0 {
			switch n, ok := findNode(in.live.Nodes, in.nodeID); {
			case !ok:
				find("node %d is not in the cluster's liveness records (check --node-id)", in.nodeID)
			case n.Decommissioned():
				note("node %d is decommissioned: it holds no replica, stopping it affects no range", in.nodeID)
			}
		}
	}

	// Ranges.
	rh := in.ranges
	rep.Ranges = Ranges{
		Source: "/_status/vars", Total: rh.Ranges, Underreplicated: rh.Underreplicated,
		Unavailable: rh.Unavailable, NodesScraped: len(rh.Scraped), NodesTried: rh.Targets,
	}
	rangesErr := in.rangesErr
	if rangesErr == nil {
		rangesErr = rangesIncomplete(rh, in.liveErr == nil, heartbeating)
	}
	if rangesErr != nil {
		rep.Ranges.Error = oneLine(rangesErr.Error())
		find("could not determine range health: %v", rangesErr)
	} else {
		if rh.Underreplicated > 0 {
			find("%s under-replicated (sum of ranges_underreplicated over every node)", plural(rh.Underreplicated, "range is", "ranges are"))
		}
		if rh.Unavailable > 0 {
			find("%s unavailable (sum of ranges_unavailable over every node)", plural(rh.Unavailable, "range is", "ranges are"))
		}
		for _, err := range rh.Failed {
			note("%v", err) // a node that is down anyway: its ranges are counted by others
		}
	}

	// Quorum.
	q := in.quorum
	rep.Quorum = Quorum{Source: q.source, RangesRead: q.ranges, WithoutQuorum: q.withoutQuorum, AtRisk: []Risk{}}
	for _, n := range q.notes {
		note("%s", n)
	}
	switch {
	case q.err != nil:
		rep.Quorum.Error = oneLine(q.err.Error())
		find("could not determine quorum: %v", q.err)
	case q.critical != nil:
		rep.Quorum.CriticalNodes = q.critical.Nodes
		for _, id := range q.critical.Nodes {
			rep.Quorum.AtRisk = append(rep.Quorum.AtRisk, Risk{NodeID: id, Ranges: q.critical.AtRisk[id]})
		}
		for _, r := range rep.Quorum.AtRisk {
			if in.nodeID == 0 || r.NodeID == in.nodeID {
				find("%s is critical (%s): it holds replicas of %s, which could lose quorum without it",
					nodeLabel(r.NodeID, addr[r.NodeID]), QuorumFromCritical, plural(int64(r.Ranges), "under-replicated or unavailable range", "under-replicated or unavailable ranges"))
			}
		}
	default:
		ids := make([]int64, 0, len(q.atRisk))
		for id := range q.atRisk {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			rep.Quorum.AtRisk = append(rep.Quorum.AtRisk, Risk{NodeID: id, Ranges: q.atRisk[id]})
			if in.nodeID == 0 || id == in.nodeID {
				find("stopping %s would lose quorum for %s", nodeLabel(id, addr[id]), plural(int64(q.atRisk[id]), "range", "ranges"))
			}
		}
		if q.withoutQuorum > 0 {
			find("%s already fewer live voters than a majority", plural(int64(q.withoutQuorum), "range has", "ranges have"))
		}
		if q.unknownStores > 0 {
			note("%s a voter on a store that no node reports (crdb_internal.kv_store_status); counted as not live",
				plural(int64(q.unknownStores), "range has", "ranges have"))
		}
	}

	switch {
	case in.liveErr != nil && in.rangesErr != nil && q.err != nil:
		rep.Verdict = Unknown
	case len(rep.Findings) == 0:
		rep.Verdict, rep.Safe = Safe, true
	default:
		rep.Verdict = NotSafe
	}
	return rep
}

// rangesIncomplete says why the scraped sums may not be the cluster's: a
// node that is up but was not scraped counts ranges nobody else counts.
func rangesIncomplete(rh checks.RangeHealth, liveKnown bool, heartbeating map[int64]bool) error {
	if !liveKnown {
		if len(rh.Failed) > 0 {
			return fmt.Errorf("%d of %d nodes could not be scraped and liveness is unknown: %w",
				len(rh.Failed), rh.Targets, errors.Join(rh.Failed...))
		}
		return nil
	}
	scraped := map[int64]bool{}
	for _, id := range rh.Scraped {
		scraped[int64(id)] = true
	}
	var missing []string
	for id := range heartbeating {
		if !scraped[id] {
			missing = append(missing, "n"+strconv.FormatInt(id, 10))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	err := fmt.Errorf("/_status/vars not read from running node(s) %s (list every node in status_urls, or use discover: true)", strings.Join(missing, ", "))
	if len(rh.Failed) > 0 {
		err = fmt.Errorf("%w: %w", err, errors.Join(rh.Failed...))
	}
	return err
}

// oneLine makes text read from a server one printable line: its lines
// (errors.Join's, or a server's CR LF) joined with "; ", other control
// characters (tabs, terminal escapes) as spaces.
func oneLine(s string) string {
	var lines []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
	}) {
		l = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, l)
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

func findNode(nodes []checks.NodeLiveness, id int64) (checks.NodeLiveness, bool) {
	for _, n := range nodes {
		if n.NodeID == id {
			return n, true
		}
	}
	return checks.NodeLiveness{}, false
}

func nodeLabel(id int64, addr string) string {
	if addr == "" {
		return fmt.Sprintf("node %d", id)
	}
	return fmt.Sprintf("node %d (%s)", id, addr)
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}
