package checks

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/roachdog/roachdog/cluster"
)

// TestVarsScratchInOrder: families in name order whatever the set, the
// previous order reused (no allocation) when the names are the same.
func TestVarsScratchInOrder(t *testing.T) {
	t.Parallel()
	set := func(names ...string) map[string]*dto.MetricFamily {
		m := map[string]*dto.MetricFamily{}
		for _, n := range names {
			m[n] = &dto.MetricFamily{Name: &n}
		}
		return m
	}
	check := func(sc *varsScratch, fams map[string]*dto.MetricFamily) {
		t.Helper()
		got := sc.inOrder(fams)
		var names []string
		for _, f := range got {
			if fams[f.name] != f.mf {
				t.Errorf("%s: family %p, want %p", f.name, f.mf, fams[f.name])
			}
			names = append(names, f.name)
		}
		want := make([]string, 0, len(fams))
		for n := range fams {
			want = append(want, n)
		}
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("order %q, want %q", names, want)
		}
	}
	sc := new(varsScratch)
	for _, fams := range []map[string]*dto.MetricFamily{
		set("b", "a", "c"),
		set("b", "a", "c"), // the same names, other families
		set("b", "a", "d"), // same size, one name other
		set("b", "a"),
		set("b", "a", "d", "e"),
		set(),
		set("z"),
	} {
		check(sc, fams)
		check(sc, fams)
	}

	// The names kept are copies: a parse's buffer may be reused.
	buf := []byte("sys_uptime")
	fams := map[string]*dto.MetricFamily{string(buf[:3]): {}}
	sc.inOrder(fams)
	copy(buf, "xyz")
	if sc.order[0] != "sys" {
		t.Errorf("order holds %q, want a copy of sys", sc.order[0])
	}
}

// TestVarsScratchInOrderAllocs: the same names again cost no allocation
// (not parallel: AllocsPerRun).
func TestVarsScratchInOrderAllocs(t *testing.T) {
	if RaceEnabled {
		return
	}
	sc := new(varsScratch)
	var names []string
	for i := range 300 {
		names = append(names, fmt.Sprintf("family_%03d", 300-i))
	}
	fams := map[string]*dto.MetricFamily{}
	for _, n := range names {
		fams[n] = &dto.MetricFamily{}
	}
	sc.inOrder(fams)
	if a := testing.AllocsPerRun(100, func() { sc.inOrder(fams) }); a != 0 {
		t.Errorf("%v allocations for the same names, want none", a)
	}
}

// TestVarsScratchCapacity: a store's sums are found again, past the
// stores that are scanned (a map then), in the order first seen.
func TestVarsScratchCapacity(t *testing.T) {
	t.Parallel()
	for _, stores := range []int{1, varsStoresScan, varsStoresScan + 1, 200} {
		sc := new(varsScratch)
		for round := range 3 {
			for i := range stores {
				sc.store(fmt.Sprint(i)).sums[round%2].add(float64(i))
			}
		}
		if len(sc.stores) != stores {
			t.Fatalf("%d stores: %d sums", stores, len(sc.stores))
		}
		for i, c := range sc.stores {
			if c.store != fmt.Sprint(i) || c.sums[0].v != float64(2*i) || c.sums[1].v != float64(i) {
				t.Errorf("%d stores: %d is %+v", stores, i, c)
			}
		}
		sc.put()
	}
}

// TestVarsNewTags: tag sets carved from one block never overlap, even
// when one is filled to its capacity.
func TestVarsNewTags(t *testing.T) {
	t.Parallel()
	w := varsWork{}
	var sets [][]string
	for i := range 3 * varsTagBlock {
		n := 1 + i%7
		s := w.newTags(n)
		if len(s) != 0 || cap(s) != n {
			t.Fatalf("newTags(%d): len %d cap %d", n, len(s), cap(s))
		}
		for j := range n {
			s = append(s, fmt.Sprint(i, ".", j))
		}
		sets = append(sets, s)
	}
	for i, s := range sets {
		for j, tag := range s {
			if tag != fmt.Sprint(i, ".", j) {
				t.Fatalf("set %d: %q", i, s)
			}
		}
	}
	if s := w.newTags(varsTagBlock + 1); cap(s) != varsTagBlock+1 {
		t.Errorf("newTags over a block: cap %d", cap(s))
	}
}

// TestVarsTagsPerStore: the tag sets of the scrape, shared per store,
// each with the base tags first.
func TestVarsTagsPerStore(t *testing.T) {
	t.Parallel()
	sc := new(varsScratch)
	defer sc.put()
	w := varsWork{r: &varsResult{base: []string{"node_id:1"}}, sc: sc}
	a, b := w.tags("1", ""), w.tags("2", "")
	if !slices.Equal(a, []string{"node_id:1", "store:1"}) || !slices.Equal(b, []string{"node_id:1", "store:2"}) {
		t.Fatalf("%q, %q", a, b)
	}
	if again := w.tags("1", ""); &again[0] != &a[0] {
		t.Error("store 1's tags built twice")
	}
	if c := w.tags("1", "kind:x"); !slices.Equal(c, []string{"node_id:1", "store:1", "kind:x"}) || cap(c) != 3 {
		t.Errorf("%q cap %d", c, cap(c))
	}
	if c := w.tags("", "kind:x"); !slices.Equal(c, []string{"node_id:1", "kind:x"}) || cap(c) != 2 {
		t.Errorf("%q cap %d", c, cap(c))
	}
	if c := w.tags("", ""); &c[0] != &w.r.base[0] {
		t.Error("no store nor tag: not the base tags")
	}
}

// TestVarsBaseTagsReused: the same base tags while the node id and
// locality stay, new ones when either changes.
func TestVarsBaseTagsReused(t *testing.T) {
	t.Parallel()
	v := &Vars{}
	st := newVarsNodeState("http://n1:8080")
	n := cluster.Node{Locality: []cluster.Tier{{Key: "region", Value: "r1"}}}
	st.id = 3
	first := v.baseTags(n, st)
	if want := []string{"node_id:3", "region:r1"}; !slices.Equal(first, want) {
		t.Fatalf("%q, want %q", first, want)
	}
	// Another slice with the same tiers (as discovery gives each cycle).
	n2 := cluster.Node{Locality: []cluster.Tier{{Key: "region", Value: "r1"}}}
	if again := v.baseTags(n2, st); &again[0] != &first[0] {
		t.Error("same id and locality: base tags built again")
	}
	n2.Locality[0].Value = "r2"
	if got := v.baseTags(n2, st); !slices.Equal(got, []string{"node_id:3", "region:r2"}) {
		t.Errorf("locality changed: %q", got)
	}
	st.id = 4
	if got := v.baseTags(n2, st); !slices.Equal(got, []string{"node_id:4", "region:r2"}) {
		t.Errorf("id changed: %q", got)
	}
	// The node's own locality, read when discovery has none, in place.
	st.locality = append(st.locality, cluster.Tier{Key: "zone", Value: "a"})
	if got := v.baseTags(cluster.Node{}, st); !slices.Equal(got, []string{"node_id:4", "zone:a"}) {
		t.Errorf("node locality: %q", got)
	}
	st.locality[0].Value = "b"
	if got := v.baseTags(cluster.Node{}, st); !slices.Equal(got, []string{"node_id:4", "zone:b"}) {
		t.Errorf("node locality changed in place: %q", got)
	}
	if got := strings.Join(v.baseTags(cluster.Node{}, newVarsNodeState("x")), ","); got != "" {
		t.Errorf("no id nor locality: %q", got)
	}
}

// BenchmarkVarsConvert is the conversion alone of the load payload's
// parsed families (see BenchmarkVarsScrapeNode): "static" converts the
// same parse every cycle, "advancing" alternates the two captures.
func BenchmarkVarsConvert(b *testing.B) {
	for _, tc := range varsBenchCases(b) {
		b.Run(tc.name, func(b *testing.B) {
			v, client := varsBenchCheck(b, tc.payloads)
			ctx := context.Background()
			var parsed []varsPayload
			for range tc.payloads {
				p, err := v.fetchVars(ctx, client, "http://bench/_status/vars", false)
				if err != nil {
					b.Fatal(err)
				}
				defer p.release()
				parsed = append(parsed, p)
			}
			v.publishRules()
			clock := time.Date(2026, 11, 22, 2, 45, 20, 0, time.UTC)
			st := newVarsNodeState("http://bench")
			log := slog.New(slog.DiscardHandler)
			node := cluster.Node{StatusURL: st.url, Locality: []cluster.Tier{{Key: "region", Value: "r1"}}}
			i := 0
			convert := func() *varsResult {
				clock = clock.Add(10 * time.Second)
				r := &varsResult{node: node, st: st, quota: varsDefaultMaxSeriesPerCycle}
				p := parsed[i%len(parsed)]
				i++
				v.convert(ctx, client, log, r, p.fams, p.id, clock, st.url, "/_status/nodes/local")
				st.points = r.points[:0]
				return r
			}
			convert()
			if r := convert(); len(r.points) < 50 {
				b.Fatalf("%d points", len(r.points))
			}
			b.ReportAllocs()
			for b.Loop() {
				convert()
			}
		})
	}
}
