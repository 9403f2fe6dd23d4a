package exporter

import (
	"io"
	"strconv"
	"testing"

	"github.com/roachdog/roachdog/internal/dsdtest"
)

// BenchmarkDogStatsDGauge measures one gauge through WithTags and the real
// client (client-side aggregation on, as in production) over 100 series,
// the per-sample cost every check pays.
func BenchmarkDogStatsDGauge(b *testing.B) {
	srv := dsdtest.Listen(b)
	d, err := NewDogStatsD(b.Context(), srv.Addr(), "crdb", []string{"env:bench"}, NewSelfMetrics("b", "b"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	s := WithTags(d, "cluster:bench")
	tags := make([][]string, 100)
	for i := range tags {
		tags[i] = []string{"node_id:" + strconv.Itoa(i), "store:1"}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Gauge("capacity.used", float64(i), tags[i%len(tags)])
	}
}

// BenchmarkTextGauge measures the dry-run sink's formatting.
func BenchmarkTextGauge(b *testing.B) {
	s := NewText(io.Discard, "crdb", []string{"cluster:bench"})
	tags := []string{"node_id:1", "store:1"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Gauge("capacity.used", float64(i)+0.5, tags)
	}
}
