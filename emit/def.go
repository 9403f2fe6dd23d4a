package emit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// TagKeys are a definition's tag keys, in the order Send takes their values.
type TagKeys []string

// Keys lists a definition's tag keys.
func Keys(keys ...string) TagKeys { return keys }

// Spec is what a definition says of its metric besides its kind and check;
// Gauge, Count, Distribution, ServiceCheck and EventSpec are Specs of one
// kind each. The fields are Metric's (see there).
type Spec struct {
	Name        string
	Unit        string
	Tags        TagKeys
	Description string
	PerNode     int
	// ClusterLevel marks what is computed once per cluster.
	ClusterLevel bool
	// Optional marks what is off by default.
	Optional bool
}

// The specs of each kind. Registered, one is the definition a check sends
// through.
type (
	Gauge        Spec
	Count        Spec
	Distribution Spec
	ServiceCheck Spec
	// EventSpec's Name is the catalog's name for the event (Datadog events
	// have none on the wire).
	EventSpec Spec
)

// def is a registered (or user-defined) entry with its tag keys made safe
// once: keys[i] is "key:" as Tag writes it; the value gets what is left of
// the 200 characters.
type def struct {
	m    Metric
	keys []string
	user bool // made by Define: not in the catalog, tags from the configuration
}

func newDef(s Spec, kind Kind, check string) def {
	d := def{m: Metric{Name: s.Name, Kind: kind, Unit: s.Unit, Tags: slices.Clone([]string(s.Tags)), Description: s.Description,
		Check: check, PerNode: s.PerNode, ClusterLevel: s.ClusterLevel, Optional: s.Optional}}
	d.keys = make([]string, len(s.Tags))
	for i, k := range s.Tags {
		d.keys[i] = tagKey(k) + ":"
	}
	return d
}

// register adds d to the catalog.
func (d def) register() def {
	Register(d.m)
	return d
}

// Errors of a user-defined definition (Define).
var (
	ErrNoName    = errors.New("metric name is empty")
	ErrBadName   = errors.New("metric name must start with a letter and hold only ASCII letters, digits, '_' and '.'")
	ErrLongName  = errors.New("metric name is longer than 200 characters")
	ErrBadTagKey = errors.New("tag key is empty or not a valid Datadog tag key")
)

// define checks a user-defined spec: a name Datadog takes as it is (the
// namespace and this name form the metric name; nothing is rewritten on
// the way, so what the configuration says is what Datadog shows) and tag
// keys that Tag would leave unchanged.
func define(s Spec, kind Kind, check string) (def, error) {
	if err := ValidName(s.Name); err != nil {
		return def{}, err
	}
	for _, k := range s.Tags {
		if k == "" || tagKey(k) != k {
			return def{}, fmt.Errorf("%w: %q", ErrBadTagKey, k)
		}
	}
	d := newDef(s, kind, check)
	d.user = true
	return d, nil
}

// ValidName reports whether name can be sent as a metric name unchanged:
// it starts with a letter and holds only ASCII letters, digits, '_' and
// '.', at most 200 characters (Datadog's rules for metric names).
func ValidName(name string) error {
	switch {
	case name == "":
		return ErrNoName
	case len(name) > 200:
		return ErrLongName
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if i == 0 && !letter || !(letter || '0' <= c && c <= '9' || c == '_' || c == '.') {
			return fmt.Errorf("%w: %q", ErrBadName, name)
		}
	}
	return nil
}

// tags makes the tag set for values, one per key in order. A definition
// without keys gives nil. The number of values is the definition's number
// of keys: anything else is a programming error (a test in the checks
// package compares every call with its definition), and panics rather
// than send a tag set the catalog does not describe.
func (d *def) tags(values []string) []string {
	if len(values) != len(d.keys) {
		panic(fmt.Sprintf("emit: %s %q takes %d tag values (%s), got %d",
			d.m.Kind, d.m.Name, len(d.keys), strings.Join(d.m.Tags, ", "), len(values)))
	}
	if len(values) == 0 {
		return nil
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = d.keys[i] + tagValue(v, maxTag-len(d.keys[i]))
	}
	return out
}

// Metric returns the catalog entry of the definition.
func (d *def) Metric() Metric {
	m := d.m
	m.Tags = slices.Clone(m.Tags)
	return m
}

// Name is the metric's name without the namespace.
func (d *def) Name() string { return d.m.Name }

// GaugeDef is a registered gauge.
type GaugeDef struct{ def }

// Register adds the gauge to the catalog under check and returns the
// definition to send it through.
func (g Gauge) Register(check string) *GaugeDef {
	return &GaugeDef{newDef(Spec(g), KindGauge, check).register()}
}

// Define makes a definition that is not in the catalog, for metrics whose
// names the configuration gives (custom queries). It fails when the name
// or a tag key would not reach Datadog as written.
func (g Gauge) Define(check string) (*GaugeDef, error) {
	d, err := define(Spec(g), KindGauge, check)
	if err != nil {
		return nil, err
	}
	return &GaugeDef{d}, nil
}

// Send sends the gauge with one value per tag key, in the keys' order.
func (g *GaugeDef) Send(s Sink, value float64, tagValues ...string) {
	s.Gauge(g.m.Name, value, g.tags(tagValues))
}

// Series is the gauge's series for these tag values, to be sent later
// (possibly more than once: a series that vanishes is sent a last 0).
func (g *GaugeDef) Series(tagValues ...string) GaugeSeries {
	return GaugeSeries{def: g, tags: g.tags(tagValues)}
}

// GaugeSeries is one series of a gauge: its definition and its tags.
type GaugeSeries struct {
	def  *GaugeDef
	tags []string
}

// Send sends value on the series.
func (x GaugeSeries) Send(s Sink, value float64) { s.Gauge(x.def.m.Name, value, x.tags) }

// Name is the gauge's name.
func (x GaugeSeries) Name() string { return x.def.m.Name }

// Def is the series' definition.
func (x GaugeSeries) Def() *GaugeDef { return x.def }

// Tags are the series' tags, "key:value" each (shared: do not modify).
func (x GaugeSeries) Tags() []string { return x.tags }

// CountDef is a registered count.
type CountDef struct{ def }

// Register adds the count to the catalog under check.
func (c Count) Register(check string) *CountDef {
	return &CountDef{newDef(Spec(c), KindCount, check).register()}
}

// Define makes a count that is not in the catalog (see Gauge.Define).
func (c Count) Define(check string) (*CountDef, error) {
	d, err := define(Spec(c), KindCount, check)
	if err != nil {
		return nil, err
	}
	return &CountDef{d}, nil
}

// Send sends the count (a delta) with one value per tag key.
func (c *CountDef) Send(s Sink, delta int64, tagValues ...string) {
	s.Count(c.m.Name, delta, c.tags(tagValues))
}

// DistributionDef is a registered distribution.
type DistributionDef struct{ def }

// Register adds the distribution to the catalog under check.
func (d Distribution) Register(check string) *DistributionDef {
	return &DistributionDef{newDef(Spec(d), KindDistribution, check).register()}
}

// Send sends the observations with one value per tag key.
func (d *DistributionDef) Send(s Sink, samples []Sample, tagValues ...string) {
	s.Distribution(d.m.Name, samples, d.tags(tagValues))
}

// ServiceCheckDef is a registered service check.
type ServiceCheckDef struct{ def }

// Register adds the service check to the catalog under check.
func (c ServiceCheck) Register(check string) *ServiceCheckDef {
	return &ServiceCheckDef{newDef(Spec(c), KindServiceCheck, check).register()}
}

// Send sends the status and message with one value per tag key.
func (c *ServiceCheckDef) Send(s Sink, st Status, message string, tagValues ...string) {
	s.ServiceCheck(c.m.Name, st, message, c.tags(tagValues))
}

// EventDef is a registered event.
type EventDef struct{ def }

// Register adds the event to the catalog under check.
func (e EventSpec) Register(check string) *EventDef {
	return &EventDef{newDef(Spec(e), KindEvent, check).register()}
}

// Send sends ev with its tags set from one value per tag key (tags ev
// already holds are replaced).
func (e *EventDef) Send(s Sink, ev Event, tagValues ...string) {
	ev.Tags = e.tags(tagValues)
	s.Event(ev)
}

// Only is the event with some of its tag keys only, for an occurrence
// that has no value for the others (a summary of several problems). It is
// the same catalog entry, not a new one; a key the event does not have
// panics, when the package that calls it is initialised.
func (e *EventDef) Only(keys ...string) *EventDef {
	sub := &EventDef{def{m: e.m}}
	for _, k := range keys {
		i := slices.Index(e.m.Tags, k)
		if i < 0 {
			panic(fmt.Sprintf("emit: event %q has no tag key %q (it has %s)", e.m.Name, k, strings.Join(e.m.Tags, ", ")))
		}
		sub.keys = append(sub.keys, e.keys[i])
	}
	return sub
}

// Tags is a tag set whose keys a user's configuration gives (custom
// queries: configured tags and tag columns, a column holding a list
// giving its key several times). Only definitions made by Define send it
// (SendTags): a registered definition has its keys fixed.
type Tags struct{ list []string }

// ConfiguredTags are tags as the configuration writes them ("env:prod",
// or a bare "canary"), checked: not blank, and without ',', '|' or a line
// break, which would split or end the datagram's tag list.
func ConfiguredTags(tags []string) (Tags, error) {
	for _, t := range tags {
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t, ",|\n\r") {
			return Tags{}, fmt.Errorf("%q is not a valid tag (empty, or holds ',', '|' or a line break)", t)
		}
	}
	return Tags{list: slices.Clip(slices.Clone(tags))}, nil
}

// With is t and key:value, made safe by Tag; t itself is unchanged.
func (t Tags) With(key, value string) Tags {
	return Tags{list: append(slices.Clip(t.list), Tag(key, value))}
}

// Strings are the tags, "key:value" each (shared: do not modify).
func (t Tags) Strings() []string { return t.list }

// user marks a definition made by Define: SendTags is for those alone.
func (d *def) mustBeUser() {
	if !d.user {
		panic(fmt.Sprintf("emit: %s %q is registered with fixed tag keys; send it with Send", d.m.Kind, d.m.Name))
	}
}

// SendTags sends a user-defined gauge (Define) with its tags.
func (g *GaugeDef) SendTags(s Sink, value float64, tags Tags) {
	g.mustBeUser()
	s.Gauge(g.m.Name, value, tags.list)
}

// SendTags sends a user-defined count (Define) with its tags.
func (c *CountDef) SendTags(s Sink, delta int64, tags Tags) {
	c.mustBeUser()
	s.Count(c.m.Name, delta, tags.list)
}
