package checks

// Which families the vars check reads and how: the curated rules, include
// and exclude filters, and the per-name cache.

import (
	"encoding/binary"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// varsRule is what to do with one family (nil: not wanted).
type varsRule struct {
	metric *varsMetric // curated, or nil for an included extra family
	tag    string      // metric.TagKey:value for this family, or ""
	extra  bool        // send as the family's own name, converted by its TYPE
	name   string      // name sent for an extra family
	hist   *varsHistNames
}

type varsPattern struct {
	re             *regexp.Regexp
	prefix, suffix string // literal, see varsLiteralPrefix
	metric         *varsMetric
}

// varsHistNames are the derived names of one histogram and how it is sent.
type varsHistNames struct {
	name            string // the distribution's
	quantiles       []string
	max, avg, count string
	dist, gauges    bool
}

// varsIdentityRule parses the node_id family (for the node id, see
// varsNodeID) without sending it, unless it is also included.
var varsIdentityRule = &varsRule{}

func varsCompileFilters(what string, list []string) (map[string]bool, []*regexp.Regexp, error) {
	exact := map[string]bool{}
	var res []*regexp.Regexp
	for _, s := range list {
		if len(s) >= 2 && s[0] == '/' && s[len(s)-1] == '/' {
			re, err := regexp.Compile(s[1 : len(s)-1])
			if err != nil {
				return nil, nil, fmt.Errorf("vars: %s %q: %w", what, s, err)
			}
			res = append(res, re)
			continue
		}
		if !familyNameRe.MatchString(s) {
			return nil, nil, fmt.Errorf("vars: %s %q is neither a metric family name nor a /regex/", what, s)
		}
		exact[s] = true
	}
	return exact, res, nil
}

func (v *Vars) histNames(name string) *varsHistNames {
	mode, ok := v.histOver[name]
	if !ok {
		mode = v.histMode
	}
	hn := &varsHistNames{name: name, max: name + ".max", avg: name + ".avg", count: name + ".count",
		dist: mode != HistogramGauges, gauges: mode != HistogramDistribution}
	for _, q := range v.quantiles {
		hn.quantiles = append(hn.quantiles, name+"."+varsQuantileSuffix(q))
	}
	return hn
}

// resolve says what to do with a family, caching the answer: the same few
// thousand names come back every cycle from every node, for every family
// of every payload, so a known name is looked up without a lock.
func (v *Vars) resolve(name string) *varsRule {
	published := v.published.Load()
	if r, ok := (*published)[name]; ok {
		return r
	}
	v.mu.Lock()
	r, ok := v.pending[name]
	v.mu.Unlock()
	if ok {
		return r
	}
	// Clone: the name may point into a payload buffer that is reused, and
	// the rule keeps parts of it (the name sent for an included family, a
	// pattern's tag), which must not change when the buffer does.
	name = strings.Clone(name)
	r = v.decide(name)
	v.mu.Lock()
	defer v.mu.Unlock()
	published = v.published.Load()
	if _, ok := (*published)[name]; ok {
		return r
	}
	if _, ok := v.pending[name]; !ok && len(*published)+len(v.pending) < varsRuleCacheMax {
		v.pending[name] = r
		// Published once an eighth of the names are new: the copies
		// cost a constant per name, amortized.
		if 8*len(v.pending) >= len(*published)+len(v.pending) {
			v.publishLocked()
		}
	}
	return r
}

// publishRules publishes the names resolved since the last time (Run calls
// it once per cycle, so that no name stays behind the lock).
func (v *Vars) publishRules() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.pending) > 0 {
		v.publishLocked()
	}
}

func (v *Vars) publishLocked() {
	old := *v.published.Load()
	m := make(map[string]*varsRule, len(old)+len(v.pending))
	maps.Copy(m, old)
	maps.Copy(m, v.pending)
	v.published.Store(&m)
	clear(v.pending)
}

func (v *Vars) decide(name string) *varsRule {
	identity := name == varsFamilyNodeID
	if varsMatch(name, v.excExact, v.excRe) {
		if identity {
			return varsIdentityRule
		}
		return nil
	}
	if r, ok := v.exact[name]; ok {
		return r
	}
	for _, p := range v.patterns {
		if !strings.HasPrefix(name, p.prefix) {
			continue
		}
		if sm := p.re.FindStringSubmatch(name); sm != nil {
			return &varsRule{metric: p.metric, tag: p.metric.TagKey + ":" + sanitizeTag(sm[1], false), hist: v.hists[p.metric]}
		}
	}
	if varsMatch(name, v.incExact, v.incRe) {
		sent := strings.ReplaceAll(name, ":", "_")
		return &varsRule{extra: true, name: sent, hist: v.histNames(sent)}
	}
	if identity {
		return varsIdentityRule
	}
	return nil
}

// want says whether a family is read at all. Nearly all of a payload's
// 1,500 families are not, and the filter rules most of those out without
// resolve's map, which cost 7% of the process at 100 nodes.
func (v *Vars) want(name string) bool {
	return v.maybe.mayWant(name) && v.resolve(name) != nil
}

// varsWantFilter tells, from the configuration alone, that a name cannot
// be wanted: decide returns nil for every name it rules out, whatever the
// cache holds. A name can be wanted only by name (a curated family, an
// included name, node_id), by a curated pattern (whose names start with its
// literal prefix and end with its literal suffix) or by an included /regex/
// (which turns the filter off).
type varsWantFilter struct {
	all   bool // an included regex, or a pattern without a literal prefix
	bits  [varsWantBits / 64]uint64
	fixes []varsAffixes
}

// varsAffixes are what every name a pattern matches starts and ends with.
type varsAffixes struct{ prefix, suffix string }

// varsWantBits is the filter's size: the curated families take about 4% of
// its bits, so about 96% of the names that are wanted by no name are ruled
// out by one bit.
const varsWantBits = 4096

// varsWantBit mixes a name's length and last eight bytes, where
// CockroachDB's names differ (they share long prefixes), with one
// multiplication (a loop over the bytes cost 12 ns a name).
func varsWantBit(name string) uint {
	var w uint64
	if n := len(name); n >= 8 {
		w = binary.LittleEndian.Uint64([]byte(name[n-8:]))
	} else {
		for i := range n {
			w = w<<8 | uint64(name[i])
		}
	}
	w ^= uint64(len(name)) << 59
	return uint((w * 0x9e3779b97f4a7c15) >> (64 - 12))
}

func newVarsWantFilter(names []string, patterns []varsPattern, includeRes int) varsWantFilter {
	f := varsWantFilter{all: includeRes > 0}
	for _, n := range names {
		b := varsWantBit(n)
		f.bits[b/64] |= 1 << (b % 64)
	}
	for _, p := range patterns {
		if p.prefix == "" {
			f.all = true
			continue
		}
		if a := (varsAffixes{p.prefix, p.suffix}); !slices.Contains(f.fixes, a) {
			f.fixes = append(f.fixes, a)
		}
	}
	return f
}

// mayWant is false only for names decide rules out.
func (f *varsWantFilter) mayWant(name string) bool {
	if f.all {
		return true
	}
	if b := varsWantBit(name); f.bits[b/64]&(1<<(b%64)) != 0 {
		return true
	}
	for _, a := range f.fixes {
		// The first byte before the call: few names share it.
		// (They may overlap: ^ab$ has both ab.)
		if len(name) >= len(a.prefix) && name[0] == a.prefix[0] &&
			name[:len(a.prefix)] == a.prefix && strings.HasSuffix(name, a.suffix) {
			return true
		}
	}
	return false
}

func varsMatch(name string, exact map[string]bool, res []*regexp.Regexp) bool {
	if exact[name] {
		return true
	}
	for _, re := range res {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}
