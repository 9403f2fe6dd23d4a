package config

import (
	"time"

	"github.com/roachdog/roachdog/checks"
)

// The tests read a parsed configuration through view, the shape config had
// before each check declared its own options (package checks): every
// check's options in a field of their own. The expectations written for
// that shape still hold, which shows the checks' decoders give exactly what
// config's did.

type view struct {
	File      string
	Init      Init
	Instances []instanceView
}

type instanceView struct {
	Cluster               string
	StatusURLs            []string
	Discover              bool
	Discovery             Discovery
	SQLURL                string
	RedactedSQLURL        string
	MinCollectionInterval time.Duration
	Tags                  []string
	TLS                   TLS
	Checks                Checks
	CustomQueries         []CustomQuery
	APIUser               string
	APIPassword           string
}

func viewOf(cfg *Config) *view {
	if cfg == nil {
		return nil
	}
	v := &view{File: cfg.File, Init: cfg.Init}
	for _, in := range cfg.Instances {
		v.Instances = append(v.Instances, viewInstance(in))
	}
	return v
}

func viewInstance(in Instance) instanceView {
	v := instanceView{
		Cluster: in.Cluster, StatusURLs: in.StatusURLs, Discover: in.Discover, Discovery: in.Discovery,
		SQLURL: in.SQLURL, RedactedSQLURL: in.RedactedSQLURL, MinCollectionInterval: in.MinCollectionInterval,
		Tags: in.Tags, TLS: in.TLS, APIUser: in.APIUser, APIPassword: in.APIPassword,
	}
	common := func(name string) CheckCommon {
		c, _ := in.Checks.Get(name)
		return CheckCommon{Enabled: c.Enabled, Interval: c.Interval, Timeout: c.Timeout}
	}
	vc := common("vars")
	vo := checks.OptionsOf[checks.VarsOptions](in.Checks)
	var over map[string]string
	if vo.HistogramOverrides != nil {
		over = map[string]string{}
		for k, m := range vo.HistogramOverrides {
			over[k] = string(m)
		}
	}
	v.Checks.Vars = Vars{
		Enabled: vc.Enabled, Interval: vc.Interval, Timeout: vc.Timeout,
		MaxPayloadBytes: vo.MaxPayloadBytes, MaxConcurrentScrapes: vo.MaxConcurrent,
		MaxSeriesPerFamily: vo.MaxSeriesPerFamily, MaxSeriesPerCycle: vo.MaxSeriesPerCycle,
		Include: vo.Include, Exclude: vo.Exclude, Quantiles: vo.Quantiles,
		Histograms: string(vo.Histograms), HistogramOverrides: over,
	}
	lo := checks.OptionsOf[checks.LivenessOptions](in.Checks)
	v.Checks.Liveness = Liveness{CheckCommon: common("liveness"), ExpectedNodes: lo.ExpectedNodes}
	v.Checks.Ranges = Ranges{CheckCommon: common("ranges")}
	to := checks.OptionsOf[checks.TTLOptions](in.Checks)
	v.Checks.TTL = TTL{CheckCommon: common("ttl"), RowLimit: to.RowLimit, RowQueries: to.RowQueries,
		RowQueryTimeout: to.RowQueryTimeout, Schedules: !to.NoSchedules, RediscoverInterval: to.Rediscover}
	jo := checks.OptionsOf[checks.JobsOptions](in.Checks)
	v.Checks.Jobs = Jobs{CheckCommon: common("jobs"), Window: jo.Window, EventExcludeTypes: jo.EventExcludeTypes}
	so := checks.OptionsOf[checks.SchemaOptions](in.Checks)
	v.Checks.Schema = Schema{CheckCommon: common("schema"), Databases: so.Databases, Tables: so.Tables,
		MinRows: so.MinRows, MaxEvents: so.MaxEvents}
	ho := checks.OptionsOf[checks.HotRangesOptions](in.Checks)
	v.Checks.HotRanges = HotRanges{CheckCommon: common("hot_ranges"), TopN: ho.TopN, MaxEvents: ho.MaxEvents}
	if ho.MinQPS != nil {
		v.Checks.HotRanges.MinQPS = *ho.MinQPS
	}
	v.Checks.Contention = Contention{CheckCommon: common("contention"), TopN: checks.OptionsOf[checks.ContentionOptions](in.Checks).TopN}
	sto := checks.OptionsOf[checks.StatementsOptions](in.Checks)
	v.Checks.Statements = Statements{CheckCommon: common("statements"), TopN: sto.TopN, IncludeInternal: sto.IncludeInternal}
	for _, q := range checks.OptionsOf[checks.CustomQueriesOptions](in.Checks).Queries {
		var cols []CustomColumn
		if q.Columns != nil {
			cols = []CustomColumn{}
		}
		for _, c := range q.Columns {
			cols = append(cols, CustomColumn{Name: c.Name, Type: c.Type})
		}
		v.CustomQueries = append(v.CustomQueries, CustomQuery{Name: q.Name, MetricPrefix: q.MetricPrefix, Query: q.Query,
			Columns: cols, Tags: q.Tags, CollectionInterval: q.CollectionInterval, MaxRows: q.MaxRows})
	}
	return v
}

type Checks struct {
	Vars       Vars
	Liveness   Liveness
	Ranges     Ranges
	TTL        TTL
	Jobs       Jobs
	Schema     Schema
	HotRanges  HotRanges
	Contention Contention
	Statements Statements
}

type CheckCommon struct {
	Enabled  bool
	Interval time.Duration
	Timeout  time.Duration
}

type Liveness struct {
	CheckCommon
	ExpectedNodes int
}

type Ranges struct {
	CheckCommon
}

type TTL struct {
	CheckCommon
	RowLimit           int
	RowQueries         map[string]bool
	RowQueryTimeout    time.Duration
	Schedules          bool
	RediscoverInterval time.Duration
}

type Jobs struct {
	CheckCommon
	Window            time.Duration
	EventExcludeTypes []string
}

type Schema struct {
	CheckCommon
	Databases []string
	Tables    []string
	MinRows   int64
	MaxEvents int
}

type HotRanges struct {
	CheckCommon
	TopN      int
	MinQPS    float64
	MaxEvents int
}

type Contention struct {
	CheckCommon
	TopN int
}

type Statements struct {
	CheckCommon
	TopN            int
	IncludeInternal bool
}

type CustomQuery struct {
	Name               string
	MetricPrefix       string
	Query              string
	Columns            []CustomColumn
	Tags               []string
	CollectionInterval time.Duration
	MaxRows            int
}

type CustomColumn struct {
	Name string
	Type string
}

type Vars struct {
	Enabled                               bool
	Interval                              time.Duration
	Timeout                               time.Duration
	MaxPayloadBytes                       int64
	MaxConcurrentScrapes                  int
	MaxSeriesPerFamily, MaxSeriesPerCycle int
	Include                               []string
	Exclude                               []string
	Quantiles                             []float64
	Histograms                            string
	HistogramOverrides                    map[string]string
}
