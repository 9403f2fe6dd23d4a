// Package config loads roachdog's configuration: a YAML file in the Datadog
// Agent's check format (init_config + instances), decoded strictly so that
// every mistake is reported with its file, line and key.
package config

import "time"

// Config is the whole file after defaults and environment are applied.
type Config struct {
	// File is the path the config was read from (for messages).
	File string
	Init Init
	// Instances holds one entry per CockroachDB cluster; at least one.
	Instances []Instance
}

// Init is the init_config section: settings shared by every instance.
type Init struct {
	// DogStatsDAddr is where metrics go, in datadog-go's address forms:
	// "host:port" (UDP) or "unix:///path" (UDS). Resolved from
	// dogstatsd_url, else DD_DOGSTATSD_URL, else DD_AGENT_HOST +
	// DD_DOGSTATSD_PORT, else "localhost:8125".
	DogStatsDAddr string
	// Namespace prefixes every metric and service check; default "crdb".
	Namespace string
	// Tags are added to everything sent (plus env:, service:, version: from
	// DD_ENV, DD_SERVICE, DD_VERSION when set and not already given).
	Tags []string
	// ListenAddress serves /metrics, /healthz, /readyz; default
	// "127.0.0.1:9464". "off" or "" in the file disables it, and Parse
	// stores that as "".
	ListenAddress string
	// Pprof also serves Go's /debug/pprof/ profiles on ListenAddress
	// (key pprof, default false); allowed only on a loopback address.
	Pprof bool
	// LogFormat is "text" (default) or "json"; LogLevel "debug", "info"
	// (default), "warn", "error".
	LogFormat string
	LogLevel  string
}

// Instance is one CockroachDB cluster.
type Instance struct {
	// Cluster is the cluster's name, sent as the cluster tag. Required,
	// unique across instances.
	Cluster string
	// StatusURLs are the nodes' HTTP base URLs (scheme://host:port, no path),
	// used when Discover is false, and as the first guess when it is true.
	StatusURLs []string
	// Discover finds the nodes through SQL (needs SQLURL) and follows them.
	Discover  bool
	Discovery Discovery
	// SQLURL is a PostgreSQL connection URL, with ${ENV} references expanded.
	// Never log it: use RedactedSQLURL.
	SQLURL string
	// RedactedSQLURL is SQLURL with any password replaced by "xxxxx".
	RedactedSQLURL string
	// MinCollectionInterval is the default interval of every check;
	// default 15s, like the Agent.
	MinCollectionInterval time.Duration
	// Tags are added to everything this instance sends.
	Tags   []string
	TLS    TLS
	Checks Checks
	// CustomQueries are user-defined SQL metrics, in the format of the
	// Datadog Agent Postgres check's custom_queries. Empty without sql_url.
	CustomQueries []CustomQuery
	// APIUser and APIPassword log in to the HTTP status API
	// (/api/v2/login/) for the endpoints that need a session. They default
	// to sql_url's user, and to its password when the user is the same; ""
	// when there is none. APIPassword is a secret: never log it.
	APIUser     string
	APIPassword string
}

// Discovery tunes SQL node discovery.
type Discovery struct {
	// Scheme of the discovered status URLs: "http" (default) or "https".
	Scheme string
	// HTTPPort is used when a node's HTTP port cannot be read from the
	// cluster; default 8080.
	HTTPPort int
	// RefreshInterval is how often the node list is re-read; default 30s.
	RefreshInterval time.Duration
}

// TLS configures HTTPS to the nodes (secure clusters).
type TLS struct {
	CAFile             string
	CertFile           string
	KeyFile            string
	InsecureSkipVerify bool
	// ServerName overrides the name checked in node certificates.
	ServerName string
}

// Checks holds per-check settings.
type Checks struct {
	Vars Vars
	// The SQL checks are enabled by default only when the instance has a
	// sql_url; Parse rejects "enabled: true" without one.
	Liveness Liveness
	Ranges   Ranges
	TTL      TTL
	Jobs     Jobs
	Schema   Schema
}

// CheckCommon are the settings every SQL check has.
type CheckCommon struct {
	Enabled bool
	// Interval between two runs of the check. It may be below the
	// instance's MinCollectionInterval, which is only a default.
	Interval time.Duration
	// Timeout bounds one run (every statement of it); Parse caps it to
	// 80% of Interval (deadline.Cycle) so that two runs never overlap.
	Timeout time.Duration
}

// Liveness configures the liveness check (node states from
// crdb_internal.kv_node_liveness). Interval defaults to
// MinCollectionInterval, Timeout to 10s.
type Liveness struct {
	CheckCommon
	// ExpectedNodes is how many nodes the cluster should have; 0 means not
	// configured (no crdb.nodes.expected gauge, no comparison).
	ExpectedNodes int
}

// Ranges configures the ranges and replication check. Interval defaults to
// 60s, Timeout to 20s.
type Ranges struct {
	CheckCommon
}

// TTL configures the row-level TTL check. Interval defaults to 300s,
// Timeout to 30s.
type TTL struct {
	CheckCommon
	// RowLimit bounds the rows one expired-row query may count; default
	// 100000.
	RowLimit int
	// RowQueries overrides, per table, whether the expired-row query runs:
	// true runs it even without an index that makes it cheap, false never
	// runs it. Keys are "database.schema.table" as the cluster spells them;
	// tables not listed follow the default (where an index helps, or where
	// the table's statistics estimate at most RowLimit rows).
	// Never nil.
	RowQueries map[string]bool
	// RowQueryTimeout bounds each expired-row query; default 5s.
	RowQueryTimeout time.Duration
	// Schedules reads system.scheduled_jobs (paused schedules, each TTL
	// job's cron); default true. Reading it needs admin (before v23.2) or
	// the VIEWSYSTEMTABLE system privilege; false stops trying.
	Schedules bool
	// RediscoverInterval is how often the TTL tables are listed again (the
	// SHOW CREATE text of every table of every database); default 30m.
	RediscoverInterval time.Duration
}

// Jobs configures the jobs check. Interval defaults to 60s, Timeout to 20s.
type Jobs struct {
	CheckCommon
	// Window is how far back finished (failed, succeeded...) jobs are
	// counted; default 1h, and never shorter than Interval, so that a job
	// failing between two runs is always seen.
	Window time.Duration
	// EventExcludeTypes are job types whose failures send no event (still
	// counted); default checks.DefaultJobsEventExcludeTypes. Never nil: empty
	// means every failure is announced.
	EventExcludeTypes []string
}

// Schema configures the schema check (foreign keys without an index,
// sequential-key indexes). Interval defaults to 3600s, Timeout to 60s.
type Schema struct {
	CheckCommon
	// Databases limits the check to these databases (default: all but
	// system).
	Databases []string
	// Tables limits the report to these "database.schema.table" names.
	Tables []string
	// MinRows reports only tables with at least this many rows (table
	// statistics); 0 reports every table.
	MinRows int64
	// MaxEvents caps problem events per run; default 20.
	MaxEvents int
}

// CustomQuery is one entry of custom_queries: a SQL query whose result
// columns become metrics named MetricPrefix + "." + column name, and tags.
type CustomQuery struct {
	// Name tells the query apart in logs and sql.can_query; unique within
	// the instance. "" lets the check name it "custom query #N".
	Name string
	// MetricPrefix is a valid metric name, without a trailing dot.
	MetricPrefix string
	Query        string
	// Columns describes the result columns, left to right, one entry per
	// column returned; at least one is a metric (not a tag).
	Columns []CustomColumn
	// Tags are added to every metric of this query.
	Tags []string
	// CollectionInterval is how often the query runs; default the
	// instance's MinCollectionInterval.
	CollectionInterval time.Duration
	// MaxRows bounds the rows one run reads: a larger result is an error
	// and sends nothing; default checks.DefaultCustomQueryMaxRows.
	MaxRows int
}

// CustomColumn is one result column of a CustomQuery. Type is one of the
// types of checks.CustomColumnTypes; the Agent's "- {}" (a column to skip)
// is the zero CustomColumn, with an empty Name and Type.
type CustomColumn struct {
	// Name is the metric name's suffix (it may hold dots), or the tag key
	// for a tag column.
	Name string
	Type string
}

// Vars configures the vars check (every node's /_status/vars).
type Vars struct {
	// Enabled defaults to true.
	Enabled bool
	// Interval defaults to the instance's MinCollectionInterval.
	Interval time.Duration
	// Timeout per node scrape; default 5s. Parse caps it to 80% of
	// Interval (deadline.Cycle), the deadline of the cycle it runs in, so
	// that a slow node cannot make two cycles of the check overlap.
	Timeout time.Duration
	// MaxPayloadBytes caps one node's (decompressed) payload; default 16 MiB.
	MaxPayloadBytes int64
	// MaxConcurrentScrapes bounds the scrapes in flight; default 16. It
	// bounds memory on large clusters; a hanging node holds one slot for at
	// most Timeout.
	MaxConcurrentScrapes int
	// MaxSeriesPerFamily caps the series read from one family of one
	// node's payload (default 1,000); MaxSeriesPerCycle those read from all
	// nodes in one cycle (default 250,000, an even share per node). Series
	// over a cap are not sent: the first in label order are kept.
	MaxSeriesPerFamily, MaxSeriesPerCycle int
	// Include adds families to the curated default set: exact family names
	// or regular expressions written between slashes ("/^rocksdb_.*/").
	Include []string
	// Exclude drops families (curated or included), same forms.
	Exclude []string
	// Quantiles lists the quantiles computed for histograms; default
	// [0.5, 0.75, 0.9, 0.99]. "quantiles: []" gives an empty list: none.
	Quantiles []float64
	// Histograms is how histograms are sent: "distribution" (the default,
	// "" here), "gauges" (the per-node quantile gauges above) or "both".
	// HistogramOverrides sets it per curated histogram, by the name sent
	// without namespace (checked by the vars check, which knows them).
	Histograms         string
	HistogramOverrides map[string]string
}
