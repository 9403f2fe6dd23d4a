package checks

import (
	"cmp"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/internal/yamlx"
)

// Registration declares a check to the rest of roachdog, in the check's own
// file (node_exporter's registerCollector, with the configuration the
// OpenTelemetry Collector keeps per component): its name, its schedule's
// defaults, its options with their defaults, decoders and documentation,
// its constructor and what its start-up log line shows. The configuration
// decoder, the scheduler, the SQL statement timeout, the reload, the
// redacted log and the options table of docs/checks/<name>.md all loop
// over the registered checks; the check's catalog is its emit definitions.
//
// O is the check's options type, the same value its constructor takes.
// A reload keeps a running check (and its state) when its Config, the
// schedule and the options, is unchanged by reflect.DeepEqual: options hold
// no functions set from the configuration.
type Registration[O any] struct {
	// Name is the check's key under an instance's checks (and its Name()).
	Name string
	// Doc says in one line what the check reads and sends, above its
	// options table.
	Doc string
	// SQL: the check queries the cluster over SQL. It is then enabled by
	// default only when the instance has a sql_url, "enabled: true"
	// without one is an error, and its timeout raises the SQL statement
	// timeout of the instance's pool.
	SQL bool
	// Off: the check runs only when "enabled: true" says so.
	Off bool
	// Interval between two runs by default; 0 is the instance's
	// min_collection_interval.
	Interval time.Duration
	// Timeout of one run by default; 0 is the interval. It is capped to the
	// interval, so that two runs never overlap.
	Timeout time.Duration
	// NodeTimeout: the timeout bounds each node's request, not the run,
	// which then gets its whole interval (before the scheduler's cap).
	NodeTimeout bool
	// Defaults returns the options when none is given; nil is O's zero.
	Defaults func() O
	// Keys are the check's own keys under checks.<Name>, beside enabled,
	// interval and timeout which every check has.
	Keys []yamlx.Key[O]
	// Value, instead of Keys, decodes a check configured by the instance's
	// key <Name> (custom_queries, in the Agent's format), which has no
	// enabled, interval or timeout: Active says whether it runs, every
	// min_collection_interval.
	Value  func(d *yamlx.Decoder, v *yaml.Node, path string, o *O)
	Active func(o O) bool
	// ItemKeys document the keys of each entry of a Value check's list
	// (yamlx.DocKeys of the keys its Value decodes them with).
	ItemKeys []yamlx.Key[struct{}]
	// Finish, optional, checks and completes the options once the whole
	// instance is decoded (defaults that depend on the interval, keys that
	// go together).
	Finish func(d *yamlx.Decoder, s Scope, o *O)
	// New builds the check for one instance.
	New func(o O, s Schedule) (Check, error)
	// Log returns what the start-up log shows of the options besides
	// enabled, interval and timeout: never a secret, counts for lists.
	Log func(o O) []slog.Attr
}

// Schedule is how a check is run: what its constructor may need.
type Schedule struct {
	Interval time.Duration
	// Timeout is the configured timeout (of each node's request, for a
	// NodeTimeout check).
	Timeout time.Duration
	// Cycle is the deadline of one run, as the scheduler caps it.
	Cycle time.Duration
}

// Scope is where a check's options were decoded, for Finish.
type Scope struct {
	Instance InstanceScope
	// Path is the check's key path ("instances[0].checks.jobs"); KeyNode
	// and Value its key and value in the file, nil when not given.
	Path           string
	KeyNode, Value *yaml.Node
	// Keys are the check's own keys given, by name.
	Keys map[string]yamlx.Pair
	// Interval and Timeout are the check's, defaults applied.
	Interval, Timeout time.Duration
}

// InstanceScope is what a check's configuration depends on in its instance.
type InstanceScope struct {
	// Path is the instance's key path ("instances[0]").
	Path string
	// HasSQL: the instance has a valid sql_url. SQLInvalid: it has one
	// that is invalid (already reported: no "needs sql_url" on top).
	HasSQL, SQLInvalid bool
	// MinInterval is the instance's min_collection_interval.
	MinInterval time.Duration
}

// Config is one check as one instance configures it.
type Config struct {
	Name     string
	Enabled  bool
	Interval time.Duration
	// Timeout bounds one run, or each node's request for a check whose
	// registration says NodeTimeout.
	Timeout time.Duration
	// Options is the registration's O, defaults applied.
	Options any
}

// Configs are an instance's checks: every registered check, in the
// registry's order.
type Configs []Config

// Get returns the named check's configuration; ok is false for a name not
// registered.
func (cs Configs) Get(name string) (c Config, ok bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return Config{}, false
}

// OptionsOf returns the options of the check whose options type is O
// (each check has its own type: Register makes sure), or O's zero value.
func OptionsOf[O any](cs Configs) O {
	for _, c := range cs {
		if o, ok := c.Options.(O); ok {
			return o
		}
	}
	var zero O
	return zero
}

// SQL reports whether the check queries the cluster over SQL.
func (c Config) SQL() bool { return lookupRegistered(c.Name).SQL }

// RunTimeout is how long one run may take before the scheduler's cap: the
// timeout, or the interval for a check whose timeout is per node.
func (c Config) RunTimeout() time.Duration {
	if lookupRegistered(c.Name).NodeTimeout {
		return c.Interval
	}
	return c.Timeout
}

// New builds the check; cycle is the deadline of one of its runs.
func (c Config) New(cycle time.Duration) (Check, error) {
	r := lookupRegistered(c.Name)
	if r.build == nil {
		return nil, fmt.Errorf("no check %q is registered", c.Name)
	}
	return r.build(c.Options, Schedule{Interval: c.Interval, Timeout: c.Timeout, Cycle: cycle})
}

// LogAttrs is what the start-up log shows of the check: a group with its
// schedule and options, or for a check configured by an instance key, its
// options alone. Never a secret.
func (c Config) LogAttrs() []slog.Attr {
	r := lookupRegistered(c.Name)
	var extra []slog.Attr
	if r.log != nil {
		extra = r.log(c.Options)
	}
	if r.InstanceKey {
		return extra
	}
	attrs := append([]slog.Attr{
		slog.Bool("enabled", c.Enabled),
		slog.Duration("interval", c.Interval),
		slog.Duration("timeout", c.Timeout),
	}, extra...)
	return []slog.Attr{slog.GroupAttrs(c.Name, attrs...)}
}

// Entry is what the registry tells of a check, without its options type.
type Entry struct {
	Name, Doc             string
	SQL, Off, NodeTimeout bool
	Interval, Timeout     time.Duration
	// InstanceKey: configured by the instance's key Name, not checks.Name.
	InstanceKey bool
	// Keys document the check's own keys, ItemKeys those of each entry of
	// an InstanceKey check's list (Decode left out).
	Keys, ItemKeys []yamlx.Key[struct{}]
}

// registered is a Registration with its options type erased.
type registered struct {
	Entry
	defaults func() any
	keys     func(d *yamlx.Decoder, n *yaml.Node, path string, o any, extra yamlx.Fields) (any, map[string]yamlx.Pair)
	value    func(d *yamlx.Decoder, n *yaml.Node, path string, o any) any
	active   func(o any) bool
	finish   func(d *yamlx.Decoder, s Scope, o any) any
	build    func(o any, s Schedule) (Check, error)
	log      func(o any) []slog.Attr
}

var registry []registered

// Register adds a check to the registry; each check's file calls it from
// init. It panics on a mistake of the registration itself (a programming
// error that every test run shows).
func Register[O any](r Registration[O]) {
	if lookupRegistered(r.Name).Name != "" {
		panic("checks.Register: " + r.Name + " registered twice")
	}
	e := newRegistered(r)
	for _, other := range registry {
		// OptionsOf finds a check by its options type.
		if reflect.TypeOf(other.defaults()) == reflect.TypeOf(e.defaults()) {
			panic("checks.Register: " + r.Name + " has the options type of " + other.Name)
		}
	}
	registry = append(registry, e)
	// Name order: the order of the configuration's log line, the jobs and
	// the docs, whatever the order of the files' init functions.
	slices.SortFunc(registry, func(a, b registered) int { return cmp.Compare(a.Name, b.Name) })
}

// newRegistered erases a registration's options type.
func newRegistered[O any](r Registration[O]) registered {
	switch {
	case r.Name == "":
		panic("checks.Register: no name")
	case r.New == nil:
		panic("checks.Register: " + r.Name + ": no constructor")
	case (r.Value == nil) != (r.Active == nil):
		panic("checks.Register: " + r.Name + ": Value and Active go together")
	case r.Value != nil && len(r.Keys) > 0:
		panic("checks.Register: " + r.Name + ": Keys or Value, not both")
	}
	defaults := func() O {
		if r.Defaults == nil {
			var zero O
			return zero
		}
		return r.Defaults()
	}
	e := registered{
		Entry: Entry{Name: r.Name, Doc: r.Doc, SQL: r.SQL, Off: r.Off, NodeTimeout: r.NodeTimeout,
			Interval: r.Interval, Timeout: r.Timeout, InstanceKey: r.Value != nil},
		defaults: func() any { return defaults() },
		keys: func(d *yamlx.Decoder, n *yaml.Node, path string, o any, extra yamlx.Fields) (any, map[string]yamlx.Pair) {
			v := o.(O)
			got := yamlx.DecodeKeys(d, n, path, r.Keys, &v, extra)
			return v, got
		},
		build: func(o any, s Schedule) (Check, error) { return r.New(o.(O), s) },
	}
	e.Keys, e.ItemKeys = yamlx.DocKeys(r.Keys), r.ItemKeys
	if r.Value != nil {
		e.value = func(d *yamlx.Decoder, n *yaml.Node, path string, o any) any {
			v := o.(O)
			r.Value(d, n, path, &v)
			return v
		}
		e.active = func(o any) bool { return r.Active(o.(O)) }
	}
	if r.Finish != nil {
		e.finish = func(d *yamlx.Decoder, s Scope, o any) any {
			v := o.(O)
			r.Finish(d, s, &v)
			return v
		}
	}
	if r.Log != nil {
		e.log = func(o any) []slog.Attr { return r.Log(o.(O)) }
	}
	return e
}

func lookupRegistered(name string) registered {
	for _, r := range registry {
		if r.Name == name {
			return r
		}
	}
	return registered{}
}

// Registered describes every registered check, in name order.
func Registered() []Entry {
	out := make([]Entry, len(registry))
	for i, r := range registry {
		out[i] = r.Entry
	}
	return out
}
