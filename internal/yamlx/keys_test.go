package yamlx

import (
	"maps"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDecodeKeys: each key's Decode runs on its value; extra keys are
// known too; a null value leaves the default; an unknown key is an error
// with the nearest known key; the keys given come back by name.
func TestDecodeKeys(t *testing.T) {
	t.Parallel()
	type opts struct {
		Size  int
		Extra bool
	}
	keys := []Key[opts]{{Name: "size", Default: "3", Doc: "d",
		Decode: func(d *Decoder, v *yaml.Node, p string, o *opts) {
			d.IntIn(v, p, 1, 9, &o.Size)
		}}}
	for _, tc := range []struct {
		src  string
		want opts
		err  string
		got  []string
	}{
		{src: "{size: 5, extra: true}", want: opts{Size: 5, Extra: true}, got: []string{"extra", "size"}},
		{src: "{size: ~}", want: opts{Size: 3}, got: []string{"size"}},
		{src: "~", want: opts{Size: 3}},
		{src: "{size: 10}", want: opts{Size: 3}, err: "f:1: c.size: want a whole number from 1 to 9, got \"10\""},
		{src: "{sise: 1}", want: opts{Size: 3}, err: `f:1: c.sise: unknown key (did you mean "size"?)`},
	} {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tc.src), &doc); err != nil {
			t.Fatal(err)
		}
		d := NewDecoder("f", nil)
		o := opts{Size: 3}
		var extra bool
		got := DecodeKeys(d, doc.Content[0], "c", keys, &o, Fields{
			"extra": func(v *yaml.Node, p string) { extra, _ = d.Boolean(v, p) },
		})
		o.Extra = extra
		if o != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.src, o, tc.want)
		}
		if err := d.Err(); (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("%s: error %v, want %q", tc.src, err, tc.err)
		}
		if names := slices.Sorted(maps.Keys(got)); tc.err == "" && !slices.Equal(names, tc.got) {
			t.Errorf("%s: keys given %v, want %v", tc.src, names, tc.got)
		}
	}
}
