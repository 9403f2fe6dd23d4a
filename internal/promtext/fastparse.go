package promtext

import (
	"bytes"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

	dto "github.com/prometheus/client_model/go"
)

// fastParse parses the selected lines into the same families expfmt's text
// parser builds, for the common shape of the text format only:
//
//	# HELP name text (escapes \\ \n \")
//	# TYPE name counter|gauge|histogram|summary|untyped
//	name{label="value",...} value [timestamp]
//
// with single spaces, legacy names and a final newline. expfmt reads a byte
// at a time through bufio and allocates every token, label and number on its
// own; this reads the buffer in place, interns names, label values and
// help texts (a payload repeats the same few thousand), and takes the
// messages from slabs, which a parser reused through ReadParsed keeps.
// Anything else, including any input expfmt would reject, returns ok=false
// and the caller falls back to expfmt, so the result (or the error and its
// line) is always expfmt's: fastParse never accepts what expfmt refuses.
// FuzzFastParse and TestFastParseCaptures compare the two.
func fastParse(in []byte) (fams map[string]*dto.MetricFamily, ok bool) {
	return newFastParser().parse(in)
}

// parse is fastParse with p's arena: the families it returns are p's until
// p.reset, which zeroes them for the next parse (see Parsed).
func (p *fastParser) parse(in []byte) (fams map[string]*dto.MetricFamily, ok bool) {
	if len(in) == 0 || in[len(in)-1] != '\n' {
		return nil, false
	}
	p.used = true
	p.gen++ // the families named in earlier parses are not this one's
	for len(in) > 0 {
		if k := p.bucketAt; k > 0 && len(in) > k && string(in[:k]) == string(p.bucketLine[:k]) {
			// The next bucket of a series: its line's end is found as it
			// is read.
			if n := p.nextBucket(in[k:]); n > 0 {
				in = in[k+n:]
				continue
			}
		}
		nl := bytes.IndexByte(in, '\n') // found: in ends with '\n'
		line := in[:nl]
		in = in[nl+1:]
		var good bool
		if len(line) > 0 && line[0] == '#' {
			good = p.comment(line)
		} else {
			good = p.sample(line)
		}
		if !good {
			return nil, false
		}
	}
	for k, mf := range p.fams {
		if len(mf.Metric) == 0 {
			delete(p.fams, k)
		}
	}
	for _, m := range p.hists {
		p.normalizeHistogram(m.Histogram)
	}
	return p.fams, true
}

// fastParser is the fast parser's state and the arena of what it builds:
// the messages come from slabs, the slices of pointers from lists, and
// both are zeroed and reused after reset, so a parser parsing payload
// after payload (pooled, see Parsed) allocates nothing once warm.
type fastParser struct {
	// used: something was parsed since the last reset.
	used bool
	fams map[string]*dto.MetricFamily
	// strs interns label names and values and help texts:
	// kept across resets (up to internMax), since every payload of a
	// cluster repeats the same ones.
	strs     map[string]*string
	strBytes int
	// names interns family names the same way, each with its family in
	// this parse (numbered gen) and its help text in the last parse that
	// had one: found by the lookup that interns the name.
	names map[string]*famName
	gen   uint64
	// series finds the metric of a histogram or summary series by family
	// and labels (without le and quantile), as expfmt's signatures do: by
	// the hash of its key, checked against the key itself (in keys).
	series map[uint64]seriesAt
	keys   []byte
	seed   maphash.Seed
	hists  []*dto.Metric

	cur     *dto.MetricFamily
	curName *famName // of cur
	isSum   bool
	isCount bool
	// lastName is the last name a line was found to belong to (lastCur,
	// lastSum, lastCount), when lastOK: the lines of a series (buckets,
	// _sum, _count) come in runs of one name, and a family's HELP, TYPE
	// and sample often too, whose family is looked up once.
	lastName  []byte
	lastOK    bool
	lastCur   *dto.MetricFamily
	lastFam   *famName
	lastSum   bool
	lastCount bool
	raw       []rawLabel // of the current line, before interning
	// prev is the histogram or summary series of the previous line, of
	// family prevFam with labels prevRaw (without le or quantile); nil
	// when that line was not one, or had an escaped label value.
	prev    *dto.Metric
	prevFam *dto.MetricFamily
	prevRaw []rawLabel
	// bucketLine is the previous line when it was a bucket of prev whose
	// le, a decimal, was its last label; bucketAt is where that le's value
	// starts (0 otherwise). A line with the same bytes before it is the
	// next bucket of the same series (see nextBucket).
	bucketLine []byte
	bucketAt   int
	// sharedLabels are the labels of the last metric made, from the
	// line's labels sharedRaw, when sharedOK (see newMetric).
	sharedLabels []*dto.LabelPair
	sharedRaw    []rawLabel
	sharedOK     bool
	vals         []byte           // unescaped label values of the current line
	labels       []*dto.LabelPair // of the current line
	key          []byte
	scratch      []byte

	metrics    slab[dto.Metric]
	pairs      slab[dto.LabelPair]
	floats     slab[float64]
	ints       slab[int64]
	gauges     slab[gaugeCell]
	counters   slab[counterCell]
	untypeds   slab[untypedCell]
	famsSlab   slab[dto.MetricFamily]
	types      slab[dto.MetricType]
	histograms slab[dto.Histogram]
	summaries  slab[dto.Summary]
	quantiles  slab[dto.Quantile]
	buckets    slab[bucketCell]
	uints      slab[uint64]
	pairPtrs   lists[*dto.LabelPair] // Metric.Label slices
	metricList lists[*dto.Metric]    // MetricFamily.Metric slices
	bucketList lists[*dto.Bucket]    // Histogram.Bucket slices
	quantList  lists[*dto.Quantile]  // Summary.Quantile slices
}

// The messages of a sample with the numbers they point to, taken from a
// slab at once instead of from two or three.
type (
	counterCell struct {
		dto.Counter
		value float64
	}
	gaugeCell struct {
		dto.Gauge
		value float64
	}
	untypedCell struct {
		dto.Untyped
		value float64
	}
	bucketCell struct {
		dto.Bucket
		bound float64
		count uint64
	}
)

// seriesAt is a histogram or summary series met in this parse: its metric
// and its key, keys[start:end].
type seriesAt struct {
	m          *dto.Metric
	start, end int
}

func newFastParser() *fastParser {
	return &fastParser{
		fams:   map[string]*dto.MetricFamily{},
		strs:   map[string]*string{},
		names:  map[string]*famName{},
		series: map[uint64]seriesAt{},
		seed:   maphash.MakeSeed(),
	}
}

// Interned strings kept across resets: a cluster's payloads repeat a few
// thousand, a hostile one could bring any number. mapKeep is the most
// families or series whose map is kept for the next parse.
const (
	internMax      = 1 << 14
	internMaxBytes = 1 << 20
	mapKeep        = 1 << 14
)

// reset zeroes everything the last parse built, for the next one.
func (p *fastParser) reset() {
	if !p.used {
		return
	}
	p.used = false
	// A map keeps its room when cleared: one a hostile payload grew is
	// dropped instead.
	if len(p.fams) > mapKeep {
		p.fams = map[string]*dto.MetricFamily{}
	}
	clear(p.fams)
	if len(p.series) > mapKeep {
		p.series = map[uint64]seriesAt{}
	}
	clear(p.series)
	if len(p.strs)+len(p.names) > internMax || p.strBytes > internMaxBytes {
		p.strs, p.names, p.strBytes = map[string]*string{}, map[string]*famName{}, 0
	}
	p.keys, p.hists = p.keys[:0], clearSlice(p.hists)
	p.cur, p.curName, p.lastCur, p.lastFam, p.lastOK = nil, nil, nil, nil, false
	p.prev, p.prevFam, p.prevRaw = nil, nil, clearSlice(p.prevRaw)
	p.bucketLine, p.bucketAt = nil, 0
	p.sharedLabels, p.sharedRaw, p.sharedOK = nil, clearSlice(p.sharedRaw), false
	p.raw = clearSlice(p.raw)
	p.labels = clearSlice(p.labels)
	p.metrics.reset()
	p.pairs.reset()
	p.floats.reset()
	p.ints.reset()
	p.gauges.reset()
	p.counters.reset()
	p.untypeds.reset()
	p.famsSlab.reset()
	p.types.reset()
	p.histograms.reset()
	p.summaries.reset()
	p.quantiles.reset()
	p.buckets.reset()
	p.uints.reset()
	p.pairPtrs.reset()
	p.metricList.reset()
	p.bucketList.reset()
	p.quantList.reset()
}

// footprint is about the bytes p holds, to keep only ordinary parsers.
func (p *fastParser) footprint() int {
	return p.metrics.bytes() + p.pairs.bytes() + p.floats.bytes() + p.ints.bytes() +
		p.gauges.bytes() + p.counters.bytes() + p.untypeds.bytes() + p.famsSlab.bytes() +
		p.types.bytes() + p.histograms.bytes() + p.summaries.bytes() + p.quantiles.bytes() +
		p.buckets.bytes() + p.uints.bytes() + p.pairPtrs.bytes() + p.metricList.bytes() +
		p.bucketList.bytes() + p.quantList.bytes() + cap(p.keys) + cap(p.scratch) + cap(p.vals) +
		cap(p.key) + cap(p.lastName) + p.strBytes +
		(cap(p.raw)+cap(p.prevRaw)+cap(p.sharedRaw))*int(unsafe.Sizeof(rawLabel{})) + (cap(p.labels)+cap(p.hists))*8
}

func clearSlice[T any](s []T) []T {
	clear(s)
	return s[:0]
}

// rawLabel is a label of the line being read, aliasing the line (or
// fastParser.vals for an escaped value): interned only when it makes a
// new metric, since the lines of a histogram series repeat their labels.
type rawLabel struct{ name, value []byte }

// slab hands out pointers into chunks: one allocation per chunk of
// messages instead of one each, and none once the chunks are there to be
// reused (reset zeroes what was handed out).
type slab[T any] struct{ chunked[T] }

// chunked is the chunks slab and lists hand out from, reused between
// parses.
type chunked[T any] struct {
	chunks [][]T
	n      int // chunks in use, the last one partly
}

// reset zeroes what was handed out, keeping the chunks.
func (c *chunked[T]) reset() {
	for i := range c.n {
		c.chunks[i] = clearSlice(c.chunks[i])
	}
	c.n = 0
}

func (c *chunked[T]) bytes() int {
	var zero T
	n := 0
	for _, ch := range c.chunks {
		n += cap(ch)
	}
	return n * int(unsafe.Sizeof(zero))
}

// Chunks grow from slabFirst to slabChunk elements, so that a kind of
// message a payload has few of (summaries, families) takes little room in
// a parser kept for reuse.
const (
	slabFirst = 16
	slabChunk = 256
)

func (s *slab[T]) new() *T {
	if s.n == 0 || len(s.chunks[s.n-1]) == cap(s.chunks[s.n-1]) {
		if s.n == len(s.chunks) {
			size := slabFirst
			if s.n > 0 {
				size = min(slabChunk, 2*cap(s.chunks[s.n-1]))
			}
			s.chunks = append(s.chunks, make([]T, 0, size))
		}
		s.n++
	}
	c := &s.chunks[s.n-1]
	*c = (*c)[:len(*c)+1]
	return &(*c)[len(*c)-1]
}

// lists hands out the slices of pointers that messages hold (a metric's
// labels, a family's metrics, a histogram's buckets) from shared chunks:
// the elements of one slice are appended in runs (a family's lines are
// consecutive), so a slice grows in place at the end of the chunk.
type lists[T any] struct{ chunked[T] }

// List chunks grow from listFirst to listChunk elements, as slabs do.
const (
	listFirst = 64
	listChunk = 1024
)

// chunkSize is the size of a new chunk that must hold need elements.
func (ls *lists[T]) chunkSize(need int) int {
	size := listFirst
	if ls.n > 0 {
		size = min(listChunk, 2*cap(ls.chunks[ls.n-1]))
	}
	return max(size, need)
}

// room returns the chunk in use, moving on to the next one (reused if
// it is large enough, else replaced) when fewer than need elements are
// free in it.
func (ls *lists[T]) room(need int) *[]T {
	if ls.n == 0 || cap(ls.chunks[ls.n-1])-len(ls.chunks[ls.n-1]) < need {
		if ls.n == len(ls.chunks) {
			ls.chunks = append(ls.chunks, nil)
		}
		if cap(ls.chunks[ls.n]) < need {
			ls.chunks[ls.n] = make([]T, 0, ls.chunkSize(need))
		}
		ls.n++
	}
	return &ls.chunks[ls.n-1]
}

// append appends x to l, a slice it handed out (or nil), as append would.
func (ls *lists[T]) append(l []T, x T) []T {
	if len(l) < cap(l) {
		return append(l, x) // room reserved for l when it moved
	}
	if ls.n > 0 {
		c := &ls.chunks[ls.n-1]
		if len(*c) < cap(*c) {
			if len(l) == 0 {
				*c = append(*c, x)
				return (*c)[len(*c)-1 : len(*c) : len(*c)]
			}
			if &l[len(l)-1] == &(*c)[len(*c)-1] {
				*c = append(*c, x)
				return (*c)[len(*c)-len(l)-1 : len(*c) : len(*c)]
			}
		}
	}
	// l is not at the end of the chunk (another list's elements came
	// after it), or the chunk is full: l moves, with room to grow as
	// append would give it, so that interleaved lists cost amortized
	// constant time per element.
	need := 2 * (len(l) + 1)
	c := ls.room(need)
	start := len(*c)
	*c = (*c)[:start+need]
	moved := append((*c)[start:start:start+need], l...)
	return append(moved, x)
}

// slice returns a copy of s in the chunks.
func (ls *lists[T]) slice(s []T) []T {
	if len(s) == 0 {
		return nil
	}
	c := ls.room(len(s))
	start := len(*c)
	*c = append(*c, s...)
	return (*c)[start:len(*c):len(*c)]
}

func (p *fastParser) uint(v uint64) *uint64 {
	u := p.uints.new()
	*u = v
	return u
}

func (p *fastParser) float(v float64) *float64 {
	f := p.floats.new()
	*f = v
	return f
}

// famName is an interned family name, and the family it names in the
// parse numbered gen.
type famName struct {
	// name is apart, so that a family's Name kept after Release (the
	// strings are immutable) holds no more than the string.
	name *string
	gen  uint64
	fam  *dto.MetricFamily
	// help is the family's help text in the last parse that had one,
	// compared before it is looked up: it seldom changes.
	help *string
}

// famNamed returns the interned name b and its family in this parse
// (nil if none yet, or the name is new).
func (p *fastParser) famNamed(b []byte) (*famName, *dto.MetricFamily) {
	n := p.names[string(b)]
	if n != nil && n.gen == p.gen {
		return n, n.fam
	}
	return n, nil
}

// intern returns one shared *string per distinct value: the messages are
// read only, and a payload repeats the same label names and values.
func (p *fastParser) intern(b []byte) *string {
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	s := new(string)
	*s = string(b)
	p.strs[*s] = s
	p.strBytes += len(b)
	return s
}

func (p *fastParser) comment(line []byte) bool {
	p.prev, p.bucketAt = nil, 0
	var help bool
	switch {
	case len(line) > 7 && string(line[:7]) == "# HELP ":
		help = true
	case len(line) > 7 && string(line[:7]) == "# TYPE ":
	default:
		return false
	}
	rest := line[7:]
	n := len(p.lastName)
	same := p.lastOK && n < len(rest) && rest[n] == ' ' && string(rest[:n]) == string(p.lastName)
	if !same {
		// Not the last name (a valid one, then a byte that ends one):
		// scanned.
		n = metricNameLen(rest)
	}
	// One space, then a text that does not start with a blank (expfmt
	// skips blanks there; an empty text leaves HELP unset).
	if n == 0 || n+1 >= len(rest) || rest[n] != ' ' || rest[n+1] == ' ' || rest[n+1] == '\t' {
		return false
	}
	name, text := rest[:n], rest[n+1:]
	if same {
		// TYPE after HELP: the family is the one just found.
		p.cur, p.curName, p.isSum, p.isCount = p.lastCur, p.lastFam, p.lastSum, p.lastCount
	} else {
		if !p.family(name) {
			return false
		}
		// The next lines (TYPE, then a counter's or gauge's sample) name
		// the same family: found once (a comment changes no name's
		// family but its own, which its name finds first).
		p.lastName = append(p.lastName[:0], name...)
		p.lastCur, p.lastFam, p.lastSum, p.lastCount, p.lastOK = p.cur, p.curName, p.isSum, p.isCount, true
	}
	mf := p.cur
	if help {
		if mf.Help != nil {
			return false
		}
		s, ok := p.unescapeHelp(text)
		if !ok {
			return false
		}
		if h := p.curName.help; h != nil && *h == string(s) {
			mf.Help = h
		} else {
			mf.Help = p.intern(s)
			p.curName.help = mf.Help
		}
		return true
	}
	if mf.Type != nil {
		return false
	}
	var t dto.MetricType
	switch string(text) {
	case "counter":
		t = dto.MetricType_COUNTER
	case "gauge":
		t = dto.MetricType_GAUGE
	case "histogram":
		t = dto.MetricType_HISTOGRAM
	case "summary":
		t = dto.MetricType_SUMMARY
	case "untyped":
		t = dto.MetricType_UNTYPED
	default:
		return false
	}
	mf.Type = p.types.new()
	*mf.Type = t
	return true
}

// unescapeHelp returns the help text b stands for, b itself when it has
// no escape (else p.scratch, valid until the next call).
func (p *fastParser) unescapeHelp(b []byte) ([]byte, bool) {
	i := bytes.IndexByte(b, '\\')
	if i < 0 {
		return b, true
	}
	out := append(p.scratch[:0], b[:i]...)
	for ; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i == len(b) {
			// expfmt drops a trailing backslash.
			return nil, false
		}
		switch b[i] {
		case '\\', '"':
			out = append(out, b[i])
		case 'n':
			out = append(out, '\n')
		default:
			return nil, false
		}
	}
	p.scratch = out
	return out, true
}

// family finds or creates the family of a name as expfmt does: its own, else
// the summary or histogram it is the _sum, _count (or _bucket) of.
func (p *fastParser) family(name []byte) bool {
	p.isSum, p.isCount = false, false
	fn, mf := p.famNamed(name)
	if mf != nil {
		p.cur, p.curName = mf, fn
		return true
	}
	var base []byte
	switch n := name; {
	case len(n) > 6 && string(n[len(n)-6:]) == "_count":
		base, p.isCount = n[:len(n)-6], true
	case len(n) > 4 && string(n[len(n)-4:]) == "_sum":
		base, p.isSum = n[:len(n)-4], true
	case len(n) > 7 && string(n[len(n)-7:]) == "_bucket":
		base = n[:len(n)-7]
	}
	if base != nil {
		if bn, mf := p.famNamed(base); mf != nil {
			t := mf.GetType()
			isBucket := !p.isSum && !p.isCount
			if t == dto.MetricType_HISTOGRAM || (t == dto.MetricType_SUMMARY && !isBucket) {
				p.cur, p.curName = mf, bn
				return true
			}
		}
	}
	if fn == nil {
		n := string(name)
		fn = &famName{name: &n}
		p.names[n] = fn
		p.strBytes += len(name)
	}
	p.isSum, p.isCount = false, false
	mf = p.famsSlab.new()
	mf.Name = fn.name
	fn.gen, fn.fam = p.gen, mf
	p.fams[*fn.name] = mf
	p.cur, p.curName = mf, fn
	return true
}

func (p *fastParser) sample(line []byte) bool {
	if n := len(p.lastName); p.lastOK && n < len(line) && (line[n] == ' ' || line[n] == '{') &&
		string(line[:n]) == string(p.lastName) {
		// The previous line's name (a valid name, then a byte that ends
		// one): no need to scan it.
		p.cur, p.curName, p.isSum, p.isCount = p.lastCur, p.lastFam, p.lastSum, p.lastCount
		return p.sampleRest(line, n)
	}
	n := metricNameLen(line)
	if n == 0 || n == len(line) || (line[n] != ' ' && line[n] != '{') {
		return false
	}
	if p.lastOK && string(line[:n]) == string(p.lastName) {
		p.cur, p.curName, p.isSum, p.isCount = p.lastCur, p.lastFam, p.lastSum, p.lastCount
	} else {
		if !p.family(line[:n]) {
			return false
		}
		p.lastName = append(p.lastName[:0], line[:n]...)
		p.lastCur, p.lastFam, p.lastSum, p.lastCount, p.lastOK = p.cur, p.curName, p.isSum, p.isCount, true
	}
	return p.sampleRest(line, n)
}

// sampleRest reads a sample line after its name, line[:n], whose family
// is p.cur.
func (p *fastParser) sampleRest(line []byte, n int) bool {
	mf := p.cur
	if mf.Type == nil {
		mf.Type = p.types.new()
		*mf.Type = dto.MetricType_UNTYPED
	}
	typ := mf.GetType()
	hist, summ := typ == dto.MetricType_HISTOGRAM, typ == dto.MetricType_SUMMARY
	grouped := hist || summ
	bound := math.NaN() // le or quantile
	hasBound := false
	leAt := 0 // where a decimal le's value starts when it is the last label
	p.labels, p.raw, p.vals = p.labels[:0], p.raw[:0], p.vals[:0]
	rest := line[n:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if len(rest) == 0 {
				return false
			}
			if rest[0] == '}' {
				// expfmt accepts "{}" and a trailing comma.
				rest = rest[1:]
				break
			}
			ln := labelNameLen(rest)
			if ln == 0 || ln+1 >= len(rest) || rest[ln] != '=' || rest[ln+1] != '"' {
				return false
			}
			lname := rest[:ln]
			if string(lname) == "__name__" {
				return false
			}
			if hist && string(lname) == "le" || summ && string(lname) == "quantile" {
				if hasBound {
					return false // expfmt keeps the last one silently: be strict, let it decide
				}
				// A decimal up to the closing quote is the whole value
				// (no escape, ASCII): read in one pass.
				q := rest[ln+2:]
				f, vn, ok := scanDecimal(q)
				if ok && vn < len(q) && q[vn] == '"' {
					rest = q[vn+1:]
					if hist && len(rest) > 0 && rest[0] == '}' {
						leAt = len(line) - len(q)
					}
				} else {
					val, after, ok := p.labelValue(q)
					if !ok {
						return false
					}
					if f, ok = parseFloatLikeExpfmt(val); !ok {
						return false
					}
					rest = after
				}
				bound, hasBound = f, true
			} else {
				val, after, ok := p.labelValue(rest[ln+2:])
				if !ok {
					return false
				}
				rest = after
				for _, l := range p.raw {
					if string(l.name) == string(lname) {
						return false
					}
				}
				p.raw = append(p.raw, rawLabel{lname, val})
			}
			if len(rest) == 0 {
				return false
			}
			switch rest[0] {
			case ',':
				rest = rest[1:]
			case '}':
			default:
				return false
			}
		}
	}
	if len(rest) < 2 || rest[0] != ' ' {
		return false
	}
	rest = rest[1:]
	// The value ends at a blank: read as a decimal in the same pass when
	// it is one, else found first and left to parseFloatLikeExpfmt.
	value, valEnd, ok := scanDecimal(rest)
	if !ok || valEnd < len(rest) && rest[valEnd] != ' ' && rest[valEnd] != '\t' {
		valEnd = 0
		for valEnd < len(rest) && rest[valEnd] != ' ' && rest[valEnd] != '\t' {
			valEnd++
		}
		if value, ok = parseFloatLikeExpfmt(rest[:valEnd]); !ok {
			return false
		}
	}
	var ts *int64
	if valEnd < len(rest) {
		if rest[valEnd] != ' ' {
			return false
		}
		t, err := strconv.ParseInt(string(rest[valEnd+1:]), 10, 64)
		if err != nil {
			return false
		}
		ts = p.ints.new()
		*ts = t
	}

	var m *dto.Metric
	if grouped && p.prev != nil && p.prevFam == mf && len(p.vals) == 0 && sameLabels(p.raw, p.prevRaw) {
		// The series of the previous line (the lines of a series come
		// together): no key to build and look up.
		m = p.prev
	} else if grouped {
		p.key = append(p.key[:0], *mf.Name...)
		p.key = append(p.key, 0xff)
		p.key = appendSortedLabels(p.key, p.raw)
		h := maphash.Bytes(p.seed, p.key)
		ref, found := p.series[h]
		if found && string(p.keys[ref.start:ref.end]) != string(p.key) {
			return false // two keys, one hash: left to expfmt
		}
		m = ref.m
		if m == nil {
			m = p.newMetric()
			start := len(p.keys)
			p.keys = append(p.keys, p.key...)
			p.series[h] = seriesAt{m: m, start: start, end: len(p.keys)}
			mf.Metric = p.metricList.append(mf.Metric, m)
			if typ == dto.MetricType_HISTOGRAM {
				p.hists = append(p.hists, m)
			}
		}
	} else {
		m = p.newMetric()
		mf.Metric = p.metricList.append(mf.Metric, m)
	}
	p.prev, p.bucketAt = nil, 0
	if grouped && len(p.vals) == 0 {
		// Its labels alias the input (no escaped value in p.vals, which
		// the next line overwrites), which outlives the parse.
		p.prev, p.prevFam = m, mf
		p.raw, p.prevRaw = p.prevRaw, p.raw
		if leAt > 0 {
			p.bucketLine, p.bucketAt = line, leAt
		}
	}
	if ts != nil {
		m.TimestampMs = ts
	}
	switch typ {
	case dto.MetricType_COUNTER:
		c := p.counters.new()
		c.value = value
		c.Value = &c.value
		m.Counter = &c.Counter
	case dto.MetricType_GAUGE:
		g := p.gauges.new()
		g.value = value
		g.Value = &g.value
		m.Gauge = &g.Gauge
	case dto.MetricType_UNTYPED:
		u := p.untypeds.new()
		u.value = value
		u.Value = &u.value
		m.Untyped = &u.Untyped
	case dto.MetricType_SUMMARY:
		if m.Summary == nil {
			m.Summary = p.summaries.new()
		}
		switch {
		case p.isCount:
			m.Summary.SampleCount = p.uint(uint64(value))
		case p.isSum:
			m.Summary.SampleSum = p.float(value)
		case hasBound:
			q := p.quantiles.new()
			q.Quantile, q.Value = p.float(bound), p.float(value)
			m.Summary.Quantile = p.quantList.append(m.Summary.Quantile, q)
		}
	case dto.MetricType_HISTOGRAM:
		if m.Histogram == nil {
			m.Histogram = p.histograms.new()
		}
		h := m.Histogram
		switch {
		case p.isCount:
			if u := uint64(value); value == float64(u) {
				h.SampleCount = p.uint(u)
			} else {
				if value < 0 {
					return false
				}
				h.SampleCountFloat = p.float(value)
			}
		case p.isSum:
			h.SampleSum = p.float(value)
		case hasBound:
			return p.addBucket(h, bound, value)
		}
	default:
		return false
	}
	return true
}

// addBucket adds a bucket to h; false for a negative count, which
// expfmt refuses.
func (p *fastParser) addBucket(h *dto.Histogram, bound, count float64) bool {
	c := p.buckets.new()
	c.bound = bound
	c.UpperBound = &c.bound
	if u := uint64(count); count == float64(u) {
		c.count = u
		c.CumulativeCount = &c.count
	} else {
		if count < 0 {
			return false
		}
		c.CumulativeCountFloat = p.float(count)
	}
	h.Bucket = p.bucketList.append(h.Bucket, &c.Bucket)
	return true
}

// nextBucket reads the rest of a line that starts as bucketLine does, up
// to its le's value: the same name and labels before le, so the next
// bucket of the same series, when the rest is a decimal le, "} " and a
// decimal count up to the newline. It returns the bytes it read with the
// newline; 0 for any other rest, which it leaves unchanged to sample.
func (p *fastParser) nextBucket(in []byte) int {
	bound, n, ok := scanDecimal(in)
	if !ok || len(in) < n+4 || in[n] != '"' || in[n+1] != '}' || in[n+2] != ' ' {
		return 0
	}
	at := n + 3
	count, n, ok := scanDecimal(in[at:])
	at += n
	if !ok || at >= len(in) || in[at] != '\n' || count < 0 || !p.addBucket(p.prev.Histogram, bound, count) {
		return 0
	}
	return at + 1
}

// internLabels makes the current line's label pairs.
func (p *fastParser) internLabels() {
	for _, l := range p.raw {
		lp := p.pairs.new()
		lp.Name, lp.Value = p.intern(l.name), p.intern(l.value)
		p.labels = append(p.labels, lp)
	}
}

// newMetric takes a metric with the current line's labels (a histogram or
// summary series keeps its first line's labels, as in expfmt). Metrics
// of consecutive families often have the same labels (store="1"): those
// of the last metric made are compared first, and shared when the same
// (the messages are read only).
func (p *fastParser) newMetric() *dto.Metric {
	m := p.metrics.new()
	if p.sharedOK && len(p.vals) == 0 && sameLabels(p.raw, p.sharedRaw) {
		m.Label = p.sharedLabels
		return m
	}
	p.internLabels()
	m.Label = p.pairPtrs.slice(p.labels)
	// Only labels that alias the input (no escaped value in p.vals, which
	// the next line overwrites) are kept to compare.
	p.sharedOK = len(p.vals) == 0
	if p.sharedOK {
		p.sharedRaw = append(p.sharedRaw[:0], p.raw...)
		p.sharedLabels = m.Label
	}
	return m
}

// sameLabels reports whether two lines' labels are the same, in the same
// order.
func sameLabels(a, b []rawLabel) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(a[i].name) != string(b[i].name) || string(a[i].value) != string(b[i].value) {
			return false
		}
	}
	return true
}

func appendSortedLabels(b []byte, labels []rawLabel) []byte {
	// Few labels: insertion order sorted by a copy-free selection.
	var done uint64
	for range labels {
		best := -1
		for i, l := range labels {
			if i < 64 && done&(1<<i) != 0 {
				continue
			}
			if best < 0 || string(l.name) < string(labels[best].name) {
				best = i
			}
		}
		if best >= 64 {
			// Too many labels to track: sort a copy instead.
			return appendSortedCopy(b, labels)
		}
		done |= 1 << best
		l := labels[best]
		b = append(b, l.name...)
		b = append(b, 0xfe)
		b = append(b, l.value...)
		b = append(b, 0xff)
	}
	return b
}

func appendSortedCopy(b []byte, labels []rawLabel) []byte {
	c := slices.Clone(labels)
	slices.SortFunc(c, func(x, y rawLabel) int { return bytes.Compare(x.name, y.name) })
	for _, l := range c {
		b = append(b, l.name...)
		b = append(b, 0xfe)
		b = append(b, l.value...)
		b = append(b, 0xff)
	}
	return b
}

// labelValue reads a quoted label value up to its closing quote (the
// opening one already consumed), unescaping \\ \" \n; it returns the value
// (aliasing the input when there was no escape) and what follows the quote.
func (p *fastParser) labelValue(b []byte) (val, rest []byte, ok bool) {
	var high byte // the bits of every byte: ASCII needs no UTF-8 check
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '"':
			val = b[:i]
			if high >= utf8.RuneSelf && !utf8.Valid(val) {
				return nil, nil, false
			}
			return val, b[i+1:], true
		case '\\':
			return p.labelValueEscaped(b)
		}
		high |= c
	}
	return nil, nil, false
}

func (p *fastParser) labelValueEscaped(b []byte) (val, rest []byte, ok bool) {
	// Appended to the line's values: an earlier label's value stays
	// valid (if vals grows, the old array keeps what it held).
	start := len(p.vals)
	out := p.vals
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '"':
			p.vals = out
			val := out[start:len(out):len(out)]
			if !utf8.Valid(val) {
				return nil, nil, false
			}
			return val, b[i+1:], true
		case '\\':
			i++
			if i == len(b) {
				return nil, nil, false
			}
			switch b[i] {
			case '\\', '"':
				out = append(out, b[i])
			case 'n':
				out = append(out, '\n')
			default:
				return nil, nil, false
			}
		default:
			out = append(out, c)
		}
	}
	return nil, nil, false
}

// The bytes of legacy names: nameFirst may start a label name, nameNext
// continue one, and metric names also take ':' anywhere.
const (
	nameFirst = 1 << iota
	nameNext
	nameColon
)

var nameBytes = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
			t[c] = nameFirst | nameNext
		case c >= '0' && c <= '9':
			t[c] = nameNext
		case c == ':':
			t[c] = nameColon
		}
	}
	return t
}()

// metricNameLen is the length of the legacy metric name at the start of b.
func metricNameLen(b []byte) int {
	if len(b) == 0 || nameBytes[b[0]]&(nameFirst|nameColon) == 0 {
		return 0
	}
	for i := 1; i < len(b); i++ {
		if nameBytes[b[i]]&(nameNext|nameColon) == 0 {
			return i
		}
	}
	return len(b)
}

// labelNameLen is the length of the legacy label name at the start of b.
func labelNameLen(b []byte) int {
	if len(b) == 0 || nameBytes[b[0]]&nameFirst == 0 {
		return 0
	}
	for i := 1; i < len(b); i++ {
		if nameBytes[b[i]]&nameNext == 0 {
			return i
		}
	}
	return len(b)
}

// parseFloatLikeExpfmt accepts what expfmt's parseFloat does: Go's
// ParseFloat without hexadecimal exponents or underscores.
func parseFloatLikeExpfmt(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if f, ok := parseDecimal(b); ok {
		return f, true
	}
	// What strconv writes for the infinities and NaN (every histogram's
	// last bound is +Inf).
	switch string(b) {
	case "+Inf":
		return math.Inf(1), true
	case "-Inf":
		return math.Inf(-1), true
	case "NaN":
		return math.NaN(), true
	}
	for _, c := range b {
		if c == 'p' || c == 'P' || c == '_' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// pow10u are the powers of ten a uint64 holds.
var pow10u = [...]uint64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// parseDecimal reads the common forms of a sample value or bound, as
// strconv writes them ([-]digits[.digits][e±digits]), exactly as ParseFloat
// does; ok=false for anything else, which ParseFloat then decides.
func parseDecimal(b []byte) (float64, bool) {
	f, n, ok := scanDecimal(b)
	return f, ok && n == len(b)
}

// scanDecimal is parseDecimal on the longest decimal at the start of b: it
// returns the value and the bytes it took, ok=false when they are not one
// it reads (at most 19 significant digits, at most 3 exponent digits).
func scanDecimal(b []byte) (f float64, n int, ok bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	var mant uint64
	start := i
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		mant = mant*10 + uint64(b[i]-'0')
	}
	digits, frac := i-start, 0
	if i < len(b) && b[i] == '.' {
		i++
		fstart := i
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			mant = mant*10 + uint64(b[i]-'0')
		}
		frac = i - fstart
		digits += frac
	}
	if digits == 0 {
		return 0, 0, false
	}
	if digits > 19 {
		// mant may have wrapped: count the significant digits only.
		return scanDecimalLong(b)
	}
	exp := 0
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if exp, i, ok = exponentAt(b, i+1); !ok {
			return 0, 0, false
		}
	}
	if exp -= frac; exp == 0 {
		// An integer, most values and bounds: as decimalValue does, with
		// no call.
		f = float64(mant)
	} else if f, ok = decimalValue(mant, exp); !ok {
		return 0, 0, false
	}
	if neg {
		f = -f
	}
	return f, i, true
}

// scanDecimalLong is scanDecimal for a decimal of more than 19 digits,
// of which at most 19 are significant (past leading zeros).
func scanDecimalLong(b []byte) (f float64, n int, ok bool) {
	i, neg := 0, false
	if b[0] == '-' {
		neg, i = true, 1
	}
	var mant uint64
	// sig counts the significant digits (from the first one not zero)
	// apart from mant, which past 19 of them may wrap, even to 0.
	sig, frac, dot := 0, 0, false
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			if b[i] != '.' || dot {
				break
			}
			dot = true
			continue
		}
		mant = mant*10 + uint64(d)
		if sig > 0 || d != 0 {
			sig++
		}
		if dot {
			frac++
		}
	}
	if sig > 19 {
		return 0, 0, false
	}
	exp := 0
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if exp, i, ok = exponentAt(b, i+1); !ok {
			return 0, 0, false
		}
	}
	if f, ok = decimalValue(mant, exp-frac); !ok {
		return 0, 0, false
	}
	if neg {
		f = -f
	}
	return f, i, true
}

// exponentAt reads the exponent after the e of a decimal, at b[i:]: an
// optional sign and 1 to 3 digits.
func exponentAt(b []byte, i int) (exp, next int, ok bool) {
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i+2 < len(b) && b[i]-'0' <= 9 && b[i+1]-'0' <= 9 && b[i+2]-'0' > 9 {
		// Two digits, as strconv writes them (e+06, e-07).
		exp, i = int(b[i]-'0')*10+int(b[i+1]-'0'), i+2
	} else {
		start := i
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			exp = exp*10 + int(b[i]-'0')
		}
		if i == start || i-start > 3 {
			return 0, 0, false
		}
	}
	if neg {
		exp = -exp
	}
	return exp, i, true
}

// decimalValue is mant×10^exp, correctly rounded, for mant below 10^19;
// ok=false past the exponents it takes.
func decimalValue(mant uint64, exp int) (float64, bool) {
	switch {
	case exp == 0:
		// Go converts an integer to the nearest float64, ties to even.
		return float64(mant), true
	case mant == 0:
		return 0, true
	case mant <= 1<<53 && exp >= 0 && exp < len(pow10):
		// mant and the power of ten are exact float64s: one operation,
		// correctly rounded, gives the correctly rounded value (the fast
		// path of ParseFloat itself).
		return float64(mant) * pow10[exp], true
	case mant <= 1<<53 && exp < 0 && -exp < len(pow10):
		return float64(mant) / pow10[-exp], true
	}
	return exactDecimal(mant, exp)
}

// exactDecimal is mant×10^exp correctly rounded (to nearest, ties to
// even), computed on integers, for the decimals past the float64 fast path
// that strconv's shortest format writes (16 or 17 digits): mant×10^exp is
// an exact 128-bit product, mant/10^-exp a 128-bit quotient whose
// remainder tells whether anything was cut. ok=false past 10^±19.
func exactDecimal(mant uint64, exp int) (float64, bool) {
	switch {
	case exp >= 0 && exp < len(pow10u):
		hi, lo := bits.Mul64(mant, pow10u[exp])
		return roundBinary(hi, lo, false, 0), true
	case exp < 0 && -exp < len(pow10u):
		// mant shifted to its top bit, over 10^-exp < 2^64, has a quotient
		// of at least 64 bits above the binary point moved 64 places.
		d := pow10u[-exp]
		lz := bits.LeadingZeros64(mant)
		q1, r := bits.Div64(0, mant<<lz, d)
		q0, r := bits.Div64(r, 0, d)
		return roundBinary(q1, q0, r != 0, -64-lz), true
	}
	return 0, false
}

// roundBinary is (hi×2^64 + lo + δ)×2^exp2 rounded to the nearest float64,
// ties to even, where 0 < δ < 1 when sticky and δ = 0 otherwise; hi:lo is
// not zero and the result is a normal float64 (as for every decimal
// exactDecimal takes).
func roundBinary(hi, lo uint64, sticky bool, exp2 int) float64 {
	var top uint64 // the 64 top bits of hi:lo, the first one set
	if hi != 0 {
		s := bits.LeadingZeros64(hi)
		top = hi<<s | lo>>(64-s)
		sticky = sticky || lo<<s != 0
		exp2 += 64 - s
	} else {
		s := bits.LeadingZeros64(lo)
		top = lo << s
		exp2 -= s
	}
	// The value is (top + what was cut)×2^exp2: keep 53 bits.
	m, rest := top>>11, top&(1<<11-1)
	exp2 += 11
	const half = 1 << 10
	if rest > half || rest == half && (sticky || m&1 == 1) {
		m++
		if m == 1<<53 {
			m >>= 1
			exp2++
		}
	}
	// m×2^exp2, m in [2^52, 2^53): 1.fraction × 2^(exp2+52).
	return math.Float64frombits(uint64(exp2+52+1023)<<52 | m&(1<<52-1))
}

// normalizeHistogram is expfmt's: once any count of a histogram is a float,
// all of them are.
func (p *fastParser) normalizeHistogram(h *dto.Histogram) {
	if h == nil {
		return
	}
	anyFloats := h.GetSampleCountFloat() != 0
	if !anyFloats {
		for _, b := range h.GetBucket() {
			if b.GetCumulativeCountFloat() != 0 {
				anyFloats = true
				break
			}
		}
	}
	if !anyFloats {
		return
	}
	if h.GetSampleCountFloat() == 0 {
		h.SampleCountFloat = p.float(float64(h.GetSampleCount()))
		h.SampleCount = nil
	}
	for _, b := range h.GetBucket() {
		if b.GetCumulativeCountFloat() == 0 {
			b.CumulativeCountFloat = p.float(float64(b.GetCumulativeCount()))
			b.CumulativeCount = nil
		}
	}
}
