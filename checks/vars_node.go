package checks

// What the vars check remembers about each node between cycles, its
// locality and its tags.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/promtext"
)

// varsNodeState is what the check remembers about one status URL.
type varsNodeState struct {
	url      string
	instance string // host:port, the instance tag
	id       int    // node id learnt from a payload
	seen     time.Time

	counters   *promtext.Counters
	hists      *promtext.Histograms
	lastForget time.Time
	// sparse holds the series keys of sparse gauges that have been non-zero.
	sparse map[string]struct{}

	uptime    float64
	uptimeAt  time.Time
	hasUptime bool

	locality        []cluster.Tier
	localityKnown   bool
	localityRetryAt time.Time
	localityLogged  bool

	// viaLogged is set while the node's metrics are read through another
	// node, so that this is logged once per streak.
	viaLogged bool
	// streak is the run of failed scrapes, logged once (vars_streak.go).
	streak varsStreak

	// points is the buffer of the last cycle, reused.
	points []varsPoint
}

// varsScratch holds the buffers a conversion reuses (pooled: as many as
// conversions run at once, not one per node), so that a steady-state
// scrape allocates little beyond what it sends.
type varsScratch struct {
	names           []string
	key             []byte
	buckets, window []promtext.Bucket
}

var varsScratchPool = sync.Pool{New: func() any { return new(varsScratch) }}

// Bounds of a varsScratch kept for reuse: far above what a real node
// needs (a few hundred families, keys of a few hundred bytes, up to about
// 270 buckets).
const (
	varsScratchNames   = 4096
	varsScratchKey     = 4096
	varsScratchBuckets = 1024
)

// put gives sc back for reuse, unless a payload made it unusually large.
func (sc *varsScratch) put() {
	if cap(sc.names) > varsScratchNames || cap(sc.key) > varsScratchKey ||
		cap(sc.buckets) > varsScratchBuckets || cap(sc.window) > varsScratchBuckets {
		return
	}
	clear(sc.names) // the names are the parse's
	sc.names = sc.names[:0]
	varsScratchPool.Put(sc)
}

func newVarsNodeState(statusURL string) *varsNodeState {
	st := &varsNodeState{url: statusURL, instance: statusURL}
	if u, err := url.Parse(statusURL); err == nil && u.Host != "" {
		st.instance = u.Host
	}
	st.reset()
	return st
}

// reset forgets every series: a new node behind the same URL.
func (st *varsNodeState) reset() {
	st.counters = promtext.NewCounters()
	st.hists = promtext.NewHistograms()
	st.sparse = map[string]struct{}{}
	st.hasUptime = false
	st.locality, st.localityKnown, st.localityRetryAt = nil, false, time.Time{}
}

// label names the node in errors and logs.
func (st *varsNodeState) label() string {
	if st.id > 0 {
		return fmt.Sprintf("node %d (%s)", st.id, st.url)
	}
	return "node " + st.url
}

// short names the node in a message that already says where: "node 3",
// or its URL when the id is not known.
func (st *varsNodeState) short() string {
	if st.id > 0 {
		return "node " + strconv.Itoa(st.id)
	}
	return "node " + st.url
}

// fetchLocality reads the node's locality tiers from base+path
// (/_status/nodes/local, possibly through another node) once; on failure it
// goes without and retries at most every 10 minutes.
func (v *Vars) fetchLocality(ctx context.Context, client *http.Client, log *slog.Logger, st *varsNodeState, base, path string, now time.Time) {
	// Read once per node: held whole, unlike /_status/vars.
	var body []byte
	b, err := varsOpen(ctx, client, base+path, varsMaxLocalityBytes, v.askGzip(base))
	if err == nil {
		body, err = io.ReadAll(b)
		b.Close()
	}
	var ns struct {
		Desc struct {
			Locality struct {
				Tiers []struct{ Key, Value string } `json:"tiers"`
			} `json:"locality"`
		} `json:"desc"`
	}
	if err == nil {
		if err = json.Unmarshal(body, &ns); err != nil {
			err = fmt.Errorf("decode: %w", err)
		}
	}
	if err != nil {
		st.localityRetryAt = now.Add(varsLocalityRetry)
		if !st.localityLogged {
			st.localityLogged = true
			log.Info("node locality unavailable, sending without locality tags",
				"node", st.label(), "err", fmt.Errorf("fetch %s%s: %w", base, path, err), "retry_every", varsLocalityRetry)
		}
		return
	}
	st.locality = st.locality[:0]
	for _, t := range ns.Desc.Locality.Tiers {
		st.locality = append(st.locality, cluster.Tier{Key: t.Key, Value: t.Value})
	}
	st.localityKnown = true
}

// baseTags are node_id and locality tags, in that order.
func (v *Vars) baseTags(n cluster.Node, st *varsNodeState) []string {
	loc := n.Locality
	if len(loc) == 0 {
		loc = st.locality
	}
	tags := make([]string, 0, 1+len(loc))
	if st.id > 0 {
		tags = append(tags, "node_id:"+strconv.Itoa(st.id))
	}
	for _, t := range loc {
		k, val := sanitizeTag(t.Key, false), sanitizeTag(t.Value, true)
		if k == "" || val == "" {
			continue
		}
		tags = append(tags, k+":"+val)
	}
	return tags[:len(tags):len(tags)] // appends by callers must copy
}
