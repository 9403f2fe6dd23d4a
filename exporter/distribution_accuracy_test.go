package exporter

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// TestDistributionQuantilesMatchThePopulation feeds a known latency
// population through CockroachDB's real bucket layouts, the vars check,
// the real datadog-go client and a DogStatsD listener, inserts what
// arrives into a DDSketch with the Agent's rule (each value weighted
// int(1/rate)), and compares the merged sketch's quantiles with the
// population's own. The population (a mixture with a heavy tail) is split
// over 4 nodes and 3 intervals; one node gets few requests but most of the
// slow ones, as a node in a far region would. The same cycles send the
// per-node p99 gauges: their average, what a dashboard could show before,
// misses the cluster's p99 by far.
func TestDistributionQuantilesMatchThePopulation(t *testing.T) {
	for _, layout := range []struct {
		name   string
		bounds []float64 // nanoseconds, finite, sorted
		sparse bool      // v20.2 writes only the buckets holding observations
	}{
		{"v23.2", v23Bounds(t), false},
		{"v20.2", v20Bounds(t), true},
	} {
		t.Run(layout.name, func(t *testing.T) {
			testDistributionAccuracy(t, layout.bounds, layout.sparse)
		})
	}
}

const (
	accNodes     = 4
	accIntervals = 3
	accSamples   = 1_000_000
)

func testDistributionAccuracy(t *testing.T, bounds []float64, sparse bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	// cum[node] are the node's cumulative bucket counts (one more for +Inf)
	// and sum; baseline traffic before the first scrape is not in truth.
	type nodeHist struct {
		counts []uint64
		sum    float64
	}
	hist := make([]nodeHist, accNodes)
	for i := range hist {
		hist[i].counts = make([]uint64, len(bounds)+1)
	}
	observe := func(node int, sec float64) {
		ns := sec * 1e9
		i, _ := slices.BinarySearch(bounds, ns) // first bound >= ns
		hist[node].counts[i]++
		hist[node].sum += ns
	}
	draw := func() (float64, int) {
		u := rng.Float64()
		var x float64
		switch {
		case u < 0.89:
			x = 0.0015 * math.Exp(0.5*rng.NormFloat64())
		case u < 0.99:
			x = 0.012 * math.Exp(0.6*rng.NormFloat64())
		default: // Pareto tail from 40ms, alpha 1.5, capped under the v20.2 captures' top bound
			x = min(0.040*math.Pow(1-rng.Float64(), -1/1.5), 0.300)
		}
		// Node 3 gets 5% of the fast requests and 70% of the slow ones.
		slowShare := 0.05
		if x > 0.030 {
			slowShare = 0.7
		}
		if rng.Float64() < slowShare {
			return x, 3
		}
		return x, rng.IntN(accNodes - 1)
	}
	for range accSamples / 10 {
		x, n := draw()
		observe(n, x)
	}

	payloads := make([][]byte, accNodes)
	var mu sync.Mutex
	render := func() {
		mu.Lock()
		defer mu.Unlock()
		for n := range accNodes {
			payloads[n] = histogramPayload(n+1, bounds, hist[n].counts, hist[n].sum, sparse)
		}
	}
	render()
	var nodes []cluster.Node
	for n := range accNodes {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			w.Write(payloads[n])
		}))
		t.Cleanup(srv.Close)
		nodes = append(nodes, cluster.Node{StatusURL: srv.URL})
	}

	sink, d, dsd, _, _ := newWireSink(t, 0)
	now := time.Unix(1_800_000_000, 0)
	v, err := checks.NewVars(checks.VarsOptions{Now: func() time.Time { return now }, Histograms: checks.HistogramBoth, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tgt := &checks.Target{Cluster: "prod", Nodes: nodes, HTTP: &http.Client{}, Logger: slog.New(slog.DiscardHandler)}
	cycle := func() {
		t.Helper()
		if err := v.Run(context.Background(), tgt, sink); err != nil {
			t.Fatal(err)
		}
		if err := d.Flush(); err != nil {
			t.Fatal(err)
		}
		now = now.Add(10 * time.Second)
	}
	cycle() // baseline: nothing sent for the histogram

	var truth []float64
	datagrams := []int{}
	for range accIntervals {
		before := dsd.Datagrams()
		for range accSamples * 3 / 10 {
			x, n := draw()
			observe(n, x)
			truth = append(truth, x)
		}
		render()
		cycle()
		datagrams = append(datagrams, dsd.Datagrams()-before)
	}
	t.Logf("datagrams per cycle (4 nodes, every message): %v", datagrams)

	want := uint64(len(truth))
	snap := dsd.WaitFor(t, 20*time.Second, func(s dsdtest.Snapshot) bool {
		var n uint64
		for _, m := range s.FindMetrics("crdb.sql.service_latency") {
			n += uint64(1 / m.SampleRate)
		}
		return n >= want
	})
	sketch, err := ddsketch.NewDefaultDDSketch(0.01)
	if err != nil {
		t.Fatal(err)
	}
	var got uint64
	values := 0
	for _, m := range snap.FindMetrics("crdb.sql.service_latency") {
		if m.Type != "d" {
			t.Fatalf("type %q", m.Type)
		}
		n := uint64(1 / m.SampleRate) // the Agent's truncation
		got += n
		values++
		if err := sketch.AddWithCount(m.Value, float64(n)); err != nil {
			t.Fatal(err)
		}
	}
	if got != want {
		t.Fatalf("the sketch holds %d observations, the population %d", got, want)
	}
	lineBytes := 0
	for _, l := range snap.Lines {
		if strings.HasPrefix(l, "crdb.sql.service_latency:") {
			lineBytes += len(l) + 1
		}
	}
	t.Logf("%d weighted values stand for %d observations; per node and cycle: %d values, %d bytes of messages",
		values, got, values/(accNodes*accIntervals), lineBytes/(accNodes*accIntervals))

	slices.Sort(truth)
	trueAt := func(q float64) float64 { return truth[int(math.Ceil(q*float64(len(truth))))-1] }
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		tq := trueAt(q)
		est, err := sketch.GetValueAtQuantile(q)
		if err != nil {
			t.Fatal(err)
		}
		i, _ := slices.BinarySearch(bounds, tq*1e9)
		lo, hi := 0.0, bounds[min(i, len(bounds)-1)]
		if i > 0 {
			lo = bounds[i-1]
		}
		// The histogram knows no more than the bucket; the sketch adds
		// its own relative accuracy.
		tol := (hi-lo)*1e-9 + 0.01*hi*1e-9
		t.Logf("p%v: true %.6fs, sketch %.6fs, bucket (%.6f, %.6f], off by %.1f%% of the bucket", q*100, tq, est, lo*1e-9, hi*1e-9, 100*math.Abs(est-tq)/((hi-lo)*1e-9))
		if math.Abs(est-tq) > tol {
			t.Errorf("p%v: sketch %v, true %v: off by %v, more than the bucket's width (%v)", q*100, est, tq, math.Abs(est-tq), tol)
		}
	}

	// Averaging the per-node p99 gauges (avg:crdb.sql.service_latency.p99)
	// is not the cluster's p99.
	var sum float64
	var n int
	for _, m := range snap.FindMetrics("crdb.sql.service_latency.p99") {
		sum += m.Value
		n++
	}
	if n != accNodes*accIntervals {
		t.Fatalf("%d p99 gauges, want %d", n, accNodes*accIntervals)
	}
	avg, p99 := sum/float64(n), trueAt(0.99)
	t.Logf("average of per-node p99 gauges %.6fs, true cluster p99 %.6fs (%.0f%% off)", avg, p99, 100*(avg-p99)/p99)
	if math.Abs(avg-p99)/p99 < 0.5 {
		t.Errorf("the average of per-node p99s (%v) is within 50%% of the cluster's p99 (%v): the population is not skewed enough to show the point", avg, p99)
	}
}

// histogramPayload writes a node's sql_service_latency in the exposition
// format, dense as v23 writes it or sparse as v20.2 does.
func histogramPayload(node int, bounds []float64, counts []uint64, sum float64, sparse bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# TYPE sql_service_latency histogram\n")
	var cum uint64
	for i, ub := range bounds {
		cum += counts[i]
		if sparse && counts[i] == 0 {
			continue
		}
		fmt.Fprintf(&b, "sql_service_latency_bucket{node_id=\"%d\",le=\"%s\"} %d\n", node, strconv.FormatFloat(ub, 'g', -1, 64), cum)
	}
	cum += counts[len(bounds)]
	fmt.Fprintf(&b, "sql_service_latency_bucket{node_id=\"%d\",le=\"+Inf\"} %d\n", node, cum)
	fmt.Fprintf(&b, "sql_service_latency_sum{node_id=\"%d\"} %s\n", node, strconv.FormatFloat(sum, 'f', -1, 64))
	fmt.Fprintf(&b, "sql_service_latency_count{node_id=\"%d\"} %d\n", node, cum)
	return []byte(b.String())
}

// v23Bounds are sql_service_latency's bounds in a v23.2 capture.
func v23Bounds(t *testing.T) []float64 {
	return captureBounds(t, []string{filepath.Join(testenv.Fixtures(t), "cockroach-vars", "v23.2_sql_metrics.txt")}, "sql_service_latency_bucket{")
}

// v20Bounds are every latency histogram bound in the v20.2 captures: their
// HDR histograms share one bucket scheme and write only non-empty buckets,
// so the union is the part of the scheme that real traffic reached.
func v20Bounds(t *testing.T) []float64 {
	files, err := filepath.Glob(filepath.Join(testenv.Fixtures(t), "cockroach-v20.2", "healthy", "node*_status_vars*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("v20.2 captures: %v", err)
	}
	return captureBounds(t, files, "_latency_bucket{")
}

func captureBounds(t *testing.T, files []string, marker string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.Contains(line, marker) {
				continue
			}
			_, rest, ok := strings.Cut(line, `le="`)
			if !ok {
				continue
			}
			le, _, _ := strings.Cut(rest, `"`)
			x, err := strconv.ParseFloat(le, 64)
			if err != nil || math.IsInf(x, 0) {
				continue
			}
			out = append(out, x)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) < 20 {
		t.Fatalf("only %d bounds in %v", len(out), files)
	}
	return out
}
