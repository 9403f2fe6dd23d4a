// Package config loads roachdog's configuration: a YAML file in the Datadog
// Agent's check format (init_config + instances), decoded strictly so that
// every mistake is reported with its file, line and key.
package config

import (
	"time"

	"github.com/roachdog/roachdog/checks"
)

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
	Tags []string
	TLS  TLS
	// Checks are every registered check (package checks) as this instance
	// configures it, under its checks key (custom_queries: the instance's
	// own key, in the Agent's format); checks.OptionsOf gets one check's
	// options.
	Checks checks.Configs
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
