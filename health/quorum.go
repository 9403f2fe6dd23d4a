package health

// The quorum half of the gate: which nodes can stop without a range
// losing quorum.

import (
	"context"
	"errors"
	"fmt"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
)

// Where the quorum verdict came from (Quorum.Source).
const (
	QuorumFromCritical = "POST /_status/critical_nodes"
	QuorumFromRanges   = "crdb_internal.ranges_no_leases"
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
			return quorumResult{source: QuorumFromCritical, critical: &cn}
		}
		critErr = err
	}
	res := quorumResult{source: QuorumFromRanges}
	switch {
	case db == nil:
		res.err = errors.Join(critErr, errors.New("no sql_url configured for this cluster: "+QuorumFromRanges+" is read over SQL"))
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
			res.notes = append(res.notes, fmt.Sprintf("%s failed, so quorum was computed over SQL: %v", QuorumFromCritical, critErr))
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
