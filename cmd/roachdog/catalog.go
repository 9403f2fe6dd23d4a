package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/roachdog/roachdog/checks"
)

func cmdCatalog(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "table", "output format: table, markdown or json")
	ns := fs.String("namespace", "crdb", "namespace prefixed to every name")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "catalog: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	cat := checks.Catalog()
	switch *format {
	case "table":
		return writeCatalogTable(stdout, *ns, cat)
	case "markdown":
		return writeCatalogMarkdown(stdout, *ns, cat)
	case "json":
		return writeCatalogJSON(stdout, *ns, cat)
	default:
		fmt.Fprintf(stderr, "catalog: unknown --format %q (want table, markdown or json)\n", *format)
		return errUsage
	}
}

func fullName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "." + name
}

func tagList(m checks.Metric) string {
	tags := append([]string{"cluster"}, m.Tags...)
	return strings.Join(tags, ",")
}

// seriesTotals adds up the expected series per node and per cluster: the
// number a user multiplies by node count to estimate custom-metric cost. A
// distribution series counts for the custom metrics Datadog bills for it
// with percentiles on (checks.DistributionCostPercentiles).
func seriesTotals(cat []checks.Metric) (perNode, perCluster int) {
	for _, m := range cat {
		if m.Optional || (m.Kind != checks.KindGauge && m.Kind != checks.KindCount && m.Kind != checks.KindDistribution) {
			continue
		}
		if m.Kind == checks.KindDistribution {
			if m.ClusterLevel {
				perCluster += m.PerNode * checks.DistributionCostPercentiles
			} else {
				perNode += m.PerNode * checks.DistributionCostPercentiles
			}
			continue
		}
		if m.ClusterLevel {
			perCluster += m.PerNode
		} else {
			perNode += m.PerNode
		}
	}
	return perNode, perCluster
}

// distributionNote explains what a distribution costs, after the totals.
const distributionNote = "A distribution series is billed as 5 custom metrics (count, sum, min, max, avg), " +
	"10 with percentile aggregations (p50 to p99, which roachdog apply enables); the totals assume percentiles. " +
	"histograms: gauges sends 7 per-node series per histogram instead (quantile gauges, max, avg, count): listed too, left out of the totals."

func scope(m checks.Metric) string {
	if m.ClusterLevel {
		return "cluster"
	}
	return "node"
}

func writeCatalogTable(w io.Writer, ns string, cat []checks.Metric) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tUNIT\tTAGS\tSERIES\tPER\tCHECK\tDESCRIPTION")
	for _, m := range cat {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", fullName(ns, m.Name), m.Kind, dash(m.Unit), tagList(m), m.PerNode, scope(m), m.Check, m.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	n, c := seriesTotals(cat)
	_, err := fmt.Fprintf(w, "\nDefault set: about %d custom metrics per node plus %d per cluster (one store per node; tag dimensions such as job_type only when active). "+distributionNote+"\n", n, c)
	return err
}

func writeCatalogMarkdown(w io.Writer, ns string, cat []checks.Metric) error {
	var b strings.Builder
	b.WriteString("| name | type | unit | tags | series | per | check | description |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, m := range cat {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %d | %s | %s | %s |\n", fullName(ns, m.Name), m.Kind, dash(m.Unit),
			tagList(m), m.PerNode, scope(m), m.Check, strings.ReplaceAll(m.Description, "|", "\\|"))
	}
	n, c := seriesTotals(cat)
	fmt.Fprintf(&b, "\nDefault set: about %d custom metrics per node plus %d per cluster (one store per node; tag dimensions such as job_type only when active). "+distributionNote+"\n", n, c)
	_, err := io.WriteString(w, b.String())
	return err
}

type catalogEntry struct {
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	Unit         string   `json:"unit,omitempty"`
	Tags         []string `json:"tags"`
	Description  string   `json:"description"`
	Check        string   `json:"check"`
	Series       int      `json:"series"`
	ClusterLevel bool     `json:"cluster_level"`
	Optional     bool     `json:"optional,omitempty"`
}

func writeCatalogJSON(w io.Writer, ns string, cat []checks.Metric) error {
	out := make([]catalogEntry, 0, len(cat))
	for _, m := range cat {
		out = append(out, catalogEntry{
			Name: fullName(ns, m.Name), Type: string(m.Kind), Unit: m.Unit,
			Tags: append([]string{"cluster"}, m.Tags...), Description: m.Description,
			Check: m.Check, Series: m.PerNode, ClusterLevel: m.ClusterLevel, Optional: m.Optional,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
