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
	"slices"
	"strconv"
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
	// scratch is the conversion's, reused from cycle to cycle.
	scratch varsScratch
}

// varsScratch holds the buffers a node's conversion reuses from cycle to
// cycle, so that a steady-state cycle allocates little beyond what it
// sends. Each is dropped when a payload made it unusually large.
type varsScratch struct {
	names           []string
	key             []byte
	buckets, window []promtext.Bucket
	// tags are the tag sets by store and extra tag, for base.
	tags map[[2]string][]string
	base []string
}

// Bounds of what varsScratch keeps between cycles: far above what a real
// node needs (a few hundred families, keys of a few hundred bytes, up to
// about 270 buckets, tens of tag sets).
const (
	varsScratchNames   = 4096
	varsScratchKey     = 4096
	varsScratchBuckets = 1024
	varsTagSetsMax     = 1024
)

// tagsFor keeps the tag sets while the base tags are the same.
func (sc *varsScratch) tagsFor(base []string) {
	if sc.tags == nil || !slices.Equal(sc.base, base) {
		sc.tags, sc.base = map[[2]string][]string{}, base
	}
}

// keep stores names for the next cycle and drops the buffers a payload
// made too large.
func (sc *varsScratch) keep(names []string) {
	clear(names) // the names point into the payload's parse
	sc.names = names[:0]
	if cap(sc.names) > varsScratchNames {
		sc.names = nil
	}
	if cap(sc.key) > varsScratchKey {
		sc.key = nil
	}
	if cap(sc.buckets) > varsScratchBuckets || cap(sc.window) > varsScratchBuckets {
		sc.buckets, sc.window = nil, nil
	}
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
