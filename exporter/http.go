package exporter

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roachdog/roachdog/internal/loopback"
)

// NewHTTPServer returns a server (not started) for roachdog's own
// endpoints:
//
//	/metrics  self-metrics from m's private registry
//	/healthz  200 "ok" while the process runs (liveness)
//	/readyz   200 once ready() is true, else 503 with the reason (readiness)
//	/debug/pprof/  Go's profiles, only with the Pprof option and a loopback addr
//
// A nil ready counts as always ready. Options: ReadyReason, Pprof.
func NewHTTPServer(addr string, m *SelfMetrics, ready func() bool, logger *slog.Logger, opts ...HTTPOption) *http.Server {
	var o httpOptions
	for _, opt := range opts {
		opt(&o)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	reg := m.Registry()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(reg,
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
			ErrorHandling:     promhttp.ContinueOnError,
			Registry:          reg,
			Timeout:           10 * time.Second,
			EnableOpenMetrics: true,
		})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ready == nil || ready() {
			plain(w, http.StatusOK, "ready")
			return
		}
		why := "some checks have not completed their first cycle yet"
		if o.reason != nil {
			if r := o.reason(); r != "" {
				why = r
			}
		}
		plain(w, http.StatusServiceUnavailable, "not ready: "+why)
	})
	if o.pprof {
		// Profiles show memory contents and cost CPU on demand: never on an
		// address other hosts reach (the configuration refuses that too).
		if loopback.Address(addr) {
			mux.HandleFunc("GET /debug/pprof/", pprof.Index)
			mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
			mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
			mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
			mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		} else {
			logger.Warn("pprof not served: the listen address is not a loopback address", "addr", addr)
		}
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "roachdog\n\n/metrics  self-metrics\n/healthz  liveness\n/readyz   readiness")
	})
	return &http.Server{
		Addr:    addr,
		Handler: mux,
		// Bounded everywhere: a slow or stuck client must not pin
		// goroutines. WriteTimeout leaves room for the 10s gather timeout.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

func plain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintln(w, body)
}

// HTTPOption configures NewHTTPServer.
type HTTPOption func(*httpOptions)

type httpOptions struct {
	reason func() string
	pprof  bool
}

// Pprof also serves Go's profiles under /debug/pprof/ when the server's
// address is a loopback one (127.0.0.0/8, ::1, localhost); elsewhere it is
// ignored with a warning.
func Pprof() HTTPOption {
	return func(o *httpOptions) { o.pprof = true }
}

// ReadyReason gives /readyz the reason it prints when not ready (a
// Runner's Readiness); "" keeps the default text.
func ReadyReason(reason func() string) HTTPOption {
	return func(o *httpOptions) { o.reason = reason }
}
