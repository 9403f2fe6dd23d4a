package dsdtest

import (
	"net"
	"strings"
	"testing"
	"time"
)

func send(t *testing.T, addr, payload string) {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(payload)); err != nil {
		t.Fatal(err)
	}
}

func TestServerCollects(t *testing.T) {
	t.Parallel()
	s := Listen(t)
	send(t, s.Addr(), "crdb.a:1|g|#x:y\n_sc|crdb.b|2|m:down\n")
	send(t, s.Addr(), "_e{2,2}:hi|yo|t:error\n"+TelemetryPrefix+"metrics:10|c|#client:go\n")

	snap := s.WaitFor(t, 5*time.Second, func(s Snapshot) bool {
		return len(s.Metrics) == 1 && len(s.ServiceChecks) == 1 && len(s.Events) == 1
	})
	if m := snap.FindMetrics("crdb.a", "x:y"); len(m) != 1 || m[0].Value != 1 {
		t.Errorf("FindMetrics = %+v", m)
	}
	if sc := snap.FindServiceChecks("crdb.b"); len(sc) != 1 || sc[0].Message != "down" {
		t.Errorf("FindServiceChecks = %+v", sc)
	}
	if e := snap.FindEvents("hi"); len(e) != 1 || e[0].AlertType != "error" {
		t.Errorf("FindEvents = %+v", e)
	}
	for _, l := range s.Lines() {
		if strings.HasPrefix(l, TelemetryPrefix) {
			t.Errorf("telemetry line kept: %q", l)
		}
	}
	if s.Datagrams() != 2 {
		t.Errorf("Datagrams = %d, want 2", s.Datagrams())
	}

	s.Reset()
	if got := s.Snapshot(); len(got.Metrics)+len(got.ServiceChecks)+len(got.Events)+len(got.Lines) != 0 {
		t.Errorf("after Reset: %+v", got)
	}
	send(t, s.Addr(), "crdb.c:2|c")
	s.WaitFor(t, 5*time.Second, func(s Snapshot) bool { return len(s.FindMetrics("crdb.c")) == 1 })
	if n := len(s.Metrics()); n != 1 {
		t.Errorf("after Reset and one more line: %d metrics", n)
	}
}

// fakeTB records failures instead of ending the test, to check that the
// server reports what it must.
type fakeTB struct {
	testing.TB
	errors, fatals []string
	cleanups       []func()
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(format string, a ...any) { f.errors = append(f.errors, format) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.fatals = append(f.fatals, format) }

func TestServerReportsMalformedLines(t *testing.T) {
	t.Parallel()
	f := &fakeTB{TB: t}
	s := Listen(f)
	send(t, s.Addr(), "crdb.ok:1|g\nnot dogstatsd\n")
	s.WaitFor(t, 5*time.Second, func(s Snapshot) bool { return len(s.Metrics) == 1 })
	if errs := s.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `"not dogstatsd"`) {
		t.Errorf("Errors = %v", errs)
	}
	for _, c := range f.cleanups {
		c()
	}
	if len(f.errors) != 1 {
		t.Errorf("cleanup reported %d errors, want 1 for the malformed line", len(f.errors))
	}
}

func TestWaitForTimesOut(t *testing.T) {
	t.Parallel()
	f := &fakeTB{TB: t}
	s := Listen(t)
	s.WaitFor(f, 50*time.Millisecond, func(Snapshot) bool { return false })
	if len(f.fatals) != 1 {
		t.Errorf("WaitFor did not fail the test on timeout")
	}
}
