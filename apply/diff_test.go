package apply

import (
	"bytes"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/ddapi"
)

func decodeTestObject(t *testing.T, s string) map[string]any {
	t.Helper()
	o, err := ddapi.DecodeObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestNormalizeAndCompare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		want, have string
		equal      bool
	}{
		{"server extras ignored", `{"a":1,"w":[{"d":{"x":"y"}}]}`, `{"a":1,"id":"abc","w":[{"id":7,"d":{"x":"y","z":null}}]}`, true},
		{"number formatting", `{"options":{"thresholds":{"critical":3}}}`, `{"options":{"thresholds":{"critical":3.0}}}`, true},
		{"null equals absent", `{"priority":null,"a":1}`, `{"a":1}`, true},
		{"empty list equals null", `{"notify_list":[],"a":1}`, `{"notify_list":null,"a":1}`, true},
		{"empty object equals absent", `{"options":{"silenced":{}}}`, `{"options":{}}`, true},
		{"empty list is not a full one", `{"notify_list":[]}`, `{"notify_list":["@a"]}`, false},
		{"absent in have", `{"a":1,"b":2}`, `{"a":1}`, false},
		{"value changed", `{"a":"x"}`, `{"a":"y"}`, false},
		{"tags as a set", `{"tags":["b","a"]}`, `{"tags":["a","b"]}`, true},
		{"tags differ", `{"tags":["a","b"]}`, `{"tags":["a"]}`, false},
		{"array longer in have", `{"w":[1]}`, `{"w":[1,2]}`, false},
		{"array order matters below top-level tags", `{"w":["a","b"]}`, `{"w":["b","a"]}`, false},
		{"extra threshold counts", `{"options":{"thresholds":{"critical":3}}}`, `{"options":{"thresholds":{"critical":3,"warning":2}}}`, false},
		{"null threshold ignored", `{"options":{"thresholds":{"critical":3}}}`, `{"options":{"thresholds":{"critical":3,"warning":null}}}`, true},
		{"type changed", `{"a":{"b":1}}`, `{"a":"b"}`, false},
		{"bool vs string", `{"a":true}`, `{"a":"true"}`, false},
	} {
		w, h := normalize(decodeTestObject(t, tc.want), decodeTestObject(t, tc.have))
		if got := jsonEqual(w, h); got != tc.equal {
			t.Errorf("%s: equal = %v, want %v", tc.name, got, tc.equal)
		}
		var b bytes.Buffer
		writeDiff(&b, "", "old", "new", h, w)
		if tc.equal != (b.Len() == 0) {
			t.Errorf("%s: diff %q disagrees with equal = %v", tc.name, b.String(), tc.equal)
		}
	}
}

func TestWriteDiff(t *testing.T) {
	t.Parallel()
	have := decodeTestObject(t, `{"name":"n","message":"a\nb\nc\nd\ne\nf","options":{"thresholds":{"critical":3.0,"warning":2.0}},"w":[{"q":"x"}]}`)
	want := decodeTestObject(t, `{"name":"n","message":"a\nb\nC\nd\ne\nf\ng","options":{"thresholds":{"critical":4}},"w":[{"q":"x"},{"q":"y"}],"new":true}`)
	w, h := normalize(want, have)
	var b bytes.Buffer
	writeDiff(&b, "  ", "datadog monitor 1", "monitors/m.json", h, w)
	wantOut := strings.Join([]string{
		"  --- datadog monitor 1",
		"  +++ monitors/m.json",
		"  @@ message @@",
		"   b",
		"  -c",
		"  +C",
		"   d",
		"   ...",
		"   f",
		"  +g",
		"  +new: true",
		"  -options.thresholds.critical: 3.0",
		"  +options.thresholds.critical: 4",
		"  -options.thresholds.warning: 2.0",
		`  +w[1]: {"q":"y"}`,
		"",
	}, "\n")
	if b.String() != wantOut {
		t.Errorf("diff:\n%s\nwant:\n%s", b.String(), wantOut)
	}
}

func TestLineDiff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want string
	}{
		{"x", "x", ""},
		{"a\nb", "a\nc", " a|-b|+c"},
		{"a", "a\nb", " a|+b"},
		{"a\nb", "b", "-a| b"},
		{"1\n2\n3\n4\n5\n6\n7", "1\n2\nX\n4\n5\n6\nY", " 2|-3|+X| 4| ...| 6|-7|+Y"},
	} {
		got := strings.Join(lineDiff(strings.Split(tc.a, "\n"), strings.Split(tc.b, "\n"), 1), "|")
		if tc.want == "" {
			for _, l := range lineDiff(strings.Split(tc.a, "\n"), strings.Split(tc.b, "\n"), 1) {
				if l[0] != ' ' {
					t.Errorf("%q vs itself: %q", tc.a, got)
				}
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%q -> %q: %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestFillNotify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		msg     string
		handles []string
		want    string
		found   bool
	}{
		{"alert\n\n@roachdog-notify\n", []string{"@a", "@b"}, "alert\n\n@a @b\n", true},
		{"alert\n\n@roachdog-notify\n", nil, "alert\n\n", true},
		{"alert @roachdog-notify now", nil, "alert now", true},
		{"alert @roachdog-notify now", []string{"@x"}, "alert @x now", true},
		{"no placeholder", []string{"@x"}, "no placeholder", false},
	} {
		m := ddapi.Object{"message": tc.msg, "options": map[string]any{"escalation_message": tc.msg}}
		found := fillNotify(m, tc.handles)
		if found != tc.found || m["message"] != tc.want || m["options"].(map[string]any)["escalation_message"] != tc.want {
			t.Errorf("fillNotify(%q, %v) = %q, %v; want %q, %v", tc.msg, tc.handles, m["message"], found, tc.want, tc.found)
		}
	}
}
