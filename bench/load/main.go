// Command load measures what the real roachdog process costs while its vars
// check scrapes many nodes, beside what the same work costs Prometheus and
// a floor program, and prints one table.
//
//	go run ./bench/load -nodes 100 -interval 10s -duration 60s [-gzip]
//
// Fake nodes listen on loopback (or -host), each serving a realistic v23-sized
// /_status/vars: a real v20.2 scrape plus the real v22.2-v23.2 families it
// lacks (about 790 kB and 1,550 families), with its own node id. Without
// -gzip the body is sent uncompressed whatever the client asks, as
// CockroachDB v20.2 does; with -gzip it is gzip-encoded when the client
// asks for it, as newer versions do. roachdog asks a node on a loopback
// address for plain text by default: to measure gzip as between machines,
// give -gzip with -host set to an address of this machine's own network
// interface (the floor and Prometheus ask for gzip whatever the address).
//
// Three programs scrape the same nodes at the same interval, one after the
// other (not at the same time: on a small machine they would take each
// other's CPU):
//
//   - floor: this program started again as a minimal scraper that only
//     receives the bodies (and gunzips them with -gzip) and scans them once
//     (counts lines): no program that reads the payloads can cost less.
//   - roachdog: the real binary (built from ./cmd/roachdog unless -bin),
//     with a generated configuration; its DogStatsD datagrams go to a UDP
//     listener here that counts them.
//   - prometheus: when a prometheus binary is on PATH (or given by
//     -prometheus), with the same targets; skipped otherwise.
//
// Each runs until the first cycle has been requested from every node and
// half an interval more; then CPU (utime+stime from /proc/PID/stat) is
// taken over -duration, and peak resident memory is VmHWM from
// /proc/PID/status at the end. Linux only. The harness's own CPU (the fake
// nodes) is another process and not counted.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/roachdog/roachdog/bench/internal/proc"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat: 100
// on every Linux architecture Go supports.
const clockTicks = 100

func main() {
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		floorMain(os.Args[2:])
		return
	}
	var (
		nodes     = flag.Int("nodes", 100, "fake nodes")
		interval  = flag.Duration("interval", 10*time.Second, "collection interval of every scraper")
		duration  = flag.Duration("duration", 60*time.Second, "measurement window per program, after its first cycle")
		gz        = flag.Bool("gzip", false, "serve gzip-encoded bodies to clients that ask for them (newer CockroachDB); default uncompressed (v20.2)")
		bin       = flag.String("bin", "", "roachdog binary (default: built from ./cmd/roachdog as the release is: CGO_ENABLED=0, -trimpath, -ldflags \"-s -w\")")
		promBin   = flag.String("prometheus", "prometheus", "Prometheus binary; skipped when not found")
		fixtures  = flag.String("fixtures", filepath.Join("..", "shared", "fixtures"), "the shared fixtures directory (cockroach-v20.2 and cockroach-vars)")
		run       = flag.String("run", "floor,roachdog,prometheus", "programs to measure, in order; a program named more than once is measured again and summarized (median and range)")
		extra     = flag.String("vars", "", "extra YAML lines for roachdog's vars check, ';'-separated, e.g. 'max_concurrent_scrapes: 8'")
		initExtra = flag.String("init", "", "extra YAML lines for roachdog's init_config, ';'-separated")
		envExtra  = flag.String("env", "", "extra environment for roachdog, ';'-separated, e.g. 'GOGC=50'")
		host      = flag.String("host", "127.0.0.1", "address the fake nodes listen on: roachdog asks a loopback node for plain text and any other for gzip; give this machine's own non-loopback address to measure gzip as between machines")
	)
	flag.Parse()

	payload, families, err := buildPayload(*fixtures)
	if err != nil {
		log.Fatal(err)
	}
	h := newHarness(payload, *nodes, *gz, *host)
	defer h.close()
	log.Printf("payload: %d bytes, %d families; %d nodes on %s, gzip=%v (%d bytes gzipped); %d CPUs",
		len(payload), families, *nodes, *host, *gz, len(h.bodies[0].gz), runtime.NumCPU())

	dir, err := os.MkdirTemp("", "roachdog-load")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	var rows []result
	for _, name := range strings.Split(*run, ",") {
		var cmd *exec.Cmd
		self := "" // roachdog's self-metrics address
		switch strings.TrimSpace(name) {
		case "floor":
			self, err := os.Executable()
			if err != nil {
				log.Fatal(err)
			}
			cmd = exec.Command(self, "floor", "-interval", interval.String(), "-gzip="+strconv.FormatBool(*gz), "-urls", strings.Join(h.urls, ","))
		case "roachdog":
			path := *bin
			if path == "" {
				path = filepath.Join(dir, "roachdog")
				// Built as the release is (Makefile, Dockerfile): static,
				// without cgo, so the process measured is the one users run.
				b := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", path, "./cmd/roachdog")
				b.Env = append(os.Environ(), "CGO_ENABLED=0")
				b.Stdout, b.Stderr = os.Stderr, os.Stderr
				if err := b.Run(); err != nil {
					log.Fatalf("build roachdog (run from the repository root or give -bin): %v", err)
				}
			}
			conf := filepath.Join(dir, "roachdog.yaml")
			data, addr := roachdogConfig(h, *interval, *extra, *initExtra)
			if err := os.WriteFile(conf, data, 0o600); err != nil {
				log.Fatal(err)
			}
			self = addr
			cmd = exec.Command(path, "run", "--config", conf)
			cmd.Env = os.Environ()
			for _, e := range strings.Split(*envExtra, ";") {
				if e = strings.TrimSpace(e); e != "" {
					cmd.Env = append(cmd.Env, e)
				}
			}
		case "prometheus":
			path, err := exec.LookPath(*promBin)
			if err != nil {
				log.Printf("prometheus: skipped (%v)", err)
				continue
			}
			pdir := filepath.Join(dir, "prometheus")
			if err := os.MkdirAll(pdir, 0o700); err != nil {
				log.Fatal(err)
			}
			conf := filepath.Join(pdir, "prometheus.yml")
			if err := os.WriteFile(conf, prometheusConfig(h, *interval), 0o600); err != nil {
				log.Fatal(err)
			}
			port, err := freePort()
			if err != nil {
				log.Fatal(err)
			}
			cmd = exec.Command(path, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(pdir, "data"),
				"--web.listen-address=127.0.0.1:"+strconv.Itoa(port), "--log.level=warn")
		default:
			log.Fatalf("-run: unknown program %q", name)
		}
		r, err := h.measure(strings.TrimSpace(name), cmd, *interval, *duration, self)
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		rows = append(rows, r)
	}
	printTable(os.Stdout, rows, *nodes, *interval, *gz, len(payload))
}

// buildPayload is the v20.2 capture plus every family of the newer
// captures that it lacks, each family once.
func buildPayload(fixtures string) ([]byte, int, error) {
	base, err := os.ReadFile(filepath.Join(fixtures, "cockroach-v20.2", "healthy", "node1_status_vars.txt"))
	if err != nil {
		return nil, 0, fmt.Errorf("read the v20.2 capture (-fixtures): %w", err)
	}
	newer, err := filepath.Glob(filepath.Join(fixtures, "cockroach-vars", "v2*.txt"))
	if err != nil || len(newer) == 0 {
		return nil, 0, fmt.Errorf("no newer captures in %s: %v", filepath.Join(fixtures, "cockroach-vars"), err)
	}
	sort.Strings(newer)
	var out bytes.Buffer
	seen := map[string]bool{}
	add := func(data []byte) {
		for _, f := range splitFamilies(data) {
			if f.name == "" || seen[f.name] {
				continue
			}
			seen[f.name] = true
			out.Write(f.text)
		}
	}
	add(base)
	for _, p := range newer {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, 0, err
		}
		add(data)
	}
	return out.Bytes(), len(seen), nil
}

type family struct {
	name string
	text []byte // its lines, each ending in \n
}

// splitFamilies cuts a payload into families: a family starts at its first
// # HELP or # TYPE line, or at a sample of another name.
func splitFamilies(data []byte) []family {
	var fams []family
	var cur *family
	for line := range bytes.Lines(data) {
		name := lineFamily(line)
		comment := bytes.HasPrefix(line, []byte("#"))
		if cur == nil || (name != "" && name != cur.name && (comment || !isPart(name, cur.name))) {
			fams = append(fams, family{name: name})
			cur = &fams[len(fams)-1]
		}
		cur.text = append(cur.text, line...)
		if !bytes.HasSuffix(line, []byte("\n")) {
			cur.text = append(cur.text, '\n')
		}
	}
	return fams
}

// isPart: a sample of a histogram or summary family carries a suffix.
func isPart(sample, fam string) bool {
	for _, s := range []string{"_bucket", "_sum", "_count"} {
		if sample == fam+s {
			return true
		}
	}
	return false
}

func lineFamily(line []byte) string {
	s := strings.TrimSpace(string(line))
	if s == "" {
		return ""
	}
	if strings.HasPrefix(s, "#") {
		f := strings.Fields(s)
		if len(f) >= 3 && (f[1] == "HELP" || f[1] == "TYPE") {
			return f[2]
		}
		return ""
	}
	if i := strings.IndexAny(s, "{ "); i > 0 {
		return s[:i]
	}
	return s
}

type body struct{ plain, gz []byte }

type harness struct {
	urls    []string
	bodies  []body
	gzip    bool
	srvs    []*http.Server
	hits    atomic.Int64 // requests for /_status/vars
	sent    atomic.Int64 // body bytes written
	udp     net.PacketConn
	dgrams  atomic.Int64
	dbytes  atomic.Int64
	dmax    atomic.Int64 // largest datagram
	closeWG sync.WaitGroup
}

func newHarness(payload []byte, nodes int, useGzip bool, host string) *harness {
	h := &harness{gzip: useGzip}
	for i := range nodes {
		id := strconv.Itoa(i + 1)
		b := bytes.ReplaceAll(payload, []byte(`node_id="1"`), []byte(`node_id="`+id+`"`))
		b = replaceNodeIDGauge(b, id)
		h.bodies = append(h.bodies, body{plain: b, gz: gzipped(b)})
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			log.Fatal(err)
		}
		srv := &http.Server{Handler: h.handler(i), ReadHeaderTimeout: 10 * time.Second}
		h.srvs = append(h.srvs, srv)
		go srv.Serve(ln)
		h.urls = append(h.urls, "http://"+ln.Addr().String())
	}
	var err error
	h.udp, err = net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	// Room for bursts: a datagram dropped here would be missing from the count.
	if uc, ok := h.udp.(*net.UDPConn); ok {
		uc.SetReadBuffer(8 << 20)
	}
	h.closeWG.Add(1)
	go func() {
		defer h.closeWG.Done()
		buf := make([]byte, 65536)
		for {
			n, _, err := h.udp.ReadFrom(buf)
			if err != nil {
				return
			}
			h.dgrams.Add(1)
			h.dbytes.Add(int64(n))
			if int64(n) > h.dmax.Load() {
				h.dmax.Store(int64(n))
			}
		}
	}()
	return h
}

func (h *harness) close() {
	for _, s := range h.srvs {
		s.Close()
	}
	h.udp.Close()
	h.closeWG.Wait()
}

// replaceNodeIDGauge sets the value of the node_id gauge (v20.2) to id.
func replaceNodeIDGauge(b []byte, id string) []byte {
	var out bytes.Buffer
	for line := range bytes.Lines(b) {
		if bytes.HasPrefix(line, []byte("node_id{")) || bytes.HasPrefix(line, []byte("node_id ")) {
			if i := bytes.LastIndexByte(bytes.TrimRight(line, "\n"), ' '); i > 0 {
				out.Write(line[:i+1])
				out.WriteString(id + "\n")
				continue
			}
		}
		out.Write(line)
	}
	return out.Bytes()
}

func (h *harness) handler(i int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_status/vars" {
			http.NotFound(w, r)
			return
		}
		h.hits.Add(1)
		b := h.bodies[i].plain
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		if h.gzip && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			b = h.bodies[i].gz
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		n, _ := w.Write(b)
		h.sent.Add(int64(n))
	})
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.DefaultCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// roachdogConfig returns roachdog's configuration and the address of its
// self-metrics (a free loopback port unless initExtra sets listen_address),
// read at the end for what roachdog counted as not delivered.
func roachdogConfig(h *harness, interval time.Duration, varsExtra, initExtra string) ([]byte, string) {
	var b strings.Builder
	fmt.Fprintf(&b, "init_config:\n  dogstatsd_url: udp://%s\n  log_level: warn\n", h.udp.LocalAddr())
	self := ""
	if !strings.Contains(initExtra, "listen_address:") {
		if port, err := freePort(); err == nil {
			self = "127.0.0.1:" + strconv.Itoa(port)
			fmt.Fprintf(&b, "  listen_address: %s\n", self)
		} else {
			b.WriteString("  listen_address: \"off\"\n")
		}
	}
	for _, l := range strings.Split(initExtra, ";") {
		if l = strings.TrimSpace(l); l != "" {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	fmt.Fprintf(&b, "instances:\n  - cluster: load\n    min_collection_interval: %d\n    status_urls:\n", int(interval.Seconds()))
	for _, u := range h.urls {
		fmt.Fprintf(&b, "      - %s\n", u)
	}
	fmt.Fprintf(&b, "    checks:\n      vars:\n        timeout: %s\n", interval)
	for _, l := range strings.Split(varsExtra, ";") {
		if l = strings.TrimSpace(l); l != "" {
			fmt.Fprintf(&b, "        %s\n", l)
		}
	}
	return []byte(b.String()), self
}

func prometheusConfig(h *harness, interval time.Duration) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n  - job_name: cockroach\n    metrics_path: /_status/vars\n    static_configs:\n      - targets:\n", interval, interval)
	for _, u := range h.urls {
		fmt.Fprintf(&b, "          - %s\n", strings.TrimPrefix(u, "http://"))
	}
	return []byte(b.String())
}

type result struct {
	name               string
	cpu                float64 // share of one core
	hwm, rssEnd        int64   // kB
	cycles             float64 // scrapes in the window / nodes
	recvPerCycle       float64 // body bytes per cycle
	dgramsPerCycle     float64
	dgramBytesPerCycle float64
	dgramMax           int64
	// lost is what roachdog itself counted as not delivered (its
	// roachdog_dropped_values_total, roachdog_send_errors_total and
	// roachdog_unsendable_total); -1 when its /metrics could not be read.
	lost   float64
	window time.Duration
}

// measure starts cmd, waits for its first cycle and half an interval, then
// measures over duration and stops it.
func (h *harness) measure(name string, cmd *exec.Cmd, interval, duration time.Duration, self string) (result, error) {
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &limitedWriter{w: &stderr, left: 64 << 10}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := h.hits.Load()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		select {
		case <-exited:
			return
		default:
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	pid := cmd.Process.Pid
	nodes := int64(len(h.urls))
	deadline := time.Now().Add(3*interval + 30*time.Second)
	for h.hits.Load()-start < nodes {
		select {
		case err := <-exited:
			return result{}, fmt.Errorf("exited before its first cycle (%v): %s", err, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return result{}, fmt.Errorf("first cycle not requested from every node in time (%d of %d): %s", h.hits.Load()-start, nodes, stderr.String())
		}
	}
	time.Sleep(interval / 2)

	cpu0, err := proc.CPUTicks(pid)
	if err != nil {
		return result{}, err
	}
	hits0, sent0, d0, db0, t0 := h.hits.Load(), h.sent.Load(), h.dgrams.Load(), h.dbytes.Load(), time.Now()
	select {
	case err := <-exited:
		return result{}, fmt.Errorf("exited during the measurement (%v): %s", err, stderr.String())
	case <-time.After(duration):
	}
	cpu1, err := proc.CPUTicks(pid)
	if err != nil {
		return result{}, err
	}
	hits1, sent1, d1, db1, t1 := h.hits.Load(), h.sent.Load(), h.dgrams.Load(), h.dbytes.Load(), time.Now()
	st, err := proc.Status(pid)
	if err != nil {
		return result{}, err
	}
	win := t1.Sub(t0)
	r := result{
		name:     name,
		cpu:      float64(cpu1-cpu0) / clockTicks / win.Seconds(),
		hwm:      st["VmHWM"],
		rssEnd:   st["VmRSS"],
		cycles:   float64(hits1-hits0) / float64(nodes),
		window:   win,
		dgramMax: h.dmax.Load(),
		lost:     -1,
	}
	if self != "" {
		if lost, err := undelivered(self); err != nil {
			log.Printf("%s: reading its self-metrics: %v", name, err)
		} else {
			r.lost = lost
		}
	}
	if r.cycles > 0 {
		r.recvPerCycle = float64(sent1-sent0) / r.cycles
		r.dgramsPerCycle = float64(d1-d0) / r.cycles
		r.dgramBytesPerCycle = float64(db1-db0) / r.cycles
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		log.Printf("%s stderr (first lines):\n%s", name, firstLines(s, 10))
	}
	log.Printf("%s: %.2f%% of a core, VmHWM %d MB, %.1f cycles in %s", name, 100*r.cpu, r.hwm>>10, r.cycles, win.Round(time.Second))
	return r, nil
}

// undelivered sums the self-metrics in which roachdog counts values it did
// not deliver: dropped by the DogStatsD client, failed sends, and values
// too large for a datagram.
func undelivered(addr string) (float64, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("GET /metrics: %w", err)
	}
	var sum float64
	for _, name := range []string{"roachdog_dropped_values_total", "roachdog_send_errors_total", "roachdog_unsendable_total"} {
		mf, ok := fams[name]
		if !ok {
			return 0, fmt.Errorf("GET /metrics: no %s", name)
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum, nil
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

type limitedWriter struct {
	mu   sync.Mutex
	w    *bytes.Buffer
	left int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.left > 0 {
		k := min(len(p), l.left)
		l.w.Write(p[:k])
		l.left -= k
	}
	return len(p), nil
}

func printTable(w io.Writer, rows []result, nodes int, interval time.Duration, gz bool, size int) {
	enc := "uncompressed"
	if gz {
		enc = "gzip when asked"
	}
	fmt.Fprintf(w, "\n%d nodes, %s interval, %d-byte payload (%s), %d CPUs\n\n", nodes, interval, size, enc, runtime.NumCPU())
	var floor, prom *result
	for i := range rows {
		switch rows[i].name {
		case "floor":
			floor = &rows[i]
		case "prometheus":
			prom = &rows[i]
		}
	}
	ratio := func(a, b float64) string {
		if b <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", a/b)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "program\t% of a core\tvs floor\tvs prometheus\tpeak RSS MB\tvs floor\tvs prometheus\tRSS at end MB\tcycles\treceived MB/cycle\tdatagrams/cycle\tdatagram kB/cycle\tmean/max datagram B\tnot delivered\t")
	for _, r := range rows {
		var fc, fm, pc, pm string = "-", "-", "-", "-"
		if floor != nil && r.name != "floor" {
			fc, fm = ratio(r.cpu, floor.cpu), ratio(float64(r.hwm), float64(floor.hwm))
		}
		if prom != nil && r.name != "prometheus" {
			pc, pm = ratio(r.cpu, prom.cpu), ratio(float64(r.hwm), float64(prom.hwm))
		}
		dg, dgb, fill, lost := "-", "-", "-", "-"
		if r.name == "roachdog" {
			dg, dgb = fmt.Sprintf("%.0f", r.dgramsPerCycle), fmt.Sprintf("%.1f", r.dgramBytesPerCycle/1000)
			if r.dgramsPerCycle > 0 {
				fill = fmt.Sprintf("%.0f/%d", r.dgramBytesPerCycle/r.dgramsPerCycle, r.dgramMax)
			}
			if r.lost >= 0 {
				lost = fmt.Sprintf("%.0f", r.lost)
			}
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\t%.1f\t%s\t%s\t%.1f\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t\n",
			r.name, 100*r.cpu, fc, pc, float64(r.hwm)/1024, fm, pm, float64(r.rssEnd)/1024, r.cycles, r.recvPerCycle/1e6, dg, dgb, fill, lost)
	}
	tw.Flush()
	summarize(w, rows)
}

// summarize prints, for each program measured more than once (-run
// roachdog,roachdog,...), the median and range of its CPU and peak RSS:
// the same build varies from run to run, and one run says little.
func summarize(w io.Writer, rows []result) {
	var order []string
	by := map[string][]result{}
	for _, r := range rows {
		if by[r.name] == nil {
			order = append(order, r.name)
		}
		by[r.name] = append(by[r.name], r)
	}
	for _, name := range order {
		runs := by[name]
		if len(runs) < 2 {
			continue
		}
		cpu := make([]float64, len(runs))
		hwm := make([]float64, len(runs))
		for i, r := range runs {
			cpu[i], hwm[i] = 100*r.cpu, float64(r.hwm)/1024
		}
		fmt.Fprintf(w, "%s, %d runs: %% of a core median %.2f (%.2f-%.2f), peak RSS MB median %.1f (%.1f-%.1f)\n",
			name, len(runs), median(cpu), slices.Min(cpu), slices.Max(cpu), median(hwm), slices.Min(hwm), slices.Max(hwm))
	}
}

// median of xs (not empty), which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	if n := len(xs); n%2 == 1 {
		return xs[n/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// floorMain is the floor program: every interval it GETs every URL (16 at a
// time, as roachdog's default), reads the body into a reused buffer
// (gunzipping with -gzip) and counts its lines. Nothing less reads the
// payloads.
func floorMain(args []string) {
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	interval := fs.Duration("interval", 10*time.Second, "")
	useGzip := fs.Bool("gzip", false, "")
	urls := fs.String("urls", "", "")
	fs.Parse(args)
	list := strings.Split(*urls, ",")
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1}, Timeout: *interval}
	const workers = 16
	type worker struct {
		buf bytes.Buffer
		zr  *gzip.Reader
	}
	ws := make([]worker, workers)
	var lines atomic.Int64
	ctx := context.Background()
	for tick := time.NewTicker(*interval); ; <-tick.C {
		next := make(chan string, len(list))
		for _, u := range list {
			next <- u + "/_status/vars"
		}
		close(next)
		var wg sync.WaitGroup
		for i := range ws {
			w := &ws[i]
			wg.Go(func() {
				for u := range next {
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
					if *useGzip {
						req.Header.Set("Accept-Encoding", "gzip")
					}
					resp, err := client.Do(req)
					if err != nil {
						continue
					}
					var r io.Reader = resp.Body
					if resp.Header.Get("Content-Encoding") == "gzip" {
						if w.zr == nil {
							w.zr, err = gzip.NewReader(resp.Body)
						} else {
							err = w.zr.Reset(resp.Body)
						}
						if err != nil {
							resp.Body.Close()
							continue
						}
						r = w.zr
					}
					w.buf.Reset()
					w.buf.ReadFrom(r)
					resp.Body.Close()
					lines.Add(int64(bytes.Count(w.buf.Bytes(), []byte{'\n'})))
				}
			})
		}
		wg.Wait()
	}
}
