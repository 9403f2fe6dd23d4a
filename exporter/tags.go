package exporter

import (
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/wire"
)

// WithTags returns a sink that adds tags (the instance's cluster:<name> and
// configured tags) in front of the tags of every metric, service check and
// event before passing them to s. The caller's slices are never modified.
// These tags come from the configuration: the DogStatsD and dry-run sinks
// let them use keys reserved to metadata (env, service...), which they
// rename in tags from anywhere else.
func WithTags(s emit.Sink, tags ...string) emit.Sink {
	TrustTags(s, tags...)
	if len(tags) == 0 {
		return s
	}
	_, reuse := s.(keepsNoTags)
	return &tagged{next: s, tags: slices.Clone(tags), reuse: reuse}
}

// TrustTags tells the DogStatsD or dry-run sink s that these exact tags
// come from the configuration (e.g. a custom query's tags), so they may use
// keys reserved to metadata such as env or service; the same keys from the
// cluster (locality tiers, labels, SQL values) are sent renamed. Other
// sinks ignore it.
func TrustTags(s emit.Sink, tags ...string) {
	if t, ok := s.(interface{ trustTags([]string) }); ok && len(tags) > 0 {
		t.trustTags(tags)
	}
}

// keepsNoTags marks a sink that holds no tag slice it was given once the
// call returns (it writes the message at once), so that WithTags may pass
// it a slice it reuses.
type keepsNoTags interface{ keepsNoTags() }

type tagged struct {
	next  emit.Sink
	tags  []string
	reuse bool // next keeps no tag slice
}

// tagSlices holds the slices tagged reuses, every sample would otherwise
// allocate one.
var tagSlices = sync.Pool{New: func() any { s := make([]string, 0, 16); return &s }}

// maxReused bounds the capacity of a slice put back in tagSlices.
const maxReused = 64

// send calls f with t's tags followed by tags, in a fresh slice (appending
// to t.tags directly would let concurrent calls share, and overwrite, its
// spare capacity) or, when next keeps none, in a reused one.
func (t *tagged) send(tags []string, f func(all []string)) {
	if !t.reuse {
		all := make([]string, 0, len(t.tags)+len(tags))
		f(append(append(all, t.tags...), tags...))
		return
	}
	p := tagSlices.Get().(*[]string)
	all := append(append((*p)[:0], t.tags...), tags...)
	f(all)
	if cap(all) <= maxReused {
		clear(all) // no strings kept alive from the pool
		*p = all[:0]
		tagSlices.Put(p)
	}
}

func (t *tagged) Gauge(name string, v float64, tags []string) {
	t.send(tags, func(all []string) { t.next.Gauge(name, v, all) })
}

func (t *tagged) Count(name string, v int64, tags []string) {
	t.send(tags, func(all []string) { t.next.Count(name, v, all) })
}

func (t *tagged) Distribution(name string, s []emit.Sample, tags []string) {
	t.send(tags, func(all []string) { t.next.Distribution(name, s, all) })
}

func (t *tagged) ServiceCheck(name string, st emit.Status, msg string, tags []string) {
	t.send(tags, func(all []string) { t.next.ServiceCheck(name, st, msg, all) })
}

func (t *tagged) Event(e emit.Event) {
	t.send(e.Tags, func(all []string) {
		e.Tags = all
		t.next.Event(e)
	})
}

// ddEnvTags mirrors datadog-go's ddEnvTagsMapping (statsdex.go): the client
// appends these to its global tags, in this order, whenever the variable is
// set. The mapping's first entry, DD_ENTITY_ID, is left out: NewDogStatsD
// removes that variable (see there), so the client never sends it.
var ddEnvTags = []struct{ env, tag string }{
	{"DD_ENV", "env"},
	{"DD_SERVICE", "service"},
	{"DD_VERSION", "version"},
}

// clientTags splits the global tags the way datadog-go will send them:
// configured are the tags to hand to statsd.WithTags, env the tags the
// client appends by itself from DD_* variables. A configured tag equal to
// one the client adds is dropped, so it is not sent twice (config copies
// DD_ENV and friends into the configured tags). The wire order is
// configured, then env. Configured tags are made wire-safe
// (wire.SafeTag).
func clientTags(tags []string) (configured, env []string) {
	for _, m := range ddEnvTags {
		if v := os.Getenv(m.env); v != "" {
			env = append(env, m.tag+":"+v)
		}
	}
	for _, t := range tags {
		if !slices.Contains(env, t) {
			// The config validates tags; this keeps the wire safe even so.
			configured = append(configured, wire.SafeTag(t))
		}
	}
	return configured, env
}

// normalizeNamespace returns the metric name prefix for namespace, like
// statsd.WithNamespace: "crdb" and "crdb." both give "crdb."; "" gives "".
func normalizeNamespace(namespace string) string {
	if namespace == "" || strings.HasSuffix(namespace, ".") {
		return namespace
	}
	return namespace + "."
}
