package checks_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
)

// TestVarsConcurrencyLimit: no more scrapes are in flight than
// MaxConcurrent, and every node is still scraped in the cycle.
func TestVarsConcurrencyLimit(t *testing.T) {
	t.Parallel()
	payload := v20Payload(t, 1, "t0")
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	var nodes []cluster.Node
	for range 6 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/_status/vars" {
				http.NotFound(w, r)
				return
			}
			mu.Lock()
			inFlight++
			maxInFlight = max(maxInFlight, inFlight)
			mu.Unlock()
			defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
			w.Write(payload)
		}))
		t.Cleanup(srv.Close)
		nodes = append(nodes, cluster.Node{StatusURL: srv.URL})
	}
	for _, limit := range []int{1, 2} {
		maxInFlight = 0
		r := newVarsRun(t, checks.VarsOptions{MaxConcurrent: limit})
		rec := r.cycle(nodes...)
		if got := len(rec.Find("node.up")); got != len(nodes) {
			t.Fatalf("limit %d: node.up for %d nodes, want %d", limit, got, len(nodes))
		}
		for _, p := range rec.Find("node.up") {
			if p.Value != 1 {
				t.Errorf("limit %d: %s = %v, want 1", limit, p.Key(), p.Value)
			}
		}
		if maxInFlight > limit {
			t.Errorf("limit %d: %d scrapes in flight at once", limit, maxInFlight)
		}
	}
}

// TestVarsNoQuantiles: an empty quantile list (config `quantiles: []`) sends
// max, avg and count of histograms but no percentiles.
func TestVarsNoQuantiles(t *testing.T) {
	t.Parallel()
	f0 := newVarsFake(t, v20Payload(t, 1, "t0"))
	r := newVarsRun(t, checks.VarsOptions{Quantiles: []float64{}})
	r.cycle(f0.node())
	f0.set(v20Payload(t, 1, "t1"))
	rec := r.cycle(f0.node())
	if len(rec.Find("sql.service_latency.p99")) != 0 {
		t.Errorf("p99 sent with no quantiles configured")
	}
	if len(rec.Find("sql.service_latency.count")) == 0 || len(rec.Find("sql.service_latency.max")) == 0 {
		t.Errorf("count/max missing:\n%s", rec.String())
	}
}
