package exporter

import (
	"bytes"
	"math/bits"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/dsdtest"
)

// TestDistributionWeightsReachTheAgent sends weighted values through the
// real client and reads them as the Agent does: every value's weight,
// 1/rate as a float and truncated, adds up to exactly what was sent, per
// value. The dry-run sink prints the same lines.
func TestDistributionWeightsReachTheAgent(t *testing.T) {
	s, d, srv, _, _ := newWireSink(t, 0)
	samples := []checks.Sample{{Value: 0.001, Weight: 1}, {Value: 0.002, Weight: 93}, {Value: 0.004, Weight: 1 << 20}, {Value: 0.5, Weight: 1000003}}
	tags := []string{"node_id:1", "host:evil|#x"}
	s.Distribution("sql.service_latency", samples, tags)
	d.Flush()
	var total uint64
	for _, x := range samples {
		total += x.Weight
	}
	got := map[float64]uint64{}
	gotFloat := map[float64]float64{}
	snap := srv.WaitFor(t, 10*time.Second, func(snap dsdtest.Snapshot) bool {
		var n uint64
		for _, m := range snap.FindMetrics("crdb.sql.service_latency") {
			n += uint64(1 / m.SampleRate)
		}
		return n >= total
	})
	for _, m := range snap.FindMetrics("crdb.sql.service_latency") {
		if m.Type != "d" {
			t.Errorf("type %q, want d", m.Type)
		}
		if !slices.Equal(m.Tags, []string{"service:roachdog", "cluster:prod", "env:prod", "node_id:1", "crdb_host:evil__x"}) {
			t.Errorf("tags %v", m.Tags)
		}
		got[m.Value] += uint64(1 / m.SampleRate) // the sketch's bins
		gotFloat[m.Value] += 1 / m.SampleRate    // its count and sum
	}
	for _, x := range samples {
		if got[x.Value] != x.Weight || gotFloat[x.Value] != float64(x.Weight) {
			t.Errorf("value %v: weight %d (float %v) at the Agent, want %d", x.Value, got[x.Value], gotFloat[x.Value], x.Weight)
		}
	}
	// Messages: one per power of two present in the weights.
	var union uint64
	for _, x := range samples {
		union |= x.Weight
	}
	if n, want := len(snap.Lines), bits.OnesCount64(union); n != want {
		t.Errorf("%d lines, want %d (distinct powers of two):\n%s", n, want, strings.Join(snap.Lines, "\n"))
	}

	var buf bytes.Buffer
	text := WithTags(NewTextFor(&buf, srv.Addr(), "crdb", []string{"service:roachdog"}), "cluster:prod", "env:prod")
	text.Distribution("sql.service_latency", samples, tags)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	slices.Sort(lines)
	wire := slices.Clone(snap.Lines)
	slices.Sort(wire)
	if !slices.Equal(lines, wire) {
		t.Errorf("dry run\n%s\nwire\n%s", strings.Join(lines, "\n"), strings.Join(wire, "\n"))
	}
}
