package main

// roachdog health is a one-shot pre-maintenance gate: run it before
// draining a node or starting a rolling upgrade. It reads the cluster once
// and says whether taking a node down is safe:
//
//   - every node that has not been decommissioned is live (liveness over
//     SQL, derived with the liveness check's rules);
//   - no range is under-replicated or unavailable (the sums over every
//     node's /_status/vars, computed by the vars check);
//   - no range would lose quorum with the node (--node-id) or with any one
//     node down: POST /_status/critical_nodes on v23.1+, else computed from
//     crdb_internal.ranges_no_leases and the liveness states.
//
// Exit status: 0 safe, 1 not safe or could not tell, 2 usage.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/config"
)

const healthDefaultTimeout = 30 * time.Second

// Errors of cmdHealth after the report is printed (exit status 1).
var (
	errHealthNotSafe = errors.New("not safe")
	errHealthUnknown = errors.New("could not determine the cluster's health")
)

type healthFlags struct {
	config  string
	cluster string
	nodeID  int64
	timeout time.Duration
	format  string
}

func parseHealthFlags(args []string, stderr io.Writer) (healthFlags, error) {
	var f healthFlags
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", defaultConfig, "configuration file")
	fs.StringVar(&f.cluster, "cluster", "", "cluster to check, as in instances[].cluster (required when the config has several)")
	fs.Int64Var(&f.nodeID, "node-id", 0, "the node about to be taken down (CockroachDB node ID); without it, any node")
	fs.DurationVar(&f.timeout, "timeout", healthDefaultTimeout, "give up after this long (every query and scrape included)")
	fs.StringVar(&f.format, "format", "text", "text or json")
	if err := fs.Parse(args); err != nil {
		return f, errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	bad := func(format string, a ...any) (healthFlags, error) {
		fmt.Fprintf(stderr, "health: "+format+"\n", a...)
		return f, errUsage
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case set["node-id"] && f.nodeID <= 0:
		return bad("--node-id must be a positive node ID")
	case f.timeout <= 0:
		return bad("--timeout must be positive")
	case f.format != "text" && f.format != "json":
		return bad("--format %q: want text or json", f.format)
	}
	return f, nil
}

// pickInstance returns the instance named by --cluster, or the only one.
func pickInstance(cfg *config.Config, name string, stderr io.Writer) (config.Instance, error) {
	names := make([]string, len(cfg.Instances))
	for i, in := range cfg.Instances {
		if name != "" && in.Cluster == name {
			return in, nil
		}
		names[i] = in.Cluster
	}
	switch {
	case name != "":
		fmt.Fprintf(stderr, "health: no cluster %q in %s (clusters: %s)\n", name, cfg.File, strings.Join(names, ", "))
	case len(cfg.Instances) == 1:
		return cfg.Instances[0], nil
	default:
		fmt.Fprintf(stderr, "health: %s has %d clusters; choose one with --cluster (%s)\n", cfg.File, len(names), strings.Join(names, ", "))
	}
	return config.Instance{}, errUsage
}

func cmdHealth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseHealthFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := config.Load(f.config)
	if err != nil {
		return err
	}
	in, err := pickInstance(cfg, f.cluster, stderr)
	if err != nil {
		return err
	}
	// The report goes to stdout; warnings (unreachable node, failed
	// discovery) to stderr, unless the config asks for more or less.
	level := "warn"
	if l := strings.ToLower(cfg.Init.LogLevel); l == "debug" || l == "error" {
		level = l
	}
	logger, err := newLogger(stderr, cfg.Init.LogFormat, level)
	if err != nil {
		return err
	}
	logger = logger.With("cluster", in.Cluster)

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	conn, err := healthConnect(ctx, in, f.timeout, logger)
	if err != nil {
		return fmt.Errorf("cluster %q: %w", in.Cluster, err)
	}
	defer conn.close()

	rep := gatherHealth(ctx, conn, f.nodeID, logger)
	if f.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else if err := rep.writeText(stdout); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	switch rep.Verdict {
	case healthSafe:
		return nil
	case healthUnknown:
		return errHealthUnknown
	default:
		return errHealthNotSafe
	}
}

// healthConn is what the gate reads one cluster with. It is built here
// rather than by buildInstances so that the statement timeout follows
// --timeout (a large cluster's crdb_internal.ranges_no_leases can take
// longer than the collector's default) and only the chosen cluster is
// opened.
type healthConn struct {
	in     config.Instance
	http   *http.Client
	db     *cluster.DB // nil without sql_url
	source cluster.Source
}

func healthConnect(ctx context.Context, in config.Instance, timeout time.Duration, logger *slog.Logger) (*healthConn, error) {
	client, err := newHTTPClient(in.TLS)
	if err != nil {
		return nil, err
	}
	c := &healthConn{in: in, http: client}
	var seeds []cluster.Node
	for _, u := range in.StatusURLs {
		seeds = append(seeds, cluster.Node{StatusURL: strings.TrimRight(u, "/")})
	}
	c.source = cluster.Static(seeds)
	if in.SQLURL != "" {
		// Fails only on a malformed URL; an unreachable server shows up
		// in the report.
		c.db, err = cluster.OpenDB(ctx, in.SQLURL, logger, cluster.WithQueryTimeout(timeout), cluster.WithMaxConns(2))
		if err != nil {
			return nil, fmt.Errorf("sql_url %s: %w", in.RedactedSQLURL, err)
		}
	}
	if in.Discover && c.db != nil {
		c.source = cluster.NewDiscovery(c.db, cluster.DiscoveryOptions{
			Scheme:   in.Discovery.Scheme,
			HTTPPort: in.Discovery.HTTPPort,
			Seeds:    in.StatusURLs,
		}, logger)
	}
	return c, nil
}

func (c *healthConn) close() {
	if c.db != nil {
		c.db.Close()
	}
	c.http.CloseIdleConnections()
}

// gatherHealth reads the cluster and judges it. It never fails: what could
// not be read becomes a finding.
func gatherHealth(ctx context.Context, c *healthConn, nodeID int64, logger *slog.Logger) *healthReport {
	var in healthInputs
	in.cluster, in.nodeID = c.in.Cluster, nodeID

	nodes, err := c.source.Nodes(ctx)
	if err != nil {
		in.notes = append(in.notes, fmt.Sprintf("node discovery failed; using the %d known status URLs: %v", len(nodes), err))
	}
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.StatusURL
	}
	var api *cluster.API
	if len(urls) > 0 {
		api = cluster.NewAPI(c.http, func() []string { return urls }, c.in.APIUser, c.in.APIPassword)
	}

	// Scrape while SQL is read: different endpoints, one deadline.
	done := make(chan struct{})
	go func() {
		defer close(done)
		v := c.in.Checks.Vars
		in.ranges, in.rangesErr = checks.ScrapeRangeHealth(ctx, &checks.Target{
			Cluster: c.in.Cluster,
			Nodes:   nodes,
			HTTP:    c.http,
			Logger:  logger,
		}, checks.VarsOptions{
			Timeout:            v.Timeout,
			MaxPayloadBytes:    v.MaxPayloadBytes,
			MaxConcurrent:      v.MaxConcurrentScrapes,
			MaxSeriesPerFamily: v.MaxSeriesPerFamily,
			MaxSeriesPerCycle:  v.MaxSeriesPerCycle,
			Quantiles:          []float64{}, // histograms are not needed
		})
	}()

	if c.db == nil {
		in.liveErr = errors.New("no sql_url configured for this cluster: node liveness is read over SQL")
	} else {
		in.live, in.liveErr = checks.ReadLiveness(ctx, c.db, logger)
		if v := c.db.Server().Version; !v.IsZero() {
			in.version = "CockroachDB " + v.String()
		}
	}
	in.quorum = readQuorum(ctx, c.db, api, in.live, in.liveErr)
	<-done
	return evaluateHealth(in)
}

const (
	quorumFromCritical = "POST /_status/critical_nodes"
	quorumFromRanges   = "crdb_internal.ranges_no_leases"
)

// quorumResult is what the quorum verdict is made of.
type quorumResult struct {
	source string
	// critical is the endpoint's answer (v23.1+).
	critical *checks.CriticalNodes
	// Computed over SQL: ranges read, ranges that lose quorum per node
	// taken down, ranges already below quorum, ranges with a voter on a
	// store of no known node (counted as not live).
	ranges        int
	atRisk        map[int64]int
	withoutQuorum int
	unknownStores int
	notes         []string
	err           error
}

// readQuorum asks the cluster which nodes are not safe to stop (v23.1+), or
// computes it from every range's voters and the liveness states.
func readQuorum(ctx context.Context, db *cluster.DB, api *cluster.API, live checks.LivenessSnapshot, liveErr error) quorumResult {
	var v cluster.Version
	if db != nil {
		v = db.Server().Version
	}
	var critErr error
	if api != nil && (v.IsZero() || v.AtLeast(23, 1)) {
		cn, err := checks.ReadCriticalNodes(ctx, api)
		if err == nil {
			return quorumResult{source: quorumFromCritical, critical: &cn}
		}
		critErr = err
	}
	res := quorumResult{source: quorumFromRanges}
	switch {
	case db == nil:
		res.err = errors.Join(critErr, errors.New("no sql_url configured for this cluster: "+quorumFromRanges+" is read over SQL"))
	case liveErr != nil:
		res.err = errors.Join(critErr, errors.New("computing it needs the node liveness states, which could not be read"))
	default:
		voters, err := checks.ReadRangeVoters(ctx, db)
		if err != nil {
			res.err = errors.Join(critErr, err)
			return res
		}
		res.ranges = len(voters)
		res.atRisk, res.withoutQuorum, res.unknownStores = quorumLoss(voters, votingNodes(live))
		if critErr != nil {
			res.notes = append(res.notes, fmt.Sprintf("%s failed, so quorum was computed over SQL: %v", quorumFromCritical, critErr))
		}
	}
	return res
}

// votingNodes are the nodes whose voters count toward quorum: those that
// heartbeat (live, draining, or decommissioning while still up).
func votingNodes(live checks.LivenessSnapshot) map[int64]bool {
	up := make(map[int64]bool, len(live.Nodes))
	for _, n := range live.Nodes {
		if n.Heartbeating && !n.Decommissioned() {
			up[n.NodeID] = true
		}
	}
	return up
}

// quorumLoss counts, for each node, the ranges that would lose quorum if it
// went down: a range keeps quorum while its live voters number at least
// floor(voters/2)+1. Ranges already below that are counted apart (lost),
// and so are ranges with a voter on a store no node reports (unknown; such
// a voter counts as not live).
func quorumLoss(ranges []checks.RangeVoters, up map[int64]bool) (atRisk map[int64]int, lost, unknown int) {
	atRisk = map[int64]int{}
	for _, r := range ranges {
		voters := len(r.Nodes) + len(r.UnknownStores)
		if voters == 0 {
			continue
		}
		if len(r.UnknownStores) > 0 {
			unknown++
		}
		need := voters/2 + 1
		alive := 0
		for _, id := range r.Nodes {
			if up[id] {
				alive++
			}
		}
		if alive < need {
			lost++
			continue
		}
		for i, id := range r.Nodes {
			if !up[id] || containsID(r.Nodes[:i], id) {
				continue
			}
			// Two stores of one node can both hold voters (briefly,
			// while rebalancing between them): the node takes both.
			mine := 0
			for _, other := range r.Nodes {
				if other == id {
					mine++
				}
			}
			if alive-mine < need {
				atRisk[id]++
			}
		}
	}
	return atRisk, lost, unknown
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// healthInputs is everything read from the cluster.
type healthInputs struct {
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

// Verdicts.
const (
	healthSafe    = "safe"
	healthNotSafe = "not_safe"
	healthUnknown = "unknown" // nothing could be read
)

// healthReport is the gate's answer, printed as text or JSON.
type healthReport struct {
	Cluster string `json:"cluster"`
	Version string `json:"version,omitempty"`
	// NodeID is --node-id; 0 (omitted) means any node.
	NodeID   int64          `json:"node_id,omitempty"`
	Safe     bool           `json:"safe"`
	Verdict  string         `json:"verdict"`
	Liveness healthLiveness `json:"liveness"`
	Nodes    []healthNode   `json:"nodes"`
	Ranges   healthRanges   `json:"ranges"`
	Quorum   healthQuorum   `json:"quorum"`
	// Findings are the reasons it is not safe, one per line.
	Findings []string `json:"findings"`
	// Notes are things worth knowing that do not decide the verdict.
	Notes []string `json:"notes,omitempty"`
}

type healthLiveness struct {
	Source string `json:"source,omitempty"`
	Error  string `json:"error,omitempty"`
}

type healthNode struct {
	NodeID  int64  `json:"node_id"`
	Address string `json:"address"`
	State   string `json:"state"`
}

type healthRanges struct {
	Source          string `json:"source"`
	Total           int64  `json:"total"`
	Underreplicated int64  `json:"underreplicated"`
	Unavailable     int64  `json:"unavailable"`
	NodesScraped    int    `json:"nodes_scraped"`
	NodesTried      int    `json:"nodes_tried"`
	Error           string `json:"error,omitempty"`
}

type healthQuorum struct {
	Source string `json:"source"`
	// RangesRead is how many ranges were examined (computed over SQL).
	RangesRead int `json:"ranges_read,omitempty"`
	// CriticalNodes are the nodes the cluster says are not safe to stop.
	CriticalNodes []int64 `json:"critical_nodes,omitempty"`
	// AtRisk lists, per node, the ranges that lose quorum without it
	// (computed), or the under-replicated or unavailable ranges it holds a
	// replica of (critical nodes).
	AtRisk []healthRisk `json:"at_risk"`
	// WithoutQuorum counts ranges already below quorum (computed).
	WithoutQuorum int    `json:"ranges_without_quorum"`
	Error         string `json:"error,omitempty"`
}

type healthRisk struct {
	NodeID int64 `json:"node_id"`
	Ranges int   `json:"ranges"`
}

// evaluateHealth turns what was read into findings and a verdict.
func evaluateHealth(in healthInputs) *healthReport {
	rep := &healthReport{
		Cluster:  in.cluster,
		Version:  in.version,
		NodeID:   in.nodeID,
		Nodes:    []healthNode{},
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
			rep.Nodes = append(rep.Nodes, healthNode{NodeID: n.NodeID, Address: n.Address, State: n.State})
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
	rep.Ranges = healthRanges{
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
	rep.Quorum = healthQuorum{Source: q.source, RangesRead: q.ranges, WithoutQuorum: q.withoutQuorum, AtRisk: []healthRisk{}}
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
			rep.Quorum.AtRisk = append(rep.Quorum.AtRisk, healthRisk{NodeID: id, Ranges: q.critical.AtRisk[id]})
		}
		for _, r := range rep.Quorum.AtRisk {
			if in.nodeID == 0 || r.NodeID == in.nodeID {
				find("%s is critical (%s): it holds replicas of %s, which could lose quorum without it",
					nodeLabel(r.NodeID, addr[r.NodeID]), quorumFromCritical, plural(int64(r.Ranges), "under-replicated or unavailable range", "under-replicated or unavailable ranges"))
			}
		}
	default:
		ids := make([]int64, 0, len(q.atRisk))
		for id := range q.atRisk {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			rep.Quorum.AtRisk = append(rep.Quorum.AtRisk, healthRisk{NodeID: id, Ranges: q.atRisk[id]})
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
		rep.Verdict = healthUnknown
	case len(rep.Findings) == 0:
		rep.Verdict, rep.Safe = healthSafe, true
	default:
		rep.Verdict = healthNotSafe
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

// oneLine joins the lines of a message (errors.Join) with "; ".
func oneLine(s string) string {
	return strings.Join(strings.Split(strings.TrimSpace(s), "\n"), "; ")
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

// writeText prints the report for a person: nodes, ranges, quorum, notes,
// findings, and the verdict on the last line.
func (r *healthReport) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Cluster %s", r.Cluster)
	if r.Version != "" {
		fmt.Fprintf(&b, " (%s)", r.Version)
	}
	if r.NodeID > 0 {
		fmt.Fprintf(&b, ", before stopping node %d", r.NodeID)
	}
	b.WriteString("\n\n")

	if r.Liveness.Error != "" {
		fmt.Fprintf(&b, "Nodes: could not determine: %s\n", r.Liveness.Error)
	} else {
		fmt.Fprintf(&b, "Nodes (%s):\n", r.Liveness.Source)
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  NODE\tADDRESS\tSTATE")
		for _, n := range r.Nodes {
			a := n.Address
			if a == "" {
				a = "?"
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\n", n.NodeID, a, n.State)
		}
		_ = tw.Flush()
	}

	rg := r.Ranges
	if rg.Error != "" {
		fmt.Fprintf(&b, "Ranges (%s): could not determine: %s\n", rg.Source, rg.Error)
	} else {
		fmt.Fprintf(&b, "Ranges (%s of %d/%d nodes): %d total, %d under-replicated, %d unavailable\n",
			rg.Source, rg.NodesScraped, rg.NodesTried, rg.Total, rg.Underreplicated, rg.Unavailable)
	}

	q := r.Quorum
	src := q.Source
	if q.RangesRead > 0 {
		src += fmt.Sprintf(", %d ranges", q.RangesRead)
	}
	fmt.Fprintf(&b, "Quorum (%s): %s\n", src, r.quorumSummary())

	if len(r.Notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	if len(r.Findings) > 0 {
		b.WriteString("\nFindings:\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "  - %s\n", f)
		}
	}
	b.WriteString("\n")
	switch r.Verdict {
	case healthSafe:
		b.WriteString("SAFE\n")
	case healthUnknown:
		b.WriteString("NOT SAFE: could not determine the cluster's health: nothing could be read (see the findings)\n")
	default:
		b.WriteString("NOT SAFE: " + r.Findings[0])
		if n := len(r.Findings) - 1; n > 0 {
			fmt.Fprintf(&b, " (and %s above)", plural(int64(n), "more finding", "more findings"))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// quorumSummary is the quorum line's verdict, for the node checked or for
// every node.
func (r *healthReport) quorumSummary() string {
	q := r.Quorum
	if q.Error != "" {
		return "could not determine: " + q.Error
	}
	risky := q.AtRisk
	if r.NodeID > 0 {
		risky = nil
		for _, a := range q.AtRisk {
			if a.NodeID == r.NodeID {
				risky = append(risky, a)
			}
		}
	}
	critical := q.Source == quorumFromCritical
	if len(risky) == 0 {
		switch {
		case critical && r.NodeID > 0:
			return fmt.Sprintf("node %d is not critical", r.NodeID)
		case critical:
			return "no critical node"
		case r.NodeID > 0:
			return fmt.Sprintf("no range loses quorum without node %d", r.NodeID)
		default:
			return "no range loses quorum without any one node"
		}
	}
	parts := make([]string, len(risky))
	for i, a := range risky {
		parts[i] = fmt.Sprintf("n%d (%s)", a.NodeID, plural(int64(a.Ranges), "range", "ranges"))
	}
	if critical {
		return "critical: " + strings.Join(parts, ", ")
	}
	return "ranges losing quorum without: " + strings.Join(parts, ", ")
}
