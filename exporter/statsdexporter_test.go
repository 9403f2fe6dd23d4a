package exporter

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/roachdog/roachdog/internal/testenv"
)

// findStatsdExporter looks for the statsd_exporter binary in PATH, then in
// $GOBIN and $(go env GOPATH)/bin, where `go install` puts it.
func findStatsdExporter(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("statsd_exporter"); err == nil {
		return p
	}
	var dirs []string
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) > 0 && lines[0] != "" {
			dirs = append(dirs, lines[0])
		}
		if len(lines) > 1 {
			for _, p := range filepath.SplitList(lines[1]) {
				dirs = append(dirs, filepath.Join(p, "bin"))
			}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "statsd_exporter")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	testenv.SkipOrFail(t, "statsd_exporter not found in PATH, $GOBIN or $(go env GOPATH)/bin "+
		"(go install github.com/prometheus/statsd_exporter@v0.31.0)")
	return ""
}

func freePort(t *testing.T, network string) string {
	t.Helper()
	var addr net.Addr
	switch network {
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr()
		pc.Close()
	default:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr()
		l.Close()
	}
	return addr.String()
}

// statsdExporter is a running statsd_exporter process.
type statsdExporter struct {
	udpAddr, webURL string
	stderr          *syncBuffer
}

func startStatsdExporter(t *testing.T) *statsdExporter {
	t.Helper()
	bin := findStatsdExporter(t)
	se := &statsdExporter{udpAddr: freePort(t, "udp"), stderr: &syncBuffer{}}
	web := freePort(t, "tcp")
	se.webURL = "http://" + web + "/metrics"
	// t.Context is cancelled as the test ends, which kills the process;
	// Cleanup then reaps it.
	cmd := exec.CommandContext(t.Context(), bin,
		"--statsd.listen-udp="+se.udpAddr,
		"--statsd.listen-tcp=",
		"--web.listen-address="+web,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = se.stderr, se.stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	// Ready when a probe sent over UDP shows up on /metrics: that proves
	// both listeners are up (packets sent earlier would be lost).
	probe, err := net.Dial("udp", se.udpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("statsd_exporter exited early:\n%s", se.stderr)
		default:
		}
		probe.Write([]byte("roachdog_probe:1|g\n"))
		if fams, err := se.scrape(t); err == nil && fams["roachdog_probe"] != nil {
			return se
		}
		if time.Now().After(deadline) {
			t.Fatalf("statsd_exporter not ready after 20s:\n%s", se.stderr)
		}
		time.Sleep(50 * time.Millisecond) // poll interval; bounded by deadline
	}
}

func (se *statsdExporter) scrape(t *testing.T) (map[string]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", se.webURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s: %s", se.webURL, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// value returns the value of the series of family name with exactly these
// labels, and whether it exists.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// TestStatsdExporterIntegration sends through the DogStatsD sink to a real
// statsd_exporter (an independent DogStatsD parser) and reads back what it
// understood: names with namespace, tags as labels, values, and counts as
// deltas that it accumulates.
func TestStatsdExporterIntegration(t *testing.T) {
	clearDDEnv(t)
	se := startStatsdExporter(t)

	d, err := NewDogStatsD(t.Context(), se.udpAddr, "crdb", nil, NewSelfMetrics("test", "abc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := WithTags(d, "cluster:test")

	s.Gauge("capacity.used", 42.5, []string{"node_id:1"})
	s.Gauge("capacity.used", 1e9, []string{"node_id:2"})
	s.Count("sql.queries", 7, []string{"node_id:1"})
	s.Count("sql.queries", 5, []string{"node_id:1"}) // aggregated client-side: 12
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}

	node1 := map[string]string{"cluster": "test", "node_id": "1"}
	node2 := map[string]string{"cluster": "test", "node_id": "2"}
	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"crdb_capacity_used", node1, 42.5},
		{"crdb_capacity_used", node2, 1e9},
		{"crdb_sql_queries", node1, 12},
	}
	waitValues := func(step string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			fams, err := se.scrape(t)
			var missing []string
			for _, w := range want {
				if got, ok := value(fams, w.name, w.labels); !ok || got != w.value {
					missing = append(missing, fmt.Sprintf("%s%v = %v (present %v), want %v", w.name, w.labels, got, ok, w.value))
				}
			}
			if err == nil && len(missing) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: statsd_exporter never showed:\n%s\nscrape error: %v\nstderr:\n%s",
					step, strings.Join(missing, "\n"), err, se.stderr)
			}
			time.Sleep(50 * time.Millisecond) // poll interval; bounded by deadline
		}
	}
	waitValues("first batch")

	// A count is a delta: sending 3 more makes the exporter's counter 15.
	s.Count("sql.queries", 3, []string{"node_id:1"})
	s.Gauge("capacity.used", 40, []string{"node_id:1"})
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	want[0].value, want[2].value = 40, 15
	waitValues("second batch")
}
