package checks

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/internal/testenv"
)

// BenchmarkVarsScrapeNode is one node's steady-state scrape, as the load
// harness serves it (plain text, as on loopback), without HTTP: the
// payload comes from memory, so every allocation counted is roachdog's
// (exact with -benchmem). The payload is the v20.2 capture plus every
// family of the newer captures it lacks (about 790 kB): "static" serves
// the same one every cycle, as the harness does; "advancing" alternates
// the captures taken 20 s apart, so that counters and histograms move and
// their windows are sent. "parse" is the fetch, selection and parse only;
// "scrape" adds the conversion.
func BenchmarkVarsScrapeNode(b *testing.B) {
	for _, tc := range varsBenchCases(b) {
		b.Run(tc.name+"/parse", func(b *testing.B) {
			v, client := varsBenchCheck(b, tc.payloads)
			ctx := context.Background()
			b.SetBytes(int64(len(tc.payloads[0])))
			b.ReportAllocs()
			for b.Loop() {
				p, err := v.fetchVars(ctx, client, "http://bench/_status/vars", false)
				if err != nil {
					b.Fatal(err)
				}
				p.release()
				v.publishRules() // as Run does once per cycle
			}
		})
		b.Run(tc.name+"/scrape", func(b *testing.B) {
			v, client := varsBenchCheck(b, tc.payloads)
			ctx := context.Background()
			clock := time.Date(2026, 11, 22, 2, 45, 20, 0, time.UTC)
			st := newVarsNodeState("http://bench")
			log := slog.New(slog.DiscardHandler)
			node := cluster.Node{StatusURL: st.url, Locality: []cluster.Tier{{Key: "region", Value: "r1"}}}
			scrape := func() *varsResult {
				clock = clock.Add(10 * time.Second)
				r := &varsResult{node: node, st: st, quota: varsDefaultMaxSeriesPerCycle}
				v.scrape(ctx, client, log, r, clock, clock)
				if r.err != nil {
					b.Fatal(r.err)
				}
				v.publishRules() // as Run does once per cycle
				st.points = r.points[:0]
				return r
			}
			// Baselines, then a check that the cycle measured sends.
			scrape()
			if r := scrape(); len(r.points) < 50 {
				b.Fatalf("%d points", len(r.points))
			}
			b.SetBytes(int64(len(tc.payloads[0])))
			b.ReportAllocs()
			for b.Loop() {
				scrape()
			}
		})
	}
}

// varsBenchCase is a benchmark's payloads, served in turn.
type varsBenchCase struct {
	name     string
	payloads [][]byte
}

// varsBenchCases are the load payload the same every cycle ("static") and
// the two captures taken 20 s apart in turn ("advancing").
func varsBenchCases(b *testing.B) []varsBenchCase {
	t0 := varsLoadPayload(b, "node1_status_vars_t0.txt")
	t1 := varsLoadPayload(b, "node1_status_vars_t1.txt")
	return []varsBenchCase{{"static", [][]byte{t0}}, {"advancing", [][]byte{t0, t1}}}
}

// varsBenchCheck is a Vars with the defaults and a client whose every GET
// answers the next of payloads as plain text.
func varsBenchCheck(b *testing.B, payloads [][]byte) (*Vars, *http.Client) {
	b.Helper()
	v, err := NewVars(VarsOptions{Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	return v, &http.Client{Transport: &varsMemTransport{payloads: payloads}}
}

// varsMemTransport answers every request with the next payload.
type varsMemTransport struct {
	payloads [][]byte
	i        int
	r        bytes.Reader
}

func (t *varsMemTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.r.Reset(t.payloads[t.i%len(t.payloads)])
	t.i++
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(&t.r),
		ContentLength: -1, Request: req,
	}, nil
}

// varsLoadPayload is the load harness's payload: a v20.2 capture plus
// every family of the newer captures that it lacks, each family once.
func varsLoadPayload(b *testing.B, base string) []byte {
	b.Helper()
	dir := testenv.Fixtures(b)
	data, err := os.ReadFile(filepath.Join(dir, "cockroach-v20.2", "healthy", base))
	if err != nil {
		b.Fatal(err)
	}
	newer, err := filepath.Glob(filepath.Join(dir, "cockroach-vars", "v2*.txt"))
	if err != nil || len(newer) == 0 {
		b.Fatalf("no newer captures: %v", err)
	}
	slices.Sort(newer)
	var out bytes.Buffer
	seen := map[string]bool{}
	add := func(data []byte) {
		name, skip := "", false
		for line := range bytes.Lines(data) {
			if n := varsBenchFamily(string(line)); n != "" && n != name &&
				(line[0] == '#' || !strings.HasPrefix(n, name+"_")) {
				name, skip = n, seen[n]
				seen[n] = true
			}
			if !skip {
				out.Write(line)
				if line[len(line)-1] != '\n' {
					out.WriteByte('\n')
				}
			}
		}
	}
	add(data)
	for _, p := range newer {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		add(data)
	}
	return out.Bytes()
}

// varsBenchFamily is the name a HELP, TYPE or sample line is about.
func varsBenchFamily(line string) string {
	s := strings.TrimSpace(line)
	if f := strings.Fields(s); len(f) >= 3 && f[0] == "#" && (f[1] == "HELP" || f[1] == "TYPE") {
		return f[2]
	}
	if strings.HasPrefix(s, "#") {
		return ""
	}
	if i := strings.IndexAny(s, "{ "); i > 0 {
		return s[:i]
	}
	return s
}
