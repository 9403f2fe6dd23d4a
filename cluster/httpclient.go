package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/roachdog/roachdog/internal/redirect"
)

// HTTPOptions configure HTTPS to the nodes' HTTP endpoints (the config's
// tls mapping).
type HTTPOptions struct {
	// CAFile is the PEM file of the CA that signed the nodes' certificates;
	// empty: the system's roots.
	CAFile string
	// CertFile and KeyFile are a client certificate and its key, sent
	// when a node asks for one; both or neither.
	CertFile, KeyFile string
	// ServerName is the name checked in the nodes' certificates instead of
	// the host of each URL.
	ServerName string
	// InsecureSkipVerify accepts any node certificate. Explicit opt-in only.
	InsecureSkipVerify bool
}

// Bounds on connection set-up, so that a black-holed node fails fast;
// deadlines on whole requests come from each request's context.
const (
	httpDialTimeout      = 5 * time.Second
	httpHandshakeTimeout = 5 * time.Second
)

// NewHTTPClient builds the client for the nodes' HTTP endpoints
// (/_status/vars, the status API). It verifies the nodes' certificates
// (against o.CAFile, else the system's roots) unless o says otherwise,
// refuses redirects (see package redirect: credentials, the session and
// the scraped data stay with the configured origin), and explains TLS
// failures: which side refused and which setting to check.
func NewHTTPClient(o HTTPOptions) (*http.Client, error) {
	tc, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2
	// No cap on idle connections in all: the default transport's 100
	// would make a cluster of more than 100 nodes dial (and on a secure
	// cluster, handshake) again for most nodes every cycle. Per host
	// they stay bounded, so in all by twice the nodes.
	tr.MaxIdleConns = 0
	tr.TLSHandshakeTimeout = httpHandshakeTimeout
	tr.ResponseHeaderTimeout = 0 // the per-request context deadline applies
	tr.DialContext = (&net.Dialer{Timeout: httpDialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSClientConfig = tc
	return &http.Client{Transport: &tlsExplainer{tr: tr, opts: o}, CheckRedirect: redirect.Refuse}, nil
}

func (o HTTPOptions) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName, InsecureSkipVerify: o.InsecureSkipVerify} //nolint:gosec // explicit opt-in
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate found", o.CAFile)
		}
		tc.RootCAs = pool
	}
	if o.CertFile != "" || o.KeyFile != "" {
		if o.CertFile == "" || o.KeyFile == "" {
			return nil, errors.New("tls.cert_file and tls.key_file go together: give both for a client certificate, or neither")
		}
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file %s / key_file %s: %w", o.CertFile, o.KeyFile, err)
		}
		// Sent whenever the server asks, even when it does not list our
		// CA (Go's default would then send nothing): the server's refusal
		// names the problem better than a missing certificate.
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	return tc, nil
}

// tlsExplainer adds to a TLS failure what failed and what to check.
type tlsExplainer struct {
	tr   *http.Transport
	opts HTTPOptions
}

func (t *tlsExplainer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.tr.RoundTrip(req)
	if err != nil {
		if hint := tlsHint(err, httpTLSSettings(t.opts)); hint != "" {
			return nil, &TLSError{Hint: hint, Err: err}
		}
	}
	return resp, err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (t *tlsExplainer) CloseIdleConnections() { t.tr.CloseIdleConnections() }

func httpTLSSettings(o HTTPOptions) tlsSettings {
	ca := "tls.ca_file"
	if o.CAFile == "" {
		ca = "tls.ca_file (unset, so the system's roots)"
	}
	return tlsSettings{ca: ca, nameFix: "connect with a name the certificate lists, or set tls.server_name",
		cert: "tls.cert_file and tls.key_file", haveCert: o.CertFile != ""}
}

// TLSError is a TLS failure with a hint on what to check.
type TLSError struct {
	Hint string
	Err  error
}

func (e *TLSError) Error() string { return e.Err.Error() + "; " + e.Hint }
func (e *TLSError) Unwrap() error { return e.Err }

// remoteAlert finds the TLS alert the peer sent: crypto/tls reports it as
// a *net.OpError "remote error" around its unexported alert type, whose
// text is all there is to read.
func remoteAlert(err error) (uint8, bool) {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return 0, false
	}
	var ae tls.AlertError
	if errors.As(op.Err, &ae) {
		return uint8(ae), true
	}
	code, ok := alertCodes[strings.TrimPrefix(op.Err.Error(), "tls: ")]
	return code, ok
}

// alertCodes are crypto/tls's texts of the alerts about certificates.
var alertCodes = map[string]uint8{
	"handshake failure":             40,
	"bad certificate":               42,
	"unsupported certificate":       43,
	"revoked certificate":           44,
	"expired certificate":           45,
	"unknown certificate":           46,
	"unknown certificate authority": 48,
	"certificate required":          116,
}

// tlsSettings names, for a hint, the settings behind each side of a TLS
// connection.
type tlsSettings struct {
	ca, cert string
	nameFix  string // how to connect with a name the certificate lists
	haveCert bool   // a client certificate is configured
}

// tlsHint says what a TLS failure means and what to check; "" when err is
// not one.
func tlsHint(err error, s tlsSettings) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		header   tls.RecordHeaderError
	)
	alert, isAlert := remoteAlert(err)
	switch {
	case errors.As(err, &unknown):
		return "TLS verification of the server's certificate failed: it is not signed by a trusted CA; check that " + s.ca + " is the CA that signed the server's certificate"
	case errors.As(err, &hostname):
		return "TLS verification of the server's certificate failed: it is not valid for the name connected to; " + s.nameFix
	case errors.As(err, &invalid):
		return "TLS verification of the server's certificate failed: the certificate is expired, not yet valid or not usable by a server; check the server's certificate"
	case errors.As(err, &verify):
		return "TLS verification of the server's certificate failed; check " + s.ca
	case isAlert:
		switch alert {
		case 42, 43, 44, 45, 46, 48, 116:
			// bad, unsupported, revoked, expired, unknown certificate,
			// unknown CA; certificate_required (TLS 1.3). Over TLS 1.2 a
			// missing certificate is a bad_certificate.
			if !s.haveCert {
				return "the server requires a client certificate: set " + s.cert
			}
			return "the server refused the client certificate; check that " + s.cert + " hold a certificate signed by a CA the server trusts, not expired"
		case 40: // handshake_failure: what TLS 1.2 servers may send for a missing certificate
			if !s.haveCert {
				return "the server refused the TLS handshake; it may require a client certificate: set " + s.cert
			}
			return "the server refused the TLS handshake; check " + s.cert + " and the TLS versions the server accepts"
		}
	case errors.As(err, &header):
		return "the server does not speak TLS: use http:// for an insecure cluster"
	}
	return ""
}
