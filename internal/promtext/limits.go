package promtext

import (
	"bytes"
	"container/heap"
)

// SeriesOrder compares two series of one family by their label sets: fewer
// labels first (the aggregate series of a family with child series comes
// before its children), then label text in natural order (store="2" before
// store="10"), then bytes. Label sets are compared as the exporter writes
// them, without the le or quantile label of histogram and summary lines.
func SeriesOrder(labelsA, labelsB int, a, b string) int {
	if labelsA != labelsB {
		return labelsA - labelsB
	}
	if c := natural(a, b); c != 0 {
		return c
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// natural compares runs of digits by numeric value and everything else
// byte by byte.
func natural[A, B ~string | ~[]byte](a A, b B) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			da, db := trimZeros(a[si:i]), trimZeros(b[sj:j])
			if len(da) != len(db) {
				return len(da) - len(db)
			}
			for k := range len(da) {
				if da[k] != db[k] {
					return int(da[k]) - int(db[k])
				}
			}
			continue
		}
		if ca != cb {
			return int(ca) - int(cb)
		}
		i++
		j++
	}
	return (len(a) - i) - (len(b) - j)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimZeros[S ~string | ~[]byte](s S) S {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// seriesKey appends to dst the label set of a sample line that tells its
// series apart (le and quantile left out for histograms and summaries), and
// returns the number of labels in it. A label set that does not parse is
// taken whole: expfmt rejects the line later anyway.
func seriesKey(line []byte, k kind, dst []byte) (int, []byte) {
	n := metricName(line)
	rest := line[n:]
	if len(rest) == 0 || rest[0] != '{' {
		return 0, dst
	}
	rest = rest[1:]
	start := len(dst)
	labels := 0
	for {
		rest = trimBlank(rest)
		if len(rest) == 0 {
			break
		}
		if rest[0] == '}' {
			return labels, dst
		}
		ln := metricName(rest) // label names are metric names without ':'
		if ln == 0 {
			break
		}
		name := rest[:ln]
		r := trimBlank(rest[ln:])
		if len(r) < 2 || r[0] != '=' {
			break
		}
		r = trimBlank(r[1:])
		if len(r) == 0 || r[0] != '"' {
			break
		}
		end := 1
		for end < len(r) && r[end] != '"' {
			if r[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(r) {
			break
		}
		pair := rest[:len(rest)-len(r)+end+1]
		rest = trimBlank(r[end+1:])
		if len(rest) > 0 && rest[0] == ',' {
			rest = rest[1:]
		}
		if k == kindHistogram && string(name) == "le" || k == kindSummary && string(name) == "quantile" {
			continue
		}
		if labels > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, pair...)
		labels++
	}
	// Unparsable: the whole label text, as one label.
	dst = append(dst[:start], line[n:]...)
	return 1, dst
}

// keepSeries returns the keys (seriesKey) of the first limit series of a
// family block in SeriesOrder. It keeps a heap of at most limit keys, so
// its memory follows the limit, not the block.
func keepSeries(block []byte, k kind, limit int) map[string]struct{} {
	h := &keyHeap{}
	kept := make(map[string]struct{}, limit)
	var scratch []byte
	for pos := 0; pos < len(block); {
		end := bytes.IndexByte(block[pos:], '\n')
		if end < 0 {
			end = len(block)
		} else {
			end += pos
		}
		line := trimBlank(block[pos:end])
		pos = end + 1
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		var n int
		n, scratch = seriesKey(line, k, scratch[:0])
		if _, ok := kept[string(scratch)]; ok {
			continue // another line of a series already kept
		}
		switch {
		case h.Len() < limit:
			key := string(scratch)
			heap.Push(h, seriesRef{n, key})
			kept[key] = struct{}{}
		case limit > 0 && keyBefore(n, scratch, h.s[0]):
			// A series evicted earlier never comes back: the largest key
			// kept only decreases, and the evicted one was above it.
			delete(kept, h.s[0].key)
			key := string(scratch)
			h.s[0] = seriesRef{n, key}
			heap.Fix(h, 0)
			kept[key] = struct{}{}
		}
	}
	return kept
}

type seriesRef struct {
	labels int
	key    string
}

func keyBefore(labels int, key []byte, r seriesRef) bool {
	if labels != r.labels {
		return labels < r.labels
	}
	if c := natural(key, r.key); c != 0 {
		return c < 0
	}
	return string(key) < r.key
}

// keyHeap is a max-heap in SeriesOrder: its root is the last series kept.
type keyHeap struct{ s []seriesRef }

func (h *keyHeap) Len() int { return len(h.s) }
func (h *keyHeap) Less(i, j int) bool {
	return SeriesOrder(h.s[i].labels, h.s[j].labels, h.s[i].key, h.s[j].key) > 0
}
func (h *keyHeap) Swap(i, j int) { h.s[i], h.s[j] = h.s[j], h.s[i] }
func (h *keyHeap) Push(x any)    { h.s = append(h.s, x.(seriesRef)) }
func (h *keyHeap) Pop() any {
	x := h.s[len(h.s)-1]
	h.s = h.s[:len(h.s)-1]
	return x
}
