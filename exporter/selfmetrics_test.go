package exporter

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fakeTelemetry statsd.Telemetry

func (f fakeTelemetry) GetTelemetry() statsd.Telemetry { return statsd.Telemetry(f) }

// exercise touches every self-metric so each family has samples.
func exercise(m *SelfMetrics) {
	m.initJob("test", "vars")
	m.observeCycle("test", "vars", 0.2, true, 1700000000)
	m.observeCycle("test", "vars", 5, false, 1700000010)
	m.reached("test", "vars", 0, 3)
	m.observeUnreachable("test", "vars", 0.5)
	m.skipped("test", "vars")
	m.nodeError("test", "vars", "1")
	m.sentOne(kindGauge)
	m.sendError()
	m.droppedValue()
	m.watchClient(fakeTelemetry{TotalPayloadsSent: 3, TotalBytesSent: 300, TotalPayloadsDroppedWriter: 1, TotalBytesDroppedWriter: 100})
}

func TestSelfMetricsLint(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("v1.2.3", "abc123")
	exercise(m)
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestSelfMetricsValues(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("v1.2.3", "abc123")
	exercise(m)
	want := `
# HELP roachdog_build_info A metric with a constant '1' value labeled by version, revision and goversion of roachdog.
# TYPE roachdog_build_info gauge
roachdog_build_info{goversion="` + runtime.Version() + `",revision="abc123",version="v1.2.3"} 1
# HELP roachdog_check_runs_total Check cycles completed, by result: ok, error, or unreachable (a check that reads every node, vars, reached none of them; not counted as a success).
# TYPE roachdog_check_runs_total counter
roachdog_check_runs_total{check="vars",cluster="test",result="error"} 1
roachdog_check_runs_total{check="vars",cluster="test",result="ok"} 1
roachdog_check_runs_total{check="vars",cluster="test",result="unreachable"} 1
# HELP roachdog_check_nodes Nodes listed for the last cycle of a check that reads every node (vars).
# TYPE roachdog_check_nodes gauge
roachdog_check_nodes{check="vars",cluster="test"} 3
# HELP roachdog_check_nodes_reached Nodes whose metrics the last cycle of a check that reads every node (vars) read, from the node itself or through another node; 0 means nothing was collected.
# TYPE roachdog_check_nodes_reached gauge
roachdog_check_nodes_reached{check="vars",cluster="test"} 0
# HELP roachdog_check_errors_total Check cycles that failed as a whole (error, timeout or panic).
# TYPE roachdog_check_errors_total counter
roachdog_check_errors_total{check="vars",cluster="test"} 1
# HELP roachdog_check_skipped_total Check cycles skipped because the previous cycle was still running.
# TYPE roachdog_check_skipped_total counter
roachdog_check_skipped_total{check="vars",cluster="test"} 1
# HELP roachdog_node_errors_total Per-node failures reported by checks (one node unreachable, one bad payload). A node's series is dropped after an hour without errors.
# TYPE roachdog_node_errors_total counter
roachdog_node_errors_total{check="vars",cluster="test",node="1"} 1
# HELP roachdog_last_success_timestamp_seconds Unix time of the end of the last successful cycle of each check (a cycle that reached no node is not one).
# TYPE roachdog_last_success_timestamp_seconds gauge
roachdog_last_success_timestamp_seconds{check="vars",cluster="test"} 1.7e+09
# HELP roachdog_sent_total Submissions to the DogStatsD client, by kind (gauge, count, distribution, service_check, event).
# TYPE roachdog_sent_total counter
roachdog_sent_total{kind="count"} 0
roachdog_sent_total{kind="distribution"} 0
roachdog_sent_total{kind="event"} 0
roachdog_sent_total{kind="gauge"} 1
roachdog_sent_total{kind="service_check"} 0
# HELP roachdog_send_errors_total Errors reported by the DogStatsD client (write failures, full queues).
# TYPE roachdog_send_errors_total counter
roachdog_send_errors_total 1
# HELP roachdog_dogstatsd_packets_sent_total DogStatsD payloads written by the client (over UDP, written is not received).
# TYPE roachdog_dogstatsd_packets_sent_total counter
roachdog_dogstatsd_packets_sent_total 3
# HELP roachdog_dogstatsd_packets_dropped_total DogStatsD payloads dropped by the client, by reason (queue: sender queue full; writer: write error or timeout).
# TYPE roachdog_dogstatsd_packets_dropped_total counter
roachdog_dogstatsd_packets_dropped_total{reason="queue"} 0
roachdog_dogstatsd_packets_dropped_total{reason="writer"} 1
# HELP roachdog_dogstatsd_bytes_sent_total Bytes of DogStatsD payloads written by the client.
# TYPE roachdog_dogstatsd_bytes_sent_total counter
roachdog_dogstatsd_bytes_sent_total 300
`
	names := []string{"roachdog_build_info", "roachdog_check_runs_total", "roachdog_check_nodes", "roachdog_check_nodes_reached", "roachdog_check_errors_total",
		"roachdog_check_skipped_total", "roachdog_node_errors_total", "roachdog_last_success_timestamp_seconds",
		"roachdog_sent_total", "roachdog_send_errors_total", "roachdog_dogstatsd_packets_sent_total",
		"roachdog_dogstatsd_packets_dropped_total", "roachdog_dogstatsd_bytes_sent_total"}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(m.Registry(), "roachdog_check_duration_seconds"); n != 1 {
		t.Errorf("roachdog_check_duration_seconds: %d series, want 1", n)
	}
}

func TestSelfMetricsNil(t *testing.T) {
	t.Parallel()
	var m *SelfMetrics
	exercise(m) // must not panic: nil records nothing
}

// TestNodeErrorSeriesForgotten: nodes come and go with discovery; the error
// series of a node without errors for an hour is dropped, so their number
// stays bounded. A node still failing keeps its series.
func TestNodeErrorSeriesForgotten(t *testing.T) {
	t.Parallel()
	m := NewSelfMetrics("v", "c")
	now := time.Unix(1700000000, 0)
	m.now = func() time.Time { return now }
	m.nodeError("prod", "vars", "gone:8080")
	m.nodeError("prod", "vars", "flaky:8080")
	count := func() int {
		n, err := testutil.GatherAndCount(m.Registry(), "roachdog_node_errors_total")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for range 70 { // a cycle a minute for 70 minutes; flaky fails every 10
		now = now.Add(time.Minute)
		if now.Unix()/60%10 == 0 {
			m.nodeError("prod", "vars", "flaky:8080")
		}
		m.observeCycle("prod", "vars", 0.1, true, float64(now.Unix()))
	}
	if n := count(); n != 1 {
		t.Fatalf("%d node error series after 70 minutes, want 1 (the node still failing)", n)
	}
	if got := testutil.ToFloat64(m.nodeErrors.WithLabelValues("prod", "vars", "flaky:8080")); got < 7 {
		t.Errorf("the failing node's counter was reset: %v", got)
	}
}
