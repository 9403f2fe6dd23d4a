package exporter

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/wire"
)

// sendCycleTo sends reports, then a service check and an event per node
// of the reports, through WithTags and a DogStatsD sink configured with
// the client options extra to the listener, flushes, and waits until the
// listener has read every payload the client wrote. It fails on a payload
// the client dropped or a message it could not send.
func sendCycleTo(t *testing.T, u *cycleListener, limit int, reports []cycleReport, extra ...statsd.Option) *DogStatsD {
	t.Helper()
	orig := payloadLimit
	payloadLimit = func(string) int { return limit }
	t.Cleanup(func() { payloadLimit = orig })
	withClientOptions(t, extra...)
	m := NewSelfMetrics("test", "abc")
	d, err := NewDogStatsD(t.Context(), u.addr(), "crdb", []string{"env:ci"}, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	s := WithTags(d, "cluster:test")
	sendCycle(s, reports)
	for i := range 3 {
		tags := []string{"node_id:" + fmt.Sprint(i+1)}
		s.ServiceCheck("node.can_scrape", emit.Critical, "scrape failed: m:1|x", tags)
		s.Event(emit.Event{Title: "node restarted", Text: "was down\nfor 5s", AggregationKey: "crdb-node",
			AlertType: emit.WarningAlert, Timestamp: time.Unix(1700000000, 0), Tags: tags})
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	tele := d.client.GetTelemetry()
	if dropped := tele.TotalPayloadsDroppedQueueFull + tele.TotalPayloadsDroppedWriter + tele.TotalDroppedOnReceive; dropped > 0 {
		t.Fatalf("the client dropped %d payloads (%+v)", dropped, tele)
	}
	for _, k := range []string{kindGauge, kindCount, kindDistribution} {
		if n := testutil.ToFloat64(m.unsendable.WithLabelValues(k)); n > 0 {
			t.Fatalf("%v %s messages unsendable", n, k)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for u.datagrams.Load() < int64(tele.TotalPayloadsSent) || u.bytes.Load() < int64(tele.TotalBytesSent) {
		if time.Now().After(deadline) {
			t.Fatalf("received %d datagrams (%d bytes) of the %d (%d bytes) sent", u.datagrams.Load(), u.bytes.Load(),
				tele.TotalPayloadsSent, tele.TotalBytesSent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return d
}

// perValue writes a distribution line once per value ("name:v|d|@r|#t"):
// the client packs values into a line until its payload is full, so where
// a line is cut depends on what came before it; the Agent reads each value
// with the line's rate and tags alike.
func perValue(lines []string) []string {
	var out []string
	for _, l := range lines {
		head, rest, _ := strings.Cut(l, "|")
		name, values, _ := strings.Cut(head, ":")
		if !strings.HasPrefix(rest, "d|") && rest != "d" {
			out = append(out, l)
			continue
		}
		for v := range strings.SplitSeq(values, ":") {
			out = append(out, name+":"+v+"|"+rest)
		}
	}
	slices.Sort(out)
	return out
}

// TestDogStatsDSendsTheSameLines: the client as configured puts on the
// wire exactly the lines it did with datadog-go's aggregation (the
// configuration before), order aside, for a cycle's worth of gauges,
// counts, distributions, service checks and events in which, as roachdog
// sends them, each context comes once; and they are the dry run's lines.
func TestDogStatsDSendsTheSameLines(t *testing.T) {
	clearDDEnv(t)
	reports := cycleReports(20, 7)
	for _, limit := range []int{wire.LocalPayload, wire.RemotePayload} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			now := listenCycle(t, true)
			sendCycleTo(t, now, limit, reports)
			old := listenCycle(t, true)
			sendCycleTo(t, old, limit, reports, optionsBefore...)
			got, want := perValue(now.received()), perValue(old.received())
			if len(got) < len(reports) {
				t.Fatalf("received %d lines for %d reports", len(got), len(reports))
			}
			if !slices.Equal(got, want) {
				t.Errorf("lines differ from the configuration before:\n%s", lineDiff(want, got))
			}

			var buf strings.Builder
			text := WithTags(NewTextFor(&buf, now.addr(), "crdb", []string{"env:ci"}), "cluster:test")
			sendCycle(text, reports)
			dry := perValue(strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"))
			if got := slices.DeleteFunc(got, func(l string) bool { return strings.HasPrefix(l, "_") }); !slices.Equal(got, dry) {
				t.Errorf("lines differ from the dry run's:\n%s", lineDiff(dry, got))
			}
		})
	}
}

// lineDiff lists the lines only in want (-) and only in got (+), both
// sorted, at most 20.
func lineDiff(want, got []string) string {
	var out []string
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && want[i] < got[j]:
			out = append(out, "- "+want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			out = append(out, "+ "+got[j])
			j++
		default:
			i++
			j++
		}
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("… and %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}

// TestDogStatsDCycleArrivesWhole: a cycle at 300 nodes (75,000 gauges and
// counts, 3,000 distributions, about 17 MB) sent at once, as the vars
// check sends it, leaves the client whole to a local Agent and a remote
// one: no payload dropped, none too large, every payload read by the
// listener, and packed close to the payload limit.
func TestDogStatsDCycleArrivesWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 17 MB")
	}
	clearDDEnv(t)
	reports := cycleReports(300, 3)
	for _, limit := range []int{wire.LocalPayload, wire.RemotePayload} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			u := listenCycle(t, false)
			d := sendCycleTo(t, u, limit, reports)
			tele := d.client.GetTelemetry()
			mean := float64(tele.TotalBytesSent) / float64(tele.TotalPayloadsSent)
			t.Logf("%d payloads, %.0f bytes each on average", tele.TotalPayloadsSent, mean)
			if mean < 0.9*float64(limit) {
				t.Errorf("payloads of %.0f bytes on average, limit %d", mean, limit)
			}
		})
	}
}
