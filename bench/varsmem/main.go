// Command varsmem measures the resident memory of a real roachdog process
// whose vars check scrapes many nodes answering with very large payloads,
// then small ones again: the peak (VmHWM) says whether memory stays within
// the bound the vars options give, and the resident set after the payloads
// shrank (VmRSS) says whether buffers that grew for the big payloads were
// kept.
//
// It serves -nodes fake nodes on loopback (gzip, as CockroachDB answers),
// writes a configuration for them, starts the roachdog binary given by -bin,
// and samples /proc/PID/status. Linux only.
//
//	go build -o roachdog.bin ./cmd/roachdog
//	go run ./bench/varsmem -bin ./roachdog.bin -payload node1_status_vars.txt
//
// -payload is a real capture (the v20.2 one is 226 kB).
//
// Two shapes of big payload (-shape): "pad" is the real payload padded with
// families roachdog does not want (one large node); "stores" adds one wanted
// store-level family with as many store values as fit (a hostile payload:
// the per-family series cap must cut it).
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/roachdog/roachdog/bench/internal/proc"
)

func main() {
	var (
		bin      = flag.String("bin", "", "roachdog binary to measure (required)")
		payload  = flag.String("payload", "", "a real /_status/vars capture, served as the small payload and padded for the big one (required)")
		nodes    = flag.Int("nodes", 50, "fake nodes")
		size     = flag.Int("size", 16<<20-4096, "size of the big payloads in bytes (just under the default payload cap)")
		shape    = flag.String("shape", "pad", `big payload shape: "pad" (unwanted families) or "stores" (one wanted family, many store values)`)
		interval = flag.Duration("interval", 5*time.Second, "vars check interval")
		big      = flag.Duration("big", 60*time.Second, "how long the big payloads are served")
		small    = flag.Duration("small", 60*time.Second, "how long the small payloads are served afterwards")
		extra    = flag.String("vars", "", "extra YAML lines for the vars check, e.g. 'max_concurrent_scrapes: 8'")
	)
	flag.Parse()
	if *bin == "" || *payload == "" {
		flag.Usage()
		os.Exit(2)
	}
	smallBody, err := os.ReadFile(*payload)
	if err != nil {
		log.Fatal(err)
	}
	if !bytes.HasSuffix(smallBody, []byte("\n")) {
		smallBody = append(smallBody, '\n')
	}
	bigBody := grow(smallBody, *size, *shape)
	smallGz, bigGz := gz(smallBody), gz(bigBody)
	log.Printf("payloads: small %d B (%d gzipped), big %d B (%d gzipped), shape %s", len(smallBody), len(smallGz), len(bigBody), len(bigGz), *shape)

	var useBig atomic.Bool
	useBig.Store(true)
	var hits atomic.Int64
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_status/vars" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		body := smallGz
		if useBig.Load() {
			body = bigGz
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(body)
	})
	var urls []string
	for range *nodes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		go http.Serve(ln, handler)
		urls = append(urls, "http://"+ln.Addr().String())
	}

	dir, err := os.MkdirTemp("", "varsmem")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// A UDP port nobody reads: DogStatsD over UDP never blocks on it.
	sink, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer sink.Close()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "init_config:\n  dogstatsd_url: udp://%s\n  listen_address: \"off\"\n  log_level: warn\ninstances:\n  - cluster: mem\n    min_collection_interval: %s\n    status_urls:\n", sink.LocalAddr(), *interval)
	for _, u := range urls {
		fmt.Fprintf(&cfg, "      - %s\n", u)
	}
	fmt.Fprintf(&cfg, "    checks:\n      vars:\n        timeout: %s\n", *interval)
	for _, l := range strings.Split(*extra, ";") {
		if l = strings.TrimSpace(l); l != "" {
			fmt.Fprintf(&cfg, "        %s\n", l)
		}
	}
	conf := filepath.Join(dir, "conf.yaml")
	if err := os.WriteFile(conf, []byte(cfg.String()), 0o600); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, *bin, "run", "--config", conf)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	pid := cmd.Process.Pid

	phase := func(name string, d time.Duration) {
		var maxRSS int64
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			time.Sleep(500 * time.Millisecond)
			st, err := proc.Status(pid)
			if err != nil {
				log.Fatalf("read status of %d: %v", pid, err)
			}
			maxRSS = max(maxRSS, st["VmRSS"])
		}
		st, _ := proc.Status(pid)
		fmt.Printf("%-6s payloads, %s: VmHWM %d MB, max VmRSS %d MB, VmRSS at end %d MB (scrapes so far %d)\n",
			name, d, st["VmHWM"]>>10, maxRSS>>10, st["VmRSS"]>>10, hits.Load())
	}
	phase("big", *big)
	useBig.Store(false)
	phase("small", *small)
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
}

// grow pads a real payload to size bytes.
func grow(base []byte, size int, shape string) []byte {
	b := bytes.NewBuffer(make([]byte, 0, size))
	b.Write(base)
	switch shape {
	case "stores":
		// A wanted store-level family with one series per store; one the
		// real payload lacks (a repeated family would be dropped whole).
		b.WriteString("# HELP admission_io_overload IO overload score\n# TYPE admission_io_overload gauge\n")
		for i := 1; b.Len() < size-64; i++ {
			fmt.Fprintf(b, "admission_io_overload{store=\"%d\"} %d\n", i, i)
		}
	case "pad":
		for i := 0; b.Len() < size-256; i++ {
			fmt.Fprintf(b, "# HELP padding_%d Unwanted family.\n# TYPE padding_%d gauge\npadding_%d{store=\"1\"} %d\n", i, i, i, i)
		}
	default:
		log.Fatalf("unknown -shape %q", shape)
	}
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}
