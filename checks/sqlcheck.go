package checks

import (
	"errors"
)

// errNoSQL is returned by SQL checks on an instance without sql_url.
var errNoSQL = errors.New("no sql_url configured for this cluster")

// sqlCanQuery is the service check every SQL check reports once per cycle.
const sqlCanQuery = "sql.can_query"

// reportQuery sends sql.can_query for one check: OK, or CRITICAL with what
// failed. The message carries the error text (service check messages are not
// tags, so their length and variety cost nothing).
func reportQuery(s Sink, check string, err error) {
	tags := []string{Tag("check", check)}
	if err != nil {
		s.ServiceCheck(sqlCanQuery, Critical, errorMessage(check+": "+err.Error()), tags)
		return
	}
	s.ServiceCheck(sqlCanQuery, OK, "", tags)
}

// errorMessageMax bounds a service check message made of an error: error
// texts come from the cluster (a server error, a value quoted in a parse
// error) and may be megabytes; the start says what failed.
const errorMessageMax = 2000

// errorMessage is s cut to errorMessageMax bytes, on a rune boundary.
func errorMessage(s string) string { return jobsTruncate(s, errorMessageMax) }

func init() {
	registerCatalog(func() []Metric {
		return []Metric{{
			Name: sqlCanQuery, Kind: KindServiceCheck, Tags: []string{"check"},
			Description: "OK when a SQL check's queries succeeded this cycle, CRITICAL with the failed query and error otherwise.",
			Check:       "sql", PerNode: 1, ClusterLevel: true,
		}}
	})
}
