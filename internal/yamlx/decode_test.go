package yamlx

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestEnvExpansion(t *testing.T) {
	env := map[string]string{"HOST": "roach9", "EMPTY": "", "PW": "pa$$w{o}rd"}
	tests := []struct {
		in, want string
		err      string
	}{
		{"plain", "plain", ""},
		{"${HOST}", "roach9", ""},
		{"a-${HOST}-b-${HOST}", "a-roach9-b-roach9", ""},
		{"${MISSING:-dflt}", "dflt", ""},
		{"${EMPTY:-dflt}", "dflt", ""},
		{"${EMPTY}", "", ""},
		{"${HOST:-x}", "roach9", ""},
		{"${MISSING:-}", "", ""},
		{"$${HOST}", "${HOST}", ""},
		{"cost$5", "cost$5", ""},
		{"$HOST", "$HOST", ""},
		{"${PW}", "pa$$w{o}rd", ""}, // values are not expanded again
		{"${MISSING}", "", "environment variable MISSING is not set (write ${MISSING:-default} to give a default)"},
		{"${HOST", "", `"${" without a closing "}" (write "$${" for a literal "${")`},
		{"${}", "", `"${" must start ${VAR} or ${VAR:-default}, VAR made of letters, digits and _ (write "$${" for a literal "${")`},
		{"${A B}", "", `"${" must start ${VAR} or ${VAR:-default}, VAR made of letters, digits and _ (write "$${" for a literal "${")`},
		{"${1X}", "", `"${" must start ${VAR} or ${VAR:-default}, VAR made of letters, digits and _ (write "$${" for a literal "${")`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _, err := expandEnv(tt.in, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("got %q, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestScrub: the last guard replaces what a variable gave, in any case,
// when a message quotes it; the format's own words and short values are
// left alone.
func TestScrub(t *testing.T) {
	t.Parallel()
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: "${PW}", Line: 3}
	item := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "k"}, n}}
	d := &Decoder{file: "c", fromEnv: map[*yaml.Node][]envRef{n: {{name: "PW", value: "Hunter2-x"}}}}
	tests := []struct {
		node         *yaml.Node
		format, want string
		args         []any
		leavesFormat bool
	}{
		{n, "%q: bad", `"${PW}": bad`, []any{"Hunter2-x"}, false},
		{n, "got %s", `got ${PW}`, []any{"hunter2-X"}, false},
		{n, "%q", `"${PW}\n"`, []any{"Hunter2-x\n"}, false},
		{item, "column %s", `column ${PW}`, []any{"Hunter2-x"}, false},
		{n, "Hunter2-x is a word of this message", "Hunter2-x is a word of this message", nil, true},
		{&yaml.Node{}, "%s", "Hunter2-x", []any{"Hunter2-x"}, true},
	}
	for _, tt := range tests {
		d.errs = nil
		d.Errorf(tt.node, "p", tt.format, tt.args...)
		if got := d.errs[0].Msg; got != tt.want {
			t.Errorf("errorf(%q, %q) = %q, want %q", tt.format, tt.args, got, tt.want)
		}
	}
	// Values shorter than minScrubbed ("on", "1") are ordinary words.
	short := &yaml.Node{Kind: yaml.ScalarNode, Value: "${X}"}
	d.fromEnv[short] = []envRef{{name: "X", value: "abc"}}
	d.errs = nil
	d.Errorf(short, "p", "%s and abc", "abc")
	if got := d.errs[0].Msg; got != "abc and abc" {
		t.Errorf("short value scrubbed: %q", got)
	}
}
