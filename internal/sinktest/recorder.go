// Package sinktest records what checks send, for assertions in tests.
package sinktest

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/roachdog/roachdog/emit"
)

// Point is one recorded metric or service check.
type Point struct {
	Kind    emit.Kind
	Name    string
	Value   float64
	Tags    []string
	Status  emit.Status
	Message string
	// Samples are a distribution's weighted values (Kind KindDistribution).
	Samples []emit.Sample
}

// Key returns "name|sorted,tags", the series identity.
func (p Point) Key() string {
	tags := append([]string(nil), p.Tags...)
	sort.Strings(tags)
	return p.Name + "|" + strings.Join(tags, ",")
}

// Recorder is a emit.Sink that keeps everything in memory.
type Recorder struct {
	mu     sync.Mutex
	Points []Point
	Events []emit.Event
}

var _ emit.Sink = (*Recorder)(nil)

// Gauge records a gauge.
func (r *Recorder) Gauge(name string, v float64, tags []string) {
	r.add(Point{Kind: emit.KindGauge, Name: name, Value: v, Tags: clone(tags)})
}

// Count records a count.
func (r *Recorder) Count(name string, v int64, tags []string) {
	r.add(Point{Kind: emit.KindCount, Name: name, Value: float64(v), Tags: clone(tags)})
}

// Distribution records a distribution; Value is the total weight.
func (r *Recorder) Distribution(name string, s []emit.Sample, tags []string) {
	var n float64
	for _, x := range s {
		n += float64(x.Weight)
	}
	r.add(Point{Kind: emit.KindDistribution, Name: name, Value: n, Samples: append([]emit.Sample(nil), s...), Tags: clone(tags)})
}

// ServiceCheck records a service check.
func (r *Recorder) ServiceCheck(name string, st emit.Status, msg string, tags []string) {
	r.add(Point{Kind: emit.KindServiceCheck, Name: name, Status: st, Message: msg, Tags: clone(tags)})
}

// Event records an event.
func (r *Recorder) Event(e emit.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Tags = clone(e.Tags)
	r.Events = append(r.Events, e)
}

func (r *Recorder) add(p Point) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Points = append(r.Points, p)
}

// Reset forgets everything recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Points, r.Events = nil, nil
}

// Find returns the points with this name whose tags include all of tags.
func (r *Recorder) Find(name string, tags ...string) []Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Point
	for _, p := range r.Points {
		if p.Name == name && hasAll(p.Tags, tags) {
			out = append(out, p)
		}
	}
	return out
}

// One returns the single point with this name and tags, failing otherwise.
func (r *Recorder) One(t interface {
	Helper()
	Fatalf(string, ...any)
}, name string, tags ...string) Point {
	t.Helper()
	ps := r.Find(name, tags...)
	if len(ps) != 1 {
		t.Fatalf("want exactly one %s %v, got %d: %v", name, tags, len(ps), ps)
	}
	return ps[0]
}

// String lists every point, one per line, sorted (for failure messages).
func (r *Recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := make([]string, 0, len(r.Points))
	for _, p := range r.Points {
		lines = append(lines, fmt.Sprintf("%s %s=%g %v", p.Kind, p.Key(), p.Value, p.Message))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func clone(s []string) []string { return append([]string(nil), s...) }
