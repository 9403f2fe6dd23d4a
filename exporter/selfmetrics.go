package exporter

import (
	"runtime"
	"sync"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// SelfMetrics is roachdog's own instrumentation, on a private registry so
// nothing registered by a library on the default one leaks into /metrics.
// All methods are safe for concurrent use; a nil *SelfMetrics records
// nothing (handy in tests and for the dry-run path).
type SelfMetrics struct {
	reg *prometheus.Registry

	checkDuration *prometheus.HistogramVec
	checkRuns     *prometheus.CounterVec
	checkErrors   *prometheus.CounterVec
	checkSkipped  *prometheus.CounterVec
	nodeErrors    *prometheus.CounterVec
	lastSuccess   *prometheus.GaugeVec
	checkNodes    *prometheus.GaugeVec
	nodesReached  *prometheus.GaugeVec
	sent          *prometheus.CounterVec
	sentBy        map[string]prometheus.Counter // sent per kind, resolved once (every sample counts)
	sendErrors    prometheus.Counter
	dropped       prometheus.Counter
	unsendable    *prometheus.CounterVec
	reloads       *prometheus.CounterVec
	seriesDropped *prometheus.CounterVec

	dsd *telemetryCollector

	// now is the clock for forgetting node series; tests replace it.
	now func() time.Time
	// nodeMu guards nodeSeen and lastPrune.
	nodeMu    sync.Mutex
	nodeSeen  map[[3]string]time.Time // cluster, check, node → last error
	lastPrune time.Time
}

// nodeErrorsTTL is how long a node's error series stays without a new
// error: nodes come and go (discovery), and a series per node that ever
// failed would otherwise grow without bound. An hour outlasts the usual
// rate() and alert windows.
const nodeErrorsTTL = time.Hour

// Kinds of submissions counted in roachdog_sent_total.
const (
	kindGauge        = "gauge"
	kindCount        = "count"
	kindDistribution = "distribution"
	kindServiceCheck = "service_check"
	kindEvent        = "event"
)

// Results counted in roachdog_check_runs_total. unreachable is a cycle of
// a check that reads every node (vars) and reached none of them: it did not
// fail, but collected nothing.
const (
	resultOK          = "ok"
	resultError       = "error"
	resultUnreachable = "unreachable"
)

// NewSelfMetrics creates the registry with roachdog's metrics, the build
// info and the Go runtime and process collectors.
func NewSelfMetrics(version, commit string) *SelfMetrics {
	m := &SelfMetrics{
		reg: prometheus.NewRegistry(),
		checkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "roachdog_check_duration_seconds",
			Help: "Duration of check cycles, node listing included.",
			// Cycles range from milliseconds (one SQL query) to the
			// timeout (a slow node); the default buckets stop at 10s.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"cluster", "check"}),
		checkRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roachdog_check_runs_total",
			Help: "Check cycles completed, by result: ok, error, or unreachable (a check that reads every node, vars, reached none of them; not counted as a success).",
		}, []string{"cluster", "check", "result"}),
		checkErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roachdog_check_errors_total",
			Help: "Check cycles that failed as a whole (error, timeout or panic).",
		}, []string{"cluster", "check"}),
		checkSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roachdog_check_skipped_total",
			Help: "Check cycles skipped because the previous cycle was still running.",
		}, []string{"cluster", "check"}),
		nodeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roachdog_node_errors_total",
			Help: "Per-node failures reported by checks (one node unreachable, one bad payload). A node's series is dropped after an hour without errors.",
		}, []string{"cluster", "check", "node"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roachdog_last_success_timestamp_seconds",
			Help: "Unix time of the end of the last successful cycle of each check (a cycle that reached no node is not one).",
		}, []string{"cluster", "check"}),
		checkNodes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roachdog_check_nodes",
			Help: "Nodes listed for the last cycle of a check that reads every node (vars).",
		}, []string{"cluster", "check"}),
		nodesReached: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roachdog_check_nodes_reached",
			Help: "Nodes whose metrics the last cycle of a check that reads every node (vars) read, from the node itself or through another node; 0 means nothing was collected.",
		}, []string{"cluster", "check"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roachdog_sent_total",
			Help: "Submissions to the DogStatsD client, by kind (gauge, count, distribution, service_check, event).",
		}, []string{"kind"}),
		sendErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roachdog_send_errors_total",
			Help: "Errors reported by the DogStatsD client (write failures, full queues).",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roachdog_dropped_values_total",
			Help: "Gauge values not sent because they were NaN or infinite, which Datadog cannot store.",
		}),
		unsendable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roachdog_unsendable_total",
			Help: "Submissions not sent because, made safe, they still exceed the DogStatsD payload limit (logged once per name), by kind.",
		}, []string{"kind"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roachdog_config_reloads_total",
			Help: "Configuration reloads on SIGHUP, by result (ok, or failed: the previous configuration keeps running).",
		}, []string{"result"}),
		seriesDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roachdog_series_dropped_total",
			Help: "Series read but not sent because of a series cap, by reason (family_cap: max_series_per_family; cycle_cap: max_series_per_cycle).",
		}, []string{"cluster", "check", "reason"}),
		dsd:      newTelemetryCollector(),
		now:      time.Now,
		nodeSeen: map[[3]string]time.Time{},
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "roachdog_build_info",
		Help: "A metric with a constant '1' value labeled by version, revision and goversion of roachdog.",
	}, []string{"version", "revision", "goversion"})
	buildInfo.WithLabelValues(version, commit, runtime.Version()).Set(1)
	m.sentBy = map[string]prometheus.Counter{}
	for _, k := range []string{kindGauge, kindCount, kindDistribution, kindServiceCheck, kindEvent} {
		m.sentBy[k] = m.sent.WithLabelValues(k)
		m.unsendable.WithLabelValues(k)
	}
	m.reloads.WithLabelValues(resultOK)
	m.reloads.WithLabelValues(reloadFailed)
	m.reg.MustRegister(
		buildInfo, m.checkDuration, m.checkRuns, m.checkErrors, m.checkSkipped,
		m.nodeErrors, m.lastSuccess, m.checkNodes, m.nodesReached, m.sent, m.sendErrors, m.dropped, m.unsendable, m.reloads, m.seriesDropped, m.dsd,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry returns the private registry served on /metrics.
func (m *SelfMetrics) Registry() *prometheus.Registry { return m.reg }

// initJob creates a job's series at zero, so dashboards and rate() see them
// before the first failure.
func (m *SelfMetrics) initJob(cluster, check string) {
	if m == nil {
		return
	}
	m.checkRuns.WithLabelValues(cluster, check, resultOK)
	m.checkRuns.WithLabelValues(cluster, check, resultError)
	m.checkErrors.WithLabelValues(cluster, check)
	m.checkSkipped.WithLabelValues(cluster, check)
}

// forgetJob drops the series of a job that a reload removed: a stale
// last-success timestamp would read as a check that stopped working.
func (m *SelfMetrics) forgetJob(cluster, check string) {
	if m == nil {
		return
	}
	labels := prometheus.Labels{"cluster": cluster, "check": check}
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{m.checkDuration, m.checkRuns, m.checkErrors, m.checkSkipped, m.lastSuccess, m.checkNodes, m.nodesReached, m.seriesDropped} {
		v.DeletePartialMatch(labels)
	}
	m.nodeMu.Lock()
	defer m.nodeMu.Unlock()
	m.nodeErrors.DeletePartialMatch(labels)
	for k := range m.nodeSeen {
		if k[0] == cluster && k[1] == check {
			delete(m.nodeSeen, k)
		}
	}
}

// reloadFailed is the result label of a reload that kept the previous
// configuration.
const reloadFailed = "failed"

// ConfigReloaded counts a configuration reload, successful or not.
func (m *SelfMetrics) ConfigReloaded(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.reloads.WithLabelValues(resultOK).Inc()
		return
	}
	m.reloads.WithLabelValues(reloadFailed).Inc()
}

func (m *SelfMetrics) observeCycle(cluster, check string, seconds float64, ok bool, endUnix float64) {
	if m == nil {
		return
	}
	m.forgetNodes()
	m.checkDuration.WithLabelValues(cluster, check).Observe(seconds)
	if ok {
		m.checkRuns.WithLabelValues(cluster, check, resultOK).Inc()
		m.lastSuccess.WithLabelValues(cluster, check).Set(endUnix)
		return
	}
	m.checkRuns.WithLabelValues(cluster, check, resultError).Inc()
	m.checkErrors.WithLabelValues(cluster, check).Inc()
}

// observeUnreachable records a cycle that reached no node: neither a
// success (last success stays) nor an error of roachdog's.
func (m *SelfMetrics) observeUnreachable(cluster, check string, seconds float64) {
	if m == nil {
		return
	}
	m.forgetNodes()
	m.checkDuration.WithLabelValues(cluster, check).Observe(seconds)
	m.checkRuns.WithLabelValues(cluster, check, resultUnreachable).Inc()
}

// reached records how many of the listed nodes a cycle reached; the first
// report also creates the check's unreachable series at zero.
func (m *SelfMetrics) reached(cluster, check string, reached, total int) {
	if m == nil {
		return
	}
	m.checkRuns.WithLabelValues(cluster, check, resultUnreachable)
	m.checkNodes.WithLabelValues(cluster, check).Set(float64(total))
	m.nodesReached.WithLabelValues(cluster, check).Set(float64(reached))
}

func (m *SelfMetrics) skipped(cluster, check string) {
	if m != nil {
		m.checkSkipped.WithLabelValues(cluster, check).Inc()
	}
}

func (m *SelfMetrics) nodeError(cluster, check, node string) {
	if m == nil {
		return
	}
	m.nodeMu.Lock()
	m.nodeSeen[[3]string{cluster, check, node}] = m.now()
	m.nodeErrors.WithLabelValues(cluster, check, node).Inc()
	m.nodeMu.Unlock()
}

// forgetNodes drops the error series of nodes without an error for
// nodeErrorsTTL; it does the work at most once a minute.
func (m *SelfMetrics) forgetNodes() {
	m.nodeMu.Lock()
	defer m.nodeMu.Unlock()
	now := m.now()
	if now.Sub(m.lastPrune) < time.Minute {
		return
	}
	m.lastPrune = now
	for k, seen := range m.nodeSeen {
		if now.Sub(seen) > nodeErrorsTTL {
			m.nodeErrors.DeleteLabelValues(k[0], k[1], k[2])
			delete(m.nodeSeen, k)
		}
	}
}

func (m *SelfMetrics) droppedSeries(cluster, check, reason string, n int) {
	if m != nil {
		m.seriesDropped.WithLabelValues(cluster, check, reason).Add(float64(n))
	}
}

func (m *SelfMetrics) sentOne(kind string) {
	if m != nil {
		m.sentBy[kind].Inc()
	}
}

func (m *SelfMetrics) sendError() {
	if m != nil {
		m.sendErrors.Inc()
	}
}

func (m *SelfMetrics) unsendableOne(kind string) {
	if m != nil {
		m.unsendable.WithLabelValues(kind).Inc()
	}
}

func (m *SelfMetrics) droppedValue() {
	if m != nil {
		m.dropped.Inc()
	}
}

// watchClient exposes a DogStatsD client's telemetry (one client at a time;
// a later call replaces the earlier one).
func (m *SelfMetrics) watchClient(c telemetrySource) {
	if m != nil {
		m.dsd.set(c)
	}
}

// replaceClient exposes the telemetry of a client that replaced the one
// watched so far (closed by now), whose final counts are kept so that the
// counters never go down.
func (m *SelfMetrics) replaceClient(c telemetrySource) {
	if m != nil {
		m.dsd.replace(c)
	}
}

type telemetrySource interface{ GetTelemetry() statsd.Telemetry }

// telemetryCollector reads datadog-go's own counters at scrape time. They
// are the only view of payloads dropped inside the client (full sender
// queue, UDS write errors); over UDP the kernel drops silently and nothing
// can count that. datadog-go returns zeros when its telemetry is disabled,
// so the DogStatsD sink keeps it on.
type telemetryCollector struct {
	mu  sync.Mutex
	src telemetrySource
	// base holds the final counts of the clients replaced so far.
	base statsd.Telemetry

	packetsSent, packetsDropped, bytesSent, bytesDropped *prometheus.Desc
}

func newTelemetryCollector() *telemetryCollector {
	return &telemetryCollector{
		packetsSent: prometheus.NewDesc("roachdog_dogstatsd_packets_sent_total",
			"DogStatsD payloads written by the client (over UDP, written is not received).", nil, nil),
		packetsDropped: prometheus.NewDesc("roachdog_dogstatsd_packets_dropped_total",
			"DogStatsD payloads dropped by the client, by reason (queue: sender queue full; writer: write error or timeout).",
			[]string{"reason"}, nil),
		bytesSent: prometheus.NewDesc("roachdog_dogstatsd_bytes_sent_total",
			"Bytes of DogStatsD payloads written by the client.", nil, nil),
		bytesDropped: prometheus.NewDesc("roachdog_dogstatsd_bytes_dropped_total",
			"Bytes of DogStatsD payloads dropped by the client, by reason.", []string{"reason"}, nil),
	}
}

func (c *telemetryCollector) set(src telemetrySource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.src = src
}

func (c *telemetryCollector) replace(src telemetrySource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.src != nil {
		t := c.src.GetTelemetry()
		c.base.TotalPayloadsSent += t.TotalPayloadsSent
		c.base.TotalPayloadsDroppedQueueFull += t.TotalPayloadsDroppedQueueFull
		c.base.TotalPayloadsDroppedWriter += t.TotalPayloadsDroppedWriter
		c.base.TotalBytesSent += t.TotalBytesSent
		c.base.TotalBytesDroppedQueueFull += t.TotalBytesDroppedQueueFull
		c.base.TotalBytesDroppedWriter += t.TotalBytesDroppedWriter
	}
	c.src = src
}

func (c *telemetryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.packetsSent
	ch <- c.packetsDropped
	ch <- c.bytesSent
	ch <- c.bytesDropped
}

func (c *telemetryCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	src, b := c.src, c.base
	if src == nil {
		c.mu.Unlock()
		return // no client yet (dry run, or before the Agent resolved)
	}
	// Read under the lock: a replace in between would count the old
	// client twice.
	t := src.GetTelemetry()
	c.mu.Unlock()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(c.packetsSent, b.TotalPayloadsSent+t.TotalPayloadsSent)
	counter(c.packetsDropped, b.TotalPayloadsDroppedQueueFull+t.TotalPayloadsDroppedQueueFull, "queue")
	counter(c.packetsDropped, b.TotalPayloadsDroppedWriter+t.TotalPayloadsDroppedWriter, "writer")
	counter(c.bytesSent, b.TotalBytesSent+t.TotalBytesSent)
	counter(c.bytesDropped, b.TotalBytesDroppedQueueFull+t.TotalBytesDroppedQueueFull, "queue")
	counter(c.bytesDropped, b.TotalBytesDroppedWriter+t.TotalBytesDroppedWriter, "writer")
}
