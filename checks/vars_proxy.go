package checks

// Reading a failed node's metrics through a node that answered
// (?remote_node_id=N, v23.1 and later).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// proxyFailed reads, through a node that answered this cycle, the metrics of
// the nodes whose own endpoint failed: from v23.1 any node proxies another
// node's HTTP endpoints with ?remote_node_id=N (it forwards the request to
// N's HTTP address over the cluster's network), which gets around a
// firewall between roachdog and one node, or a status_urls entry that no
// longer resolves. Without this, one such live node withholds the cluster
// sums for the whole cluster.
//
// Only nodes whose id is known are read: learnt from an earlier scrape of
// their URL, or given by discovery. A live node missing from the target
// list altogether (a static list short of a node: liveness_livenodes above
// the nodes scraped) is not: no payload names the other nodes' ids, so the
// sums stay withheld for it.
//
// A node that holds one of the ids that answered is not read again (two
// URLs of one node would count its ranges twice), nor a node id twice. At
// most MaxConcurrent nodes are read this way per cycle, in node order, each
// within the node timeout and what is left of the cycle; the others keep
// their own error (with that many nodes unreachable the sums are withheld
// anyway).
func (v *Vars) proxyFailed(ctx context.Context, client *http.Client, log *slog.Logger, results []*varsResult, now, start time.Time) {
	var proxies []*varsResult
	answered := map[int]bool{}
	for _, r := range results {
		if r.unknown || r.err != nil {
			continue
		}
		if r.st.id > 0 {
			answered[r.st.id] = true
		}
		if r.proxies {
			proxies = append(proxies, r)
		}
	}
	if len(proxies) == 0 {
		return // no node answered, or the cluster is older than v23.1
	}
	type job struct {
		r  *varsResult
		id int
	}
	var jobs []job
	for _, r := range results {
		if r.unknown || r.err == nil || !r.fetchFailed {
			continue
		}
		// Discovery's id is the current one; st.id may be a previous
		// node's at this URL.
		id := r.node.ID
		if id <= 0 {
			id = r.st.id
		}
		if id <= 0 || answered[id] {
			continue
		}
		answered[id] = true
		jobs = append(jobs, job{r, id})
	}
	if n := cap(v.slots); len(jobs) > n {
		log.Debug("more failed nodes than can be read through others this cycle",
			"failed", len(jobs), "read", n)
		jobs = jobs[:n]
	}

	var wg sync.WaitGroup
	for i, j := range jobs {
		// Spread the reads over the nodes that answered.
		via := proxies[i%len(proxies)]
		wg.Go(func() {
			select {
			case v.slots <- struct{}{}:
				defer func() { <-v.slots }()
			case <-ctx.Done():
				return // out of time: the node keeps its own error
			}
			if ctx.Err() != nil {
				return
			}
			if err := v.readThrough(ctx, client, log, j.r, via, j.id, now, start); err != nil {
				// Both failures are the operator's to read: why the node
				// itself failed, and why its metrics are still missing.
				j.r.err = fmt.Errorf("%w; not read through %s either: %w", j.r.err, via.st.short(), err)
				return
			}
			j.r.via = via
		})
	}
	wg.Wait()
}

// readThrough fetches node id's payload through via and, when it really is
// node id's, converts it into r. It touches r only on success.
func (v *Vars) readThrough(ctx context.Context, client *http.Client, log *slog.Logger, r, via *varsResult, id int, now, start time.Time) error {
	nctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	query := "?remote_node_id=" + strconv.Itoa(id)
	p, err := v.fetchVars(nctx, client, via.st.url+"/_status/vars"+query, v.askGzip(via.st.url))
	var pe *varsParseError
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("parse /_status/vars%s: %w", query, pe.err)
	case err != nil:
		if ctx.Err() != nil {
			// The cycle's deadline, not the node timeout.
			return fmt.Errorf("scrape /_status/vars%s: cycle %v after %s", query, ctx.Err(), time.Since(start).Round(time.Millisecond))
		}
		return fmt.Errorf("scrape /_status/vars%s: %w", query, v.explain(ctx, nctx, err, start))
	}
	defer p.release()
	got := p.id
	// A node that ignores the parameter (an older version, a load balancer
	// in between) answers with its own payload: counting that one twice
	// would be a wrong sum, not a missing one.
	switch {
	case got == 0:
		return fmt.Errorf("/_status/vars%s carries no node id: cannot tell it is node %d's, discarded", query, id)
	case got != id:
		return fmt.Errorf("/_status/vars%s returned node %d's metrics, not node %d's: discarded", query, got, id)
	}
	r.capped = p.capped
	v.convert(nctx, client, log, r, p.fams, id, now, via.st.url, "/_status/nodes/local"+query)
	return nil
}

var varsBuildVersion = regexp.MustCompile(`^v(\d+)\.(\d+)(?:[.-]|$)`)

// varsBuildAtLeast reports whether a build tag (v23.2.2, v23.1.0-alpha.8)
// is major.minor or later; false when it does not parse.
func varsBuildAtLeast(tag string, major, minor int) bool {
	m := varsBuildVersion.FindStringSubmatch(tag)
	if m == nil {
		return false
	}
	maj, err1 := strconv.Atoi(m[1])
	mn, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		return false
	}
	return maj > major || maj == major && mn >= minor
}
