package promtext

import (
	"io"

	dto "github.com/prometheus/client_model/go"
)

// The whole-payload entry points below are the tests' oracles: they feed
// the selector the payload in one piece, while production (ReadParsed)
// feeds it the pieces of a read. Differential tests and FuzzSelect check
// both give the same result on the same bytes.

// Select is SelectReader on a payload held whole, without limits.
func Select(payload []byte, want func(family string) bool) ([]byte, error) {
	sel, err := selectWhole(payload, want, Limits{})
	return sel.out, err
}

// SelectLimited is Select keeping at most lim's series per family.
func SelectLimited(payload []byte, want func(family string) bool, lim Limits) (out []byte, capped []Capped, err error) {
	sel, err := selectWhole(payload, want, lim)
	return sel.out, sel.capped, err
}

// Parse is parseReader on a payload held whole, without limits.
func Parse(payload []byte, want func(family string) bool) (map[string]*dto.MetricFamily, error) {
	fams, _, err := ParseLimited(payload, want, Limits{})
	return fams, err
}

// ParseLimited is Parse keeping at most lim's series per family.
func ParseLimited(payload []byte, want func(family string) bool, lim Limits) (fams map[string]*dto.MetricFamily, capped []Capped, err error) {
	sel, err := selectWhole(payload, want, lim)
	if err != nil {
		return nil, nil, err
	}
	return parseSelectionWith(&sel, newFastParser())
}

func selectWhole(payload []byte, want func(family string) bool, lim Limits) (selection, error) {
	s := newSelector(want, lim, nil)
	if err := s.feed(payload, true); err != nil {
		return selection{}, err
	}
	return s.end()
}

// parseReader is ReadParsed with the families left to the caller (and
// their arena to the garbage collector): what the tests compare.
func parseReader(r io.Reader, want func(family string) bool, o ReadOptions) (fams map[string]*dto.MetricFamily, capped []Capped, err error) {
	p, err := ReadParsed(r, want, o)
	if err != nil {
		return nil, nil, err
	}
	return p.Families, p.Capped, nil
}
