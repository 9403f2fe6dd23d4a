package exporter

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/dsdtest"
)

// TestAgentAbsentThenBack: the Agent goes away (UDP: nothing listens on
// its port; UDS: the socket is closed and its file removed) while roachdog
// keeps sending, then comes back on the same address. Sending never
// blocks, memory does not grow with what could not be sent, the failures
// are counted in roachdog_send_errors_total, and datagrams reach the new
// Agent without a restart.
func TestAgentAbsentThenBack(t *testing.T) {
	clearDDEnv(t)
	for _, tc := range []struct {
		network string
		addr    func(t *testing.T) (listen, client string)
		gone    func(t *testing.T, listen string)
	}{
		{"udp", func(t *testing.T) (string, string) {
			a := dsdtest.Listen(t) // a free port, then let go of it
			addr := a.Addr()
			a.Close()
			return addr, addr
		}, func(*testing.T, string) {}},
		{"unixgram", func(t *testing.T) (string, string) {
			path := filepath.Join(t.TempDir(), "dsd.socket")
			return path, "unix://" + path
		}, func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.network, func(t *testing.T) {
			listen, clientAddr := tc.addr(t)
			agent := dsdtest.ListenOn(t, tc.network, listen)
			m := NewSelfMetrics("test", "abc")
			d, err := NewDogStatsD(t.Context(), clientAddr, "crdb", nil, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			sendUntil := func(what string, cond func() bool) {
				t.Helper()
				deadline := time.Now().Add(20 * time.Second)
				for !cond() {
					if time.Now().After(deadline) {
						t.Fatalf("not within 20s: %s", what)
					}
					d.ServiceCheck("node.can_scrape", checks.OK, "", []string{"node_id:1"})
					d.Gauge("node.up", 1, []string{"node_id:1"})
					_ = d.Flush()
					time.Sleep(20 * time.Millisecond) // pace the writes; bounded by the deadline
				}
			}
			sendUntil("first datagrams received", func() bool { return len(agent.ServiceChecks()) > 0 })

			agent.Close()
			tc.gone(t, listen)
			sendUntil("send errors counted while the Agent is away", func() bool { return testutil.ToFloat64(m.sendErrors) > 0 })

			// A cycle's worth of reports many times over while away: never
			// blocks (hang detector), and what could not be sent is not
			// kept.
			heapBefore := heapInUse()
			runBounded(t, 60*time.Second, "sending while the Agent is away", func() {
				msg := strings.Repeat("x", 1000)
				for i := range 50_000 {
					d.ServiceCheck("node.can_scrape", checks.Critical, msg, []string{"node_id:1"})
					d.Gauge("node.up", float64(i%2), []string{"node_id:1"})
					if i%1000 == 0 {
						_ = d.Flush()
					}
				}
				_ = d.Flush()
			})
			// 50,000 service checks of 1 kB are 50 MB: kept, they would
			// show; the client's bounded buffers are a few MB.
			grew := int64(heapInUse()) - int64(heapBefore)
			if grew > 16<<20 {
				t.Errorf("heap grew by %d MiB while the Agent was away", grew>>20)
			}
			t.Logf("heap in use changed by %d KiB over 100,000 reports while the Agent was away; send errors %v",
				grew>>10, testutil.ToFloat64(m.sendErrors))

			back := dsdtest.ListenOn(t, tc.network, listen)
			sendUntil("datagrams received by the Agent that came back", func() bool { return len(back.ServiceChecks()) > 0 })
			if sc := back.ServiceChecks()[0]; sc.Name != "crdb.node.can_scrape" {
				t.Errorf("first service check after the Agent came back: %+v", sc)
			}
		})
	}
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
