package checks

import (
	"cmp"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/deadline"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// ConfigDecoder decodes the registered checks of one instance. The config
// package calls Checks with the instance's checks mapping, decodes the keys
// of InstanceKeys among the instance's own, then calls Finish once the
// whole instance is read (a check's defaults depend on sql_url and
// min_collection_interval, which may come after it in the file).
type ConfigDecoder struct {
	d     *yamlx.Decoder
	regs  []registered // the registry (tests give their own)
	given map[string]*givenCheck
}

// givenCheck is what the file says of one check.
type givenCheck struct {
	keyNode, value *yaml.Node
	keys           map[string]yamlx.Pair
	enabled        *yaml.Node // the enabled value, when given
	on             bool
	interval       time.Duration
	timeout        time.Duration
	opts           any
}

// NewConfigDecoder decodes with d, which collects the errors.
func NewConfigDecoder(d *yamlx.Decoder) *ConfigDecoder {
	return &ConfigDecoder{d: d, regs: registry, given: map[string]*givenCheck{}}
}

// Checks decodes an instance's checks mapping: one key per registered
// check; an unknown one is an error with a suggestion.
func (c *ConfigDecoder) Checks(n *yaml.Node, path string) {
	fields := yamlx.Fields{}
	for _, r := range c.regs {
		if !r.InstanceKey {
			fields[r.Name] = func(v *yaml.Node, p string) { c.check(r, v, p) }
		}
	}
	for name, p := range c.d.Object(n, path, fields) {
		if g := c.given[name]; g != nil {
			g.keyNode = p.KeyNode
		}
	}
}

// check decodes one check's mapping: the keys every check has, then its own.
func (c *ConfigDecoder) check(r registered, n *yaml.Node, path string) {
	d := c.d
	g := &givenCheck{value: n}
	common := yamlx.Fields{
		"enabled": func(x *yaml.Node, p string) {
			if b, ok := d.Boolean(x, p); ok {
				g.on, g.enabled = b, x
			}
		},
		"interval": func(x *yaml.Node, p string) { g.interval, _ = d.Duration(x, p) },
		"timeout":  func(x *yaml.Node, p string) { g.timeout, _ = d.Duration(x, p) },
	}
	g.opts, g.keys = r.keys(d, n, path, r.defaults(), common)
	c.given[r.Name] = g
}

// InstanceKeys are the instance keys of the checks configured there
// (custom_queries), for the config package's instance decoder.
func (c *ConfigDecoder) InstanceKeys() yamlx.Fields {
	fields := yamlx.Fields{}
	for _, r := range c.regs {
		if r.InstanceKey {
			fields[r.Name] = func(v *yaml.Node, p string) {
				c.given[r.Name] = &givenCheck{value: v, opts: r.value(c.d, v, p, r.defaults())}
			}
		}
	}
	return fields
}

// Finish applies the defaults and the rules that need the whole instance,
// and returns every registered check's configuration. instanceKeys are the
// instance's keys given (for the place of an InstanceKeys check's errors).
func (c *ConfigDecoder) Finish(in InstanceScope, instanceKeys map[string]yamlx.Pair) Configs {
	d := c.d
	out := make(Configs, 0, len(c.regs))
	for _, r := range c.regs {
		g := c.given[r.Name]
		if g == nil {
			g = &givenCheck{opts: r.defaults()}
		}
		cfg := Config{Name: r.Name, Options: g.opts}
		s := Scope{Instance: in}
		if r.InstanceKey {
			s.Path = yamlx.KeyPath(in.Path, r.Name)
			if p, ok := instanceKeys[r.Name]; ok {
				s.KeyNode, s.Value = p.KeyNode, p.Value
			}
			cfg.Interval, cfg.Timeout = in.MinInterval, deadline.Cycle(in.MinInterval, 0)
		} else {
			s.Path = yamlx.KeyPath(yamlx.KeyPath(in.Path, "checks"), r.Name)
			s.KeyNode, s.Value, s.Keys = g.keyNode, g.value, g.keys
			switch {
			case g.enabled == nil:
				cfg.Enabled = !r.Off && (!r.SQL || in.HasSQL)
			case g.on && r.SQL && !in.HasSQL && !in.SQLInvalid:
				d.Errorf(g.enabled, yamlx.KeyPath(s.Path, "enabled"), "true needs sql_url: the %s check queries the cluster over SQL", r.Name)
			default:
				cfg.Enabled = g.on
			}
			cfg.Interval = cmp.Or(g.interval, r.Interval, in.MinInterval)
			// Capped by the deadline rule, so that two runs never overlap
			// and the start-up log shows the deadline applied.
			cfg.Timeout = deadline.Cycle(cfg.Interval, cmp.Or(g.timeout, r.Timeout))
		}
		s.Interval, s.Timeout = cfg.Interval, cfg.Timeout
		if r.finish != nil {
			cfg.Options = r.finish(d, s, cfg.Options)
		}
		if r.InstanceKey {
			cfg.Enabled = r.active(cfg.Options)
		}
		out = append(out, cfg)
	}
	return out
}
