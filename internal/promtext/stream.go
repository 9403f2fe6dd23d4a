package promtext

import (
	"bytes"
	"errors"
	"io"
	"sync"
)

// ReadOptions are ReadParsed's and SelectReader's.
type ReadOptions struct {
	Limits
	// Grow, when set, is called before the read buffer grows to n bytes
	// to hold a line longer than it; an error ends the read with that
	// error. Real lines are far shorter than the buffer (readBufSize):
	// only a payload with huge lines makes it grow.
	Grow func(n int) error
	// Lines, when set, is called with each run of whole lines as it is
	// read, before it is selected. The bytes are only valid during the call.
	Lines func(lines []byte)
}

// ReadError is a failure of the reader ReadParsed and SelectReader read
// from (a transport error, a payload over a limit, bad gzip), as opposed to
// a payload that is not valid Prometheus text.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// SelectReader is ReadParsed without the parse: it returns the selected
// lines, each family once, ending with '\n'.
func SelectReader(r io.Reader, want func(family string) bool, o ReadOptions) (out []byte, capped []Capped, err error) {
	sel, err := selectFrom(r, want, o, new(selBufs))
	return sel.out, sel.capped, err
}

// readBufSize is the read buffer: tens of lines of a real payload, and the
// size of a read from a socket that has data waiting.
const readBufSize = 64 << 10

// readBufKeep bounds the read buffers kept for reuse: one grown for a
// payload with huge lines is dropped after it.
const readBufKeep = 256 << 10

var readBufPool = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// selBufs are what a selection allocates, reused between selections: the
// selected lines and families, and the selector's own state. Reused, a
// node's selection allocates only the names of the families it keeps;
// fresh, the growth of these was over half of a scrape's allocation.
type selBufs struct {
	out     []byte
	lines   []int32
	fams    []span
	seen    map[string]struct{}
	pend    []byte
	pending []lineRef
	name    []byte
}

var selBufPool = sync.Pool{New: func() any { return new(selBufs) }}

// selBufKeep bounds the selections kept for reuse: a hostile payload's
// must not stay.
const selBufKeep = 4 << 20

// seenKeep bounds the families a reused selector's seen map keeps room
// for: a real payload has a few hundred wanted families.
const seenKeep = 4096

// putSelBufs keeps bufs for the next selection, emptied, unless a hostile
// payload grew them past the bounds.
func putSelBufs(bufs *selBufs) {
	if bufs.reset() {
		selBufPool.Put(bufs)
	}
}

// reset empties bufs for the next selection and reports whether they are
// worth keeping: not grown past the bounds by a hostile payload.
func (bufs *selBufs) reset() bool {
	if cap(bufs.out) > selBufKeep || len(bufs.seen) > seenKeep || cap(bufs.pend) > selBufKeep ||
		cap(bufs.fams) > seenKeep {
		return false
	}
	clear(bufs.seen)
	clear(bufs.fams) // their names, for the GC
	bufs.out, bufs.lines, bufs.fams = bufs.out[:0], bufs.lines[:0], bufs.fams[:0]
	bufs.pend, bufs.pending, bufs.name = bufs.pend[:0], bufs.pending[:0], bufs.name[:0]
	return true
}

// selectFrom reads r through a pooled buffer and feeds its whole lines to
// a selector as they come; the incomplete last line of a read waits at the
// start of the buffer for the rest.
// The selector's state goes back into bufs when it returns; the selection's
// lines and families are bufs' too, until the caller puts them back.
func selectFrom(r io.Reader, want func(family string) bool, o ReadOptions, bufs *selBufs) (selection, error) {
	bp := readBufPool.Get().(*[]byte)
	buf := *bp
	defer func() {
		if cap(buf) <= readBufKeep {
			*bp = buf[:cap(buf)]
			readBufPool.Put(bp)
		}
	}()
	s := newSelector(want, o.Limits, bufs)
	defer s.keepState(bufs)
	filled := 0
	for {
		if filled == len(buf) {
			// One line fills the buffer: make room for more of it.
			n := 2 * len(buf)
			if o.Grow != nil {
				if err := o.Grow(n); err != nil {
					return selection{}, &ReadError{err}
				}
			}
			nb := make([]byte, n)
			copy(nb, buf[:filled])
			buf = nb
		}
		n, err := r.Read(buf[filled:])
		filled += n
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			return selection{}, &ReadError{err}
		}
		whole := filled
		if !eof {
			// What was there before this read holds no '\n': only
			// the new bytes are searched, so a long line costs no
			// more than a short one per byte.
			whole = 0
			if i := bytes.LastIndexByte(buf[filled-n:filled], '\n'); i >= 0 {
				whole = filled - n + i + 1
			}
		}
		if whole > 0 {
			if o.Lines != nil {
				o.Lines(buf[:whole])
			}
			if err := s.feed(buf[:whole], eof); err != nil {
				return selection{}, err
			}
			filled = copy(buf, buf[whole:filled])
		}
		if eof {
			return s.end()
		}
	}
}
