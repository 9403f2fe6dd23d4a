package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/roachdog/roachdog/internal/redirect"
)

// Defaults of API.
const (
	// DefaultAPINodeTimeout bounds one attempt on one node (login included),
	// so that a hung node leaves time to ask the next one.
	DefaultAPINodeTimeout = 10 * time.Second
	// DefaultAPIMaxResponseBytes caps a response body: the critical nodes
	// report lists every non-conforming range (1 to 2 kB of JSON each).
	DefaultAPIMaxResponseBytes = 64 << 20

	// apiSessionHeader carries the session on /api/v2/ endpoints.
	apiSessionHeader = "X-Cockroach-API-Session"
	// apiSessionCookie carries the same session on the older /_status/ and
	// /_admin/ endpoints, which authenticate by cookie only.
	apiSessionCookie = "session"
	apiLoginPath     = "/api/v2/login/"
	apiErrorBodyMax  = 256
)

// ErrNoNodes is returned when the API has no node to ask.
var ErrNoNodes = errors.New("no node to send the request to")

// API is a client of the CockroachDB HTTP API for the endpoints that need an
// authenticated session (POST /_status/critical_nodes, /api/v2/...). It logs
// in lazily with POST /api/v2/login/ when a node answers 401, keeps the
// session for later requests and logs in again when the session is refused
// (expired or revoked). On an insecure cluster no node ever asks, so no
// login happens. A request goes to the nodes in order until one answers.
// It is safe for concurrent use.
type API struct {
	client             *http.Client
	nodes              func() []string
	username, password string

	// NodeTimeout bounds each attempt on one node; DefaultAPINodeTimeout
	// when zero. The caller's context deadline still wins.
	NodeTimeout time.Duration
	// MaxResponseBytes caps a response body; DefaultAPIMaxResponseBytes
	// when zero.
	MaxResponseBytes int64

	mu      sync.Mutex // guards session and login; never held across I/O
	session string     // never logged nor put in errors
	login   *loginCall // the login in flight, nil when none
}

// loginCall is one login in flight, shared by every caller that needs a
// session meanwhile; done is closed once session or err is set.
type loginCall struct {
	done    chan struct{}
	session string
	err     error
	// abandoned: the login ended because its caller's context did, which
	// says nothing about the credentials; waiters try again themselves.
	abandoned bool
}

// NewAPI returns a client that sends requests with client (TLS configured)
// to the status URLs returned by nodes (e.g. "https://roach1:8080", tried in
// order), logging in as username with password when a node requires a
// session. client nil means http.DefaultClient. Redirects are refused
// whatever client's policy: the password and the session go to the
// configured nodes only.
func NewAPI(client *http.Client, nodes func() []string, username, password string) *API {
	client = redirect.Client(client)
	if nodes == nil {
		nodes = func() []string { return nil }
	}
	return &API{client: client, nodes: nodes, username: username, password: password}
}

// APIError is a non-2xx answer (or a 2xx that is not JSON) from one node.
type APIError struct {
	// Node is the status URL that answered.
	Node string
	// Method and Path are the request's.
	Method, Path string
	// StatusCode is the HTTP status.
	StatusCode int
	// Msg says what went wrong; Body is the start of the response body,
	// on one line.
	Msg, Body string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s %s%s: %s", e.Method, e.Node, e.Path, e.Msg)
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// NotFound reports whether the node does not serve the endpoint (404, or a
// 2xx page that is not JSON: v20.2 binaries built without the UI answer
// unknown paths with 200 text/html).
func (e *APIError) NotFound() bool {
	return e.StatusCode == http.StatusNotFound || (e.StatusCode/100 == 2 && e.Msg == errNotJSON)
}

const errNotJSON = "response is not JSON (endpoint missing on this version?)"

// Get sends GET path (e.g. "/api/v2/nodes/") and decodes the JSON answer
// into out (nil: discard).
func (a *API) Get(ctx context.Context, path string, out any) error {
	return a.Do(ctx, http.MethodGet, path, nil, out)
}

// Post sends POST path with body encoded as JSON (nil: "{}") and decodes the
// JSON answer into out (nil: discard).
func (a *API) Post(ctx context.Context, path string, body, out any) error {
	if body == nil {
		body = struct{}{}
	}
	return a.Do(ctx, http.MethodPost, path, body, out)
}

// Do sends method path to the first node that answers with a 2xx JSON
// response and decodes it into out. A node that fails (network error,
// timeout, 5xx, 404, a body that is not JSON) is skipped for the next one;
// a refused login or a 403 stops at once, since every node would say the
// same. The returned error names every node that failed.
func (a *API) Do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
	}
	nodes := a.nodes()
	if len(nodes) == 0 {
		return fmt.Errorf("%s %s: %w", method, path, ErrNoNodes)
	}
	var errs []error
	for _, node := range nodes {
		node = strings.TrimRight(node, "/")
		err := a.doNode(ctx, node, method, path, payload, out)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil || isFinal(err) {
			break
		}
	}
	return errors.Join(errs...)
}

// isFinal reports errors that another node would repeat.
func isFinal(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Path == apiLoginPath {
			// Refused credentials; a login failing with 5xx may work elsewhere.
			return ae.StatusCode/100 == 4
		}
		return ae.StatusCode == http.StatusForbidden || ae.Msg == errNoCredentials
	}
	return false
}

const errNoCredentials = "the node requires a session but no username and password are configured"

// errClearText refuses a login over plain HTTP: anyone in between could
// answer 401 to collect the password. A secure CockroachDB node serves its
// HTTP port over TLS, except on loopback with --unencrypted-localhost-http.
const errClearText = "the node asks for a login over plain HTTP; roachdog sends the password and the session only over HTTPS (or to a loopback address): use https:// status URLs (with discover: discovery.scheme https)"

// clearText reports a plain-HTTP node that is not on a loopback address:
// no password nor session goes to it.
func clearText(node string) bool {
	u, err := url.Parse(node)
	if err != nil {
		return true
	}
	if u.Scheme != "http" {
		return u.Scheme != "https"
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// doNode makes one attempt on one node: the request, and on 401 a login and
// one retry.
func (a *API) doNode(ctx context.Context, node, method, path string, payload []byte, out any) error {
	budget := a.nodeTimeout()
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < budget {
		budget = time.Until(dl).Round(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(ctx, a.nodeTimeout())
	defer cancel()

	session := a.currentSession()
	resp, err := a.send(ctx, budget, node, method, path, payload, session)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		drain(resp)
		if a.username == "" {
			return &APIError{Node: node, Method: method, Path: path, StatusCode: resp.StatusCode, Msg: errNoCredentials}
		}
		if clearText(node) {
			return &APIError{Node: node, Method: method, Path: path, StatusCode: resp.StatusCode, Msg: errClearText}
		}
		if session, err = a.sessionFor(ctx, budget, node, session); err != nil {
			return err
		}
		if resp, err = a.send(ctx, budget, node, method, path, payload, session); err != nil {
			return err
		}
	}
	defer drain(resp)
	if resp.StatusCode/100 != 2 {
		return a.statusError(node, method, path, resp, http.StatusText(resp.StatusCode))
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		return a.statusError(node, method, path, resp, errNotJSON)
	}
	if err := a.decode(resp, out); err != nil {
		return fmt.Errorf("%s %s%s: decode response: %w", method, node, path, timeoutErr(ctx, budget, err))
	}
	return nil
}

func (a *API) send(ctx context.Context, budget time.Duration, node, method, path string, payload []byte, session string) (*http.Response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, node+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s%s: %w", method, node, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if session != "" && !clearText(node) {
		req.Header.Set(apiSessionHeader, session)
		req.AddCookie(&http.Cookie{Name: apiSessionCookie, Value: session})
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s%s: %w", method, node, path, timeoutErr(ctx, budget, transportErr(err)))
	}
	return resp, nil
}

// sessionFor returns a session to replace stale (the one node refused): one
// another caller got meanwhile, the result of the login in flight, or a new
// login on node. Concurrent callers share one login; each waits only as long
// as its own ctx allows.
func (a *API) sessionFor(ctx context.Context, budget time.Duration, node, stale string) (string, error) {
	for {
		a.mu.Lock()
		if a.session != stale && a.session != "" {
			s := a.session
			a.mu.Unlock()
			return s, nil
		}
		if c := a.login; c != nil {
			a.mu.Unlock()
			select {
			case <-c.done:
				if c.abandoned && ctx.Err() == nil {
					continue // its caller gave up; our turn
				}
				return c.session, c.err
			case <-ctx.Done():
				return "", fmt.Errorf("POST %s%s: login as %s: waiting for the login in flight: %w",
					node, apiLoginPath, a.username, timeoutErr(ctx, budget, ctx.Err()))
			}
		}
		c := &loginCall{done: make(chan struct{})}
		a.login = c
		a.mu.Unlock()

		c.session, c.err = a.doLogin(ctx, budget, node)
		c.abandoned = c.err != nil && ctx.Err() != nil
		a.mu.Lock()
		if c.err == nil {
			a.session = c.session
		}
		a.login = nil
		a.mu.Unlock()
		close(c.done)
		return c.session, c.err
	}
}

// doLogin gets a new session from node.
func (a *API) doLogin(ctx context.Context, budget time.Duration, node string) (string, error) {
	form := url.Values{"username": {a.username}, "password": {a.password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, node+apiLoginPath, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("POST %s%s: %w", node, apiLoginPath, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST %s%s: login as %s: %w", node, apiLoginPath, a.username, timeoutErr(ctx, budget, transportErr(err)))
	}
	defer drain(resp)
	if resp.StatusCode/100 != 2 {
		msg := "login as " + a.username + " refused (" + http.StatusText(resp.StatusCode) + ")"
		if resp.StatusCode == http.StatusUnauthorized {
			msg += "; check the password (the HTTP login needs the user's SQL password, client certificates are not enough)"
		}
		return "", a.statusError(node, http.MethodPost, apiLoginPath, resp, msg)
	}
	var lr struct {
		Session string `json:"session"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&lr); err != nil || lr.Session == "" {
		return "", &APIError{Node: node, Method: http.MethodPost, Path: apiLoginPath, StatusCode: resp.StatusCode,
			Msg: "login as " + a.username + ": response has no session"}
	}
	return lr.Session, nil
}

func (a *API) currentSession() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.session
}

func (a *API) nodeTimeout() time.Duration {
	if a.NodeTimeout > 0 {
		return a.NodeTimeout
	}
	return DefaultAPINodeTimeout
}

func (a *API) decode(resp *http.Response, out any) error {
	limit := a.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultAPIMaxResponseBytes
	}
	r := &io.LimitedReader{R: resp.Body, N: limit + 1}
	if out == nil {
		out = &json.RawMessage{}
	}
	err := json.NewDecoder(r).Decode(out)
	if r.N <= 0 {
		return fmt.Errorf("response larger than %d bytes", limit)
	}
	return err
}

// statusError reads the start of the body for the message.
func (a *API) statusError(node, method, path string, resp *http.Response, msg string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, apiErrorBodyMax))
	return &APIError{Node: node, Method: method, Path: path, StatusCode: resp.StatusCode, Msg: msg, Body: oneLine(string(b))}
}

// transportErr drops the *url.Error around a client error: the message
// already names the node and path (and for a redirect it would quote the
// server's raw Location).
func transportErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// timeoutErr says "timeout after ..." when the attempt's deadline expired.
func timeoutErr(ctx context.Context, budget time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timeout after %s: %w", budget, err)
	}
	return err
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// oneLine keeps a body snippet printable and on one line.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// drain reads a little of what is left so the connection can be reused, and
// closes the body.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
}
