package checks

import (
	"reflect"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/internal/yamlx"
)

// TestRegistrations: every registered check builds, from its defaults, the
// check of its own name (the reload finds a running check's settings by
// that name: a mismatch would rebuild it, losing its state, on every
// SIGHUP), and documents every key.
func TestRegistrations(t *testing.T) {
	t.Parallel()
	if len(registry) == 0 {
		t.Fatal("no check registered")
	}
	for _, r := range registry {
		t.Run(r.Name, func(t *testing.T) {
			t.Parallel()
			opts := r.defaults()
			if r.InstanceKey {
				// An instance-key check runs only with entries: give one.
				d := yamlx.NewDecoder("c", nil)
				opts = r.value(d, node(t, "[{metric_prefix: app, query: SELECT 1, columns: [{name: one, type: gauge}]}]"), r.Name, opts)
				if err := d.Err(); err != nil {
					t.Fatal(err)
				}
			}
			c, err := r.build(opts, Schedule{Interval: time.Minute, Timeout: 10 * time.Second, Cycle: 10 * time.Second})
			if err != nil {
				t.Fatalf("built from its defaults: %v", err)
			}
			if c.Name() != r.Name {
				t.Errorf("registered as %q, builds the check %q", r.Name, c.Name())
			}
			if r.Doc == "" {
				t.Error("no Doc")
			}
			for _, k := range append(r.Keys, r.ItemKeys...) {
				if k.Doc == "" || (k.Default == "") == (k.DefaultText == "") {
					t.Errorf("key %s: want a Doc, and a Default or a DefaultText (one)", k.Name)
				}
			}
		})
	}
}

// TestKeyDefaults: a key's documented Default, given as its value, decodes
// to the check's defaults: the options table cannot drift from the code.
func TestKeyDefaults(t *testing.T) {
	t.Parallel()
	for _, r := range registry {
		for _, k := range r.Keys {
			if k.Default == "" {
				continue
			}
			d := yamlx.NewDecoder("c", nil)
			got, _ := r.keys(d, node(t, "{"+k.Name+": "+k.Default+"}"), r.Name, r.defaults(), nil)
			if err := d.Err(); err != nil {
				t.Errorf("%s.%s: Default %s: %v", r.Name, k.Name, k.Default, err)
				continue
			}
			if want := r.defaults(); !reflect.DeepEqual(got, want) {
				t.Errorf("%s.%s: Default %s gives %+v, the defaults are %+v", r.Name, k.Name, k.Default, got, want)
			}
		}
	}
	// The custom queries' keys, of each entry.
	for _, k := range cqKeys {
		if k.Default == "" {
			continue
		}
		d := yamlx.NewDecoder("c", nil)
		q, _, _ := cqDecodeQuery(d, node(t, "{metric_prefix: app, query: SELECT 1, columns: [{name: one, type: gauge}], "+k.Name+": "+k.Default+"}"), "q")
		if err := d.Err(); err != nil {
			t.Errorf("custom_queries.%s: Default %s: %v", k.Name, k.Default, err)
			continue
		}
		q0, _, _ := cqDecodeQuery(d, node(t, "{metric_prefix: app, query: SELECT 1, columns: [{name: one, type: gauge}]}"), "q")
		if !reflect.DeepEqual(q, q0) {
			t.Errorf("custom_queries.%s: Default %s gives %+v, the defaults are %+v", k.Name, k.Default, q, q0)
		}
	}
}

// TestVarsNodeTimeout: the vars check's node timeout never outlasts the
// cycle (a scrape started with the cycle must time out within it); below
// the cycle it is kept.
func TestVarsNodeTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ timeout, cycle, want time.Duration }{
		{15 * time.Second, 12 * time.Second, 12 * time.Second},
		{5 * time.Second, 12 * time.Second, 5 * time.Second},
		{5 * time.Second, 0, 5 * time.Second},
	} {
		c, err := Config{Name: "vars", Enabled: true, Interval: 15 * time.Second, Timeout: tc.timeout,
			Options: lookupRegistered("vars").defaults()}.New(tc.cycle)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.(*Vars).timeout; got != tc.want {
			t.Errorf("timeout %s, cycle %s: node timeout %s, want %s", tc.timeout, tc.cycle, got, tc.want)
		}
	}
}

func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}
