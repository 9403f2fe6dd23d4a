package promtext

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

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
// own; this reads the buffer in place, interns label names and values (a
// payload repeats the same few thousand), and takes the messages from slabs.
// Anything else, including any input expfmt would reject, returns ok=false
// and the caller falls back to expfmt, so the result (or the error and its
// line) is always expfmt's: fastParse never accepts what expfmt refuses.
// FuzzFastParse and TestFastParseCaptures compare the two.
func fastParse(in []byte) (fams map[string]*dto.MetricFamily, ok bool) {
	if len(in) == 0 || in[len(in)-1] != '\n' {
		return nil, false
	}
	p := fastParser{
		fams:   map[string]*dto.MetricFamily{},
		strs:   map[string]*string{},
		series: map[string]*dto.Metric{},
	}
	for len(in) > 0 {
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
		normalizeHistogram(m.Histogram)
	}
	return p.fams, true
}

type fastParser struct {
	fams map[string]*dto.MetricFamily
	strs map[string]*string // interned label names and values
	// series finds the metric of a histogram or summary series by family
	// and labels (without le and quantile), as expfmt's signatures do.
	series map[string]*dto.Metric
	hists  []*dto.Metric

	cur     *dto.MetricFamily
	isSum   bool
	isCount bool
	// lastName is the previous line's sample name when that line was a
	// sample: the lines of a series (buckets, _sum, _count) come in runs of
	// one name, whose family is looked up once.
	lastName   []byte
	lastOK     bool
	lastCur    *dto.MetricFamily
	lastSum    bool
	lastCount  bool
	raw        []rawLabel       // of the current line, before interning
	vals       []byte           // unescaped label values of the current line
	labels     []*dto.LabelPair // of the current line
	key        []byte
	scratch    []byte
	metrics    slab[dto.Metric]
	pairs      slab[dto.LabelPair]
	floats     slab[float64]
	gauges     slab[dto.Gauge]
	counters   slab[dto.Counter]
	untypeds   slab[dto.Untyped]
	famsSlab   slab[dto.MetricFamily]
	buckets    slab[dto.Bucket]
	uints      slab[uint64]
	pairPtrs   []*dto.LabelPair // backing store of Metric.Label slices
	metricList []*dto.Metric    // backing store of MetricFamily.Metric slices
}

// rawLabel is a label of the line being read, aliasing the line (or
// fastParser.vals for an escaped value): interned only when it makes a
// new metric, since the lines of a histogram series repeat their labels.
type rawLabel struct{ name, value []byte }

// slab hands out pointers into chunks: one allocation per 256 messages
// instead of one each. The families built are short-lived (converted, then
// dropped), so a chunk kept alive by one pointer costs little.
type slab[T any] struct{ s []T }

func (s *slab[T]) new() *T {
	if len(s.s) == cap(s.s) {
		s.s = make([]T, 0, 256)
	}
	s.s = s.s[:len(s.s)+1]
	return &s.s[len(s.s)-1]
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

// intern returns one shared *string per distinct value: the messages are
// read only, and a payload repeats the same label names and values.
func (p *fastParser) intern(b []byte) *string {
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	s := new(string)
	*s = string(b)
	p.strs[*s] = s
	return s
}

func (p *fastParser) comment(line []byte) bool {
	p.lastOK = false
	var help bool
	switch {
	case len(line) > 7 && string(line[:7]) == "# HELP ":
		help = true
	case len(line) > 7 && string(line[:7]) == "# TYPE ":
	default:
		return false
	}
	rest := line[7:]
	n := metricNameLen(rest)
	// One space, then a text that does not start with a blank (expfmt
	// skips blanks there; an empty text leaves HELP unset).
	if n == 0 || n+1 >= len(rest) || rest[n] != ' ' || rest[n+1] == ' ' || rest[n+1] == '\t' {
		return false
	}
	name, text := rest[:n], rest[n+1:]
	if !p.family(name) {
		return false
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
		mf.Help = &s
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
	mf.Type = t.Enum()
	return true
}

func (p *fastParser) unescapeHelp(b []byte) (string, bool) {
	i := slices.Index(b, '\\')
	if i < 0 {
		return string(b), true
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
			return "", false
		}
		switch b[i] {
		case '\\', '"':
			out = append(out, b[i])
		case 'n':
			out = append(out, '\n')
		default:
			return "", false
		}
	}
	p.scratch = out
	return string(out), true
}

// family finds or creates the family of a name as expfmt does: its own, else
// the summary or histogram it is the _sum, _count (or _bucket) of.
func (p *fastParser) family(name []byte) bool {
	p.isSum, p.isCount = false, false
	if mf := p.fams[string(name)]; mf != nil {
		p.cur = mf
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
		if mf := p.fams[string(base)]; mf != nil {
			t := mf.GetType()
			isBucket := !p.isSum && !p.isCount
			if t == dto.MetricType_HISTOGRAM || (t == dto.MetricType_SUMMARY && !isBucket) {
				p.cur = mf
				return true
			}
		}
	}
	n := string(name)
	p.isSum, p.isCount = false, false
	mf := p.famsSlab.new()
	mf.Name = &n
	p.fams[n] = mf
	p.cur = mf
	return true
}

func (p *fastParser) sample(line []byte) bool {
	n := metricNameLen(line)
	if n == 0 || n == len(line) || (line[n] != ' ' && line[n] != '{') {
		return false
	}
	if p.lastOK && string(line[:n]) == string(p.lastName) {
		p.cur, p.isSum, p.isCount = p.lastCur, p.lastSum, p.lastCount
	} else {
		if !p.family(line[:n]) {
			return false
		}
		p.lastName = append(p.lastName[:0], line[:n]...)
		p.lastCur, p.lastSum, p.lastCount, p.lastOK = p.cur, p.isSum, p.isCount, true
	}
	mf := p.cur
	if mf.Type == nil {
		mf.Type = dto.MetricType_UNTYPED.Enum()
	}
	typ := mf.GetType()
	grouped := typ == dto.MetricType_HISTOGRAM || typ == dto.MetricType_SUMMARY
	special := ""
	if typ == dto.MetricType_HISTOGRAM {
		special = "le"
	} else if typ == dto.MetricType_SUMMARY {
		special = "quantile"
	}
	bound := math.NaN() // le or quantile
	hasBound := false
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
			val, after, ok := p.labelValue(rest[ln+2:])
			if !ok {
				return false
			}
			rest = after
			if special != "" && string(lname) == special {
				if hasBound {
					return false // expfmt keeps the last one silently: be strict, let it decide
				}
				f, ok := parseFloatLikeExpfmt(val)
				if !ok {
					return false
				}
				bound, hasBound = f, true
			} else {
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
	valEnd := 0
	for valEnd < len(rest) && rest[valEnd] != ' ' && rest[valEnd] != '\t' {
		valEnd++
	}
	value, ok := parseFloatLikeExpfmt(rest[:valEnd])
	if !ok {
		return false
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
		ts = &t
	}

	var m *dto.Metric
	if grouped {
		p.key = append(p.key[:0], *mf.Name...)
		p.key = append(p.key, 0xff)
		p.key = appendSortedLabels(p.key, p.raw)
		m = p.series[string(p.key)]
		if m == nil {
			p.internLabels()
			m = p.newMetric()
			p.series[string(p.key)] = m
			mf.Metric = p.appendMetric(mf.Metric, m)
			if typ == dto.MetricType_HISTOGRAM {
				p.hists = append(p.hists, m)
			}
		}
	} else {
		p.internLabels()
		m = p.newMetric()
		mf.Metric = p.appendMetric(mf.Metric, m)
	}
	if ts != nil {
		m.TimestampMs = ts
	}
	switch typ {
	case dto.MetricType_COUNTER:
		c := p.counters.new()
		c.Value = p.float(value)
		m.Counter = c
	case dto.MetricType_GAUGE:
		g := p.gauges.new()
		g.Value = p.float(value)
		m.Gauge = g
	case dto.MetricType_UNTYPED:
		u := p.untypeds.new()
		u.Value = p.float(value)
		m.Untyped = u
	case dto.MetricType_SUMMARY:
		if m.Summary == nil {
			m.Summary = &dto.Summary{}
		}
		switch {
		case p.isCount:
			c := uint64(value)
			m.Summary.SampleCount = &c
		case p.isSum:
			m.Summary.SampleSum = p.float(value)
		case hasBound:
			m.Summary.Quantile = append(m.Summary.Quantile, &dto.Quantile{Quantile: p.float(bound), Value: p.float(value)})
		}
	case dto.MetricType_HISTOGRAM:
		if m.Histogram == nil {
			m.Histogram = &dto.Histogram{}
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
			b := p.buckets.new()
			b.UpperBound = p.float(bound)
			if u := uint64(value); value == float64(u) {
				b.CumulativeCount = p.uint(u)
			} else {
				if value < 0 {
					return false
				}
				b.CumulativeCountFloat = p.float(value)
			}
			h.Bucket = append(h.Bucket, b)
		}
	default:
		return false
	}
	return true
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
// summary series keeps its first line's labels, as in expfmt).
func (p *fastParser) newMetric() *dto.Metric {
	m := p.metrics.new()
	if len(p.labels) > 0 {
		if cap(p.pairPtrs)-len(p.pairPtrs) < len(p.labels) {
			p.pairPtrs = make([]*dto.LabelPair, 0, max(1024, len(p.labels)))
		}
		start := len(p.pairPtrs)
		p.pairPtrs = append(p.pairPtrs, p.labels...)
		m.Label = p.pairPtrs[start:len(p.pairPtrs):len(p.pairPtrs)]
	}
	return m
}

// appendMetric appends to a family's metrics; a family's metrics are
// consecutive in the selected payload, so they share one backing array
// until another family's interleave.
func (p *fastParser) appendMetric(list []*dto.Metric, m *dto.Metric) []*dto.Metric {
	if len(list) > 0 && len(p.metricList) > 0 && &list[len(list)-1] == &p.metricList[len(p.metricList)-1] && len(p.metricList) < cap(p.metricList) {
		p.metricList = append(p.metricList, m)
		return p.metricList[len(p.metricList)-len(list)-1 : len(p.metricList) : len(p.metricList)]
	}
	if len(list) > 0 {
		return append(list, m)
	}
	if cap(p.metricList)-len(p.metricList) < 1 {
		p.metricList = make([]*dto.Metric, 0, 1024)
	}
	p.metricList = append(p.metricList, m)
	return p.metricList[len(p.metricList)-1 : len(p.metricList) : len(p.metricList)]
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
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			val = b[:i]
			if !utf8.Valid(val) {
				return nil, nil, false
			}
			return val, b[i+1:], true
		case '\\':
			return p.labelValueEscaped(b)
		}
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

// metricNameLen is the length of the legacy metric name at the start of b.
func metricNameLen(b []byte) int {
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return i
		}
	}
	return len(b)
}

// labelNameLen is the length of the legacy label name at the start of b.
func labelNameLen(b []byte) int {
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9' && i > 0:
		default:
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
	// The common case: a plain integer, which ParseFloat would also read.
	if len(b) <= 15 {
		var n int64
		digits := true
		for _, c := range b {
			if c < '0' || c > '9' {
				digits = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if digits {
			return float64(n), true
		}
	}
	for _, c := range b {
		if c == 'p' || c == 'P' || c == '_' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// normalizeHistogram is expfmt's: once any count of a histogram is a float,
// all of them are.
func normalizeHistogram(h *dto.Histogram) {
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
		f := float64(h.GetSampleCount())
		h.SampleCountFloat = &f
		h.SampleCount = nil
	}
	for _, b := range h.GetBucket() {
		if b.GetCumulativeCountFloat() == 0 {
			f := float64(b.GetCumulativeCount())
			b.CumulativeCountFloat = &f
			b.CumulativeCount = nil
		}
	}
}
