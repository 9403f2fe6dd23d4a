package yamlx

import "go.yaml.in/yaml/v3"

// Key is one key of a mapping decoded into a T (a check's options, one
// custom query): its name, what the documentation says of it, and how its
// value is decoded. A list of Keys is at once the decoder of the mapping
// and the source of its options table, so the two cannot disagree.
type Key[T any] struct {
	Name string
	// Default is the default written as the key's value in YAML ("1h",
	// "100000", "[0.5, 0.99]"): a test decodes it and compares the result
	// with the defaults, so the table cannot drift from the code. Empty
	// when DefaultText describes the default instead.
	Default string
	// DefaultText describes a default that is not one value ("every
	// database but system", "at least the interval").
	DefaultText string
	// Doc says what the key does, in one sentence of the options table.
	Doc string
	// Decode reads the key's value (never null: a null value leaves the
	// default) into o; problems go to d.
	Decode func(d *Decoder, v *yaml.Node, path string, o *T)
}

// DecodeKeys decodes the mapping n into o: each key's Decode, in file
// order; unknown keys are errors with a suggestion among keys and extra
// (keys the caller decodes itself, such as a check's enabled, interval and
// timeout). It returns the keys given, by name.
func DecodeKeys[T any](d *Decoder, n *yaml.Node, path string, keys []Key[T], o *T, extra Fields) map[string]Pair {
	fields := make(Fields, len(keys)+len(extra))
	for name, fn := range extra {
		fields[name] = fn
	}
	for _, k := range keys {
		fields[k.Name] = func(v *yaml.Node, p string) { k.Decode(d, v, p, o) }
	}
	return d.Object(n, path, fields)
}

// DocKeys returns keys without their decoders: what the documentation
// shows of them.
func DocKeys[T any](keys []Key[T]) []Key[struct{}] {
	out := make([]Key[struct{}], len(keys))
	for i, k := range keys {
		out[i] = Key[struct{}]{Name: k.Name, Default: k.Default, DefaultText: k.DefaultText, Doc: k.Doc}
	}
	return out
}
