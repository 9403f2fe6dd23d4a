package exporter

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/wire"
)

// cycleReport is one submission of a vars cycle.
type cycleReport struct {
	kind    string // kindGauge, kindCount or kindDistribution
	name    string
	value   float64
	count   int64
	samples []emit.Sample
	tags    []string
}

// Per node in cycleReports: gauges and counts (each a distinct context, as
// the vars check sends them) and distributions of a histogram's windowed
// buckets.
const (
	cycleGauges        = 200
	cycleCounts        = 50
	cycleDistributions = 10
)

// cycleReports is one vars cycle's worth of reports for nodes nodes, as the
// check sends them: per node the curated gauges and counts with 4 to 6 tags
// (instance, node, store, locality tiers, sometimes a label) and a few
// distributions; values are integers, ratios and zeros. The same seed gives
// the same reports. That is about 55 kB per node on the wire: more than a
// v23 node under load makes roachdog send (about 35 kB), ten times what the
// load harness's unchanging payload does (5.2 kB: no count or distribution
// moves).
func cycleReports(nodes int, seed uint64) []cycleReport {
	r := rand.New(rand.NewPCG(seed, 1))
	value := func() float64 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return float64(r.Int64N(1 << 40)) // bytes, counts
		case 2:
			return r.Float64() // a ratio
		default:
			return float64(r.IntN(10_000)) + float64(r.IntN(1000))/1000 // a rate
		}
	}
	labels := []string{"kind:latch", "kind:raft", "statement_type:select", "reason:writetooold", "queue:kv"}
	var out []cycleReport
	for n := 1; n <= nodes; n++ {
		id := strconv.Itoa(n)
		base := []string{"instance:10.0." + strconv.Itoa(n/250) + "." + strconv.Itoa(n%250) + ":8080", "node_id:" + id,
			"region:us-east1", "zone:us-east1-" + string(rune('a'+n%3))}
		tags := func(i int) []string {
			t := append([]string(nil), base...)
			switch i % 4 {
			case 0:
				t = append(t, "store:"+id)
			case 1:
				t = append(t, "store:"+id, labels[i%len(labels)])
			}
			return t
		}
		for i := range cycleGauges {
			out = append(out, cycleReport{kind: kindGauge, name: fmt.Sprintf("storage.family_%03d.value", i), value: value(), tags: tags(i)})
		}
		for i := range cycleCounts {
			out = append(out, cycleReport{kind: kindCount, name: fmt.Sprintf("sql.family_%03d.count", i), count: r.Int64N(100_000), tags: tags(i)})
		}
		for i := range cycleDistributions {
			samples := make([]emit.Sample, 12+r.IntN(20))
			for j := range samples {
				samples[j] = emit.Sample{Value: float64(j+1) * 0.000004, Weight: uint64(1 + r.IntN(200))}
			}
			out = append(out, cycleReport{kind: kindDistribution, name: fmt.Sprintf("sql.latency_%02d", i), samples: samples, tags: tags(i)})
		}
	}
	return out
}

func sendCycle(s emit.Sink, reports []cycleReport) {
	for i := range reports {
		r := &reports[i]
		switch r.kind {
		case kindGauge:
			s.Gauge(r.name, r.value, r.tags)
		case kindCount:
			s.Count(r.name, r.count, r.tags)
		default:
			s.Distribution(r.name, r.samples, r.tags)
		}
	}
}

// cycleListener is a DogStatsD listener that counts what it reads and, when
// asked, keeps the lines (a benchmark measures the sender, not a parser).
type cycleListener struct {
	conn             net.PacketConn
	datagrams, bytes atomic.Int64

	keep  bool
	mu    sync.Mutex
	lines []string
}

func listenCycle(tb testing.TB, keep bool) *cycleListener {
	tb.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	// Room for a whole cycle: a datagram the kernel drops here would be
	// missing from the count.
	_ = conn.(*net.UDPConn).SetReadBuffer(16 << 20)
	u := &cycleListener{conn: conn, keep: keep}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			u.datagrams.Add(1)
			u.bytes.Add(int64(n))
			if keep {
				u.mu.Lock()
				for l := range strings.SplitSeq(strings.TrimSuffix(string(buf[:n]), "\n"), "\n") {
					if !strings.HasPrefix(l, dsdtest.TelemetryPrefix) {
						u.lines = append(u.lines, l)
					}
				}
				u.mu.Unlock()
			}
		}
	}()
	tb.Cleanup(func() { conn.Close(); <-done })
	return u
}

func (u *cycleListener) addr() string { return u.conn.LocalAddr().String() }

// received returns the lines kept so far, sorted.
func (u *cycleListener) received() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := slices.Clone(u.lines)
	slices.Sort(out)
	return out
}

// withClientOptions makes NewDogStatsD add opts after its own (so they win)
// until the test ends.
func withClientOptions(tb testing.TB, opts ...statsd.Option) {
	tb.Helper()
	orig := newStatsdClient
	newStatsdClient = func(addr string, o ...statsd.Option) (*statsd.Client, error) {
		return orig(addr, append(o[:len(o):len(o)], opts...)...)
	}
	tb.Cleanup(func() { newStatsdClient = orig })
}

// optionsBefore is the configuration NewDogStatsD had before it turned the
// client's aggregation off: datadog-go's defaults (aggregation over 2s, 32
// workers, sender queue of 2,048) but for a pool of 64 buffers.
var optionsBefore = []statsd.Option{statsd.WithClientSideAggregation(), statsd.WithWorkersCount(32),
	statsd.WithBufferPoolSize(64), statsd.WithSenderQueueSize(0)}

// clientVariants are the datadog-go configurations BenchmarkDogStatsDCycle
// compares, each added to NewDogStatsD's own options (so they win).
var clientVariants = []struct {
	name string
	opts []statsd.Option
	// keeps is true when the client may still hold a tag slice after a
	// call returns (channel mode queues it).
	keeps bool
}{
	{name: "as-configured"},
	{name: "before", opts: optionsBefore},
	{name: "before/aggregation-10s", opts: append(slices.Clone(optionsBefore), statsd.WithAggregationInterval(10*time.Second))},
	{name: "before/extended-aggregation", opts: append(slices.Clone(optionsBefore), statsd.WithExtendedClientSideAggregation())},
	{name: "workers-4", opts: []statsd.Option{statsd.WithWorkersCount(4)}},
	{name: "workers-32", opts: []statsd.Option{statsd.WithWorkersCount(32)}},
	{name: "pool-8", opts: []statsd.Option{statsd.WithBufferPoolSize(8)}},
	{name: "pool-256", opts: []statsd.Option{statsd.WithBufferPoolSize(256)}},
	{name: "queue-default", opts: []statsd.Option{statsd.WithSenderQueueSize(0)}},
	{name: "channel-mode", opts: []statsd.Option{statsd.WithChannelMode()}, keeps: true},
}

// BenchmarkDogStatsDCycle sends one vars cycle (cycleReports: per node 250
// gauges and counts, 10 distributions) at 100 and 300 nodes through
// WithTags, the wire layer and the real client to a UDP listener, and
// flushes: what a cycle costs the sending side, per client configuration,
// to a local Agent (8 kB payloads) and a remote one (1,432 bytes). It
// reports the datagrams per cycle, their mean size and the payloads the
// client dropped (TestDogStatsDCycleArrivesWhole holds the chosen
// configuration to none).
func BenchmarkDogStatsDCycle(b *testing.B) {
	for _, nodes := range []int{100, 300} {
		reports := cycleReports(nodes, 1)
		for _, limit := range []struct {
			name  string
			bytes int
		}{{"local", wire.LocalPayload}, {"remote", wire.RemotePayload}} {
			for _, v := range clientVariants {
				b.Run(fmt.Sprintf("nodes-%d/%s/%s", nodes, limit.name, v.name), func(b *testing.B) {
					benchCycle(b, reports, limit.bytes, v.opts, v.keeps)
				})
			}
		}
	}
}

func benchCycle(b *testing.B, reports []cycleReport, limit int, opts []statsd.Option, keeps bool) {
	clearDDEnv(b)
	orig := payloadLimit
	payloadLimit = func(string) int { return limit }
	b.Cleanup(func() { payloadLimit = orig })
	withClientOptions(b, opts...)
	srv := listenCycle(b, false)
	d, err := NewDogStatsD(b.Context(), srv.addr(), "crdb", []string{"env:bench"}, NewSelfMetrics("b", "b"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	var sink emit.Sink = d
	if keeps {
		TrustTags(d, "cluster:bench")
		sink = struct{ emit.Sink }{d} // WithTags must not reuse its slices
	}
	s := WithTags(sink, "cluster:bench")
	b.ReportAllocs()
	before := d.client.GetTelemetry()
	for b.Loop() {
		sendCycle(s, reports)
		if err := d.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	after := d.client.GetTelemetry()
	dropped := after.TotalPayloadsDroppedQueueFull + after.TotalPayloadsDroppedWriter + after.TotalDroppedOnReceive -
		(before.TotalPayloadsDroppedQueueFull + before.TotalPayloadsDroppedWriter + before.TotalDroppedOnReceive)
	sent := float64(after.TotalPayloadsSent - before.TotalPayloadsSent)
	b.ReportMetric(sent/float64(b.N), "datagrams/cycle")
	b.ReportMetric(float64(dropped)/float64(b.N), "dropped/cycle")
	b.ReportMetric(float64(after.TotalBytesSent-before.TotalBytesSent)/sent, "bytes/datagram")
}
