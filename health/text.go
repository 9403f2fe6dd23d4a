package health

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report for a person: nodes, ranges, quorum,
// notes, findings, and the verdict on the last line.
func (r *Report) WriteText(w io.Writer) error {
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
	fmt.Fprintf(&b, "Quorum (%s): %s\n", src, quorumSummary(r))

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
	case Safe:
		b.WriteString("SAFE\n")
	case Unknown:
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
func quorumSummary(r *Report) string {
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
	critical := q.Source == QuorumFromCritical
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
