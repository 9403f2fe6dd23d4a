package checks

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/internal/yamlx"
)

// testOptions are the options of the checks registered for
// TestConfigDecoder only.
type testOptions struct {
	Size int
	// Finished is set by Finish, with the interval it saw.
	Finished time.Duration
}

// testRegistry is a registry apart from the real one: a SQL check with
// the instance's interval, a check off by default, a check on by default.
func testRegistry() []registered {
	keys := []yamlx.Key[testOptions]{{Name: "size", Default: "3", Doc: "d",
		Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *testOptions) {
			d.IntIn(v, p, 1, 9, &o.Size)
		}}}
	build := func(testOptions, Schedule) (Check, error) { return nil, nil }
	finish := func(_ *yamlx.Decoder, s Scope, o *testOptions) { o.Finished = s.Interval }
	return []registered{
		newRegistered(Registration[testOptions]{Name: "alpha", SQL: true, Timeout: 40 * time.Second,
			Defaults: func() testOptions { return testOptions{Size: 3} }, Keys: keys, Finish: finish, New: build}),
		newRegistered(Registration[testOptions]{Name: "beta", Off: true, Interval: time.Minute, New: build}),
		newRegistered(Registration[testOptions]{Name: "gamma", Interval: time.Hour, Timeout: time.Second, New: build}),
	}
}

// TestConfigDecoder: what the registry does for every check: the keys
// every check has, their defaults from the registration and the instance,
// the sql_url rule, the timeout capped to 80% of the interval (deadline.Cycle), the check's own
// keys and Finish, unknown keys with a suggestion.
func TestConfigDecoder(t *testing.T) {
	t.Parallel()
	type got struct {
		on       [3]bool
		interval [3]time.Duration
		timeout  [3]time.Duration
		size     int
		finished time.Duration
	}
	const s, m, h = time.Second, time.Minute, time.Hour
	for _, tc := range []struct {
		name, src  string
		hasSQL     bool
		sqlInvalid bool
		want       got
		err        string
	}{
		{name: "defaults without sql_url", src: "{}",
			want: got{[3]bool{false, false, true}, [3]time.Duration{15 * s, m, h}, [3]time.Duration{12 * s, 48 * s, s}, 3, 15 * s}},
		{name: "defaults with sql_url", src: "{}", hasSQL: true,
			want: got{[3]bool{true, false, true}, [3]time.Duration{15 * s, m, h}, [3]time.Duration{12 * s, 48 * s, s}, 3, 15 * s}},
		{name: "set", src: "{alpha: {interval: 2m, size: 5}, beta: {enabled: true, timeout: 2h}, gamma: {enabled: false}}", hasSQL: true,
			want: got{[3]bool{true, true, false}, [3]time.Duration{2 * m, m, h}, [3]time.Duration{40 * s, 48 * s, s}, 5, 2 * m}},
		{name: "SQL check enabled without sql_url", src: "{alpha: {enabled: true}}",
			err: "c:1: instances[0].checks.alpha.enabled: true needs sql_url: the alpha check queries the cluster over SQL"},
		{name: "an invalid sql_url is reported once", src: "{alpha: {enabled: true}}", sqlInvalid: true,
			want: got{[3]bool{true, false, true}, [3]time.Duration{15 * s, m, h}, [3]time.Duration{12 * s, 48 * s, s}, 3, 15 * s}},
		{name: "unknown check", src: "{alpah: {}}", err: `c:1: instances[0].checks.alpah: unknown key (did you mean "alpha"?)`},
		{name: "unknown key", src: "{alpha: {sise: 1}}", err: `c:1: instances[0].checks.alpha.sise: unknown key (did you mean "size"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := yamlx.NewDecoder("c", nil)
			cd := &ConfigDecoder{d: d, regs: testRegistry(), given: map[string]*givenCheck{}}
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tc.src), &doc); err != nil {
				t.Fatal(err)
			}
			cd.Checks(doc.Content[0], "instances[0].checks")
			cs := cd.Finish(InstanceScope{Path: "instances[0]", HasSQL: tc.hasSQL, SQLInvalid: tc.sqlInvalid, MinInterval: 15 * s}, nil)
			err := d.Err()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var g got
			for i, c := range cs {
				g.on[i], g.interval[i], g.timeout[i] = c.Enabled, c.Interval, c.Timeout
			}
			o := cs[0].Options.(testOptions)
			g.size, g.finished = o.Size, o.Finished
			if g != tc.want {
				t.Errorf("got  %+v\nwant %+v", g, tc.want)
			}
		})
	}
}
