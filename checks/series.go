package checks

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/roachdog/roachdog/emit"
)

// seriesMemory remembers the gauge series a check has sent (one series: a
// gauge name and a tag set), so that a series the check stops sending (the
// job finished, the zone's violations resolved, the table was dropped) gets
// a last datagram instead of hanging at its last value in Datadog, where a
// monitor on it would never recover.
//
// The rule, per run of the check:
//   - gauge sends a series (an emit.GaugeSeries: a definition and its tag
//     values) and remembers it with its value and the time;
//   - present marks a remembered series as still there although it is not
//     sent this run (it gets no 0); an unknown one stays unknown;
//   - sweep ends the run for the given names (every name when none): each
//     remembered series of those names that was neither sent nor present
//     since the previous sweep is sent once more, with 0 (or its last value
//     for the names given to keepLast), in the order of its tag set. How long
//     that goes on is the memory's zeroFor: seriesZeroOnce sends one 0 and
//     forgets the series; seriesZeroAlways sends 0 at every sweep for as long
//     as the check lives (for small, bounded key spaces); a positive duration
//     sends 0 at every sweep until that long after the series was last sent,
//     then forgets it (the sweep that forgets it sends nothing).
//
// A series sent again after it vanished is remembered afresh. At most limit
// series are remembered (0: no bound); beyond it new series are sent but
// get no 0 when they vanish. A seriesMemory belongs to one check instance:
// it is not safe for concurrent use.
type seriesMemory struct {
	zeroFor time.Duration
	limit   int
	last    map[*emit.GaugeDef]bool // sent with their last value when they vanish
	known   map[seriesID]*seriesEntry
	run     map[seriesID]bool // sent or present since the last sweep
}

const (
	seriesZeroOnce   time.Duration = 0
	seriesZeroAlways time.Duration = -1
)

// seriesID identifies a series: its tags joined with "," (a tag never holds
// a comma, see Tag) and its name.
type seriesID struct{ tags, name string }

type seriesEntry struct {
	series   emit.GaugeSeries
	value    float64
	lastSeen time.Time
}

func newSeriesMemory(zeroFor time.Duration, limit int) *seriesMemory {
	return &seriesMemory{zeroFor: zeroFor, limit: limit, known: map[seriesID]*seriesEntry{}, run: map[seriesID]bool{}}
}

// keepLast makes the vanished series of defs get their last value instead
// of 0 (a period that must not read 0: job_age / period would give no value).
func (m *seriesMemory) keepLast(defs ...*emit.GaugeDef) *seriesMemory {
	if m.last == nil {
		m.last = map[*emit.GaugeDef]bool{}
	}
	for _, d := range defs {
		m.last[d] = true
	}
	return m
}

func seriesKey(x emit.GaugeSeries) seriesID {
	return seriesID{tags: strings.Join(x.Tags(), ","), name: x.Name()}
}

// gauge sends a series and remembers it.
func (m *seriesMemory) gauge(s Sink, now time.Time, x emit.GaugeSeries, v float64) {
	x.Send(s, v)
	k := seriesKey(x)
	m.run[k] = true
	if e, ok := m.known[k]; ok {
		e.value, e.lastSeen = v, now
		return
	}
	if m.limit <= 0 || len(m.known) < m.limit {
		m.known[k] = &seriesEntry{series: x, value: v, lastSeen: now}
	}
}

// present marks a remembered series as still there without sending it.
func (m *seriesMemory) present(x emit.GaugeSeries) {
	if k := seriesKey(x); m.known[k] != nil {
		m.run[k] = true
	}
}

// begin starts a run: no series counts as sent or present yet. A run also
// starts at every sweep; only a check that sweeps before it sends needs it.
func (m *seriesMemory) begin() { clear(m.run) }

// sweep sends the last datagram of the vanished series of defs (all when
// none is given) and ends their run; see seriesMemory.
func (m *seriesMemory) sweep(s Sink, now time.Time, defs ...*emit.GaugeDef) {
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.Name()
	}
	var gone []seriesID
	for k := range m.known {
		if (len(names) == 0 || slices.Contains(names, k.name)) && !m.run[k] {
			gone = append(gone, k)
		}
	}
	for k := range m.run {
		if len(names) == 0 || slices.Contains(names, k.name) {
			delete(m.run, k)
		}
	}
	sort.Slice(gone, func(a, b int) bool {
		if gone[a].tags != gone[b].tags {
			return gone[a].tags < gone[b].tags
		}
		return gone[a].name < gone[b].name
	})
	for _, k := range gone {
		e := m.known[k]
		if m.zeroFor > 0 && now.Sub(e.lastSeen) >= m.zeroFor {
			delete(m.known, k)
			continue
		}
		v := 0.0
		if m.last[e.series.Def()] {
			v = e.value
		}
		e.series.Send(s, v)
		if m.zeroFor == seriesZeroOnce {
			delete(m.known, k)
		}
	}
}
