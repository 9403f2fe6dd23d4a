package emit

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// rec records what reaches a Sink.
type rec struct{ lines []string }

func (r *rec) Gauge(n string, v float64, tags []string) {
	r.lines = append(r.lines, "g "+n+" "+strings.Join(tags, ","))
}
func (r *rec) Count(n string, v int64, tags []string) {
	r.lines = append(r.lines, "c "+n+" "+strings.Join(tags, ","))
}
func (r *rec) Distribution(n string, _ []Sample, tags []string) {
	r.lines = append(r.lines, "d "+n+" "+strings.Join(tags, ","))
}
func (r *rec) ServiceCheck(n string, st Status, msg string, tags []string) {
	r.lines = append(r.lines, "s "+n+" "+st.String()+" "+msg+" "+strings.Join(tags, ","))
}
func (r *rec) Event(e Event) { r.lines = append(r.lines, "e "+e.Title+" "+strings.Join(e.Tags, ",")) }

// Registered once for the package's tests: registering is global.
var (
	testGauge = Gauge{Name: "test.gauge", Unit: "node", Tags: Keys("node_id", "Zone Name"), Description: "d", PerNode: 2}.Register("test")
	testPlain = Gauge{Name: "test.plain", Description: "d"}.Register("test")
	testCount = Count{Name: "test.count", Tags: Keys("k"), Description: "d"}.Register("test")
	testDist  = Distribution{Name: "test.dist", Tags: Keys("k"), Description: "d"}.Register("test")
	testCheck = ServiceCheck{Name: "test.check", Tags: Keys("check"), Description: "d"}.Register("test")
	testEvent = EventSpec{Name: "test.event", Tags: Keys("database", "table", "problem"), Description: "d"}.Register("test")
)

// TestSendTags: values go with their keys by position, each made safe as
// Tag makes it, with the same 200-character rule.
func TestSendTags(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("v", 300)
	var r rec
	testGauge.Send(&r, 1, "3", "EU West|1")
	testGauge.Send(&r, 1, "", long)
	testPlain.Send(&r, 1)
	testCount.Send(&r, 1, "a,b")
	testDist.Send(&r, nil, "x")
	testCheck.Send(&r, Critical, "down", "liveness")
	testEvent.Send(&r, Event{Title: "t", Tags: []string{"replaced:yes"}}, "db", "s.t", "fk")
	testEvent.Only("problem").Send(&r, Event{Title: "sum"}, "summary")
	testGauge.Series("1", "z").Send(&r, 0)
	want := []string{
		"g test.gauge " + Tag("node_id", "3") + "," + Tag("Zone Name", "EU West|1"),
		"g test.gauge node_id:," + Tag("Zone Name", long),
		"g test.plain ",
		"c test.count k:a_b",
		"d test.dist k:x",
		"s test.check critical down check:liveness",
		"e t database:db,table:s.t,problem:fk",
		"e sum problem:summary",
		"g test.gauge node_id:1,zone_name:z",
	}
	if !slices.Equal(r.lines, want) {
		t.Errorf("got\n%q\nwant\n%q", r.lines, want)
	}
	if got := Tag("Zone Name", long); len(got) != 200 {
		t.Errorf("Tag is %d characters, want 200", len(got))
	}
}

// TestSendWrongArity: a tag value count other than the keys' is a
// programming error that must not reach the wire as an uncatalogued tag set.
func TestSendWrongArity(t *testing.T) {
	t.Parallel()
	for name, send := range map[string]func(){
		"too few":  func() { testGauge.Send(&rec{}, 1, "3") },
		"too many": func() { testPlain.Send(&rec{}, 1, "x") },
		"series":   func() { testGauge.Series() },
		"event":    func() { testEvent.Send(&rec{}, Event{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if p := recover(); p == nil || !strings.Contains(p.(string), "tag values") {
					t.Errorf("panic = %v, want one naming the tag values", p)
				}
			}()
			send()
		})
	}
}

// TestCatalogIsTheDefinitions: registering is what puts an entry in the
// catalog, with the definition's fields and check.
func TestCatalogIsTheDefinitions(t *testing.T) {
	t.Parallel()
	m, ok := Lookup("test.gauge")
	if !ok {
		t.Fatal("test.gauge not in the catalog")
	}
	want := Metric{Name: "test.gauge", Kind: KindGauge, Unit: "node", Tags: []string{"node_id", "Zone Name"},
		Description: "d", Check: "test", PerNode: 2}
	if !slices.Equal(m.Tags, want.Tags) || m.Name != want.Name || m.Kind != want.Kind || m.Unit != want.Unit ||
		m.Check != want.Check || m.PerNode != want.PerNode || m.Description != want.Description {
		t.Errorf("Lookup = %+v, want %+v", m, want)
	}
	if got := testGauge.Metric(); got.Name != m.Name || !slices.Equal(got.Tags, m.Tags) {
		t.Errorf("Metric() = %+v, want %+v", got, m)
	}
	// The catalog hands out copies.
	Catalog()[0].Tags = nil
	cat := Catalog()
	if !slices.IsSortedFunc(cat, func(a, b Metric) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("catalog not sorted by name")
	}
	if _, ok := Lookup("test.undefined"); ok {
		t.Error("Lookup found a name nothing registered")
	}
	if d, err := (Gauge{Name: "test.user"}).Define("custom_queries"); err != nil || d.Name() != "test.user" {
		t.Fatalf("Define = %v, %v", d, err)
	}
	if _, ok := Lookup("test.user"); ok {
		t.Error("a user-defined gauge reached the catalog")
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	t.Parallel()
	for name, reg := range map[string]func(){
		"same name and kind": func() { Gauge{Name: "test.gauge"}.Register("other") },
		"no check":           func() { Gauge{Name: "test.nocheck"}.Register("") },
		"no name":            func() { Count{}.Register("test") },
		"event lacks key":    func() { testEvent.Only("node_id") },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			reg()
		})
	}
}

func TestDefine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		keys TagKeys
		err  error
	}{
		{"orders.count", nil, nil},
		{"Orders_2.total", Keys("status"), nil},
		{"", nil, ErrNoName},
		{"2xx", nil, ErrBadName},
		{"a b", nil, ErrBadName},
		{"a|b", nil, ErrBadName},
		{"é", nil, ErrBadName},
		{strings.Repeat("a", 201), nil, ErrLongName},
		{"ok", Keys("Status"), ErrBadTagKey},
		{"ok", Keys(""), ErrBadTagKey},
		{"ok", Keys("a:b"), ErrBadTagKey},
		{"ok", Keys("é"), ErrBadTagKey},
		{"ok", Keys(strings.Repeat("k", MaxTagKey)), nil},
		{"ok", Keys(strings.Repeat("k", MaxTagKey+1)), ErrBadTagKey}, // Tag would cut it
	} {
		_, err := Gauge{Name: tt.name, Tags: tt.keys}.Define("custom_queries")
		if !errors.Is(err, tt.err) {
			t.Errorf("Define(%.20q, %q) = %v, want %v", tt.name, tt.keys, err, tt.err)
		}
	}
}

// TestSendTags: only user-defined metrics take a tag set from the
// configuration; a registered one keeps its fixed keys.
func TestUserTags(t *testing.T) {
	t.Parallel()
	g, err := Gauge{Name: "orders"}.Define("custom_queries")
	if err != nil {
		t.Fatal(err)
	}
	base, err := ConfiguredTags([]string{"env:prod", "canary"})
	if err != nil {
		t.Fatal(err)
	}
	a := base.With("Status", "Paid|x")
	b := base.With("status", "open")
	var r rec
	g.SendTags(&r, 1, a)
	g.SendTags(&r, 1, b)
	want := []string{"g orders env:prod,canary,status:paid_x", "g orders env:prod,canary,status:open"}
	if !slices.Equal(r.lines, want) {
		t.Errorf("got %q, want %q", r.lines, want)
	}
	for _, bad := range [][]string{{""}, {"a,b"}, {"a|b"}, {"a\nb"}} {
		if _, err := ConfiguredTags(bad); err == nil {
			t.Errorf("ConfiguredTags(%q) accepted", bad)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("SendTags on a registered gauge did not panic")
		}
	}()
	testPlain.SendTags(&r, 1, base)
}
