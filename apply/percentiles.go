package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/roachdog/roachdog/ddapi"
)

// EnablePercentiles turns on the percentile aggregations of each
// distribution that lacks them, through the metric's tag configuration
// (an existing one keeps its tags). Datadog bills them: 5 more custom
// metrics per tag combination of each distribution (p50, p75, p90, p95,
// p99); without them p99:<metric> queries return nothing. A metric that
// Datadog does not know yet (roachdog has not sent it: no histogram
// observation since it started, or histograms: gauges) cannot be
// configured: it is reported on warn and left for the next apply. It
// prints one line per metric and a summary to out; dryRun only reads.
func EnablePercentiles(ctx context.Context, c *ddapi.Client, metrics []string, dryRun bool, out, warn io.Writer) error {
	if len(metrics) == 0 {
		return nil
	}
	var enabled, already, pending int
	for _, m := range metrics {
		cfg, err := c.GetTagConfig(ctx, m)
		if err != nil {
			return fmt.Errorf("read the tag configuration of %s: %w", m, err)
		}
		verb := "enabled"
		switch {
		case cfg.IncludePercentiles:
			already++
			verb = "unchanged"
		case dryRun:
			enabled++
			verb = "would enable"
		default:
			err := c.EnablePercentiles(ctx, m, cfg.Exists)
			var apiErr *ddapi.Error
			if errors.As(err, &apiErr) && !cfg.Exists && (apiErr.Status == http.StatusNotFound || apiErr.Status == http.StatusBadRequest || apiErr.Status == http.StatusUnprocessableEntity) {
				pending++
				fmt.Fprintf(warn, "warning: percentiles of %s not enabled: Datadog refused (%v); it has probably not received the metric yet: run apply again once roachdog has sent it\n", m, err)
				continue
			}
			if err != nil {
				fmt.Fprint(out, percentileSummary(enabled, already, pending, false))
				return fmt.Errorf("enable the percentiles of %s: %w", m, err)
			}
			enabled++
		}
		fmt.Fprintf(out, "%-9s  %-14s  %s\n", "percentiles", verb, m)
	}
	fmt.Fprint(out, percentileSummary(enabled, already, pending, dryRun))
	return nil
}

func percentileSummary(enabled, already, pending int, dryRun bool) string {
	if dryRun {
		return fmt.Sprintf("distribution percentiles: %d to enable, %d already on (dry run: nothing written)\n", enabled, already)
	}
	s := fmt.Sprintf("distribution percentiles: %d enabled, %d already on", enabled, already)
	if pending > 0 {
		s += fmt.Sprintf(", %d not yet known to Datadog", pending)
	}
	return s + "\n"
}
