package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/roachdog/roachdog/checks"
)

// DogStatsD is the production sink: a datadog-go client sending to the
// Agent. Names get the namespace prefix ("crdb.") for metrics and, unlike
// datadog-go's own namespace option, for service checks too; event titles
// are left alone.
type DogStatsD struct {
	client *statsd.Client
	prefix string
	m      *SelfMetrics
}

var _ checks.Sink = (*DogStatsD)(nil)

// newStatsdClient is statsd.New, replaceable in tests to simulate an Agent
// whose DNS name appears late.
var newStatsdClient = statsd.New

// Bounds of the backoff between client creation attempts.
const (
	dialBackoffMin = 250 * time.Millisecond
	dialBackoffMax = 10 * time.Second
)

// NewDogStatsD creates the client for addr ("host:port" for UDP,
// "unix:///path" for UDS). With UDP, datadog-go resolves the host once,
// here; under docker compose the Agent's DNS name may not exist yet, so DNS
// failures are retried with exponential backoff until ctx is done (give ctx
// a deadline to bound start-up). Other errors (a malformed address) fail at
// once.
//
// Client-side aggregation keeps datadog-go's defaults (gauges and counts
// aggregated over 2s). Its telemetry stays on: it feeds the
// roachdog_dogstatsd_* self-metrics (and datadog.dogstatsd.client.*
// metrics, which Datadog does not bill as custom metrics). Client-side
// origin detection is off: roachdog reports on a remote cluster, so the
// Agent must not tag CockroachDB's metrics with roachdog's own container.
func NewDogStatsD(ctx context.Context, addr, namespace string, tags []string, m *SelfMetrics, logger *slog.Logger) (*DogStatsD, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	configured, _ := clientTags(tags)
	errLog := newRateLimitedLog(logger, time.Minute)
	opts := []statsd.Option{
		statsd.WithTags(configured),
		statsd.WithoutOriginDetection(),
		statsd.WithErrorHandler(func(err error) {
			m.sendError()
			errLog.log("dogstatsd send failed", "addr", addr, "err", err)
		}),
	}
	prefix := normalizeNamespace(namespace)
	if prefix != "" {
		// statsd.WithNamespace("") would produce a leading ".".
		opts = append(opts, statsd.WithNamespace(prefix))
	}

	backoff := dialBackoffMin
	for attempt := 1; ; attempt++ {
		client, err := newStatsdClient(addr, opts...)
		if err == nil {
			if attempt > 1 {
				logger.Info("dogstatsd client ready", "addr", addr, "attempts", attempt)
			}
			m.watchClient(client)
			return &DogStatsD{client: client, prefix: prefix, m: m}, nil
		}
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) {
			return nil, fmt.Errorf("dogstatsd client for %q: %w", addr, err)
		}
		logger.Warn("dogstatsd address does not resolve yet, retrying",
			"addr", addr, "attempt", attempt, "retry_in", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("dogstatsd client for %q: gave up after %d attempts (%v): %w", addr, attempt, context.Cause(ctx), err)
		case <-t.C:
		}
		backoff = min(2*backoff, dialBackoffMax)
	}
}

// Gauge sends a gauge. NaN and infinities are dropped (and counted):
// Datadog cannot store them.
func (d *DogStatsD) Gauge(name string, v float64, tags []string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.m.droppedValue()
		return
	}
	d.m.sentOne(kindGauge)
	if err := d.client.Gauge(name, v, tags, 1); err != nil {
		d.m.sendError()
	}
}

// Count sends a count (a delta since the last report).
func (d *DogStatsD) Count(name string, v int64, tags []string) {
	d.m.sentOne(kindCount)
	if err := d.client.Count(name, v, tags, 1); err != nil {
		d.m.sendError()
	}
}

// ServiceCheck sends a service check named <namespace>.<name>.
func (d *DogStatsD) ServiceCheck(name string, st checks.Status, msg string, tags []string) {
	d.m.sentOne(kindServiceCheck)
	if err := d.client.ServiceCheck(serviceCheck(d.prefix, name, st, msg, tags)); err != nil {
		d.m.sendError()
	}
}

// Event sends an event.
func (d *DogStatsD) Event(e checks.Event) {
	d.m.sentOne(kindEvent)
	if err := d.client.Event(event(e)); err != nil {
		d.m.sendError()
	}
}

// Flush sends everything buffered or aggregated so far; it blocks until
// written.
func (d *DogStatsD) Flush() error { return d.client.Flush() }

// Close flushes and closes the client.
func (d *DogStatsD) Close() error { return d.client.Close() }

func serviceCheck(prefix, name string, st checks.Status, msg string, tags []string) *statsd.ServiceCheck {
	return &statsd.ServiceCheck{
		Name:    prefix + name,
		Status:  statsd.ServiceCheckStatus(st),
		Message: msg,
		Tags:    tags,
	}
}

func event(e checks.Event) *statsd.Event {
	return &statsd.Event{
		Title:          e.Title,
		Text:           e.Text,
		Timestamp:      e.Timestamp,
		AggregationKey: e.AggregationKey,
		AlertType:      statsd.EventAlertType(e.AlertType),
		Tags:           e.Tags,
	}
}

// rateLimitedLog logs the first message at once, then at most one per
// interval with the number suppressed meanwhile: a dead Agent makes every
// write fail, and one line per payload would flood the logs.
type rateLimitedLog struct {
	logger   *slog.Logger
	interval time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func newRateLimitedLog(logger *slog.Logger, interval time.Duration) *rateLimitedLog {
	return &rateLimitedLog{logger: logger, interval: interval}
}

func (r *rateLimitedLog) log(msg string, args ...any) {
	r.mu.Lock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < r.interval {
		r.suppressed++
		r.mu.Unlock()
		return
	}
	suppressed := r.suppressed
	r.last, r.suppressed = now, 0
	r.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed_since_last_log", suppressed)
	}
	r.logger.Warn(msg, args...)
}
