// Package dsdtest is a DogStatsD server for tests: a UDP listener on
// loopback that keeps every datagram it receives, read as the Agent reads
// it (see Parse), so tests can assert on exactly what a real datadog-go
// client put on the wire and what the Agent would make of it; anything the
// Agent would accept but roachdog must never send fails the test.
package dsdtest

import (
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Snapshot is what the server has received so far (without datadog-go's own
// telemetry).
type Snapshot struct {
	Metrics       []Metric
	ServiceChecks []ServiceCheck
	Events        []Event
	// Lines are the well-formed lines, as received.
	Lines []string
}

// FindMetrics returns the metrics with this name whose tags include all of
// tags.
func (s Snapshot) FindMetrics(name string, tags ...string) []Metric {
	var out []Metric
	for _, m := range s.Metrics {
		if m.Name == name && hasAll(m.Tags, tags) {
			out = append(out, m)
		}
	}
	return out
}

// FindServiceChecks returns the service checks with this name whose tags
// include all of tags.
func (s Snapshot) FindServiceChecks(name string, tags ...string) []ServiceCheck {
	var out []ServiceCheck
	for _, sc := range s.ServiceChecks {
		if sc.Name == name && hasAll(sc.Tags, tags) {
			out = append(out, sc)
		}
	}
	return out
}

// FindEvents returns the events with this title.
func (s Snapshot) FindEvents(title string) []Event {
	var out []Event
	for _, e := range s.Events {
		if e.Title == title {
			out = append(out, e)
		}
	}
	return out
}

// String lists the received lines, for failure messages.
func (s Snapshot) String() string {
	if len(s.Lines) == 0 {
		return "(nothing received)"
	}
	return strings.Join(s.Lines, "\n")
}

func (s Snapshot) clone() Snapshot {
	return Snapshot{
		Metrics:       slices.Clone(s.Metrics),
		ServiceChecks: slices.Clone(s.ServiceChecks),
		Events:        slices.Clone(s.Events),
		Lines:         slices.Clone(s.Lines),
	}
}

// Server is a DogStatsD UDP listener on 127.0.0.1.
type Server struct {
	conn net.PacketConn
	done chan struct{}

	mu        sync.Mutex
	snap      Snapshot
	datagrams int
	errs      []error
	// changed is closed (and replaced) whenever a datagram arrives, so
	// WaitFor wakes up without polling.
	changed chan struct{}
}

// Listen starts a server on a free loopback port. It stops when the test
// ends; any malformed line it received then fails the test, so a sink that
// writes invalid DogStatsD cannot pass unnoticed.
func Listen(t testing.TB) *Server {
	t.Helper()
	return ListenOn(t, "udp", "127.0.0.1:0")
}

// ListenOn is Listen on a given address: "udp" and a host:port, or
// "unixgram" and a socket path (the Agent's UDS), e.g. to stand in again
// for an Agent that went away (see Close).
func ListenOn(t testing.TB, network, addr string) *Server {
	t.Helper()
	conn, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatalf("dsdtest: listen on %s %s: %v", network, addr, err)
	}
	s := &Server{conn: conn, done: make(chan struct{}), changed: make(chan struct{})}
	go s.serve()
	t.Cleanup(func() {
		conn.Close()
		<-s.done
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.errs) > 0 {
			t.Errorf("dsdtest: received %d malformed line(s):\n%v", len(s.errs), errors.Join(s.errs...))
		}
	})
	return s
}

// Close stops the server before the test ends, like an Agent that went
// away (a UDS socket file stays until removed).
func (s *Server) Close() {
	s.conn.Close()
	<-s.done
}

// Addr returns the "127.0.0.1:port" the server listens on.
func (s *Server) Addr() string { return s.conn.LocalAddr().String() }

func (s *Server) serve() {
	defer close(s.done)
	// 64 KiB holds the largest UDP payload datadog-go can send (65467).
	buf := make([]byte, 64<<10)
	for {
		n, _, err := s.conn.ReadFrom(buf)
		if err != nil {
			return // closed by Cleanup
		}
		s.record(string(buf[:n]))
	}
}

func (s *Server) record(datagram string) {
	got, err := Parse(datagram)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.datagrams++
	if err != nil {
		s.errs = append(s.errs, err)
	}
	for _, m := range got.Metrics {
		if !strings.HasPrefix(m.Name, TelemetryPrefix) {
			s.snap.Metrics = append(s.snap.Metrics, m)
		}
	}
	s.snap.ServiceChecks = append(s.snap.ServiceChecks, got.ServiceChecks...)
	s.snap.Events = append(s.snap.Events, got.Events...)
	for _, l := range got.Lines {
		if !strings.HasPrefix(l, TelemetryPrefix) {
			s.snap.Lines = append(s.snap.Lines, l)
		}
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// Snapshot returns a copy of everything received since the start or the
// last Reset.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap.clone()
}

// Metrics returns the metric samples received (datadog-go telemetry left
// out).
func (s *Server) Metrics() []Metric { return s.Snapshot().Metrics }

// ServiceChecks returns the service checks received.
func (s *Server) ServiceChecks() []ServiceCheck { return s.Snapshot().ServiceChecks }

// Events returns the events received.
func (s *Server) Events() []Event { return s.Snapshot().Events }

// Lines returns the well-formed lines received, telemetry left out.
func (s *Server) Lines() []string { return s.Snapshot().Lines }

// Errors returns the parse errors of malformed lines received so far.
func (s *Server) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

// Datagrams counts the datagrams received, telemetry included.
func (s *Server) Datagrams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.datagrams
}

// Reset forgets everything received (parse errors included).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap = Snapshot{}
	s.errs = nil
}

// WaitFor waits until cond holds for what has been received, and returns
// that snapshot. It fails the test (with everything received) if timeout
// passes first. Call it from the test's goroutine.
func (s *Server) WaitFor(t testing.TB, timeout time.Duration, cond func(Snapshot) bool) Snapshot {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		snap, changed := s.snap.clone(), s.changed
		s.mu.Unlock()
		if cond(snap) {
			return snap
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("dsdtest: condition not met within %s; received:\n%s", timeout, snap)
			return snap
		}
	}
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
