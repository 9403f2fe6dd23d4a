package checks

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/emit"
)

// seriesTestDefs are the gauges "m" and "n", tagged k (not in the catalog).
var seriesTestDefs = func() map[string]*emit.GaugeDef {
	out := map[string]*emit.GaugeDef{}
	for _, n := range []string{"m", "n"} {
		d, err := emit.Gauge{Name: n, Tags: emit.Keys("k")}.Define("test")
		if err != nil {
			panic(err)
		}
		out[n] = d
	}
	return out
}()

// seriesOf is the series of gauge name for a "k:<value>" tag.
func seriesOf(name, tag string) emit.GaugeSeries {
	return seriesTestDefs[name].Series(strings.TrimPrefix(tag, "k:"))
}

func seriesDefs(names ...string) []*emit.GaugeDef {
	out := make([]*emit.GaugeDef, len(names))
	for i, n := range names {
		out[i] = seriesTestDefs[n]
	}
	return out
}

// gaugeLog records gauges as "name v tags" lines.
type gaugeLog struct{ lines []string }

func (g *gaugeLog) Gauge(name string, v float64, tags []string) {
	g.lines = append(g.lines, fmt.Sprintf("%s %g %s", name, v, strings.Join(tags, ",")))
}
func (g *gaugeLog) Count(string, int64, []string)                 {}
func (g *gaugeLog) ServiceCheck(string, Status, string, []string) {}
func (g *gaugeLog) Event(Event)                                   {}
func (g *gaugeLog) Distribution(string, []Sample, []string)       {}

// take returns the lines recorded since the last take.
func (g *gaugeLog) take() []string {
	out := g.lines
	g.lines = nil
	return out
}

func TestSeriesMemory(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_800_000_000, 0)
	a, c := []string{"k:a"}, []string{"k:c"}
	type step struct {
		at      time.Duration // since t0
		send    map[string][]string
		present [][]string // tag sets present under "m" without being sent
		want    []string   // datagrams of the run, in order
	}
	// Each run sends "m" (value 1) for the tag sets of send["m"] and "n"
	// (value 2) for those of send["n"], then sweeps every name.
	for _, tc := range []struct {
		name    string
		zeroFor time.Duration
		limit   int
		last    []string
		steps   []step
	}{
		{"once", seriesZeroOnce, 0, nil, []step{
			{0, map[string][]string{"m": {"k:b", "k:a"}}, nil, []string{"m 1 k:b", "m 1 k:a"}},
			{time.Minute, map[string][]string{"m": {"k:a"}}, nil, []string{"m 1 k:a", "m 0 k:b"}},
			{2 * time.Minute, nil, nil, []string{"m 0 k:a"}},
			{3 * time.Minute, nil, nil, nil},
			// Back after it vanished: remembered afresh.
			{4 * time.Minute, map[string][]string{"m": {"k:b"}}, nil, []string{"m 1 k:b"}},
			{5 * time.Minute, nil, nil, []string{"m 0 k:b"}},
		}},
		{"present keeps a series without a 0", seriesZeroOnce, 0, nil, []step{
			{0, map[string][]string{"m": {"k:a"}}, nil, []string{"m 1 k:a"}},
			{time.Minute, nil, [][]string{a, c}, nil}, // c was never sent: stays unknown
			{2 * time.Minute, nil, nil, []string{"m 0 k:a"}},
		}},
		{"always", seriesZeroAlways, 0, nil, []step{
			{0, map[string][]string{"m": {"k:a"}}, nil, []string{"m 1 k:a"}},
			{time.Minute, nil, nil, []string{"m 0 k:a"}},
			{1000 * time.Hour, nil, nil, []string{"m 0 k:a"}},
		}},
		{"for a while", time.Hour, 0, nil, []step{
			{0, map[string][]string{"m": {"k:a", "k:b"}}, nil, []string{"m 1 k:a", "m 1 k:b"}},
			{30 * time.Minute, map[string][]string{"m": {"k:b"}}, nil, []string{"m 1 k:b", "m 0 k:a"}},
			{59 * time.Minute, nil, nil, []string{"m 0 k:a", "m 0 k:b"}},
			{60 * time.Minute, nil, nil, []string{"m 0 k:b"}}, // a forgotten, silently
			{90 * time.Minute, nil, nil, nil},
		}},
		{"limit", seriesZeroOnce, 1, nil, []step{
			{0, map[string][]string{"m": {"k:a", "k:b"}}, nil, []string{"m 1 k:a", "m 1 k:b"}},
			{time.Minute, nil, nil, []string{"m 0 k:a"}},
		}},
		{"last value, sorted by tag set then name", seriesZeroOnce, 0, []string{"n"}, []step{
			{0, map[string][]string{"m": {"k:b", "k:a"}, "n": {"k:a"}}, nil, []string{"m 1 k:b", "m 1 k:a", "n 2 k:a"}},
			{time.Minute, nil, nil, []string{"m 0 k:a", "n 2 k:a", "m 0 k:b"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := newSeriesMemory(tc.zeroFor, tc.limit).keepLast(seriesDefs(tc.last...)...)
			var g gaugeLog
			for i, st := range tc.steps {
				now := t0.Add(st.at)
				for _, name := range []string{"m", "n"} {
					for _, tag := range st.send[name] {
						v := 1.0
						if name == "n" {
							v = 2
						}
						m.gauge(&g, now, seriesOf(name, tag), v)
					}
				}
				for _, tags := range st.present {
					m.present(seriesOf("m", tags[0]))
				}
				m.sweep(&g, now)
				if got := g.take(); !slices.Equal(got, st.want) {
					t.Errorf("run %d: got %q, want %q", i, got, st.want)
				}
			}
		})
	}
}

// TestSeriesMemorySweepByName: a sweep ends the run of its names only, so a
// check can send and sweep one gauge after the other.
func TestSeriesMemorySweepByName(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	m := newSeriesMemory(seriesZeroOnce, 0)
	var g gaugeLog
	m.gauge(&g, now, seriesOf("m", "k:a"), 1)
	m.gauge(&g, now, seriesOf("n", "k:a"), 1)
	m.sweep(&g, now, seriesTestDefs["m"])
	m.sweep(&g, now, seriesTestDefs["n"])
	g.take()
	// Next run: n is sent before m is swept; m's sweep must not touch n.
	m.gauge(&g, now, seriesOf("n", "k:a"), 1)
	m.sweep(&g, now, seriesTestDefs["m"])
	m.sweep(&g, now, seriesTestDefs["n"])
	if got, want := g.take(), []string{"n 1 k:a", "m 0 k:a"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// begin forgets what was sent since the last sweep: a check that
	// sweeps before sending marks presence itself.
	m.gauge(&g, now, seriesOf("n", "k:a"), 1)
	m.begin()
	m.sweep(&g, now)
	if got, want := g.take(), []string{"n 1 k:a", "n 0 k:a"}; !slices.Equal(got, want) {
		t.Errorf("after begin: got %q, want %q", got, want)
	}
}
