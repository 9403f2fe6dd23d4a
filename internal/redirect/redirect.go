// Package redirect keeps roachdog's HTTP requests on the origin they were
// sent to: it refuses every redirect, with an error that says where the
// server pointed.
//
// Following a redirect would send what the request carries to wherever the
// answer says: Go's client re-sends a POST body on 307/308 (the login form
// holds the SQL user's password), forwards custom headers to any host (the
// CockroachDB session header, Datadog's DD-API-KEY) and keeps an explicit
// Cookie header for the same host name on any port. It would also accept
// whatever the other server answers as the configured node's data.
//
// Every redirect is refused, same origin included. CockroachDB does not
// redirect the endpoints roachdog uses; the one redirect it sends (plain
// HTTP to HTTPS on a secure cluster) changes the origin, and the right fix
// is an https URL in the configuration. A same-origin redirect could only
// come from something in between, and the answer at the other path is not
// what was asked for. One rule, one clear error.
package redirect

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// maxShown bounds how much of a Location an error shows.
const maxShown = 120

// Error is a redirect that was refused.
type Error struct {
	// StatusCode is the redirect's status (301, 302, 303, 307, 308).
	StatusCode int
	// From is the URL that answered with the redirect, without user info.
	From string
	// Location is where it pointed, made safe for a log line: no user
	// info, query or fragment, printable, at most 120 characters. The
	// server's text is not to be trusted.
	Location string
	// toHTTPS: the same host and port, with https instead of http.
	toHTTPS bool
}

func (e *Error) Error() string {
	s := fmt.Sprintf("refused to follow HTTP %d redirect to %q", e.StatusCode, e.Location)
	if e.toHTTPS {
		return s + ": the server wants HTTPS; configure its URL with https:// (and the CA that signed its certificate)"
	}
	return s + ": roachdog never follows redirects, so that credentials go only where they are configured to; if the new address is right, configure it instead"
}

// Refuse is an http.Client CheckRedirect that refuses every redirect. It
// runs before the next request is sent, so nothing reaches the Location.
func Refuse(req *http.Request, via []*http.Request) error {
	e := &Error{Location: Safe(req.URL)}
	if req.Response != nil {
		e.StatusCode = req.Response.StatusCode
	}
	if len(via) > 0 {
		from := via[len(via)-1].URL
		e.From = Safe(from)
		e.toHTTPS = from.Scheme == "http" && req.URL.Scheme == "https" && sameHostPort(from, req.URL)
	}
	return e
}

// sameHostPort compares hosts and ports, the default ports spelled out
// (http://h and https://h:80 are the same place).
func sameHostPort(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if u.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// Client returns a copy of c (http.DefaultClient when nil) that refuses
// redirects; it shares c's transport and connections.
func Client(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	cc.CheckRedirect = Refuse
	return &cc
}

// Strip returns the *Error inside err, without the *url.Error that Go's
// client puts around it (its text quotes the server's raw Location); other
// errors are returned unchanged.
func Strip(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return err
}

// Safe shows u for a message: scheme, host and path, no user info, "?…"
// for a query, printable characters only, at most 120 characters.
func Safe(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath, Opaque: u.Opaque}
	s := r.String()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?…"
	}
	s = strings.Map(func(c rune) rune {
		if !unicode.IsPrint(c) || c == unicode.ReplacementChar {
			return -1
		}
		return c
	}, s)
	if rs := []rune(s); len(rs) > maxShown {
		s = string(rs[:maxShown]) + "…"
	}
	return s
}
