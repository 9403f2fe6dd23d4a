package exporter

import (
	"os"
	"slices"
	"strings"

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
	return &tagged{next: s, tags: slices.Clone(tags)}
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

type tagged struct {
	next emit.Sink
	tags []string
}

// with allocates a fresh slice each time: appending to t.tags directly
// would let concurrent calls share (and overwrite) its spare capacity.
func (t *tagged) with(tags []string) []string {
	out := make([]string, 0, len(t.tags)+len(tags))
	return append(append(out, t.tags...), tags...)
}

func (t *tagged) Gauge(name string, v float64, tags []string) { t.next.Gauge(name, v, t.with(tags)) }
func (t *tagged) Count(name string, v int64, tags []string)   { t.next.Count(name, v, t.with(tags)) }
func (t *tagged) Distribution(name string, s []emit.Sample, tags []string) {
	t.next.Distribution(name, s, t.with(tags))
}
func (t *tagged) ServiceCheck(name string, st emit.Status, msg string, tags []string) {
	t.next.ServiceCheck(name, st, msg, t.with(tags))
}
func (t *tagged) Event(e emit.Event) {
	e.Tags = t.with(e.Tags)
	t.next.Event(e)
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
