package checks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/roachdog/roachdog/emit"
)

// errNoSQL is returned by SQL checks on an instance without sql_url.
var errNoSQL = errors.New("no sql_url configured for this cluster")

// sqlCanQuery is the service check every SQL check reports once per cycle.
var sqlCanQuery = emit.ServiceCheck{Name: "sql.can_query", Tags: emit.Keys("check"), PerNode: 1, ClusterLevel: true,
	Description: "OK when a SQL check's queries succeeded this cycle, CRITICAL with the failed query and error otherwise.",
}.Register("sql")

// reportQuery sends sql.can_query for one check: OK, or CRITICAL with what
// failed. The message carries the error text (service check messages are not
// tags, so their length and variety cost nothing).
func reportQuery(s Sink, check string, err error) {
	if err != nil {
		sqlCanQuery.Send(s, Critical, errorMessage(check+": "+err.Error()), check)
		return
	}
	sqlCanQuery.Send(s, OK, "", check)
}

// errorMessageMax bounds a service check message made of an error: error
// texts come from the cluster (a server error, a value quoted in a parse
// error) and may be megabytes; the start says what failed.
const errorMessageMax = 2000

// errorMessage is s as one printable line (oneLineText) of at most
// errorMessageMax bytes: a multi-line server error reads as one message.
func errorMessage(s string) string { return oneLineText(s, errorMessageMax) }

// needSQL reports errNoSQL for check (sql.can_query CRITICAL) when t has
// no SQL pool.
func needSQL(t *Target, s Sink, check string) error {
	if t == nil || t.SQL == nil {
		reportQuery(s, check, errNoSQL)
		return errNoSQL
	}
	return nil
}

// reportQueryWarning is reportQuery with a warning: sql.can_query WARNING when
// every query succeeded but what they return is known to be incomplete.
func reportQueryWarning(s Sink, check string, err error, warning string) {
	if err == nil && warning != "" {
		sqlCanQuery.Send(s, Warning, errorMessage(check+": "+warning), check)
		return
	}
	reportQuery(s, check, err)
}

// stringOr returns *p, or def when p is NULL or empty.
func stringOr(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}

// truncateText cuts s to at most n bytes without splitting a UTF-8 rune.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// combineQueryErrors makes one error of a cycle's failed queries, for
// sql.can_query's message: the first few, one line, "; "-separated.
func combineQueryErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return queryErrors(errs)
}

// queryErrors keeps every failure reachable by errors.Is/As.
type queryErrors []error

const queryErrorsShown = 3

func (e queryErrors) Error() string {
	var b strings.Builder
	for i, err := range e {
		if i == queryErrorsShown {
			fmt.Fprintf(&b, " (and %d more failed queries)", len(e)-queryErrorsShown)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(strings.ReplaceAll(err.Error(), "\n", " "))
	}
	return b.String()
}

func (e queryErrors) Unwrap() []error { return e }
