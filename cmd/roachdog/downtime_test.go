package main

// The downtime tests run against ddapitest, a LOCAL EMULATION of the
// Datadog API that records requests; they check what roachdog sends.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/ddapi/ddapitest"
)

func runDowntimeTest(t *testing.T, srv *ddapitest.Server, now time.Time, args ...string) (string, string, error) {
	t.Helper()
	env := map[string]string{"DD_API_KEY": srv.APIKey, "DD_APP_KEY": srv.AppKey}
	var out, errb bytes.Buffer
	args = append([]string{"--api-url", srv.URL}, args...)
	err := runDowntime(context.Background(), args, &out, &errb, func(k string) string { return env[k] }, func() time.Time { return now })
	all := out.String() + errb.String()
	if err != nil {
		all += err.Error()
	}
	if strings.Contains(all, srv.APIKey) || strings.Contains(all, srv.AppKey) {
		t.Errorf("a key was printed:\n%s", all)
	}
	return out.String(), errb.String(), err
}

func TestDowntimeLocalEmulationBody(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 12, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{
			name: "node now",
			args: []string{"--cluster", "Prod-EU", "--node-id", "4", "--duration", "1h"},
			want: `{"data":{"attributes":{"display_timezone":"UTC","message":"Planned maintenance of CockroachDB node 4 of cluster Prod-EU (scheduled with roachdog downtime).",` +
				`"monitor_identifier":{"monitor_tags":["managed-by:roachdog"]},"schedule":{"end":"2026-05-04T13:30:00Z"},"scope":"cluster:prod-eu AND node_id:4"},"type":"downtime"}}`,
		},
		{
			name: "cluster later with message",
			args: []string{"--cluster", "prod", "--duration", "90m", "--start", "2026-05-05T01:00:00+02:00", "--message", "rolling upgrade to v25.2"},
			want: `{"data":{"attributes":{"display_timezone":"UTC","message":"rolling upgrade to v25.2",` +
				`"monitor_identifier":{"monitor_tags":["managed-by:roachdog"]},"schedule":{"end":"2026-05-05T00:30:00Z","start":"2026-05-04T23:00:00Z"},"scope":"cluster:prod"},"type":"downtime"}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := ddapitest.New(t)
			out, stderr, err := runDowntimeTest(t, srv, now, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			w := srv.Writes()
			if len(w) != 1 || w[0].String() != "POST /api/v2/downtime" {
				t.Fatalf("sent %s", requestList(w))
			}
			var body any
			if err := json.Unmarshal(w[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			if got := jsonString(body); got != tc.want {
				t.Errorf("body\n%s\nwant\n%s", got, tc.want)
			}
			id := strings.TrimSpace(out)
			if _, ok := srv.Downtime(id); !ok || out != id+"\n" {
				t.Errorf("stdout %q: want the downtime id alone", out)
			}
			if !strings.Contains(stderr, "cancel it with: roachdog downtime --cancel "+id) {
				t.Errorf("stderr:\n%s", stderr)
			}
		})
	}
}

func TestDowntimeLocalEmulationCancel(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	now := time.Now()
	out, _, err := runDowntimeTest(t, srv, now, "--cluster", "prod", "--duration", "30m")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	srv.ResetRequests()
	if _, stderr, err := runDowntimeTest(t, srv, now, "--cancel", id); err != nil || !strings.Contains(stderr, "cancelled downtime "+id) {
		t.Fatalf("cancel: %v\n%s", err, stderr)
	}
	if got := requestList(srv.Writes()); got != "DELETE /api/v2/downtime/"+id {
		t.Errorf("sent %s", got)
	}
	d, _ := srv.Downtime(id)
	if st := d["data"].(map[string]any)["attributes"].(map[string]any)["status"]; st != "canceled" {
		t.Errorf("status %v after cancel", st)
	}
	_, _, err = runDowntimeTest(t, srv, now, "--cancel", "no-such-id")
	if err == nil || !strings.Contains(err.Error(), "cancel downtime no-such-id") || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("cancel of an unknown id: %v", err)
	}
}

func TestDowntimeLocalEmulationForbidden(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	srv.AddFault(ddapitest.Fault{Method: "POST", Path: "/api/v2/downtime", Status: 403, Body: `{"errors":["Forbidden"]}`})
	_, _, err := runDowntimeTest(t, srv, time.Now(), "--cluster", "prod", "--duration", "1h")
	if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "monitors_downtime") || !strings.Contains(err.Error(), "cluster:prod") {
		t.Errorf("got %v; want a 403 naming monitors_downtime and the scope", err)
	}
}

func TestDowntimeBadFlags(t *testing.T) {
	t.Parallel()
	srv := ddapitest.New(t)
	for _, args := range [][]string{
		{"--duration", "1h"},
		{"--cluster", "prod"},
		{"--cluster", "prod", "--duration", "-1h"},
		{"--cluster", "prod", "--duration", "1h", "--node-id", "0"},
		{"--cluster", "prod", "--duration", "1h", "--start", "tomorrow"},
		{"--cancel", "abc", "--cluster", "prod"},
		{"--cluster", "prod", "--duration", "1h", "extra"},
	} {
		if _, _, err := runDowntimeTest(t, srv, time.Now(), args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v; want a usage error", args, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("bad flags still sent %d requests", n)
	}
}
