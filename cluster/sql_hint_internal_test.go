package cluster

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestConnectHintReset: over TLS 1.3 a server that refuses the client
// certificate may show up as a reset or an EOF rather than its alert; with a
// client certificate configured, that is explained as the certificate to
// check. Without one, a reset is just a network error: no hint.
func TestConnectHintReset(t *testing.T) {
	t.Parallel()
	reset := fmt.Errorf("failed to receive message: %w",
		&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)})
	withCert := &DB{tls: tlsSettings{haveCert: true, cert: "sslcert and sslkey in sql_url"}}
	noCert := &DB{tls: tlsSettings{cert: "sslcert and sslkey in sql_url"}}
	for _, tc := range []struct {
		name string
		db   *DB
		err  error
		want string
	}{
		{"reset with a client certificate", withCert, reset, "refuses the client certificate; check that sslcert and sslkey in sql_url"},
		{"EOF with a client certificate", withCert, fmt.Errorf("receive: %w", io.ErrUnexpectedEOF), "refuses the client certificate"},
		{"reset without a client certificate", noCert, reset, ""},
		{"another error", withCert, errors.New("dial tcp: connection refused"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.db.connectHint(tc.err)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("connectHint = %q, want %q", got, tc.want)
			}
		})
	}
}
