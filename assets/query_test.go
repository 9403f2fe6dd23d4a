package assets

import (
	"reflect"
	"strings"
	"testing"
)

// metricsOf lists "aggr:metric by a,b .method..." for each metric query in x.
func metricsOf(x expr) []string {
	var out []string
	var walk func(expr)
	walk = func(x expr) {
		switch e := x.(type) {
		case *metricExpr:
			s := e.aggr + ":" + e.metric + "{" + e.scope + "}"
			if len(e.by) > 0 {
				var ks []string
				for _, k := range e.by {
					ks = append(ks, k.key)
				}
				s += " by " + strings.Join(ks, ",")
			}
			for _, c := range e.calls {
				s += " ." + c.name
			}
			out = append(out, s)
		case *callExpr:
			for _, a := range e.args {
				walk(a)
			}
		case *chainExpr:
			walk(e.recv)
		case *binaryExpr:
			walk(e.l)
			walk(e.r)
		case *negExpr:
			walk(e.x)
		}
	}
	walk(x)
	return out
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want []string
	}{
		{"avg:crdb.a{*}", []string{"avg:crdb.a{*}"}},
		{"sum:crdb.a.b_c{x:1,!y:2} by {a, b}.as_count().rollup(sum, 60)",
			[]string{"sum:crdb.a.b_c{x:1,!y:2} by a,b .as_count .rollup"}},
		{"top(avg:crdb.a{*} by {h}, 10, 'mean', 'desc')", []string{"avg:crdb.a{*} by h"}},
		{"(avg:a{*} - max:b{$v}) / 2 * -1", []string{"avg:a{*}", "max:b{$v}"}},
		{"anomalies(avg:a.p99{*} by {c}, 'basic', 2, direction='above', alert_window='last_5m')", []string{"avg:a.p99{*} by c"}},
		{"crdb.no_aggr{*}", []string{":crdb.no_aggr{*}"}},
		{"abs(query1) / query2", nil},
		{"1.5e3 + .5", nil},
	}
	for _, tc := range tests {
		x, err := parseSingle(tc.src)
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if got := metricsOf(x); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: metrics %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"avg:a{*", "at column 6: the scope of a's '{' is never closed"},
		{"avg:a{*} by a", "at column 13: expected '{' to open the group-by of a, found \"a\""},
		{"avg:a{*}}", "at column 9: unexpected \"}\" after the expression"},
		{"avg:", "at column 5: expected a metric name after \"avg:\", found end of query"},
		{"avg:a{*} + 'x", "at column 12: unterminated string"},
		{"1.2.3", "at column 1: malformed number \"1.2.3\""},
		{"f(a=1, 2)", "at column 8: positional argument after a named one"},
		{"avg:a{*}.as_count", "at column 18: expected \"(\", found end of query"},
		{"avg:a{{*}}", "at column 7: '{' inside the scope of a (is a '}' missing?)"},
		{"avg:a{*} by {x y}", "at column 14: group-by key \"x y\" is not a tag key"},
		{"avg:a{*} # b", "at column 10: unexpected character '#'"},
		{"abs(avg:a{*}", "at column 13: expected \",\", found end of query"},
	}
	for _, tc := range tests {
		_, err := parseSingle(tc.src)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestParseQueryList(t *testing.T) {
	t.Parallel()
	xs, err := parseQueryList("avg:a{*}, sum:b{*}.as_count()")
	if err != nil || len(xs) != 2 {
		t.Fatalf("got %d expressions, %v", len(xs), err)
	}
	if _, err := parseQueryList("avg:a{*},"); err == nil || !strings.Contains(err.Error(), "unexpected end of query") {
		t.Fatalf("trailing comma: %v", err)
	}
}

func TestParseMonitorQuery(t *testing.T) {
	t.Parallel()
	q, err := parseMonitorQuery("change(avg(last_5m),last_1h):avg:a{*} by {x} < -1.5")
	if err != nil {
		t.Fatal(err)
	}
	if q.header.name != "change" || q.op != "<" || q.threshold != -1.5 || len(metricsOf(q.body)) != 1 {
		t.Fatalf("parsed %+v", q)
	}
	for src, want := range map[string]string{
		"avg(last_5m):avg:a{*} == 1":  "at column 23: comparator \"==\" is not supported by metric monitors (use >, >=, < or <=)",
		"avg(last_5m):avg:a{*} > 1 2": "at column 27: unexpected \"2\" after the threshold",
		"avg:a{*} > 1":                "at column 1: expected a time aggregation such as avg(last_5m), found \"avg\"",
		"avg(last_5m):avg:a{*} > x":   "at column 25: expected a numeric threshold, found \"x\"",
		"avg(last_5m) avg:a{*} > 1":   "at column 14: expected \":\", found \"avg\"",
	} {
		if _, err := parseMonitorQuery(src); err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}

func TestParseScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want []scopeTerm
	}{
		{"*", []scopeTerm{{pos: 0, star: true}}},
		{"$cluster,node_id:1", []scopeTerm{{pos: 0, varRef: "cluster"}, {pos: 9, key: "node_id"}}},
		{"a:b AND (c:d OR NOT e:f)", []scopeTerm{{pos: 0, key: "a"}, {pos: 9, key: "c"}, {pos: 20, key: "e"}}},
		{"k IN (x,y), !j:z", []scopeTerm{{pos: 0, key: "k"}, {pos: 12, key: "j"}}},
		{"k NOT IN (x, y)", []scopeTerm{{pos: 0, key: "k"}}},
		{"node_id:$node_id.value", []scopeTerm{{pos: 0, key: "node_id", varRef: "node_id"}}},
	}
	for _, tc := range tests {
		got, err := parseScope(tc.raw, 0)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %+v, %v; want %+v", tc.raw, got, err, tc.want)
		}
	}
	for raw, want := range map[string]string{
		"":       "at column 1: empty scope (use {*} for no filter)",
		"prod":   "at column 1: scope term \"prod\" has no tag key (write key:value)",
		"a:b,c:": "at column 5: scope term \"c:\" has no value (write c:* for any value)",
		"$":      "at column 1: '$' without a template variable name",
	} {
		if _, err := parseScope(raw, 0); err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", raw, err, want)
		}
	}
}

func TestPlaceholdersOutsideCode(t *testing.T) {
	t.Parallel()
	r := &reporter{file: "m"}
	checkPlaceholders(r, "message", "Run `SHOW JOBS WHERE id = <id>` and ```\nexport X=${Y}\n``` then @roachdog-notify", true)
	if len(r.errs) != 0 {
		t.Fatalf("code spans may hold <id> and ${Y}: %v", r.errs)
	}
	checkPlaceholders(r, "message", "Page <oncall> about `x` @roachdog-notify", true)
	if len(r.errs) != 1 || !strings.Contains(r.errs[0].Error(), "leftover placeholder <oncall>") {
		t.Fatalf("got %v", r.errs)
	}
}
