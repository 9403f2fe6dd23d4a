package promtext

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parseSelectionWith parses the selected lines in fp's arena (the families
// are fp's when fp parsed them, see Parsed), naming the payload's lines in
// its errors.
func parseSelectionWith(sel *selection, fp *fastParser) (map[string]*dto.MetricFamily, []Capped, error) {
	if len(sel.out) == 0 {
		return map[string]*dto.MetricFamily{}, sel.capped, nil
	}
	fams, err := parseSelected(sel.out, fp)
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
func parseSelected(sel []byte, fp *fastParser) (map[string]*dto.MetricFamily, error) {
	if fams, ok := fp.parse(sel); ok {
		return fams, nil
	}
	fp.reset()
	return expfmtParse(sel)
}

func expfmtParse(sel []byte) (map[string]*dto.MetricFamily, error) {
	// CockroachDB names are legacy Prometheus names; the stricter scheme also
	// rejects junk sooner.
	p := expfmt.NewTextParser(model.LegacyValidation)
	return p.TextToMetricFamilies(bytes.NewReader(sel))
}

// Parsed is what ReadParsed parsed. Its families live in an arena that
// the next parse reuses once Release gives it back: they must not be
// used, nor anything taken from them kept (a *dto.Metric, a label pair;
// the strings they point to are immutable and may be kept), after
// Release. Release zeroes them, so a use after it finds empty messages
// and an empty map rather than another payload's values.
type Parsed struct {
	// Families are the wanted families by name.
	Families map[string]*dto.MetricFamily
	// Capped lists the families cut by the series limit, in payload order.
	Capped []Capped

	fp *fastParser
}

// Release gives the families' memory back for the next parse; a second
// call does nothing. Not calling it only costs that reuse.
func (p *Parsed) Release() {
	fp := p.fp
	p.Families, p.Capped, p.fp = nil, nil, nil
	if fp == nil {
		return
	}
	putParser(fp)
}

// putParser resets fp and keeps it for reuse unless it grew too large.
func putParser(fp *fastParser) {
	fp.reset()
	if fp.footprint() <= parserKeep {
		parserPool.Put(fp)
	}
}

// parserPool holds the parsers (arenas) of released Parsed: as many as
// parses run at once in a cycle, which the pool lets the GC drop between
// cycles.
var parserPool = sync.Pool{New: func() any { return newFastParser() }}

// parserKeep bounds the memory of a parser kept for reuse: a real node's
// selection takes a few hundred kB; one grown by a hostile payload's
// millions of series is dropped.
const parserKeep = 4 << 20

// ReadParsed selects the wanted families of a payload read from r (see
// selector for the rules), keeping at most o.Limits' series per family, and
// parses the selected lines only. The payload is never held whole, only the
// selected lines and a read buffer of a few lines (readBufSize, larger only
// for a longer line). Parsed.Capped lists the families cut, in payload
// order. The families live in a reused arena (see Parsed): once warm, a
// parse allocates almost nothing. The caller must call Release once done
// with them.
//
// Errors name the line number in the payload, e.g.
// `line 1234: expected float as value, got "12x"`. A truncated payload is an
// error, not silently fewer samples: a last line cut mid-sample fails the
// selection, and a selected histogram series without its +Inf bucket, _sum
// or _count fails the parse. (A payload cut exactly between two families
// cannot be told from a complete one: the text format has no end marker.)
// A failure of r is a *ReadError.
func ReadParsed(r io.Reader, want func(family string) bool, o ReadOptions) (*Parsed, error) {
	// The selected lines are garbage once parsed (the parser copies what
	// it keeps): reused, they stop being most of a scrape's allocation.
	bufs := selBufPool.Get().(*selBufs)
	sel, err := selectFrom(r, want, o, bufs)
	defer func() {
		bufs.out, bufs.lines, bufs.fams = sel.out, sel.lines, sel.fams
		putSelBufs(bufs)
	}()
	if err != nil {
		return nil, err
	}
	fp := parserPool.Get().(*fastParser)
	fams, capped, err := parseSelectionWith(&sel, fp)
	if err != nil {
		putParser(fp)
		return nil, err
	}
	return &Parsed{Families: fams, Capped: capped, fp: fp}, nil
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
