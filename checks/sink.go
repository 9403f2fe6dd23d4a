package checks

import "github.com/roachdog/roachdog/emit"

// What checks send is defined in package emit; these names keep the
// checks' code and tests short. Checks send through emit definitions
// (registered next to the code that sends them), never by calling the
// Sink's methods with names of their own.
type (
	// Sink is emit.Sink.
	Sink = emit.Sink
	// Sample is emit.Sample.
	Sample = emit.Sample
	// Status is emit.Status.
	Status = emit.Status
	// AlertType is emit.AlertType.
	AlertType = emit.AlertType
	// Event is emit.Event.
	Event = emit.Event
	// Metric is emit.Metric, a catalog entry.
	Metric = emit.Metric
	// Kind is emit.Kind.
	Kind = emit.Kind
)

// Service check statuses, event alert types and catalog kinds (emit's).
const (
	OK       = emit.OK
	Warning  = emit.Warning
	Critical = emit.Critical
	Unknown  = emit.Unknown

	Info         = emit.Info
	Success      = emit.Success
	WarningAlert = emit.WarningAlert
	Error        = emit.Error

	KindGauge        = emit.KindGauge
	KindCount        = emit.KindCount
	KindDistribution = emit.KindDistribution
	KindServiceCheck = emit.KindServiceCheck
	KindEvent        = emit.KindEvent
)

// DistributionCostPercentiles is emit.DistributionCostPercentiles.
const DistributionCostPercentiles = emit.DistributionCostPercentiles

// Catalog returns every metric, service check and event roachdog can send,
// sorted by name: the definitions the checks registered. Asking here, not
// emit.Catalog, makes sure the checks are linked in.
func Catalog() []Metric { return emit.Catalog() }

// Lookup finds a catalog entry by name (without namespace).
func Lookup(name string) (Metric, bool) { return emit.Lookup(name) }
