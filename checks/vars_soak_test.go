package checks_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/promtext"
)

// soakMode is what a soak node does in a cycle.
type soakMode int32

const (
	soakUp    soakMode = iota // answers with the payload
	soakDown                  // listener closed: connection refused
	soakHang                  // answers after the scrape timeout
	soakError                 // 500
	soakReset                 // closes the connection without answering
)

// soakNode is a node that can go down (its port refusing connections) and
// come back on the same address, unlike an httptest server.
type soakNode struct {
	t       testing.TB
	addr    string
	payload []byte
	mode    atomic.Int32
	mu      sync.Mutex
	srv     *http.Server
	hang    time.Duration
}

func newSoakNode(t testing.TB, payload []byte, hang time.Duration) *soakNode {
	n := &soakNode{t: t, payload: payload, hang: hang}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.addr = ln.Addr().String()
	n.serve(ln)
	t.Cleanup(func() { n.setMode(soakDown) })
	return n
}

func (n *soakNode) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(n.handle), ReadHeaderTimeout: time.Second}
	n.srv = srv
	go srv.Serve(ln)
}

func (n *soakNode) handle(w http.ResponseWriter, r *http.Request) {
	switch soakMode(n.mode.Load()) {
	case soakHang:
		select {
		case <-time.After(n.hang):
		case <-r.Context().Done():
			return
		}
	case soakError:
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case soakReset:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return
	}
	if r.URL.Path != "/_status/vars" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write(n.payload)
}

// setMode switches the node; soakDown closes its listener and connections,
// leaving it closes and listens again on the same address.
func (n *soakNode) setMode(m soakMode) {
	n.mu.Lock()
	defer n.mu.Unlock()
	was := soakMode(n.mode.Swap(int32(m)))
	switch {
	case m == soakDown && was != soakDown:
		n.srv.Close()
	case m != soakDown && was == soakDown:
		ln, err := net.Listen("tcp", n.addr)
		for i := 0; err != nil && i < 50; i++ { // the port is ours: retry briefly
			time.Sleep(10 * time.Millisecond)
			ln, err = net.Listen("tcp", n.addr)
		}
		if err != nil {
			n.t.Errorf("listen again on %s: %v", n.addr, err)
			return
		}
		n.serve(ln)
	}
}

// TestVarsSoakNoGrowth runs 1,000 vars cycles against nodes that refuse
// connections, hang past the timeout, fail, reset and come back, and checks
// that neither goroutines nor the heap grow: a leak of one goroutine or a
// few kilobytes per failing scrape would show over the cycles.
func TestVarsSoakNoGrowth(t *testing.T) {
	if checks.RaceEnabled {
		t.Skip("measures memory and volume: run without -race (make unit does)")
	}
	if testing.Short() {
		t.Skip("soak test")
	}
	// A small real payload: a few families of the v20.2 capture, a
	// histogram among them.
	keep := map[string]bool{"node_id": true, "sys_uptime": true, "liveness_livenodes": true,
		"capacity": true, "capacity_available": true, "sql_service_latency": true, "sys_cpu_user_percent": true}
	payload, _, err := promtext.SelectReader(bytes.NewReader(v20Payload(t, 1, "t0")), func(n string) bool { return keep[n] }, promtext.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 25 * time.Millisecond
	clock := newTestClock(v20T0)
	v, err := checks.NewVars(checks.VarsOptions{Now: clock.Now, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []*soakNode
	var targets []cluster.Node
	for range 5 {
		n := newSoakNode(t, payload, 4*timeout)
		nodes = append(nodes, n)
		targets = append(targets, cluster.Node{StatusURL: "http://" + n.addr})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	defer client.CloseIdleConnections()
	tgt := &checks.Target{Nodes: targets, HTTP: client}
	ctx := context.Background()

	// Node j fails in turn in its own way for a stretch of cycles, then
	// recovers; node 0 always answers. Every 50th cycle is all up.
	schedule := func(cycle, j int) soakMode {
		if j == 0 || cycle%50 == 0 {
			return soakUp
		}
		phase := (cycle / 10) % 8
		switch {
		case phase == j:
			return soakDown
		case phase == j+1 && cycle%5 == 0: // hangs are slow: a few
			return soakHang
		case phase == (j+3)%8:
			return soakError
		case phase == (j+5)%8:
			return soakReset
		}
		return soakUp
	}
	cycle := func(i int) {
		for j, n := range nodes {
			n.setMode(schedule(i, j))
		}
		clock.Add(10 * time.Second)
		err := v.Run(ctx, tgt, varsNopSink{})
		if schedule(i, 1) == soakUp && schedule(i, 2) == soakUp && schedule(i, 3) == soakUp && schedule(i, 4) == soakUp && err != nil {
			t.Fatalf("cycle %d, every node up: %v", i, err)
		}
	}

	const warm, total = 100, 1000
	for i := range warm {
		cycle(i)
	}
	cycle(warm * 5) // all up, like the last
	g0, h0 := settle(0, 0)
	start := time.Now()
	for i := warm; i < total; i++ {
		cycle(i)
	}
	cycle(total * 5) // end all up
	g1, h1 := settle(g0+3, h0+2<<20)
	t.Logf("%d cycles in %s; goroutines %d -> %d, HeapInuse %.1f -> %.1f MB",
		total-warm, time.Since(start).Round(time.Millisecond), g0, g1, float64(h0)/(1<<20), float64(h1)/(1<<20))
	if g1 > g0+3 {
		t.Errorf("goroutines grew from %d to %d over %d cycles", g0, g1, total-warm)
	}
	if h1 > h0+2<<20 {
		t.Errorf("HeapInuse grew from %d to %d bytes over %d cycles", h0, h1, total-warm)
	}
}

// settle collects garbage until goroutines and HeapInuse are within the
// given bounds (0: just measure) or a second has passed, and returns them:
// connections closed by a failing node take a moment to wind down.
func settle(maxG int, maxHeap uint64) (int, uint64) {
	deadline := time.Now().Add(time.Second)
	for {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		g := runtime.NumGoroutine()
		if (maxG == 0 || (g <= maxG && ms.HeapInuse <= maxHeap)) || time.Now().After(deadline) {
			if maxG == 0 {
				time.Sleep(100 * time.Millisecond) // let the first measure settle too
				runtime.GC()
				runtime.ReadMemStats(&ms)
				g = runtime.NumGoroutine()
			}
			return g, ms.HeapInuse
		}
		time.Sleep(20 * time.Millisecond)
	}
}
