package exporter

import (
	"context"
	"errors"
	"math"
	"net"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/internal/dsdtest"
	"github.com/roachdog/roachdog/internal/testenv"
)

// TestDogStatsDEndToEnd sends through the real datadog-go client to a UDP
// listener and checks names, values, types and tags exactly as received.
func TestDogStatsDEndToEnd(t *testing.T) {
	clearDDEnv(t)
	srv := dsdtest.Listen(t)
	m := NewSelfMetrics("test", "abc")
	d, err := NewDogStatsD(t.Context(), srv.Addr(), "crdb", []string{"env:ci"}, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := WithTags(d, "cluster:test")

	s.Gauge("capacity.used", 42.5, []string{"node_id:1"})
	s.Count("sql.queries", 7, []string{"node_id:1"})
	s.ServiceCheck("node.can_scrape", checks.Critical, "scrape failed: m:1\nsecond line", []string{"node_id:1"})
	s.Event(checks.Event{Title: "node 1 restarted", Text: "was down\nfor 5s", AggregationKey: "crdb-node-1",
		AlertType: checks.WarningAlert, Timestamp: time.Unix(1700000000, 0), Tags: []string{"node_id:1"}})
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}

	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool {
		return len(s.Metrics) == 2 && len(s.ServiceChecks) == 1 && len(s.Events) == 1
	})
	tags := []string{"env:ci", "cluster:test", "node_id:1"}
	wantMetrics := map[string]dsdtest.Metric{
		"crdb.capacity.used": {Name: "crdb.capacity.used", Value: 42.5, Type: "g", SampleRate: 1, Tags: tags},
		"crdb.sql.queries":   {Name: "crdb.sql.queries", Value: 7, Type: "c", SampleRate: 1, Tags: tags},
	}
	for _, got := range snap.Metrics {
		if want := wantMetrics[got.Name]; !reflect.DeepEqual(got, want) {
			t.Errorf("metric\n got  %+v\n want %+v", got, want)
		}
	}
	wantSC := dsdtest.ServiceCheck{Name: "crdb.node.can_scrape", Status: 2, Message: "scrape failed: m:1\nsecond line",
		RawMessage: `scrape failed: m\:1\nsecond line`, Tags: tags}
	if got := snap.ServiceChecks[0]; !reflect.DeepEqual(got, wantSC) {
		t.Errorf("service check\n got  %+v\n want %+v", got, wantSC)
	}
	wantEvent := dsdtest.Event{Title: "node 1 restarted", Text: "was down\nfor 5s", AlertType: "warning",
		AggKey: "crdb-node-1", Timestamp: 1700000000, Tags: tags}
	if got := snap.Events[0]; !reflect.DeepEqual(got, wantEvent) {
		t.Errorf("event\n got  %+v\n want %+v", got, wantEvent)
	}

	for kind, want := range map[string]float64{"gauge": 1, "count": 1, "service_check": 1, "event": 1} {
		if got := testutil.ToFloat64(m.sent.WithLabelValues(kind)); got != want {
			t.Errorf("roachdog_sent_total{kind=%q} = %v, want %v", kind, got, want)
		}
	}
	// The client's own telemetry reaches /metrics.
	tele, err := testutil.GatherAndCount(m.Registry(), "roachdog_dogstatsd_packets_sent_total")
	if err != nil || tele != 1 {
		t.Fatalf("roachdog_dogstatsd_packets_sent_total: %d series, %v", tele, err)
	}
	if got := d.client.GetTelemetry().TotalPayloadsSent; got == 0 {
		t.Error("client telemetry counted no payload: is telemetry disabled?")
	}
}

func TestDogStatsDDropsNonFinite(t *testing.T) {
	clearDDEnv(t)
	srv := dsdtest.Listen(t)
	m := NewSelfMetrics("test", "abc")
	d, err := NewDogStatsD(t.Context(), srv.Addr(), "crdb", nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Gauge("nan", math.NaN(), nil)
	d.Gauge("ok", 1, nil)
	d.Flush()
	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.FindMetrics("crdb.ok")) == 1 })
	if len(snap.FindMetrics("crdb.nan")) != 0 {
		t.Error("NaN gauge was sent")
	}
	if got := testutil.ToFloat64(m.dropped); got != 1 {
		t.Errorf("roachdog_dropped_values_total = %v, want 1", got)
	}
}

// TestDogStatsDSendErrors writes to a loopback port nobody listens on: the
// kernel answers with ICMP port unreachable, and a later write fails with
// "connection refused", which must reach roachdog_send_errors_total.
func TestDogStatsDSendErrors(t *testing.T) {
	clearDDEnv(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()

	m := NewSelfMetrics("test", "abc")
	d, err := NewDogStatsD(t.Context(), addr, "crdb", nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(m.sendErrors) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no send error counted after 10s of writing to a closed port")
		}
		d.Gauge("up", 1, nil)
		d.Flush()
		time.Sleep(10 * time.Millisecond) // pace the writes; the loop is bounded by deadline
	}
	if n, _ := testutil.GatherAndCount(m.Registry(), "roachdog_dogstatsd_packets_dropped_total"); n != 2 {
		t.Errorf("roachdog_dogstatsd_packets_dropped_total has %d series, want 2 (queue, writer)", n)
	}
}

// withFakeClient replaces statsd.New for one test.
func withFakeClient(t *testing.T, f func(addr string, opts ...statsd.Option) (*statsd.Client, error)) {
	t.Helper()
	orig := newStatsdClient
	newStatsdClient = f
	t.Cleanup(func() { newStatsdClient = orig })
}

// withResolver replaces the resolver for one test.
func withResolver(t *testing.T, f func(ctx context.Context, host string) ([]string, error)) {
	t.Helper()
	orig := lookupHost
	lookupHost = f
	t.Cleanup(func() { lookupHost = orig })
}

func notFound(host string) error {
	return &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestNewDogStatsDRetriesDNS(t *testing.T) {
	clearDDEnv(t)
	srv := dsdtest.Listen(t)
	_, port, _ := net.SplitHostPort(srv.Addr())
	var calls atomic.Int32
	withResolver(t, func(_ context.Context, host string) ([]string, error) {
		if calls.Add(1) < 3 {
			return nil, notFound(host)
		}
		return []string{"127.0.0.1"}, nil
	})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	d, err := NewDogStatsD(ctx, "agent:"+port, "crdb", nil, nil, nil)
	if err != nil {
		t.Fatalf("NewDogStatsD: %v", err)
	}
	defer d.Close()
	if calls.Load() != 3 {
		t.Errorf("%d attempts, want 3", calls.Load())
	}
	d.Gauge("up", 1, nil)
	d.Flush()
	srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool { return len(s.FindMetrics("crdb.up")) == 1 })
}

// TestNewDogStatsDRetriesClientDNSErrors: a DNS error from datadog-go
// itself (an address it resolves, e.g. from DD_AGENT_HOST) is retried too.
func TestNewDogStatsDRetriesClientDNSErrors(t *testing.T) {
	clearDDEnv(t)
	srv := dsdtest.Listen(t)
	var calls atomic.Int32
	withFakeClient(t, func(addr string, opts ...statsd.Option) (*statsd.Client, error) {
		if calls.Add(1) < 2 {
			return nil, notFound("agent")
		}
		return statsd.New(srv.Addr(), opts...)
	})
	d, err := NewDogStatsD(t.Context(), srv.Addr(), "crdb", nil, nil, nil)
	if err != nil || calls.Load() != 2 {
		t.Fatalf("NewDogStatsD: %v after %d attempts", err, calls.Load())
	}
	d.Close()
}

func TestNewDogStatsDGivesUpWithContext(t *testing.T) {
	var calls atomic.Int32
	withResolver(t, func(_ context.Context, host string) ([]string, error) {
		calls.Add(1)
		return nil, notFound(host)
	})
	ctx, cancel := context.WithTimeout(t.Context(), 600*time.Millisecond)
	defer cancel()
	_, err := NewDogStatsD(ctx, "agent:8125", "crdb", nil, nil, nil)
	if err == nil {
		t.Fatal("NewDogStatsD succeeded against a name that never resolves")
	}
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !strings.Contains(err.Error(), `"agent:8125"`) || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("error %q should name the address, the DNS failure and the deadline", err)
	}
	if strings.Count(err.Error(), "dogstatsd client for") != 1 {
		t.Errorf("error %q repeats its prefix", err)
	}
	if calls.Load() < 2 {
		t.Errorf("%d attempts; it should have retried", calls.Load())
	}
}

// TestNewDogStatsDBoundedWithoutDeadline: a mistyped Agent host must fail
// start-up rather than hang it, even when the caller gives no deadline.
func TestNewDogStatsDBoundedWithoutDeadline(t *testing.T) {
	withResolver(t, func(_ context.Context, host string) ([]string, error) { return nil, notFound(host) })
	orig := agentWait
	agentWait = 300 * time.Millisecond
	t.Cleanup(func() { agentWait = orig })
	var err error
	runBounded(t, 20*time.Second, "NewDogStatsD", func() {
		_, err = NewDogStatsD(context.Background(), "agnet:8125", "crdb", nil, nil, nil)
	})
	if err == nil || !strings.Contains(err.Error(), "gave up") {
		t.Errorf("NewDogStatsD = %v, want it to give up", err)
	}
}

// TestDogStatsDIgnoresEntityID: with DD_ENTITY_ID set (the Kubernetes
// downward API pattern), datadog-go would tag every datagram with
// dd.internal.entity_id, and the Agent would add roachdog's own pod tags to
// CockroachDB's metrics. It must not reach the wire.
func TestDogStatsDIgnoresEntityID(t *testing.T) {
	clearDDEnv(t)
	t.Setenv("DD_ENTITY_ID", "0b2f6a3c-pod-uid")
	srv := dsdtest.Listen(t)
	d, err := NewDogStatsD(t.Context(), srv.Addr(), "crdb", []string{"env:ci"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Gauge("up", 1, []string{"node_id:1"})
	d.ServiceCheck("node.can_scrape", checks.OK, "", nil)
	d.Flush()
	snap := srv.WaitFor(t, 10*time.Second, func(s dsdtest.Snapshot) bool {
		return len(s.FindMetrics("crdb.up")) == 1 && len(s.ServiceChecks) == 1
	})
	for _, line := range snap.Lines {
		if strings.Contains(line, "entity_id") || strings.Contains(line, "pod-uid") {
			t.Errorf("entity id on the wire: %s", line)
		}
	}
	if got := snap.FindMetrics("crdb.up")[0].Tags; !reflect.DeepEqual(got, []string{"env:ci", "node_id:1"}) {
		t.Errorf("tags %v", got)
	}
}

// udpListener is a raw DogStatsD listener on ip:port, for an Agent that
// moves to another IP on the same port.
func udpListener(t *testing.T, addr string) (net.PacketConn, <-chan string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		testenv.SkipOrFail(t, "cannot listen on "+addr+": "+err.Error())
	}
	lines := make(chan string, 1024)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			for _, l := range strings.Split(string(buf[:n]), "\n") {
				if l != "" && !strings.HasPrefix(l, "datadog.dogstatsd.client.") {
					select {
					case lines <- l:
					default:
					}
				}
			}
		}
	}()
	t.Cleanup(func() { pc.Close() })
	return pc, lines
}

// packetsSent reads roachdog_dogstatsd_packets_sent_total.
func packetsSent(t *testing.T, m *SelfMetrics) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "roachdog_dogstatsd_packets_sent_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no roachdog_dogstatsd_packets_sent_total")
	return 0
}

func waitLine(t *testing.T, lines <-chan string, prefix string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l := <-lines:
			if strings.HasPrefix(l, prefix) {
				return
			}
		case <-timeout:
			t.Fatalf("no %q received within 10s", prefix)
		}
	}
}

// TestDogStatsDFollowsAgentIP: datadog-go resolves a UDP host once; when the
// Agent's name moves to another IP (container recreated), the sink must
// follow it, and keep sending to the last address while DNS fails.
func TestDogStatsDFollowsAgentIP(t *testing.T) {
	clearDDEnv(t)
	first, lines1 := udpListener(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(first.LocalAddr().String())
	_, lines2 := udpListener(t, "127.0.0.2:"+port)
	var ip atomic.Value
	ip.Store("127.0.0.1")
	withResolver(t, func(_ context.Context, host string) ([]string, error) {
		if host != "agent" {
			return nil, notFound(host)
		}
		s := ip.Load().(string)
		if s == "" {
			return nil, &net.DNSError{Err: "server misbehaving", Name: host, IsTemporary: true}
		}
		return []string{"fd00::7", s}, nil
	})
	m := NewSelfMetrics("t", "c")
	d, err := NewDogStatsD(t.Context(), "agent:"+port, "crdb", nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Gauge("before", 1, nil)
	d.Flush()
	waitLine(t, lines1, "crdb.before:1|g")
	sentBefore := packetsSent(t, m)

	ip.Store("127.0.0.2")
	d.reresolve(t.Context())
	d.Gauge("after", 1, nil)
	d.Flush()
	waitLine(t, lines2, "crdb.after:1|g")
	if got := packetsSent(t, m); got < sentBefore+1 {
		t.Errorf("packets sent went from %v to %v across the swap: the old client's count was lost", sentBefore, got)
	}

	// DNS fails: keep the last address.
	ip.Store("")
	d.reresolve(t.Context())
	d.Gauge("still", 1, nil)
	d.Flush()
	waitLine(t, lines2, "crdb.still:1|g")
}

func TestNewDogStatsDPermanentError(t *testing.T) {
	clearDDEnv(t)
	t.Setenv("DD_AGENT_HOST", "")
	t.Setenv("DD_DOGSTATSD_URL", "")
	var calls atomic.Int32
	withFakeClient(t, func(addr string, opts ...statsd.Option) (*statsd.Client, error) {
		calls.Add(1)
		return statsd.New(addr, opts...)
	})
	// No address and nothing in the environment: retrying cannot help.
	_, err := NewDogStatsD(t.Context(), "", "crdb", nil, nil, nil)
	if err == nil || calls.Load() != 1 {
		t.Errorf("err = %v after %d attempts, want an immediate error", err, calls.Load())
	}
}

func TestRateLimitedLog(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	l := newRateLimitedLog(newTextLogger(&buf), time.Hour)
	for range 5 {
		l.log("send failed", "err", "boom")
	}
	if n := strings.Count(buf.String(), "send failed"); n != 1 {
		t.Errorf("%d log lines within the interval, want 1:\n%s", n, buf.String())
	}
	l.last = time.Now().Add(-2 * time.Hour) // the interval has passed
	l.log("send failed", "err", "boom")
	if !strings.Contains(buf.String(), "suppressed_since_last_log=4") {
		t.Errorf("second line should report 4 suppressed:\n%s", buf.String())
	}
}
