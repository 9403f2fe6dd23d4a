// Package emit is what checks send and how it is described: the Sink the
// exporter implements, the service check statuses and events, the catalog
// entry (Metric), and the typed definitions through which checks send.
//
// A definition fixes a metric's name, kind and tag keys once, next to the
// code that sends it:
//
//	var nodesLive = emit.Gauge{Name: "nodes.live", Unit: "node",
//		Description: "..."}.Register("liveness")
//	var nodeLiveness = emit.Gauge{Name: "node.liveness",
//		Tags: emit.Keys("node_id", "state"), Description: "..."}.Register("liveness")
//
//	nodeLiveness.Send(sink, 1, id, state) // tag values by position
//
// Registering adds the definition to the catalog (Catalog), so the catalog
// is exactly the set of definitions: a branch no test runs cannot send a
// name or a tag key the catalog, the README and the dashboard validation do
// not know. Tag values are made safe for Datadog by Tag on the way.
//
// emit imports nothing of roachdog's: the exporter (which implements Sink)
// and the asset validation (which reads the catalog) depend on it, not on
// the checks.
package emit

import "time"

// Sink receives what checks produce. Names are given without the namespace
// (the sink adds it, "crdb" by default); tags are "key:value" strings and the
// sink adds the instance's own tags (cluster, configured tags). Sinks never
// return errors to checks: a failed send is the sink's business (counted in
// roachdog's self-metrics), not a reason to stop collecting.
//
// Checks send through definitions (GaugeDef.Send...), not by calling these
// methods with names of their own.
type Sink interface {
	// Gauge reports a value as it is now.
	Gauge(name string, value float64, tags []string)
	// Count reports how many things happened since the last report (a delta,
	// never a cumulative total).
	Count(name string, value int64, tags []string)
	// Distribution reports observations since the last report as weighted
	// values (a histogram's bucket deltas): Datadog merges them into one
	// sketch per tag combination, so percentiles hold across nodes. A
	// value's weight is how many observations it stands for.
	Distribution(name string, samples []Sample, tags []string)
	// ServiceCheck reports a status with a human-readable message.
	ServiceCheck(name string, status Status, message string, tags []string)
	// Event reports something that happened once (a node changing state).
	Event(e Event)
}

// Sample is one value of a distribution standing for Weight observations.
type Sample struct {
	Value  float64
	Weight uint64
}

// Status is a service check status, numbered as DogStatsD numbers them.
type Status int

// Service check statuses.
const (
	OK       Status = 0
	Warning  Status = 1
	Critical Status = 2
	Unknown  Status = 3
)

// String returns the lower-case status name.
func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Warning:
		return "warning"
	case Critical:
		return "critical"
	default:
		return "unknown"
	}
}

// AlertType is the severity of an Event.
type AlertType string

// Event alert types, as Datadog names them.
const (
	Info         AlertType = "info"
	Success      AlertType = "success"
	WarningAlert AlertType = "warning"
	Error        AlertType = "error"
)

// Event is a one-off occurrence with a title and a text.
type Event struct {
	Title string
	Text  string
	// AggregationKey groups related events in Datadog (e.g. per node).
	AggregationKey string
	AlertType      AlertType
	Timestamp      time.Time
	Tags           []string
}
