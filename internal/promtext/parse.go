package promtext

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parseSelection parses the selected lines, naming the payload's lines in
// its errors.
func parseSelection(sel *selection) (map[string]*dto.MetricFamily, []Capped, error) {
	if len(sel.out) == 0 {
		return map[string]*dto.MetricFamily{}, sel.capped, nil
	}
	fams, err := parseSelected(sel.out)
	if err != nil {
		var pe expfmt.ParseError
		if errors.As(err, &pe) {
			return nil, nil, fmt.Errorf("line %d: %s", sel.origLine(pe.Line), pe.Msg)
		}
		return nil, nil, err
	}
	for _, f := range sel.fams {
		if f.kind != kindHistogram {
			continue
		}
		if err := checkHistogram(fams[f.name]); err != nil {
			return nil, nil, fmt.Errorf("lines %d-%d: %w", f.first, f.last, err)
		}
	}
	return fams, sel.capped, nil
}

// parseSelected parses selected lines: the purpose-built parser when the
// lines have the common shape (nearly 10 times cheaper), else expfmt, whose
// result and errors are the reference either way (see fastParse).
func parseSelected(sel []byte) (map[string]*dto.MetricFamily, error) {
	if fams, ok := fastParse(sel); ok {
		return fams, nil
	}
	return expfmtParse(sel)
}

func expfmtParse(sel []byte) (map[string]*dto.MetricFamily, error) {
	// CockroachDB names are legacy Prometheus names; the stricter scheme also
	// rejects junk sooner.
	p := expfmt.NewTextParser(model.LegacyValidation)
	return p.TextToMetricFamilies(bytes.NewReader(sel))
}

// checkHistogram rejects series that lack a part every exposition has: such a
// series was cut (or the exporter is broken), and its quantiles would be wrong.
func checkHistogram(mf *dto.MetricFamily) error {
	if mf == nil {
		return nil
	}
	for _, m := range mf.GetMetric() {
		h := m.GetHistogram()
		var missing string
		switch {
		case h == nil:
			missing = "histogram data"
		case h.SampleCount == nil && h.SampleCountFloat == nil:
			missing = "_count"
		case h.SampleSum == nil:
			missing = "_sum"
		case !hasInf(h):
			missing = `le="+Inf" bucket`
		default:
			continue
		}
		return fmt.Errorf("histogram %s: series %s has no %s (payload truncated?)",
			mf.GetName(), labelString(m), missing)
	}
	return nil
}

func hasInf(h *dto.Histogram) bool {
	for _, b := range h.GetBucket() {
		if math.IsInf(b.GetUpperBound(), +1) {
			return true
		}
	}
	return false
}

func labelString(m *dto.Metric) string {
	var b []byte
	b = append(b, '{')
	for i, l := range m.GetLabel() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPair(b, l.GetName(), l.GetValue())
	}
	return string(append(b, '}'))
}
