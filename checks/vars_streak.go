package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"syscall"
	"time"
)

// varsStreak is one node's run of failed scrapes of its own endpoint. The
// failure is logged when the streak starts, again only when it fails in a
// way not seen yet in this streak (refused, then timing out: the host went,
// not just the process), and the recovery once, with how long it lasted.
// Every cycle in between logs at debug; node.up, node.can_scrape and
// roachdog_node_errors_total still report every cycle.
type varsStreak struct {
	since  time.Time // zero: not failing
	cycles int
	kinds  map[string]bool // kinds logged in this streak
}

// failed records a failed cycle of st's node and logs it as above.
func (k *varsStreak) failed(log *slog.Logger, st *varsNodeState, kind string, err error, now time.Time) {
	k.cycles++
	switch {
	case k.since.IsZero():
		k.since = now
		k.kinds = map[string]bool{kind: true}
		log.Warn("scrape failed; logged again when it recovers or fails differently",
			"node", st.label(), "instance", st.instance, "kind", kind, "err", err)
	case !k.kinds[kind]:
		k.kinds[kind] = true
		log.Warn("scrape still failing, differently",
			"node", st.label(), "instance", st.instance, "kind", kind, "err", err,
			"failing_for", now.Sub(k.since).Round(time.Second), "failed_cycles", k.cycles)
	default:
		log.Debug("scrape still failing", "node", st.label(), "instance", st.instance, "kind", kind, "err", err)
	}
}

// ok records a scrape that worked, logging the end of a streak.
func (k *varsStreak) ok(log *slog.Logger, st *varsNodeState, now time.Time) {
	if k.since.IsZero() {
		return
	}
	log.Info("scrape works again", "node", st.label(), "instance", st.instance,
		"down_for", now.Sub(k.since).Round(time.Second), "failed_cycles", k.cycles)
	*k = varsStreak{}
}

// varsHTTPError is a non-200 answer to a scrape.
type varsHTTPError struct {
	status  string // "503 Service Unavailable"
	code    int
	excerpt string
}

func (e *varsHTTPError) Error() string { return "HTTP " + e.status + ": " + e.excerpt }

// Kinds of scrape failure, for logging a streak (see varsStreak).
const (
	varsKindTimeout    = "timeout"
	varsKindRefused    = "connection refused"
	varsKindReset      = "connection reset"
	varsKindDNS        = "name resolution"
	varsKindTLS        = "tls"
	varsKindTooLarge   = "payload too large"
	varsKindParse      = "bad payload"
	varsKindUnscraped  = "not scraped in time"
	varsKindTransport  = "transport"
	varsKindHTTPPrefix = "HTTP "
)

// varsFetchKind classifies a failed GET of a node's endpoint; nctx is the
// node's own context (its deadline is the node timeout).
func varsFetchKind(nctx context.Context, err error) string {
	var (
		he    *varsHTTPError
		large *varsTooLargeError
		dns   *net.DNSError
		ne    net.Error
		cv    *tls.CertificateVerificationError
		ua    x509.UnknownAuthorityError
		hn    x509.HostnameError
		ci    x509.CertificateInvalidError
		rh    tls.RecordHeaderError
	)
	switch {
	case errors.Is(nctx.Err(), context.DeadlineExceeded):
		return varsKindTimeout
	case errors.As(err, &he):
		return varsKindHTTPPrefix + strconv.Itoa(he.code)
	case errors.As(err, &large):
		return varsKindTooLarge
	case errors.Is(err, syscall.ECONNREFUSED):
		return varsKindRefused
	case errors.Is(err, syscall.ECONNRESET):
		return varsKindReset
	case errors.As(err, &dns):
		return varsKindDNS
	case errors.As(err, &cv), errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &ci), errors.As(err, &rh):
		return varsKindTLS
	case errors.As(err, &ne) && ne.Timeout():
		return varsKindTimeout
	}
	return varsKindTransport
}
