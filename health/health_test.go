package health

import (
	"errors"
	"slices"
	"testing"

	"github.com/roachdog/roachdog/checks"
)

// TestEvaluate judges hand-made readings: the verdict, the findings and
// the notes, without a cluster (the end-to-end runs are cmd/roachdog's
// health tests).
func TestEvaluate(t *testing.T) {
	t.Parallel()
	node := func(id int64, state string) checks.NodeLiveness {
		return checks.NodeLiveness{NodeID: id, State: state, Heartbeating: state != "dead" && state != "decommissioned", Address: "10.0.0." + string(rune('0'+id)) + ":26257"}
	}
	// healthy is three live nodes, all scraped, no range at risk.
	healthy := func() inputs {
		return inputs{
			cluster: "c",
			live:    checks.LivenessSnapshot{Source: "crdb_internal.kv_node_liveness", Nodes: []checks.NodeLiveness{node(1, "live"), node(2, "live"), node(3, "live")}},
			ranges:  checks.RangeHealth{Ranges: 10, Targets: 3, Scraped: []int{1, 2, 3}},
			quorum:  quorumResult{source: QuorumFromRanges, ranges: 10, atRisk: map[int64]int{}},
		}
	}
	cases := []struct {
		name     string
		edit     func(in *inputs)
		verdict  string
		findings []string
		notes    []string
	}{{
		name:    "healthy",
		verdict: Safe,
	}, {
		name:     "running node not scraped",
		edit:     func(in *inputs) { in.ranges.Scraped = []int{1, 2} },
		verdict:  NotSafe,
		findings: []string{"could not determine range health: /_status/vars not read from running node(s) n3 (list every node in status_urls, or use discover: true)"},
	}, {
		// Its ranges are counted by the others: the failed scrape is a note.
		name: "dead node not scraped",
		edit: func(in *inputs) {
			in.live.Nodes[2] = node(3, "dead")
			in.ranges.Scraped = []int{1, 2}
			in.ranges.Failed = []error{errors.New("node 3: connection refused")}
		},
		verdict:  NotSafe,
		findings: []string{"node 3 (10.0.0.3:26257) is dead"},
		notes:    []string{"node 3: connection refused"},
	}, {
		name: "under-replicated and unavailable",
		edit: func(in *inputs) {
			in.ranges.Underreplicated, in.ranges.Unavailable = 1, 2
		},
		verdict: NotSafe,
		findings: []string{
			"1 range is under-replicated (sum of ranges_underreplicated over every node)",
			"2 ranges are unavailable (sum of ranges_unavailable over every node)",
		},
	}, {
		name: "computed risk, any node",
		edit: func(in *inputs) {
			in.quorum.atRisk = map[int64]int{2: 1, 1: 2}
			in.quorum.withoutQuorum = 1
			in.quorum.unknownStores = 2
		},
		verdict: NotSafe,
		findings: []string{
			"stopping node 1 (10.0.0.1:26257) would lose quorum for 2 ranges",
			"stopping node 2 (10.0.0.2:26257) would lose quorum for 1 range",
			"1 range has already fewer live voters than a majority",
		},
		notes: []string{"2 ranges have a voter on a store that no node reports (crdb_internal.kv_store_status); counted as not live"},
	}, {
		name: "computed risk of another node",
		edit: func(in *inputs) {
			in.nodeID = 3
			in.quorum.atRisk = map[int64]int{1: 2}
		},
		verdict: Safe,
	}, {
		name: "critical node asked",
		edit: func(in *inputs) {
			in.nodeID = 2
			in.quorum = quorumResult{source: QuorumFromCritical, critical: &checks.CriticalNodes{Nodes: []int64{2, 3}, AtRisk: map[int64]int{2: 3, 3: 1}}}
		},
		verdict:  NotSafe,
		findings: []string{"node 2 (10.0.0.2:26257) is critical (POST /_status/critical_nodes): it holds replicas of 3 under-replicated or unavailable ranges, which could lose quorum without it"},
	}, {
		name: "critical nodes, another asked",
		edit: func(in *inputs) {
			in.nodeID = 1
			in.quorum = quorumResult{source: QuorumFromCritical, critical: &checks.CriticalNodes{Nodes: []int64{2, 3}, AtRisk: map[int64]int{2: 3, 3: 1}}}
		},
		verdict: Safe,
	}, {
		name:     "node not in the cluster",
		edit:     func(in *inputs) { in.nodeID = 9 },
		verdict:  NotSafe,
		findings: []string{"node 9 is not in the cluster's liveness records (check --node-id)"},
	}, {
		name: "decommissioned node asked",
		edit: func(in *inputs) {
			in.nodeID = 4
			in.live.Nodes = append(in.live.Nodes, node(4, "decommissioned"))
		},
		verdict: Safe,
		notes:   []string{"node 4 is decommissioned: it holds no replica, stopping it affects no range"},
	}, {
		// One finding per line, whatever the errors hold.
		name: "nothing readable",
		edit: func(in *inputs) {
			in.live, in.liveErr = checks.LivenessSnapshot{}, errors.Join(errors.New("dial: refused"), errors.New("retry: refused"))
			in.ranges, in.rangesErr = checks.RangeHealth{}, errors.New("no node's /_status/vars could be read (1 tried)")
			in.quorum = quorumResult{source: QuorumFromRanges, err: errors.New("no sql_url")}
		},
		verdict: Unknown,
		findings: []string{
			"could not determine node liveness: dial: refused; retry: refused",
			"could not determine range health: no node's /_status/vars could be read (1 tried)",
			"could not determine quorum: no sql_url",
		},
	}, {
		// Ranges unknown, quorum unknown, but liveness read: not "unknown".
		name: "liveness only",
		edit: func(in *inputs) {
			in.rangesErr = errors.New("scrape failed")
			in.quorum = quorumResult{source: QuorumFromRanges, err: errors.New("query failed")}
		},
		verdict:  NotSafe,
		findings: []string{"could not determine range health: scrape failed", "could not determine quorum: query failed"},
	}, {
		// A server's CR LF, tabs and terminal escapes stay off the report's
		// lines too.
		name: "server text with control characters",
		edit: func(in *inputs) {
			in.live.Nodes[2] = node(3, "dead")
			in.live.Nodes[2].Address = "evil\r\nSAFE\x1b[2J:26257"
			in.ranges.Scraped = []int{1, 2}
			in.ranges.Failed = []error{errors.New("node 3: 502\r\n\tbad\u2028gateway")}
		},
		verdict:  NotSafe,
		findings: []string{"node 3 (evil; SAFE [2J:26257) is dead"},
		notes:    []string{"node 3: 502; bad; gateway"},
	}, {
		name:     "empty liveness table",
		edit:     func(in *inputs) { in.live.Nodes = nil; in.ranges.Scraped = nil },
		verdict:  NotSafe,
		findings: []string{"could not determine node liveness: the liveness table has no record"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := healthy()
			if tc.edit != nil {
				tc.edit(&in)
			}
			rep := evaluate(in)
			if rep.Verdict != tc.verdict || rep.Safe != (tc.verdict == Safe) {
				t.Errorf("verdict %q (safe %v), want %q", rep.Verdict, rep.Safe, tc.verdict)
			}
			if !slices.Equal(rep.Findings, tc.findings) {
				t.Errorf("findings:\n%q\nwant:\n%q", rep.Findings, tc.findings)
			}
			if !slices.Equal(rep.Notes, tc.notes) {
				t.Errorf("notes:\n%q\nwant:\n%q", rep.Notes, tc.notes)
			}
			for _, n := range rep.Nodes {
				if n.Address != oneLine(n.Address) || n.State != oneLine(n.State) {
					t.Errorf("node %d: %q %q is not one printable line", n.NodeID, n.Address, n.State)
				}
			}
			// The JSON lists are never null.
			if rep.Findings == nil || rep.Nodes == nil || rep.Quorum.AtRisk == nil {
				t.Errorf("nil list in %+v", rep)
			}
		})
	}
}
