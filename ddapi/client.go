// Package ddapi is a small client for the few Datadog API endpoints roachdog
// needs to install its dashboards and monitors and to schedule downtimes:
// dashboards and monitors (v1), monitor validation (v1) and downtimes (v2).
//
// It is plain net/http and encoding/json on purpose: the official
// datadog-api-client-go costs a 75 s, 1.4 GB cold build and a CGO
// dependency for three endpoint families that need only two headers and a
// host name. Objects are carried as JSON maps (Object), not typed models:
// roachdog sends its files as they are and compares only the fields they set.
package ddapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roachdog/roachdog/internal/redirect"
)

// DefaultSite is the Datadog site used when DD_SITE is empty (US1).
const DefaultSite = "datadoghq.com"

// Defaults for a Client's zero fields.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultMaxRetries = 4
	DefaultMaxWait    = 2 * time.Minute
	DefaultBackoff    = time.Second
	// maxBackoff caps one 5xx backoff step: beyond it a retry rarely helps.
	maxBackoff = 30 * time.Second
	// maxBody bounds what is read from one response (a dashboard list in a
	// large organisation is a few MB).
	maxBody = 64 << 20
)

// Client talks to one Datadog site with one pair of keys. The zero values
// of the tuning fields mean the defaults above. A Client is safe for
// concurrent use once configured.
type Client struct {
	// BaseURL is the API root without a trailing slash, for example
	// https://api.datadoghq.eu.
	BaseURL string
	// APIKey is sent as DD-API-KEY and AppKey as DD-APPLICATION-KEY. Neither
	// ever appears in an error message or a log line.
	APIKey, AppKey string
	// HTTP sends the requests; nil means a client with sane transport
	// timeouts (never http.DefaultClient, which has none).
	HTTP *http.Client
	// UserAgent identifies roachdog in Datadog's audit trail.
	UserAgent string
	// Timeout bounds one attempt of one request.
	Timeout time.Duration
	// MaxRetries bounds the retries of one request after a 429, a 5xx or a
	// network error; MaxWait bounds the total time slept between them.
	MaxRetries int
	MaxWait    time.Duration
	// Backoff is the first wait after a 5xx or a network error; it doubles
	// on every retry (up to 30 s).
	Backoff time.Duration
	// Logger, when set, logs each retry at info level.
	Logger *slog.Logger

	// sleep waits for d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// Config is what New needs; ConfigFromEnv fills it the way Datadog's own
// clients do.
type Config struct {
	// Site is a Datadog site (datadoghq.com, datadoghq.eu, us3.datadoghq.com,
	// ap1.datadoghq.com, ddog-gov.com, ...): the API is https://api.<site>.
	Site string
	// APIURL, when set, replaces the URL derived from Site: for a proxy, or
	// a local emulation in tests. It must be https, or http on a loopback
	// address (the keys are sent in headers).
	APIURL string
	APIKey string
	AppKey string
}

// ConfigFromEnv reads DD_SITE, DD_API_KEY and DD_APP_KEY (the names
// datadog-api-client-go reads; DD_APPLICATION_KEY is accepted as a fallback
// because the Agent's tooling uses it). getenv is os.Getenv outside tests.
func ConfigFromEnv(getenv func(string) string) Config {
	app := getenv("DD_APP_KEY")
	if app == "" {
		app = getenv("DD_APPLICATION_KEY")
	}
	return Config{Site: getenv("DD_SITE"), APIKey: getenv("DD_API_KEY"), AppKey: app}
}

// New checks cfg and returns a Client with default tuning.
func New(cfg Config) (*Client, error) {
	apiKey, err := checkKey("DD_API_KEY", cfg.APIKey)
	if err != nil {
		return nil, err
	}
	appKey, err := checkKey("DD_APP_KEY", cfg.AppKey)
	if err != nil {
		return nil, err
	}
	base := cfg.APIURL
	if base == "" {
		if base, err = SiteURL(cfg.Site); err != nil {
			return nil, err
		}
	} else if base, err = checkAPIURL(base); err != nil {
		return nil, err
	}
	return &Client{BaseURL: base, APIKey: apiKey, AppKey: appKey}, nil
}

func checkKey(name, v string) (string, error) {
	// Keys pasted from a file often carry a trailing newline.
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("%s is not set: create one under Organization Settings in Datadog and export it", name)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x21 || c > 0x7e {
			return "", fmt.Errorf("%s contains a space or a control character at byte %d: check how it was exported", name, i)
		}
	}
	return v, nil
}

// SiteURL returns the API root for a Datadog site: "" gives the default
// site; "app.datadoghq.eu" and "https://app.datadoghq.eu/" (what users copy
// from their browser) are accepted for "datadoghq.eu".
func SiteURL(site string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(site))
	s = strings.TrimPrefix(s, "https://")
	s = strings.TrimSuffix(s, "/")
	for _, p := range []string{"app.", "api."} {
		s = strings.TrimPrefix(s, p)
	}
	if s == "" {
		s = DefaultSite
	}
	if !validHost(s) {
		return "", fmt.Errorf("DD_SITE %q is not a Datadog site (want for example datadoghq.com, datadoghq.eu, us3.datadoghq.com, ap1.datadoghq.com, ddog-gov.com)", site)
	}
	return "https://api." + s, nil
}

func validHost(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// checkAPIURL accepts https URLs, and http only on a loopback address so a
// typo never sends the keys in clear text across a network.
func checkAPIURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("API URL %q: want an absolute URL such as https://api.datadoghq.com", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("API URL %q: want scheme, host and optional path only", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("API URL %q: plain http is allowed only on a loopback address (the keys travel in headers)", raw)
		}
	default:
		return "", fmt.Errorf("API URL %q: scheme must be https", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// httpClient refuses redirects whatever c.HTTP's policy: Go's client
// forwards custom headers (DD-API-KEY, DD-APPLICATION-KEY) to any host a
// redirect names, and the keys must go to the configured API only.
func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return redirect.Client(c.HTTP)
	}
	return defaultHTTP
}

// defaultHTTP bounds the connection phases; each request's context bounds
// the whole exchange.
var defaultHTTP = &http.Client{CheckRedirect: redirect.Refuse, Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   10 * time.Second,
	ResponseHeaderTimeout: 60 * time.Second,
	IdleConnTimeout:       90 * time.Second,
	MaxIdleConnsPerHost:   4,
	ForceAttemptHTTP2:     true,
}}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

func (c *Client) maxRetries() int {
	if c.MaxRetries > 0 {
		return c.MaxRetries
	}
	if c.MaxRetries < 0 {
		return 0
	}
	return DefaultMaxRetries
}

// request is one API call. Idempotent calls (reads, PUT, DELETE, validate)
// are retried after a 5xx or a network error; creates are not, because the
// server may have created the object before failing, and a retry would
// duplicate it (apply is safe to run again instead: it matches by name).
// Every call is retried after a 429, which Datadog sends before doing
// anything.
type request struct {
	method     string
	path       string // starts with /api/
	query      url.Values
	body       any
	idempotent bool
}

// notRetried explains why a failed create is reported at once.
const notRetried = "not retried: a create may have taken effect before the failure"

// do sends r and decodes a 2xx JSON response into out (when out is not nil).
func (c *Client) do(ctx context.Context, r request, out any) error {
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("%s %s: encode body: %w", r.method, r.path, err)
		}
	}
	target := c.BaseURL + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	sleep := c.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	maxWait := orDuration(c.MaxWait, DefaultMaxWait)
	backoff := orDuration(c.Backoff, DefaultBackoff)
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		status, header, body, err := c.once(ctx, r.method, target, payload)
		var wait time.Duration
		var cause error
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("%s %s: %w", r.method, r.path, ctx.Err())
			}
			var re *redirect.Error
			if errors.As(err, &re) {
				// Asking again gets the same answer.
				return fmt.Errorf("%s %s%s: %w", r.method, c.BaseURL, r.path, re)
			}
			if !r.idempotent {
				return fmt.Errorf("%s %s: %w (%s)", r.method, r.path, err, notRetried)
			}
			wait, cause = backoffStep(backoff, attempt), err
		case status >= 200 && status < 300:
			if out == nil || len(bytes.TrimSpace(body)) == 0 {
				return nil
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(out); err != nil {
				return fmt.Errorf("%s %s: decode response: %w", r.method, r.path, err)
			}
			return nil
		case status == http.StatusTooManyRequests:
			wait = rateLimitWait(header, time.Now())
			if wait <= 0 {
				wait = backoffStep(backoff, attempt)
			}
			cause = c.apiError(r, status, header, body)
		case status >= 500 && r.idempotent:
			wait = retryAfter(header, time.Now())
			if wait <= 0 {
				wait = backoffStep(backoff, attempt)
			}
			cause = c.apiError(r, status, header, body)
		default:
			e := c.apiError(r, status, header, body)
			if status >= 500 {
				e.Hint = notRetried
			}
			return e
		}
		if attempt >= c.maxRetries() {
			return fmt.Errorf("giving up after %d attempts: %w", attempt+1, cause)
		}
		if waited+wait > maxWait {
			return fmt.Errorf("giving up: the next retry needs a %s wait, beyond the %s retry budget (%s already waited): %w",
				wait.Round(time.Millisecond), maxWait, waited.Round(time.Millisecond), cause)
		}
		if c.Logger != nil {
			c.Logger.Info("datadog API: retrying", "method", r.method, "path", r.path,
				"attempt", attempt+1, "wait", wait, "cause", cause.Error())
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s %s: %w while waiting to retry after: %v", r.method, r.path, err, cause)
		}
		waited += wait
	}
}

// once sends one attempt under its own deadline and reads the whole body.
func (c *Client) once(ctx context.Context, method, target string, payload []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, orDuration(c.Timeout, DefaultTimeout))
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("DD-API-KEY", c.APIKey)
	req.Header.Set("DD-APPLICATION-KEY", c.AppKey)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ua := c.UserAgent
	if ua == "" {
		ua = "roachdog"
	}
	req.Header.Set("User-Agent", ua)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		var re *redirect.Error
		if errors.As(err, &re) {
			// Without the url.Error around it, which quotes the server's
			// raw Location; a server that echoes a key gets it masked.
			re.Location, re.From = c.redact(re.Location), c.redact(re.From)
			return 0, nil, nil, re
		}
		return 0, nil, nil, c.redactErr(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read response (HTTP %d): %w", resp.StatusCode, c.redactErr(err))
	}
	if len(data) > maxBody {
		return 0, nil, nil, fmt.Errorf("response (HTTP %d) larger than %d MiB", resp.StatusCode, maxBody>>20)
	}
	return resp.StatusCode, resp.Header, data, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func backoffStep(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 0; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// redactErr keeps the keys out of transport errors (a url.Error quotes the
// URL only, but a proxy's error text is not ours to trust).
func (c *Client) redactErr(err error) error {
	s := c.redact(err.Error())
	if s == err.Error() {
		return err
	}
	return errors.New(s)
}

func (c *Client) redact(s string) string {
	for _, k := range []string{c.APIKey, c.AppKey} {
		if len(k) >= 4 {
			s = strings.ReplaceAll(s, k, "[redacted]")
		}
	}
	return s
}
