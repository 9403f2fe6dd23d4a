package promtext

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/roachdog/roachdog/internal/testenv"
)

// The design's goal: a node's cycle (Parse of the ~80 wanted families) costs
// at most 0.2× a full expfmt parse of the payload. Compare the sub-benchmarks:
//
//	go test -run '^$' -bench . -benchmem ./internal/promtext/
func BenchmarkParse(b *testing.B) {
	payloads := []struct {
		name    string
		payload []byte
	}{
		{"v20.2-node1", v20(b, "node1_status_vars.txt")},
		{"v23-synthetic", syntheticV23(b)},
	}
	for _, p := range payloads {
		all, err := fullParse(p.payload)
		if err != nil {
			b.Fatal(err)
		}
		want := every(all, 80)
		sel, err := Select(p.payload, func(n string) bool { return want[n] })
		if err != nil {
			b.Fatal(err)
		}
		hists := 0
		for n := range want {
			if all[n].GetType() == dto.MetricType_HISTOGRAM {
				hists++
			}
		}
		b.Logf("%s: %d bytes, %d families; %d wanted (%d histograms): %d bytes selected",
			p.name, len(p.payload), len(all), len(want), hists, len(sel))

		b.Run(p.name+"/full-expfmt", func(b *testing.B) {
			b.SetBytes(int64(len(p.payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fullParse(p.payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/select-only", func(b *testing.B) {
			b.SetBytes(int64(len(p.payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Select(p.payload, func(n string) bool { return want[n] }); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/parse-80", func(b *testing.B) {
			b.SetBytes(int64(len(p.payload)))
			b.ReportAllocs()
			for b.Loop() {
				// As production reads it: pooled selection and read buffers.
				fams, _, err := parseReader(bytes.NewReader(p.payload), func(n string) bool { return want[n] }, ReadOptions{})
				if err != nil || len(fams) != len(want) {
					b.Fatalf("%d families, %v", len(fams), err)
				}
			}
		})
	}
}

func fullParse(p []byte) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.LegacyValidation)
	return parser.TextToMetricFamilies(bytes.NewReader(p))
}

// every picks n families spread over the sorted names, so counters, gauges
// and histograms are wanted in the payload's own proportions.
func every(fams map[string]*dto.MetricFamily, n int) map[string]bool {
	names := make([]string, 0, len(fams))
	for name := range fams {
		names = append(names, name)
	}
	slices.Sort(names)
	out := map[string]bool{}
	for i := 0; i < len(names) && len(out) < n; i += max(1, len(names)/n) {
		out[names[i]] = true
	}
	return out
}

// syntheticV23 builds a v23-sized payload (≥ 800 kB, ≥ 1,550 families) from
// the v22.2–v23.2 fixture subsets: their union (first file wins for a family
// in several), written with expfmt's encoder like CockroachDB does, then
// renamed copies of those families until the size is reached.
func syntheticV23(t testing.TB) []byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.Fixtures(t), "cockroach-vars", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cockroach-vars fixtures: %v", err)
	}
	union := map[string]*dto.MetricFamily{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fams, err := Parse(b, func(string) bool { return true })
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for n, mf := range fams {
			if union[n] == nil {
				union[n] = mf
			}
		}
	}
	names := make([]string, 0, len(union))
	for n := range union {
		names = append(names, n)
	}
	slices.Sort(names)

	var buf bytes.Buffer
	write := func(mf *dto.MetricFamily, name string) {
		orig := mf.Name
		mf.Name = &name
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
		mf.Name = orig
	}
	for _, n := range names {
		write(union[n], n)
	}
	families := len(names)
	for i := 0; buf.Len() < 800_000 || families < 1_550; i++ {
		n := names[i%len(names)]
		write(union[n], fmt.Sprintf("synthetic_copy%d_%s", i/len(names), n))
		families++
	}
	return buf.Bytes()
}
