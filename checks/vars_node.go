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
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

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
	// base is the node's base tags, built for id baseID and locality
	// baseLoc (see baseTags).
	base    []string
	baseID  int
	baseLoc []cluster.Tier
}

// varsScratch holds the buffers a conversion reuses (pooled: as many as
// conversions run at once, not one per node), so that a steady-state
// scrape allocates little beyond what it sends.
type varsScratch struct {
	fams            []varsFamily
	key             []byte
	buckets, window []promtext.Bucket
	// order is the names of the last family set sorted, copied out of
	// the parse: the next payload nearly always has the same families.
	order []string
	// The conversion's per-store state, in the order the stores first
	// appear (a node has a few stores).
	stores     []varsStore
	storeIndex map[string]int // stores' index, past varsStoresScan of them
}

// varsFamily is a parsed family and its name.
type varsFamily struct {
	name string
	mf   *dto.MetricFamily
}

// varsStore is one store's state in a conversion: its tag set (nil until
// built) and its capacity and available bytes, for capacity.used_ratio.
type varsStore struct {
	store string
	tags  []string
	sums  [2]varsSum
}

var varsScratchPool = sync.Pool{New: func() any { return new(varsScratch) }}

// Bounds of a varsScratch kept for reuse: far above what a real node
// needs (a few hundred families, keys of a few hundred bytes, up to about
// 270 buckets, a few stores).
const (
	varsScratchNames   = 4096
	varsScratchKey     = 4096
	varsScratchBuckets = 1024
	varsScratchStores  = 64
)

// put gives sc back for reuse, unless a payload made it unusually large.
func (sc *varsScratch) put() {
	if cap(sc.fams) > varsScratchNames || cap(sc.order) > varsScratchNames || cap(sc.key) > varsScratchKey ||
		cap(sc.buckets) > varsScratchBuckets || cap(sc.window) > varsScratchBuckets || cap(sc.stores) > varsScratchStores {
		return
	}
	// What points into the parse or into points goes.
	clear(sc.fams)
	clear(sc.stores)
	sc.fams, sc.stores, sc.storeIndex = sc.fams[:0], sc.stores[:0], nil
	varsScratchPool.Put(sc)
}

// inOrder returns fams in name order, valid until the next call. The
// order of the previous call is reused when fams has the same names,
// which costs the lookups the families need anyway instead of a sort.
func (sc *varsScratch) inOrder(fams map[string]*dto.MetricFamily) []varsFamily {
	out := sc.fams[:0]
	if len(sc.order) == len(fams) {
		// Same size, and every name of the order in fams: the same set.
		for _, name := range sc.order {
			mf, ok := fams[name]
			if !ok {
				out = out[:0]
				break
			}
			out = append(out, varsFamily{name, mf})
		}
		if len(out) == len(fams) {
			sc.fams = out
			return out
		}
	}
	for name, mf := range fams {
		out = append(out, varsFamily{name, mf})
	}
	slices.SortFunc(out, func(a, b varsFamily) int { return strings.Compare(a.name, b.name) })
	sc.fams = out
	sc.setOrder(out)
	return out
}

// setOrder keeps the names of fams, copied into one string.
func (sc *varsScratch) setOrder(fams []varsFamily) {
	if len(fams) > varsScratchNames {
		sc.order = nil
		return
	}
	var b strings.Builder
	for _, f := range fams {
		b.WriteString(f.name)
	}
	all := b.String()
	sc.order = sc.order[:0]
	for _, f := range fams {
		sc.order = append(sc.order, all[:len(f.name)])
		all = all[len(f.name):]
	}
}

// store returns the state of store, added if new: the pointer is valid
// until the next call.
func (sc *varsScratch) store(store string) *varsStore {
	if sc.storeIndex != nil {
		if i, ok := sc.storeIndex[store]; ok {
			return &sc.stores[i]
		}
	} else {
		for i := range sc.stores {
			if sc.stores[i].store == store {
				return &sc.stores[i]
			}
		}
	}
	sc.stores = append(sc.stores, varsStore{store: store})
	if n := len(sc.stores); sc.storeIndex != nil {
		sc.storeIndex[store] = n - 1
	} else if n > varsStoresScan {
		// More stores than a node has: a map, so that a hostile payload
		// costs no quadratic search.
		sc.storeIndex = make(map[string]int, n)
		for i, c := range sc.stores {
			sc.storeIndex[c.store] = i
		}
	}
	return &sc.stores[len(sc.stores)-1]
}

// varsStoresScan is the stores store searches by scanning.
const varsStoresScan = 16

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

// baseTags are node_id and locality tags, in that order; the same slice
// while the node's id and locality stay the same.
func (v *Vars) baseTags(n cluster.Node, st *varsNodeState) []string {
	loc := n.Locality
	if len(loc) == 0 {
		loc = st.locality
	}
	if st.base != nil && st.baseID == st.id && slices.Equal(st.baseLoc, loc) {
		return st.base
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
	st.base, st.baseID = tags[:len(tags):len(tags)], st.id // appends by callers must copy
	st.baseLoc = append(st.baseLoc[:0], loc...)
	return st.base
}
