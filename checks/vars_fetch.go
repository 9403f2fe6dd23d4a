package checks

// Fetching one node's /_status/vars over HTTP: gzip, the payload limit, and
// the buffers and memory budget it is read into.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/semaphore"

	"github.com/roachdog/roachdog/internal/redirect"
)

// explain turns a transport error into what an operator needs to read. A
// scrape the cycle cut short of the node's timeout never gets here (the
// node is then unknown, not down), so a deadline is the node's own.
func (v *Vars) explain(parent, nctx context.Context, err error, start time.Time) error {
	switch {
	case errors.Is(nctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("timeout after %s", v.timeout)
	case parent.Err() != nil:
		return fmt.Errorf("cycle %v after %s", parent.Err(), time.Since(start).Round(time.Millisecond))
	}
	return err
}

// varsBuf holds one response while it is read and parsed: the body as
// received (gzip) and decompressed. Buffers up to varsKeepBytes are reused
// from scrape to scrape through a sync.Pool. Larger ones, for payloads
// larger than any real node's, go to the check's varsBigBufs, which keeps
// them only while such payloads keep coming.
type varsBuf struct {
	body, gz []byte
	big      *varsBigBufs
	now      time.Time // the check's clock at getBuf
	// Bytes of the check's budget for large buffers held for gz and body.
	gzHeld, bodyHeld int64
}

// reserve makes *held (gzHeld or bodyHeld) cover a buffer of n bytes from
// the check's budget for buffers larger than varsKeepBytes. It waits for
// the budget (within ctx) when b holds none yet; holding some already, it
// does not wait (two scrapes each holding part and waiting for more would
// wait for each other), and fails when the budget is short.
func (b *varsBuf) reserve(ctx context.Context, held *int64, n int64) error {
	if n <= varsKeepBytes || n <= *held || b.big == nil || b.big.sem == nil {
		return nil
	}
	extra := n - *held
	if b.gzHeld+b.bodyHeld == 0 {
		if err := b.big.sem.Acquire(ctx, extra); err != nil {
			return fmt.Errorf("waiting for memory for a %d-byte buffer (%d bytes of large payloads are read at once): %w", n, b.big.budget, err)
		}
	} else if !b.big.sem.TryAcquire(extra) {
		return fmt.Errorf("payload larger than it said (%d bytes and more), and no memory left for it this moment (%d bytes of large payloads are read at once)", n, b.big.budget)
	}
	*held += extra
	return nil
}

// varsKeepBytes is the largest buffer the pool keeps: several v23 payloads
// (~800 kB each).
const varsKeepBytes = 4 << 20

var varsBufs = sync.Pool{New: func() any { return new(varsBuf) }}

// getBuf returns a buffer for one response (release it after).
func (v *Vars) getBuf() *varsBuf {
	now := v.now()
	v.big.expire(now)
	b := varsBufs.Get().(*varsBuf)
	b.big, b.now = &v.big, now
	return b
}

// release returns b for reuse (nil is a no-op); b must not be used after.
func (b *varsBuf) release() {
	if b == nil {
		return
	}
	if cap(b.body) > varsKeepBytes {
		b.big.hold(-1)
		b.big.put(b.body, b.now)
		b.body = nil
	}
	if cap(b.gz) > varsKeepBytes {
		b.gz = nil
	}
	if held := b.gzHeld + b.bodyHeld; held > 0 {
		b.big.sem.Release(held)
		b.gzHeld, b.bodyHeld = 0, 0
	}
	b.body, b.gz, b.big = b.body[:0], b.gz[:0], nil
	varsBufs.Put(b)
}

// varsBigBufs bounds the memory of payloads larger than varsKeepBytes
// (larger than any real node's), whatever max_concurrent_scrapes:
//
//   - In use: scrapes reserve their buffers (gzip body and text) from a
//     budget of varsBigAtOnce payloads at max_payload_bytes (sem) before
//     allocating or taking them, and wait for their turn within their
//     timeout. 16 scrapes of 16 MiB payloads held 16 × 16 MiB at once (32
//     MiB each with a doubling bytes.Buffer). Smaller payloads never wait.
//   - Idle: at most varsBigAtOnce bodies are kept for the next scrapes
//     while such payloads keep coming: reused, they make no garbage (a new
//     buffer per scrape let the heap grow to twice the live set between two
//     collections). One not reused for varsBigIdle is dropped, so memory
//     falls back once the payloads shrink; the pool of bytes.Buffers kept
//     16 buffers of 32 MiB for good after one cycle of big payloads.
//
// So the bodies of large payloads hold at most 2 × varsBigAtOnce ×
// (max_payload_bytes + 1 MiB).
type varsBigBufs struct {
	mu   sync.Mutex
	max  int
	bufs []varsBigBuf

	sem    *semaphore.Weighted
	budget int64

	// held counts the large bodies scrapes hold, maxHeld its peak (tests).
	held, maxHeld int
}

// hold counts a large body taken (+1) or given back (-1) by a scrape.
func (l *varsBigBufs) hold(d int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held += d
	l.maxHeld = max(l.maxHeld, l.held)
}

// varsBigAtOnce is how many payloads at max_payload_bytes are read at
// once: the memory bound is this many, not max_concurrent_scrapes many.
const varsBigAtOnce = 4

type varsBigBuf struct {
	b    []byte
	used time.Time
}

// varsBigIdle is longer than any sensible vars interval.
const varsBigIdle = time.Minute

// get returns a buffer of capacity at least n, or nil.
func (l *varsBigBufs) get(n int) []byte {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	best := -1
	for i, e := range l.bufs {
		if cap(e.b) >= n && (best < 0 || cap(e.b) < cap(l.bufs[best].b)) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	b := l.bufs[best].b
	l.bufs = slices.Delete(l.bufs, best, best+1)
	return b[:0]
}

func (l *varsBigBufs) put(b []byte, now time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.bufs) < l.max {
		l.bufs = append(l.bufs, varsBigBuf{b[:0], now})
	}
}

// expire drops the buffers not used for varsBigIdle.
func (l *varsBigBufs) expire(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bufs = slices.DeleteFunc(l.bufs, func(e varsBigBuf) bool { return now.Sub(e.used) > varsBigIdle })
}

// varsGet reads url into buf and returns the body, at most limit bytes
// after decompression. A redirect is an error, whatever client's policy:
// what another address answers is not the configured node's metrics. It asks for gzip itself and reads the compressed body
// first: the gzip trailer gives the decompressed size, so the body is
// allocated once at its size (at most limit+1 bytes), without the
// doubling copies of a growing buffer.
func varsGet(ctx context.Context, client *http.Client, u string, buf *varsBuf, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := redirect.Client(client).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err // the URL is already in the caller's prefix
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &varsHTTPError{status: resp.Status, code: resp.StatusCode, excerpt: varsExcerpt(resp.Body)}
	}
	var body io.Reader = resp.Body
	hint := resp.ContentLength
	// A transport that gunzipped already says so; otherwise a gzip answer
	// is ours to decompress.
	if !resp.Uncompressed && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		// Compressed text is smaller than the text, except for garbage:
		// limit plus gzip's worst-case overhead.
		buf.gz, err = varsReadAll(resp.Body, buf.gz, resp.ContentLength, limit+limit/1000+64,
			func(n int64) error { return buf.reserve(ctx, &buf.gzHeld, n) })
		if err != nil {
			var large *varsTooLargeError
			if errors.As(err, &large) {
				return nil, &varsTooLargeError{limit}
			}
			return nil, err
		}
		zr, err := gzip.NewReader(bytes.NewReader(buf.gz))
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		defer zr.Close()
		body, hint = zr, -1
		if n := len(buf.gz); n >= 18 { // header (10) + trailer (8)
			// ISIZE: the size mod 2^32, of the last member only, from the
			// server: a hint, never trusted beyond limit.
			hint = int64(binary.LittleEndian.Uint32(buf.gz[n-4:]))
		}
	}
	if hint >= varsKeepBytes && hint <= limit && int64(cap(buf.body)) <= hint {
		// The budget first: a scrape that took a kept buffer and then
		// waited would hold memory outside it.
		if err := buf.reserve(ctx, &buf.bodyHeld, hint+1); err != nil {
			return nil, err
		}
		if b := buf.big.get(int(hint) + 1); b != nil {
			if buf.reserve(ctx, &buf.bodyHeld, int64(cap(b))) == nil {
				buf.body = b
			} else {
				buf.big.put(b, buf.now) // larger than reserved: a new one
			}
		}
	}
	buf.body, err = varsReadAll(body, buf.body, hint, limit,
		func(n int64) error { return buf.reserve(ctx, &buf.bodyHeld, n) })
	if cap(buf.body) > varsKeepBytes {
		buf.big.hold(+1)
	}
	if err != nil {
		if _, ok := body.(*gzip.Reader); ok && !errors.As(err, new(*varsTooLargeError)) {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		return nil, err
	}
	return buf.body, nil
}

// varsReadAll reads r into buf[:0], growing it at most to limit+1 bytes (a
// body of limit+1 bytes is too large), starting at hint+1 when 0 ≤ hint ≤
// limit. reserve is called before a buffer of n bytes is allocated.
func varsReadAll(r io.Reader, buf []byte, hint, limit int64, reserve func(n int64) error) ([]byte, error) {
	buf = buf[:0]
	if hint >= 0 && hint <= limit && int64(cap(buf)) < hint+1 {
		if err := reserve(hint + 1); err != nil {
			return buf, err
		}
		buf = make([]byte, 0, hint+1)
	}
	for {
		if len(buf) == cap(buf) {
			n := min(max(2*int64(cap(buf)), 64<<10), limit+1)
			if err := reserve(n); err != nil {
				return buf[:0], err
			}
			nb := make([]byte, len(buf), n)
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf[:0], &varsTooLargeError{limit}
		}
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf[:0], fmt.Errorf("read body after %d bytes: %w", len(buf), err)
		}
	}
}

// varsTooLargeError is a payload over MaxPayloadBytes.
type varsTooLargeError struct{ limit int64 }

func (e *varsTooLargeError) Error() string {
	return fmt.Sprintf("payload larger than %d bytes", e.limit)
}

// varsExcerpt returns the start of an error body on one printable line.
func varsExcerpt(r io.Reader) string {
	const max = 200
	b, _ := io.ReadAll(io.LimitReader(r, max+1))
	cut := len(b) > max
	if cut {
		b = b[:max]
	}
	s := strings.Map(func(c rune) rune {
		if c == utf8.RuneError || !unicode.IsPrint(c) {
			return ' '
		}
		return c
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(empty body)"
	}
	if cut {
		s += "..."
	}
	return s
}
