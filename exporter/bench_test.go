package exporter

import (
	"io"
	"strconv"
	"testing"

	"github.com/roachdog/roachdog/internal/dsdtest"
)

// BenchmarkDogStatsDGauge measures one gauge through WithTags and the real
// client over 100 series, the per-sample cost every check pays. The client
// does not aggregate: each call writes its line into the payload, and the
// datagrams the loop fills (one per about 50 calls) are written meanwhile.
// BenchmarkDogStatsDCycle measures a cycle as the vars check sends it.
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
