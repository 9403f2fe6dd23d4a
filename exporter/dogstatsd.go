package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/wire"
)

// DogStatsD is the production sink: a datadog-go client sending to the
// Agent. Names get the namespace prefix ("crdb.") for metrics and, unlike
// datadog-go's own namespace option, for service checks too; event titles
// are left alone. Every submission first goes through the wire-safety layer
// (internal/wire), the only way to the client: hostile strings cannot add
// fields or lines to a datagram, and every message fits the payload limit.
//
// datadog-go resolves a UDP host name once, when the client is created: an
// Agent container recreated with a new IP would then receive nothing, and
// nothing would say so. DogStatsD therefore resolves a host name itself,
// hands the client the IP, looks the name up again every minute and, when
// the IP changed, swaps in a client for the new one.
type DogStatsD struct {
	prefix string
	m      *SelfMetrics
	logger *slog.Logger
	opts   []statsd.Option
	wire   *wire.Layer

	// mu guards client and ip: senders hold it shared, a swap exclusively,
	// so no send can use a client being closed.
	mu     sync.RWMutex
	client *statsd.Client
	ip     string // the IP the client sends to; "" when not re-resolved

	host, port string // the configured host name, when it is re-resolved
	stop       context.CancelFunc
	done       chan struct{}
	resolveLog *rateLimitedLog
}

var _ emit.Sink = (*DogStatsD)(nil)

// Test hooks: statsd.New, to simulate an Agent whose DNS name appears late;
// the resolver, to simulate an Agent that moves; the default wait; the
// payload limit, to test a remote Agent's on loopback.
var (
	newStatsdClient = statsd.New
	lookupHost      = net.DefaultResolver.LookupHost
	agentWait       = DefaultAgentWait
	payloadLimit    = wire.PayloadLimit
)

// Bounds of the backoff between client creation attempts, the default
// bound of the whole start-up wait, and the re-resolution schedule.
const (
	dialBackoffMin = 250 * time.Millisecond
	dialBackoffMax = 10 * time.Second
	// DefaultAgentWait bounds NewDogStatsD's DNS retries when ctx has no
	// deadline: a mistyped Agent host must fail start-up, not hang it.
	DefaultAgentWait  = 30 * time.Second
	reresolveInterval = time.Minute
	lookupTimeout     = 2 * time.Second
	// dsdPoolBytes is what the client's pool of payload buffers holds:
	// 64 local (8 kB) payloads, 366 remote (1,432 bytes) ones. See
	// NewDogStatsD.
	dsdPoolBytes = 64 * wire.LocalPayload
	// dsdQueueBytes bounds the payloads waiting for the client's sender:
	// what datadog-go's default queue holds for a local Agent (2,048
	// payloads of 8 kB).
	dsdQueueBytes = statsd.DefaultUDPBufferPoolSize * wire.LocalPayload
)

// bufferPool is the client's buffer pool size for a payload limit.
func bufferPool(limit int) int { return dsdPoolBytes / limit }

// NewDogStatsD creates the client for addr ("host:port" for UDP,
// "unix:///path" for UDS; "" lets datadog-go read DD_AGENT_HOST or
// DD_DOGSTATSD_URL). Under docker compose the Agent's DNS name may not
// exist yet, so DNS failures are retried with exponential backoff until ctx
// is done, or for DefaultAgentWait when ctx has no deadline. Other errors (a
// malformed address) fail at once. A UDP host name is re-resolved every
// minute until Close (see DogStatsD).
//
// The client does not aggregate: roachdog sends each context (name and
// tags) at most once per cycle, so datadog-go's aggregation (gauges and
// counts kept in maps for 2s, then flushed) sent the same lines and cost
// most of the client's CPU and allocation. The Agent aggregates as before:
// the last gauge and the sum of counts per flush interval. Calls write
// into the payload buffer at once (mutex mode, one worker: every payload
// packed full, one buffer held), so no tag slice is kept once a call
// returns (WithTags reuses its slices for this sink), and they never block:
// a full sender queue drops a payload (counted), it does not wait. Its
// telemetry stays on: it feeds the roachdog_dogstatsd_* self-metrics (and
// datadog.dogstatsd.client.* metrics, which Datadog does not bill as
// custom metrics).
//
// Origin detection is off, and DD_ENTITY_ID is removed from the process
// environment: roachdog reports on a remote cluster, so the Agent must not
// tag CockroachDB's metrics with roachdog's own pod or container. Turning
// origin detection off is not enough: datadog-go still reads DD_ENTITY_ID
// from the environment when a client is created and sends it as
// dd.internal.entity_id on every datagram, which makes the Agent add the
// pod's tags (pod name, replica set...: new series, billed, at every
// rollout). No option turns that off, hence the unset.
func NewDogStatsD(ctx context.Context, addr, namespace string, tags []string, m *SelfMetrics, logger *slog.Logger) (*DogStatsD, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if id, ok := os.LookupEnv(ddEntityIDEnv); ok {
		_ = os.Unsetenv(ddEntityIDEnv)
		logger.Info("ignoring "+ddEntityIDEnv+": roachdog's metrics describe the CockroachDB cluster, not roachdog's pod",
			"value", id)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, agentWait)
		defer cancel()
	}
	configured, env := clientTags(tags)
	errLog := newRateLimitedLog(logger, time.Minute)
	limit := payloadLimit(addr)
	opts := []statsd.Option{
		statsd.WithTags(configured),
		statsd.WithoutOriginDetection(),
		// Set, not left to the client's default, so that the layer and the
		// client agree on it (see wire.PayloadLimit).
		statsd.WithMaxBytesPerPayload(limit),
		statsd.WithoutClientSideAggregation(),
		statsd.WithMutexMode(),
		statsd.WithWorkersCount(1),
		// The client's default preallocates 2,048 buffers of the payload
		// size (16 MiB over UDP, most of the process's heap); a cycle at
		// 100 nodes fills about 100. An empty pool allocates a buffer,
		// so a burst costs garbage, never a drop.
		statsd.WithBufferPoolSize(bufferPool(limit)),
		statsd.WithErrorHandler(func(err error) {
			m.sendError()
			errLog.log("dogstatsd send failed", "addr", addr, "err", err)
		}),
	}
	if limit < wire.LocalPayload {
		// A cycle's burst to a remote Agent is 5.7 times as many
		// payloads as to a local one: a queue of the default length
		// overflows at 300 nodes. Hold the same bytes instead.
		opts = append(opts, statsd.WithSenderQueueSize(dsdQueueBytes/limit))
	}
	prefix := normalizeNamespace(namespace)
	if prefix != "" {
		// statsd.WithNamespace("") would produce a leading ".".
		opts = append(opts, statsd.WithNamespace(prefix))
	}
	d := &DogStatsD{prefix: prefix, m: m, logger: logger, opts: opts,
		resolveLog: newRateLimitedLog(logger, 10*time.Minute)}
	d.wire = wire.New(wire.Config{Namespace: prefix, GlobalTags: append(configured, env...),
		Cardinality: envCardinality(), MaxPayload: limit, Logger: logger, Unsendable: m.unsendableOne})
	d.host, d.port = resolvableHost(addr)

	backoff := dialBackoffMin
	for attempt := 1; ; attempt++ {
		client, ip, err := d.dial(ctx, addr)
		if err == nil {
			if attempt > 1 {
				logger.Info("dogstatsd client ready", "addr", addr, "attempts", attempt)
			}
			d.client, d.ip = client, ip
			m.watchClient(client)
			if d.host != "" {
				d.startReresolve()
			}
			return d, nil
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

const ddEntityIDEnv = "DD_ENTITY_ID"

// resolvableHost returns the host name and port of a UDP address whose host
// is a name (not an IP), which DogStatsD resolves itself; empty otherwise
// (UDS, named pipes, IPs, "" for datadog-go's environment lookup).
func resolvableHost(addr string) (host, port string) {
	for _, p := range statsd.AddressPrefixes {
		if strings.HasPrefix(addr, p) {
			return "", ""
		}
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil || h == "" || net.ParseIP(h) != nil {
		return "", ""
	}
	return h, p
}

// dial creates a client: for a resolvable host, to the IP it resolves to
// now (bounded by lookupTimeout), which it returns.
func (d *DogStatsD) dial(ctx context.Context, addr string) (*statsd.Client, string, error) {
	if d.host == "" {
		c, err := newStatsdClient(addr, d.opts...)
		return c, "", err
	}
	ip, err := d.lookup(ctx)
	if err != nil {
		return nil, "", err
	}
	c, err := newStatsdClient(net.JoinHostPort(ip, d.port), d.opts...)
	return c, ip, err
}

// lookup resolves d.host and picks the address net.ResolveUDPAddr would
// (the first IPv4 one, else the first).
func (d *DogStatsD) lookup(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := lookupHost(ctx, d.host)
	if err != nil {
		return "", err
	}
	return d.pick(addrs)
}

func (d *DogStatsD) pick(addrs []string) (string, error) {
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil && ip.To4() != nil {
			return a, nil
		}
	}
	if len(addrs) == 0 {
		return "", &net.DNSError{Err: "no addresses", Name: d.host, IsNotFound: true}
	}
	return addrs[0], nil
}

func (d *DogStatsD) startReresolve() {
	ctx, cancel := context.WithCancel(context.Background())
	d.stop, d.done = cancel, make(chan struct{})
	go func() {
		defer close(d.done)
		t := time.NewTicker(reresolveInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				d.reresolve(ctx)
			}
		}
	}()
}

// reresolve looks the Agent's host name up again and, when the IP the
// client sends to is no longer among its addresses, swaps in a client for
// the new one. A failed lookup keeps the current client: a DNS hiccup must
// not stop the metrics.
func (d *DogStatsD) reresolve(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := lookupHost(ctx, d.host)
	if err != nil {
		d.resolveLog.log("cannot re-resolve the dogstatsd host; still sending to the last address",
			"host", d.host, "ip", d.currentIP(), "err", err)
		return
	}
	cur := d.currentIP()
	for _, a := range addrs {
		if a == cur {
			return
		}
	}
	ip, err := d.pick(addrs)
	if err != nil {
		return
	}
	client, err := newStatsdClient(net.JoinHostPort(ip, d.port), d.opts...)
	if err != nil {
		d.resolveLog.log("cannot create a dogstatsd client for the new address; still sending to the last one",
			"host", d.host, "ip", cur, "new_ip", ip, "err", err)
		return
	}
	d.mu.Lock()
	old := d.client
	d.client, d.ip = client, ip
	d.mu.Unlock()
	_ = old.Close() // flushes what it still held, to the old address
	d.m.replaceClient(client)
	d.logger.Info("dogstatsd host moved; sending to its new address", "host", d.host, "old_ip", cur, "ip", ip)
}

func (d *DogStatsD) currentIP() string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.ip
}

// Gauge sends a gauge. NaN and infinities are dropped (and counted):
// Datadog cannot store them.
func (d *DogStatsD) Gauge(name string, v float64, tags []string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.m.droppedValue()
		return
	}
	name, tags, ok := d.wire.Gauge(name, v, tags)
	if !ok {
		return
	}
	d.m.sentOne(kindGauge)
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.client.Gauge(name, v, tags, 1); err != nil {
		d.m.sendError()
	}
}

// Count sends a count (a delta since the last report).
func (d *DogStatsD) Count(name string, v int64, tags []string) {
	name, tags, ok := d.wire.Count(name, tags)
	if !ok {
		return
	}
	d.m.sentOne(kindCount)
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.client.Count(name, v, tags, 1); err != nil {
		d.m.sendError()
	}
}

// Distribution sends weighted values as a distribution: one
// DistributionSamples call per weight, with rate 1/weight (see wire.Rates),
// which the client packs into as few datagrams as fit and does not sample
// again.
func (d *DogStatsD) Distribution(name string, samples []emit.Sample, tags []string) {
	name, tags, ok := d.wire.Distribution(name, tags)
	if !ok {
		return
	}
	groups := wire.Rates(samples)
	if len(groups) == 0 {
		return
	}
	d.m.sentOne(kindDistribution)
	// DistributionSamples joins the tags on every call (one per group);
	// joined once here, a one-tag list joins without allocating. The
	// bytes are the same: the client writes the joined tags as they are.
	joined := []string{strings.Join(tags, ",")}
	d.mu.RLock()
	defer d.mu.RUnlock()
	direct := statsd.ClientDirect{Client: d.client}
	for _, g := range groups {
		if err := direct.DistributionSamples(name, g.Values, joined, g.Rate); err != nil {
			d.m.sendError()
		}
	}
}

// ServiceCheck sends a service check named <namespace>.<name>.
func (d *DogStatsD) ServiceCheck(name string, st emit.Status, msg string, tags []string) {
	sc, ok := d.wire.ServiceCheck(name, int(st), msg, tags)
	if !ok {
		return
	}
	d.m.sentOne(kindServiceCheck)
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.client.ServiceCheck(sc); err != nil {
		d.m.sendError()
	}
}

// Event sends an event.
func (d *DogStatsD) Event(e emit.Event) {
	ev, ok := d.wire.Event(event(e))
	if !ok {
		return
	}
	d.m.sentOne(kindEvent)
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.client.Event(ev); err != nil {
		d.m.sendError()
	}
}

// keepsNoTags: every call writes its message into the payload before it
// returns (mutex mode, see NewDogStatsD).
func (d *DogStatsD) keepsNoTags() {}

// trustTags marks an instance's configured tags, which may use reserved
// keys (env, service...); see WithTags.
func (d *DogStatsD) trustTags(tags []string) { d.wire.Trust(tags...) }

// Flush sends everything buffered or aggregated so far; it blocks until
// written.
func (d *DogStatsD) Flush() error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.client.Flush()
}

// Close stops the re-resolution, then flushes and closes the client.
func (d *DogStatsD) Close() error {
	if d.stop != nil {
		d.stop()
		<-d.done
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.client.Close()
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
