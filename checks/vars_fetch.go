package checks

// Fetching one node's /_status/vars over HTTP: gzip, the payload limit, and
// the selection and parse of the payload while it is read, so that a
// payload is never held whole.

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"
	"golang.org/x/sync/semaphore"

	"github.com/roachdog/roachdog/internal/promtext"
	"github.com/roachdog/roachdog/internal/redirect"
)

// VarsCompression says whether scrapes ask the nodes for gzip.
type VarsCompression string

const (
	// VarsCompressionAuto (the default, "") asks for gzip except from a
	// node on a loopback address. On loopback, plain text costs both
	// sides less CPU (gunzip costs roachdog about 2% of a core per 100
	// nodes of 800 kB every 10 s, and the node spends more compressing)
	// and the traffic costs nothing; between machines, gzip cuts the
	// traffic about 8 times, which across zones or regions is billed.
	VarsCompressionAuto VarsCompression = ""
	// VarsCompressionGzip always asks for gzip.
	VarsCompressionGzip VarsCompression = "gzip"
	// VarsCompressionNone never asks for it: on a LAN where CPU counts
	// more than traffic.
	VarsCompressionNone VarsCompression = "none"
)

// askGzip says whether to ask the node at statusURL for gzip.
func (v *Vars) askGzip(statusURL string) bool {
	switch v.compression {
	case VarsCompressionGzip:
		return true
	case VarsCompressionNone:
		return false
	}
	u, err := url.Parse(statusURL)
	if err != nil {
		return true
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// varsPayload is what one read of /_status/vars gives: the wanted families
// and the node id the payload carries. The families are parsed's: valid
// until release, which the reader calls once they are converted.
type varsPayload struct {
	fams   map[string]*dto.MetricFamily
	capped []promtext.Capped
	parsed *promtext.Parsed
	// id is the node id (0: none): from the node_id label every sample
	// carries from v23.1 (labelled), else from the node_id gauge.
	id       int
	labelled bool
}

// varsParseError is a payload that is not valid Prometheus text, as
// opposed to a failure to get it.
type varsParseError struct{ err error }

func (e *varsParseError) Error() string { return e.err.Error() }
func (e *varsParseError) Unwrap() error { return e.err }

// fetchVars GETs u and selects and parses the payload while it is read
// (promtext.ReadParsed): only the wanted families' lines are held, never
// the payload. A payload that does not parse is a *varsParseError; any
// other error is a failure to get it (transport, HTTP status, more than
// max_payload_bytes, bad gzip).
func (v *Vars) fetchVars(ctx context.Context, client *http.Client, u string, gz bool) (varsPayload, error) {
	body, err := varsOpen(ctx, client, u, v.maxBytes, gz)
	if err != nil {
		return varsPayload{}, err
	}
	defer body.Close()
	var p varsPayload
	var held int64
	defer func() { v.budget.release(held) }()
	ids := varsIDScan{left: varsIDScanBytes}
	parsed, err := promtext.ReadParsed(body, v.want, promtext.ReadOptions{
		Limits: promtext.Limits{MaxSeriesPerFamily: v.familyCap},
		Grow:   func(n int) error { return v.budget.reserve(ctx, &held, int64(n)) },
		Lines:  ids.lines,
	})
	if err != nil {
		var re *promtext.ReadError
		if errors.As(err, &re) {
			return varsPayload{}, re.Err
		}
		return varsPayload{}, &varsParseError{err}
	}
	p.fams, p.capped, p.parsed = parsed.Families, parsed.Capped, parsed
	if p.id = ids.id; p.id > 0 {
		p.labelled = true
	} else {
		p.id = varsGaugeID(p.fams)
	}
	return p, nil
}

// release gives the families' memory back for the next parse: nothing
// read from them may be used after it (see promtext.Parsed).
func (p *varsPayload) release() {
	p.fams = nil
	if p.parsed != nil {
		p.parsed.Release()
	}
}

// varsBigLine is the read buffer a scrape may grow to without the budget:
// real lines are a few hundred bytes; only a payload with lines of
// megabytes goes past it.
const varsBigLine = 4 << 20

// varsBigAtOnce is how many line buffers the size of max_payload_bytes may
// be held at once (v.budget): the memory bound is this many, not
// max_concurrent_scrapes many.
const varsBigAtOnce = 4

// varsBudget is the memory that read buffers grown past varsBigLine may
// take at once, in bytes.
type varsBudget struct {
	sem   *semaphore.Weighted
	bytes int64

	mu         sync.Mutex
	used, peak int64 // for tests
}

// reserve makes *held cover a read buffer of n bytes from the budget for
// buffers larger than varsBigLine. It waits for the budget (within ctx)
// when it holds none yet; holding some already, it does not wait (two
// scrapes each holding part and waiting for more would wait for each
// other), and fails when the budget is short.
func (b *varsBudget) reserve(ctx context.Context, held *int64, n int64) error {
	if n <= varsBigLine || n <= *held {
		return nil
	}
	extra := n - *held
	if *held == 0 {
		if err := b.sem.Acquire(ctx, extra); err != nil {
			return fmt.Errorf("waiting for memory for a %d-byte line buffer (%d bytes of huge lines are read at once): %w", n, b.bytes, err)
		}
	} else if !b.sem.TryAcquire(extra) {
		return fmt.Errorf("line longer than %d bytes, and no memory left for it this moment (%d bytes of huge lines are read at once)", *held, b.bytes)
	}
	*held += extra
	b.mu.Lock()
	b.used += extra
	b.peak = max(b.peak, b.used)
	b.mu.Unlock()
	return nil
}

// release gives back what reserve reserved.
func (b *varsBudget) release(held int64) {
	if held == 0 {
		return
	}
	b.sem.Release(held)
	b.mu.Lock()
	b.used -= held
	b.mu.Unlock()
}

// varsBody is a response body as text: gunzipped when it came gzipped, and
// failing past its limit.
type varsBody struct {
	resp *http.Response
	raw  varsRawBody
	zr   *gzip.Reader // pooled, when the body is gzip
	r    io.Reader
	n    int64 // bytes of text read
	max  int64
}

var varsGzipReaders sync.Pool // of *gzip.Reader

// varsOpen GETs u and returns its body. A redirect is an error, whatever
// client's policy: what another address answers is not the configured
// node's metrics. With gz it asks for gzip (and gunzips itself);
// otherwise, or when the node ignores the request, the text comes as is.
func varsOpen(ctx context.Context, client *http.Client, u string, limit int64, gz bool) (*varsBody, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	// Set either way: left unset, Go's transport would ask for gzip itself.
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	} else {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := redirect.Client(client).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, ue.Err // the URL is already in the caller's prefix
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, &varsHTTPError{status: resp.Status, code: resp.StatusCode, excerpt: varsExcerpt(resp.Body)}
	}
	b := &varsBody{resp: resp, raw: varsRawBody{r: resp.Body}, max: limit}
	b.r = &b.raw
	// A transport that gunzipped already says so; otherwise a gzip answer
	// is ours to decompress (a node may send it unasked).
	if !resp.Uncompressed && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, _ := varsGzipReaders.Get().(*gzip.Reader)
		if zr == nil {
			zr, err = gzip.NewReader(&b.raw)
		} else {
			err = zr.Reset(&b.raw)
		}
		if err != nil {
			resp.Body.Close()
			return nil, varsGunzipError(err)
		}
		b.zr, b.r = zr, zr
	}
	return b, nil
}

// Read reads text, failing once more than the limit has come.
func (b *varsBody) Read(p []byte) (int, error) {
	k, err := b.r.Read(p)
	b.n += int64(k)
	if b.n > b.max {
		return k, &varsTooLargeError{b.max}
	}
	if err != nil && err != io.EOF && b.zr != nil {
		err = varsGunzipError(err)
	}
	return k, err
}

// Close closes the response and keeps the gzip reader for the next.
func (b *varsBody) Close() error {
	if b.zr != nil {
		varsGzipReaders.Put(b.zr)
		b.zr = nil
	}
	return b.resp.Body.Close()
}

// varsRawBody reads the body as it comes over the wire, naming a failure to
// read it.
type varsRawBody struct {
	r io.Reader
	n int64
}

// varsReadBodyError is a failure to read the body itself (not to gunzip it).
type varsReadBodyError struct {
	n   int64
	err error
}

func (e *varsReadBodyError) Error() string {
	return "read body after " + strconv.FormatInt(e.n, 10) + " bytes: " + e.err.Error()
}
func (e *varsReadBodyError) Unwrap() error { return e.err }

func (r *varsRawBody) Read(p []byte) (int, error) {
	k, err := r.r.Read(p)
	r.n += int64(k)
	if err != nil && err != io.EOF {
		err = &varsReadBodyError{r.n, err}
	}
	return k, err
}

// varsGunzipError names bad gzip as such; a failure to read the body
// under it stays what it is.
func varsGunzipError(err error) error {
	var rb *varsReadBodyError
	if errors.As(err, &rb) {
		return err
	}
	return fmt.Errorf("gunzip: %w", err)
}

// varsIDScanBytes is how much of a payload is searched for a node_id
// label. From v23.1 every sample carries one, so the first samples do
// (after a few hundred bytes of HELP and TYPE lines); searching a whole
// payload without any (every node before v23.1) cost about a twentieth of
// a scrape, 64 KiB of it still 3%.
const varsIDScanBytes = 16 << 10

// varsIDScan finds the node id of the first node_id label in the first
// left bytes of a payload read in runs of whole lines.
type varsIDScan struct {
	left int
	id   int
}

func (s *varsIDScan) lines(b []byte) {
	if s.id != 0 || s.left <= 0 {
		return
	}
	if len(b) > s.left {
		b = b[:s.left] // a label cut here is not read
	}
	s.left -= len(b)
	s.id = varsLabelledID(b)
}

// varsLabelledID returns the node id of the first node_id label in lines
// (0: none), as every sample carries it from v23.1.
func varsLabelledID(lines []byte) int {
	for rest := lines; ; {
		i := bytes.Index(rest, []byte(`node_id="`))
		if i < 0 {
			return 0
		}
		if i > 0 && (rest[i-1] == '{' || rest[i-1] == ',') {
			v := rest[i+len(`node_id="`):]
			if j := bytes.IndexByte(v, '"'); j > 0 {
				if id, err := strconv.Atoi(string(v[:j])); err == nil && id > 0 {
					return id
				}
			}
		}
		rest = rest[i+1:]
	}
}

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
