package apply

import (
	"strconv"
	"strings"
	"time"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/ddapi"
)

// Maintenance is a planned maintenance of one cluster or one of its nodes
// (roachdog downtime's flags).
type Maintenance struct {
	Cluster  string        // the cluster tag's value, as in instances[].cluster
	NodeID   int           // 0: the whole cluster
	Duration time.Duration // how long the monitors stay muted
	Message  string        // "" for a default naming what is muted
	Start    time.Time     // zero: now
}

// Downtime builds the downtime muting the monitors Apply installs (tagged
// ManagedTag) during m: scoped with the same tag sanitising roachdog
// applies when it sends metrics (Datadog lower-cases tags).
func Downtime(m Maintenance, now time.Time) ddapi.Downtime {
	scope := checks.Tag("cluster", m.Cluster)
	what := "cluster " + m.Cluster
	if m.NodeID > 0 {
		id := strconv.Itoa(m.NodeID)
		scope += " AND " + checks.Tag("node_id", id)
		what = "node " + id + " of " + what
	}
	msg := strings.TrimSpace(m.Message)
	if msg == "" {
		msg = "Planned maintenance of CockroachDB " + what + " (scheduled with roachdog downtime)."
	}
	from := m.Start
	if from.IsZero() {
		from = now
	}
	return ddapi.Downtime{
		Scope:       scope,
		MonitorTags: []string{ManagedTag},
		Start:       m.Start,
		End:         from.Add(m.Duration),
		Message:     msg,
	}
}
