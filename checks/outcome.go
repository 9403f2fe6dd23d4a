package checks

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
)

// Outcome is a Sink that passes everything on and watches one cycle of one
// check for the failures a check reports without returning an error, so
// that `run --once` (a cron job, a CI smoke test) can fail on them:
//
//   - sql.can_query CRITICAL: some of the check's queries failed (one
//     database of the schema check, one custom query, ...);
//   - node.can_scrape CRITICAL for every node the vars check tried, or no
//     node to try: roachdog reached no node at all.
//
// A node among several that cannot be scraped is not a failure of the
// cycle: the others were collected and the node is reported down, which is
// what the check is for. Neither is bad news about the cluster (a dead node
// in cluster.nodes_live): that was read successfully; `roachdog health` is
// the command that fails on it.
type Outcome struct {
	Sink

	mu           sync.Mutex
	queryFailed  []string
	scrapeOK     int
	scrapeFailed []string
	noTargets    bool
}

// NewOutcome wraps s.
func NewOutcome(s Sink) *Outcome { return &Outcome{Sink: s} }

// outcomeMessageMax bounds each reported message: service check messages
// carry error texts from the cluster, which may be huge.
const outcomeMessageMax = 300

// Gauge passes the gauge on, noting a vars cycle without any node to try.
func (o *Outcome) Gauge(name string, v float64, tags []string) {
	if name == varsClTargets.Name() && v == 0 {
		o.mu.Lock()
		o.noTargets = true
		o.mu.Unlock()
	}
	o.Sink.Gauge(name, v, tags)
}

// ServiceCheck passes the service check on and notes the failures above.
func (o *Outcome) ServiceCheck(name string, st Status, msg string, tags []string) {
	o.Sink.ServiceCheck(name, st, msg, tags)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch name {
	case sqlCanQuery.Name():
		if st == Critical {
			o.queryFailed = append(o.queryFailed, outcomeText(msg))
		}
	case varsCanScrape.Name:
		if st == OK {
			o.scrapeOK++
		} else {
			o.scrapeFailed = append(o.scrapeFailed, outcomeText(msg))
		}
	}
}

// Err says what failed in the cycle watched so far, nil when nothing did.
func (o *Outcome) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var errs []error
	for _, m := range o.queryFailed {
		errs = append(errs, fmt.Errorf("%s CRITICAL: %s", sqlCanQuery.Name(), m))
	}
	switch {
	case o.scrapeOK == 0 && len(o.scrapeFailed) > 0:
		shown := o.scrapeFailed[:min(len(o.scrapeFailed), 3)]
		more := ""
		if n := len(o.scrapeFailed) - len(shown); n > 0 {
			more = fmt.Sprintf("; and %d more", n)
		}
		errs = append(errs, fmt.Errorf("no node could be scraped (%s CRITICAL for all %d): %s%s",
			varsCanScrape.Name, len(o.scrapeFailed), strings.Join(shown, "; "), more))
	case o.scrapeOK == 0 && o.noTargets:
		errs = append(errs, errors.New("no node to scrape (no status_urls, and discovery found none)"))
	}
	return errors.Join(errs...)
}

// outcomeText makes a message from the cluster fit one bounded line of a
// terminal or log: control characters (newlines, escapes) become spaces.
func outcomeText(s string) string {
	if len(s) > outcomeMessageMax {
		s = truncateText(s, outcomeMessageMax)
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
