package promtext

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"unsafe"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Limits bound what ReadParsed and SelectReader keep of a payload.
type Limits struct {
	// MaxSeriesPerFamily keeps at most this many series of each wanted
	// family (0: no limit). A series is one sample line of a counter, gauge
	// or untyped family, and all the lines of one label set (buckets or
	// quantiles, _sum, _count) of a histogram or summary. The series kept
	// are the first ones in SeriesOrder, so the same ones are kept at every
	// scrape whatever order the exporter writes them in (CockroachDB writes
	// the stores of a family in map order).
	MaxSeriesPerFamily int
}

// Capped is a family that had more series than Limits.MaxSeriesPerFamily.
type Capped struct {
	Family  string
	Kept    int
	Dropped int
}

// kind is what selection needs to know of a family's type: which suffixed sample
// names belong to it.
type kind uint8

const (
	kindPlain     kind = iota // counter, gauge, untyped
	kindHistogram             // _bucket, _sum, _count
	kindSummary               // _sum, _count
)

// span is one selected family in the selected payload, for error messages.
type span struct {
	name        string
	kind        kind
	first, last int // line numbers in the original payload
}

// selection is the result of the scan: the selected lines, the original line
// number of every selected line (so parse errors can name the line the
// operator will find in the payload) and the selected families.
type selection struct {
	out    []byte
	lines  []int32
	fams   []span
	capped []Capped
}

// origLine maps a 1-based line number of sel.out back to the payload.
func (s *selection) origLine(n int) int {
	switch {
	case len(s.lines) == 0:
		return n
	case n < 1:
		return int(s.lines[0])
	case n > len(s.lines):
		return int(s.lines[len(s.lines)-1])
	}
	return int(s.lines[n-1])
}

// lineRef is a pending header line of the current block: it is copied out only
// once the block has a sample, so blocks without samples leave no trace.
type lineRef struct {
	start, end int // selector.pend[start:end], without '\n'
	num        int
}

// sample suffix seen last in the current block, to tell a histogram cut after
// a bucket line from one that ended properly.
type suffix uint8

const (
	sfxNone suffix = iota
	sfxBucket
	sfxSum
	sfxCount
)

// block is the family block being scanned.
type block struct {
	// name is always a whole legacy metric name: it is cut from a line by
	// metricName, or by sampleIn, which stops where metricName would.
	name    []byte // aliases the piece being read, or selector.name between pieces
	str     string // name as a string, made once per block
	kind    kind
	active  bool // a block is open
	keep    bool // wanted and not a repeat
	samples bool
	help    bool // had a HELP line
	typ     bool // had a TYPE line
	last    suffix
	lastNum int // line number of the last sample
	pending []lineRef

	// For Limits.MaxSeriesPerFamily, on wanted blocks: series counted so
	// far, whether there are too many, where the block's samples start in
	// sel.out and sel.lines, and the size of its samples in sel.out at
	// which they are cut down next (see prune).
	series              int
	over                bool
	outStart, linesFrom int
	pruneAt             int
}

// selector keeps only the lines (HELP, TYPE, samples) of the families for
// which want(name) is true, each family once, ending with '\n'. It is a
// cheap byte scan, no full parse: want is called once per family block, and
// lines of unwanted families are only looked at, never copied.
//
// Rules:
//   - `# HELP x` / `# TYPE x` lines name family x; other comments are skipped.
//   - A sample line belongs to the current family when its metric name is the
//     family name or, for histogram families, family+"_bucket"/"_sum"/"_count"
//     (summary families: "_sum"/"_count"); otherwise it starts an untyped
//     family named by itself. This is how expfmt attributes lines too.
//   - A family whose block appears a second time later in the payload (real
//     captures repeat whole blocks) is dropped: first wins. A block without
//     samples (a HELP line without TYPE or samples) is tolerated and dropped;
//     it does not count as the first block.
//   - A missing trailing newline is tolerated, but the final line must then be
//     a complete sample: a payload cut mid-line is an error. A payload whose
//     last family is a histogram or summary must end with its _sum or _count
//     line, otherwise it was cut inside that family.
//
// want is given names that alias the piece being read: it must copy any it
// keeps (strings.Clone), as the piece is a reused buffer.
//
// Lines that cannot be Prometheus text (an HTML error page, binary junk, a
// sample line without a value) fail the selection with the line number, even
// in families that are not wanted: such a payload cannot be trusted at all.
//
// A selector is fed a payload in pieces of whole
// lines (see feed). Nothing it keeps points into a piece once feed returns:
// header lines waiting for their block's first sample are copied, and so is
// the open block's name. So a payload can be selected while it is read,
// through a buffer of a few lines, without ever being held whole.
type selector struct {
	want func(family string) bool
	lim  Limits
	sel  selection
	cur  block
	seen map[string]struct{} // wanted families that emitted a block
	// seenBits holds the bit of seenBit(name) of every name in seen: most
	// families are not wanted, and for nearly all of them a clear bit says
	// so without hashing the name. Its size is fixed.
	seenBits [16]uint64
	num      int    // lines so far
	name     []byte // owns cur.name between pieces
	pend     []byte // the pending header lines' text
	scratch  []byte
	// slow turns off the fast paths (sampleIn, headerFast), so tests can
	// check both paths select the same.
	slow bool
}

// newSelector starts a selection in bufs' memory (nil: fresh), which must
// be empty.
func newSelector(want func(family string) bool, lim Limits, bufs *selBufs) *selector {
	if bufs == nil {
		bufs = new(selBufs)
	}
	if bufs.seen == nil {
		bufs.seen = map[string]struct{}{}
	}
	if bufs.pending == nil {
		bufs.pending = make([]lineRef, 0, 4)
	}
	s := &selector{want: want, lim: lim, sel: selection{out: bufs.out, lines: bufs.lines, fams: bufs.fams},
		seen: bufs.seen, pend: bufs.pend, name: bufs.name}
	s.cur.pending = bufs.pending
	return s
}

// keepState hands the selector's own memory back to bufs for reuse (the
// selection's stays with the caller).
func (s *selector) keepState(bufs *selBufs) {
	bufs.seen, bufs.pend, bufs.pending, bufs.name = s.seen, s.pend, s.cur.pending, s.name
}

func (s *selector) emit(line []byte, n int) {
	if need, c := len(s.sel.out)+len(line)+1, cap(s.sel.out); need > c && c < selGrowDouble {
		// slices.Grow by the lines' length only would grow by a quarter.
		s.sel.out = slices.Grow(s.sel.out, max(need, 2*c, 4<<10)-len(s.sel.out))
	}
	s.sel.out = append(s.sel.out, line...)
	s.sel.out = append(s.sel.out, '\n')
	s.sel.lines = append(s.sel.lines, int32(n))
}

// selGrowDouble is the size up to which the selected lines double when
// full: append grows a large slice by a quarter, which from empty to a
// typical selection (tens of kB) allocates four times the result, copying
// as much. Past it, a hostile payload's selection grows as append grows it.
const selGrowDouble = 1 << 20

// finish closes a block: one that had too many series is cut down to the
// first MaxSeriesPerFamily in SeriesOrder.
func (s *selector) finish() {
	cur := &s.cur
	if !cur.active || !cur.keep || !cur.over {
		return
	}
	kept := s.prune()
	s.sel.capped = append(s.sel.capped, Capped{Family: cur.str, Kept: kept, Dropped: cur.series - kept})
}

// prune keeps, of the current block's samples in sel.out, only the lines of
// its first MaxSeriesPerFamily series in SeriesOrder, in their order, and
// returns how many series that is. It runs when the block ends and, while
// the block goes on, whenever its samples have doubled since the last
// prune, so a family with a million series holds about twice the limit's
// lines, not a million. A series pruned never comes back: the series kept
// only get earlier in SeriesOrder, and it was after all of them.
func (s *selector) prune() int {
	cur := &s.cur
	region := s.sel.out[cur.outStart:]
	kept := keepSeries(region, cur.kind, s.lim.MaxSeriesPerFamily)
	w, li := cur.outStart, cur.linesFrom
	for pos, i := 0, cur.linesFrom; pos < len(region); i++ {
		end := pos + bytes.IndexByte(region[pos:], '\n') // every line ends with one
		line := region[pos:end]
		num := s.sel.lines[i]
		pos = end + 1
		_, s.scratch = seriesKey(line, cur.kind, s.scratch[:0])
		if _, ok := kept[string(s.scratch)]; !ok {
			continue
		}
		w += copy(s.sel.out[w:], line)
		s.sel.out[w] = '\n'
		w++
		s.sel.lines[li] = num
		li++
	}
	s.sel.out, s.sel.lines = s.sel.out[:w], s.sel.lines[:li]
	cur.pruneAt = 2*(w-cur.outStart) + 64<<10
	return len(kept)
}

func (s *selector) start(name []byte, k kind) {
	cur := &s.cur
	if cur.over {
		s.finish()
	}
	cur.series, cur.over = 0, false
	cur.name, cur.kind = name, k
	cur.active, cur.samples, cur.help, cur.typ = true, false, false, false
	cur.last, cur.pending = sfxNone, cur.pending[:0]
	s.pend = s.pend[:0]
	// Most families are not wanted: their name is looked at, never
	// copied (want gets it aliasing the piece, see selector).
	repeat := false
	if b := seenBit(name); s.seenBits[b/64]&(1<<(b%64)) != 0 {
		_, repeat = s.seen[string(name)]
	}
	cur.keep = !repeat && s.want(unsafe.String(unsafe.SliceData(name), len(name)))
	cur.str = ""
	if cur.keep {
		cur.str = string(name)
	}
}

// seenBit is the bit of a name (not empty) in selector.seenBits: a mix of
// its length and two of its bytes, as names of one payload share prefixes.
func seenBit(name []byte) uint {
	return (uint(len(name))*31 + uint(name[len(name)-1])*7 + uint(name[len(name)/2])) % 1024
}

// feed selects from piece, which holds whole lines: each ends with '\n',
// except that the last line of the last piece (last set) may lack it.
func (s *selector) feed(piece []byte, last bool) error {
	cur := &s.cur
	for pos := 0; pos < len(piece); {
		s.num++
		num := s.num
		end := bytes.IndexByte(piece[pos:], '\n')
		complete := end >= 0
		if complete {
			end += pos
		} else {
			end = len(piece)
		}
		from := pos
		pos = end + 1
		for from < end && (piece[from] == ' ' || piece[from] == '\t') {
			from++
		}
		line := piece[from:end]
		if len(line) == 0 {
			continue
		}

		if line[0] == '#' {
			if err := s.header(line, num); err != nil {
				return err
			}
			continue
		}

		// Most lines are samples of the open block, which sampleIn finds
		// cheaply. Any other line, or a bad one, takes the general path,
		// which also gives the error.
		n, sfx, in := 0, sfxNone, false
		if !s.slow {
			n, sfx, in = cur.sampleIn(line)
		}
		if !in {
			name, err := checkSample(line)
			if err != nil {
				return fmt.Errorf("line %d: %w", num, err)
			}
			n = len(name)
			sfx, in = belongs(cur, name)
		}
		if !complete {
			if !last {
				return fmt.Errorf("line %d: internal error: a piece of the payload ends mid-line", num)
			}
			// The payload does not end with '\n': tolerated only when the last
			// line is a whole sample. Checked with expfmt itself, once.
			if err := completeSample(line); err != nil {
				return fmt.Errorf("line %d: payload truncated mid-line: %w", num, err)
			}
		}
		if !in {
			s.start(line[:n], kindPlain)
			sfx = sfxNone
		}
		cur.last, cur.lastNum = sfx, num
		if !cur.keep {
			cur.samples = true
			continue
		}
		s.keep(line, num, sfx)
	}
	if cur.active {
		s.name = append(s.name[:0], cur.name...)
		cur.name = s.name
	}
	return nil
}

// header reads a comment line: a HELP or TYPE line goes on the open block
// or opens a new one.
func (s *selector) header(line []byte, num int) error {
	cur := &s.cur
	if !s.slow && s.headerFast(line, num) {
		return nil
	}
	kw, name, typ, err := parseComment(line)
	if err != nil {
		return fmt.Errorf("line %d: %w", num, err)
	}
	if kw == 0 || len(name) == 0 {
		return nil // other comment, or a HELP/TYPE naming nothing: expfmt ignores both
	}
	// Same family, and this kind of header not seen yet in the block and
	// no sample yet: the block goes on. Anything else opens a new block,
	// which for a family already emitted is a repeat and is dropped.
	same := cur.active && bytes.Equal(name, cur.name) && !cur.samples &&
		!(kw == 'H' && cur.help) && !(kw == 'T' && cur.typ)
	if !same {
		s.start(name, kindPlain)
	}
	if kw == 'H' {
		cur.help = true
	} else {
		cur.typ = true
		cur.kind = kindOf(typ)
	}
	s.pendHeader(line, num)
	return nil
}

// pendHeader holds a header line of a wanted block until the block's
// first sample (see keep): a family without samples emits nothing.
func (s *selector) pendHeader(line []byte, num int) {
	if cur := &s.cur; cur.keep {
		cur.pending = append(cur.pending, lineRef{len(s.pend), len(s.pend) + len(line), num})
		s.pend = append(s.pend, line...)
	}
}

// headerFast reads the two header lines of a block as exporters write
// them, "# HELP name text" and right after it "# TYPE name type", as the
// general path (parseComment and the rules in header) would, and reports
// whether it did; any other comment is left to the general path. The TYPE
// line is recognised by one comparison with the open block's name (a whole
// valid name, see block), where metricName would look up every byte.
func (s *selector) headerFast(line []byte, num int) bool {
	cur := &s.cur
	if len(line) <= len("# HELP ") || line[1] != ' ' || line[6] != ' ' {
		return false
	}
	rest := line[len("# HELP "):]
	switch string(line[2:6]) {
	case "TYPE":
		n := len(cur.name)
		if !cur.active || cur.typ || cur.samples || len(rest) <= n || rest[n] != ' ' || string(rest[:n]) != string(cur.name) {
			return false
		}
		// The type alone after one blank, as exporters write it, in one
		// comparison; anything else through the tokenizer.
		var k kind
		switch string(rest[n+1:]) {
		case "counter", "gauge", "untyped":
			k = kindPlain
		case "histogram":
			k = kindHistogram
		case "summary":
			k = kindSummary
		default:
			typ, _ := token(trimBlank(rest[n:]))
			k = kindOf(typ)
		}
		cur.typ, cur.kind = true, k
	case "HELP":
		n := metricName(rest)
		if n == 0 || n == len(rest) || rest[n] != ' ' {
			return false
		}
		if !cur.active || cur.samples || cur.help || string(rest[:n]) != string(cur.name) {
			s.start(rest[:n], kindPlain)
		}
		cur.help = true
	default:
		return false
	}
	s.pendHeader(line, num)
	return true
}

// keep copies out a sample line of a wanted block (after the block's
// pending headers, on its first sample) and applies the series limit.
func (s *selector) keep(line []byte, num int, sfx suffix) {
	cur := &s.cur
	if !cur.samples {
		cur.samples = true
		s.seen[cur.str] = struct{}{}
		b := seenBit(cur.name)
		s.seenBits[b/64] |= 1 << (b % 64)
		s.sel.fams = append(s.sel.fams, span{name: cur.str, kind: cur.kind, first: num})
		if len(cur.pending) > 0 {
			s.sel.fams[len(s.sel.fams)-1].first = cur.pending[0].num
		}
		for _, h := range cur.pending {
			s.emit(s.pend[h.start:h.end], h.num)
		}
		cur.pending = cur.pending[:0]
		cur.outStart, cur.linesFrom = len(s.sel.out), len(s.sel.lines)
		cur.pruneAt = 0
	}
	s.sel.fams[len(s.sel.fams)-1].last = num
	s.emit(line, num)
	if s.lim.MaxSeriesPerFamily > 0 {
		if cur.kind == kindPlain || sfx == sfxCount {
			cur.series++
		}
		if cur.series > s.lim.MaxSeriesPerFamily {
			// Too many: finish keeps the first ones. Until then the
			// lines are cut down whenever they have doubled.
			if !cur.over {
				cur.over = true
				cur.pruneAt = 2*(len(s.sel.out)-cur.outStart) + 64<<10
			}
			if len(s.sel.out)-cur.outStart > cur.pruneAt {
				s.prune()
			}
		}
	}
}

// end checks how the payload ended and returns the selection.
func (s *selector) end() (selection, error) {
	cur := &s.cur
	// A payload can only be cut inside its last family; a histogram or summary
	// ends with _sum/_count, so one whose last line is a bucket or quantile
	// line was cut.
	if cur.active && cur.samples && cur.kind != kindPlain && cur.last != sfxSum && cur.last != sfxCount {
		return selection{}, fmt.Errorf("line %d: payload ends inside %s %q (truncated?)",
			cur.lastNum, kindName(cur.kind), cur.name)
	}
	s.finish()
	return s.sel, nil
}

// parseComment reads `# HELP name ...` and `# TYPE name type`. kw is 'H', 'T'
// or 0 for any other comment.
func parseComment(line []byte) (kw byte, name, typ []byte, err error) {
	rest := trimBlank(line[1:])
	var word []byte
	word, rest = token(rest)
	switch string(word) {
	case "HELP":
		kw = 'H'
	case "TYPE":
		kw = 'T'
	default:
		return 0, nil, nil, nil
	}
	rest = trimBlank(rest)
	n := metricName(rest)
	name, rest = rest[:n], rest[n:]
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
		return 0, nil, nil, fmt.Errorf("invalid metric name in %s comment: %s", word, quote(line))
	}
	if kw == 'T' {
		typ, _ = token(trimBlank(rest))
	}
	return kw, name, typ, nil
}

// checkSample returns the metric name of a sample line after cheap checks that
// no valid line fails: a legacy metric name, an optional label set, blanks and
// something that starts like a number. Full validation is expfmt's job, on the
// selected lines only.
func checkSample(line []byte) ([]byte, error) {
	n := metricName(line)
	if n == 0 {
		if line[0] == '{' {
			return nil, fmt.Errorf("quoted (UTF-8) metric names are not supported: %s", quote(line))
		}
		return nil, fmt.Errorf("not a Prometheus text line: %s", quote(line))
	}
	rest := line[n:]
	switch {
	case len(rest) == 0:
	case rest[0] == '{':
		// The last '}' closes the label set: neither value nor timestamp can
		// hold one, while label values can.
		c := bytes.LastIndexByte(rest, '}')
		if c < 0 {
			return nil, fmt.Errorf("unterminated label set: %s", quote(line))
		}
		rest = rest[c+1:]
	case rest[0] != ' ' && rest[0] != '\t':
		return nil, fmt.Errorf("invalid metric name: %s", quote(line))
	}
	if v := trimBlank(rest); len(v) == 0 || !valueStart(v[0]) {
		return nil, fmt.Errorf("sample without a numeric value: %s", quote(line))
	}
	return line[:n], nil
}

// sampleIn is the fast path for most lines: samples of the open block cur.
// It reports ok, with the length of the line's metric name and its suffix,
// when the line starts with the block's name (for a histogram or summary,
// perhaps with one of its suffixes) followed by '{' or a blank, and the
// rest passes checkSample's checks. checkSample and belongs would find the same:
// the block's name is a whole valid name (see block), and metricName stops
// at '{' or a blank too; one comparison does what metricName does byte by
// byte. A line that is not ok takes the general path, which gives any
// error. Such a line never belongs to the block (its name would be followed
// by a byte checkSample rejects), except a summary's _bucket line, which
// starts a block of its own on both paths.
func (cur *block) sampleIn(line []byte) (n int, sfx suffix, ok bool) {
	n = len(cur.name)
	if !cur.active || len(line) <= n || string(line[:n]) != string(cur.name) {
		return 0, sfxNone, false
	}
	if cur.kind != kindPlain && line[n] == '_' {
		n, sfx = suffixAt(line, n, cur.kind)
	}
	rest := line[n:]
	switch rest[0] {
	case '{':
		// The last '}' closes the label set (see checkSample): looked
		// for from the end, over the value and timestamp only.
		c := bytes.LastIndexByte(rest, '}')
		if c < 0 {
			return 0, sfxNone, false
		}
		rest = rest[c+1:]
	case ' ', '\t':
	default:
		return 0, sfxNone, false
	}
	// One blank before the value, as exporters write it, without a loop.
	if len(rest) > 1 && rest[0] == ' ' && valueStart(rest[1]) {
		return n, sfx, true
	}
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	return n, sfx, len(rest) > 0 && valueStart(rest[0])
}

// suffixAt reads the histogram or summary suffix at line[n:] (which starts
// with '_'), when a byte follows it, and returns the name's length with it.
func suffixAt(line []byte, n int, k kind) (int, suffix) {
	rest := line[n:]
	switch {
	case k == kindHistogram && len(rest) > len("_bucket") && string(rest[:len("_bucket")]) == "_bucket":
		return n + len("_bucket"), sfxBucket
	case len(rest) > len("_sum") && string(rest[:len("_sum")]) == "_sum":
		return n + len("_sum"), sfxSum
	case len(rest) > len("_count") && string(rest[:len("_count")]) == "_count":
		return n + len("_count"), sfxCount
	}
	return n, sfxNone
}

// completeSample parses one line with expfmt: used for the last line of a
// payload without a trailing newline, where "12" may be the cut of "123" but
// `x{a="b` or `x 1.5e` is certainly a cut.
func completeSample(line []byte) error {
	b := make([]byte, 0, len(line)+1)
	b = append(append(b, line...), '\n')
	p := expfmt.NewTextParser(model.LegacyValidation)
	if _, err := p.TextToMetricFamilies(bytes.NewReader(b)); err != nil {
		var pe expfmt.ParseError
		if errors.As(err, &pe) {
			return errors.New(pe.Msg)
		}
		return err
	}
	return nil
}

// belongs reports whether a sample named name is part of the current block,
// and which histogram/summary suffix it carries.
func belongs(cur *block, name []byte) (suffix, bool) {
	if !cur.active {
		return sfxNone, false
	}
	if bytes.Equal(name, cur.name) {
		return sfxNone, true
	}
	if cur.kind == kindPlain || len(name) <= len(cur.name) || !bytes.HasPrefix(name, cur.name) {
		return sfxNone, false
	}
	switch string(name[len(cur.name):]) {
	case "_sum":
		return sfxSum, true
	case "_count":
		return sfxCount, true
	case "_bucket":
		return sfxBucket, cur.kind == kindHistogram
	}
	return sfxNone, false
}

// kindOf reads a TYPE token, in any case as expfmt does.
func kindOf(typ []byte) kind {
	// The types as exporters write them first, without case folding.
	switch string(typ) {
	case "counter", "gauge", "untyped":
		return kindPlain
	case "histogram":
		return kindHistogram
	case "summary":
		return kindSummary
	}
	switch {
	case bytes.EqualFold(typ, []byte("histogram")), bytes.EqualFold(typ, []byte("gaugehistogram")),
		bytes.EqualFold(typ, []byte("gauge_histogram")):
		return kindHistogram
	case bytes.EqualFold(typ, []byte("summary")):
		return kindSummary
	}
	return kindPlain
}

func kindName(k kind) string {
	if k == kindSummary {
		return "summary"
	}
	return "histogram"
}

// nameByte marks the bytes of legacy metric names: 1 anywhere, 2 not first.
var nameByte = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
			t[c] = 1
		case c >= '0' && c <= '9':
			t[c] = 2
		}
	}
	return t
}()

// nameRest is 1 for the bytes of legacy metric names after the first.
var nameRest = func() (t [256]uint8) {
	for c := range 256 {
		t[c] = min(nameByte[c], 1)
	}
	return t
}()

// metricName returns the length of the legacy metric name at the start of b.
func metricName(b []byte) int {
	if len(b) == 0 || nameByte[b[0]] != 1 {
		return 0
	}
	i := 1
	// Names are tens of bytes: eight at a time, one branch for all, while
	// they are all name bytes.
	for ; i+8 <= len(b); i += 8 {
		w := b[i : i+8 : i+8]
		if nameRest[w[0]]&nameRest[w[1]]&nameRest[w[2]]&nameRest[w[3]]&
			nameRest[w[4]]&nameRest[w[5]]&nameRest[w[6]]&nameRest[w[7]] == 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if nameByte[b[i]] == 0 {
			return i
		}
	}
	return len(b)
}

// valueStart reports whether c can start a float as strconv.ParseFloat reads
// it, including NaN and ±Inf.
func valueStart(c byte) bool {
	return c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.' ||
		c == 'N' || c == 'n' || c == 'I' || c == 'i'
}

func trimBlank(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// token cuts b at its first blank. A loop, not bytes.IndexAny, which builds
// a byte set per call: tokens here are a few bytes (HELP, TYPE, a type).
func token(b []byte) (tok, rest []byte) {
	for i, c := range b {
		if c == ' ' || c == '\t' {
			return b[:i], b[i:]
		}
	}
	return b, nil
}

// quote shows the start of a bad line in an error, safely for logs.
func quote(line []byte) string {
	const max = 60
	if len(line) > max {
		return fmt.Sprintf("%q...", line[:max])
	}
	return fmt.Sprintf("%q", line)
}
