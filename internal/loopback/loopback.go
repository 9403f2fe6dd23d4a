// Package loopback tells whether a listen address accepts connections from
// this host only.
package loopback

import (
	"net"
	"strings"
)

// Address reports whether addr (host:port) listens on this host only:
// "localhost" or a loopback IP (127.0.0.0/8, ::1). ":9464" listens on every
// interface and is not.
func Address(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
