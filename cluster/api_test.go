package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// apiFake is a CockroachDB HTTP API as far as authentication goes: POST
// /api/v2/login/ with form fields hands out sessions; /_status/ endpoints
// accept them in the "session" cookie (authenticationMux) and /api/v2/
// endpoints in the X-Cockroach-API-Session header (authenticationV2Mux). An
// empty user makes it an insecure cluster that asks for nothing.
type apiFake struct {
	*httptest.Server
	name           string
	user, password string

	mu       sync.Mutex
	sessions map[string]bool
	logins   int
	hits     map[string]int // path → requests
	handler  http.HandlerFunc
}

func newAPIFake(t *testing.T, name, user, password string) *apiFake {
	t.Helper()
	f := &apiFake{name: name, user: user, password: password, sessions: map[string]bool{}, hits: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *apiFake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	h := f.handler
	f.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	f.route(w, r)
}

// route is the fake's own behaviour, for handlers that change only part of it.
func (f *apiFake) route(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/v2/login/":
		f.login(w, r)
	case r.URL.Path == "/_status/critical_nodes":
		if r.Method != http.MethodPost {
			http.Error(w, "Not Found", http.StatusNotFound)
			return
		}
		var session string
		if c, err := r.Cookie("session"); err == nil {
			session = c.Value
		}
		f.answer(w, session)
	case strings.HasPrefix(r.URL.Path, "/api/v2/"):
		f.answer(w, r.Header.Get("X-Cockroach-API-Session"))
	default:
		http.Error(w, "Not Found", http.StatusNotFound)
	}
}

func (f *apiFake) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if r.Form.Get("username") != f.user || r.Form.Get("password") != f.password {
		http.Error(w, "the provided credentials did not match any account on the server", http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.logins++
	session := fmt.Sprintf("CIGA9sfJ5Yy0DBIQ4ml+%d/==", f.logins)
	f.sessions[session] = true
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"session": session})
}

func (f *apiFake) answer(w http.ResponseWriter, session string) {
	f.mu.Lock()
	ok := f.user == "" || f.sessions[session]
	f.mu.Unlock()
	if !ok {
		http.Error(w, "a valid authentication cookie or JWT is required", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"node": %q}`, f.name)
}

func (f *apiFake) expireSessions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.sessions)
}

func (f *apiFake) count(path string) (hits, logins int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path], f.logins
}

func (f *apiFake) set(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handler = h
}

func apiNodes(fakes ...*apiFake) func() []string {
	return func() []string {
		urls := make([]string, len(fakes))
		for i, f := range fakes {
			urls[i] = f.URL + "/" // a trailing slash must not matter
		}
		return urls
	}
}

type apiAnswer struct {
	Node string `json:"node"`
}

func apiCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAPIInsecureNeedsNoLogin(t *testing.T) {
	t.Parallel()
	n1 := newAPIFake(t, "n1", "", "")
	api := NewAPI(nil, apiNodes(n1), "roachdog", "secret")
	var got apiAnswer
	if err := api.Post(apiCtx(t), "/_status/critical_nodes", nil, &got); err != nil || got.Node != "n1" {
		t.Fatalf("Post = %+v, %v", got, err)
	}
	if hits, logins := n1.count("/api/v2/login/"); hits != 0 || logins != 0 {
		t.Errorf("insecure cluster: %d login requests", hits)
	}
}

// TestAPILoginAndRetry: 401 without a session, login, retry with the
// session; the session is reused, and renewed when the cluster refuses it.
func TestAPILoginAndRetry(t *testing.T) {
	t.Parallel()
	n1 := newAPIFake(t, "n1", "roachdog", "s3cret pass&word")
	api := NewAPI(n1.Client(), apiNodes(n1), "roachdog", "s3cret pass&word")
	ctx := apiCtx(t)
	var got apiAnswer
	if err := api.Post(ctx, "/_status/critical_nodes", nil, &got); err != nil || got.Node != "n1" {
		t.Fatalf("first Post = %+v, %v", got, err)
	}
	if hits, logins := n1.count("/_status/critical_nodes"); hits != 2 || logins != 1 {
		t.Errorf("first call: %d requests and %d logins, want 2 (401, retry) and 1", hits, logins)
	}
	// The same session serves the header-authenticated v2 API.
	if err := api.Get(ctx, "/api/v2/nodes/", &got); err != nil {
		t.Fatalf("Get /api/v2/nodes/: %v", err)
	}
	if err := api.Post(ctx, "/_status/critical_nodes", nil, &got); err != nil {
		t.Fatalf("second Post: %v", err)
	}
	if hits, logins := n1.count("/_status/critical_nodes"); hits != 3 || logins != 1 {
		t.Errorf("session not reused: %d requests, %d logins", hits, logins)
	}
	n1.expireSessions()
	if err := api.Post(ctx, "/_status/critical_nodes", nil, &got); err != nil {
		t.Fatalf("Post after expiry: %v", err)
	}
	if _, logins := n1.count(""); logins != 2 {
		t.Errorf("%d logins after the session expired, want 2", logins)
	}
}

func TestAPIConcurrentCallsLogInOnce(t *testing.T) {
	t.Parallel()
	n1 := newAPIFake(t, "n1", "roachdog", "pw")
	api := NewAPI(nil, apiNodes(n1), "roachdog", "pw")
	ctx := apiCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			var got apiAnswer
			errs <- api.Post(ctx, "/_status/critical_nodes", nil, &got)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if _, logins := n1.count(""); logins != 1 {
		t.Errorf("%d logins for concurrent calls, want 1", logins)
	}
}

// TestAPIFailover: a node that fails is skipped for the next one.
func TestAPIFailover(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fail http.HandlerFunc // nil: connection refused
	}{
		{"503", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "node is not ready", http.StatusServiceUnavailable)
		}},
		{"404 on an old version", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "Not Found", http.StatusNotFound) }},
		{"200 html of a binary without UI", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!DOCTYPE html>\n<title>CockroachDB</title>\nBinary built without web UI.")
		}},
		{"garbage JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"node": `)
		}},
		{"hangs past the node timeout", func(w http.ResponseWriter, r *http.Request) {
			// Read the body: the server notices the client going away (and
			// cancels r.Context) only once the body is consumed.
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}},
		{"connection refused", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := newAPIFake(t, "bad", "roachdog", "pw")
			if tc.fail == nil {
				bad.Close()
			} else {
				bad.set(tc.fail)
			}
			good := newAPIFake(t, "good", "roachdog", "pw")
			api := NewAPI(nil, apiNodes(bad, good), "roachdog", "pw")
			api.NodeTimeout = 300 * time.Millisecond
			var got apiAnswer
			if err := api.Post(apiCtx(t), "/_status/critical_nodes", nil, &got); err != nil || got.Node != "good" {
				t.Fatalf("Post = %+v, %v", got, err)
			}
			if tc.fail != nil {
				if hits, _ := bad.count("/_status/critical_nodes"); hits != 1 {
					t.Errorf("failing node asked %d times, want 1", hits)
				}
			}
		})
	}
}

func TestAPIAllNodesFail(t *testing.T) {
	t.Parallel()
	n1 := newAPIFake(t, "n1", "", "")
	n2 := newAPIFake(t, "n2", "", "")
	for _, n := range []*apiFake{n1, n2} {
		n.set(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "internal\nerror", http.StatusInternalServerError)
		})
	}
	api := NewAPI(nil, apiNodes(n1, n2), "", "")
	err := api.Post(apiCtx(t), "/_status/critical_nodes", nil, nil)
	if err == nil {
		t.Fatal("no error when every node fails")
	}
	for _, want := range []string{
		"POST " + n1.URL + "/_status/critical_nodes: Internal Server Error: internal error",
		"POST " + n2.URL + "/_status/critical_nodes: Internal Server Error: internal error",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 500 || ae.NotFound() {
		t.Errorf("error is not a 500 APIError: %#v", ae)
	}
}

// TestAPIStopsOnFinalErrors: refused credentials, missing credentials and
// 403 would be the same on every node: the next one is not asked.
func TestAPIStopsOnFinalErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, user, password string
		forbid               bool
		want                 string
	}{
		{name: "wrong password", user: "roachdog", password: "wrong-Hunter2", want: "login as roachdog refused (Unauthorized); check the password"},
		{name: "no credentials", want: "requires a session but no username and password are configured"},
		{name: "forbidden", user: "roachdog", password: "pw", forbid: true, want: "Forbidden: user not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n1 := newAPIFake(t, "n1", "roachdog", "pw")
			n2 := newAPIFake(t, "n2", "roachdog", "pw")
			if tc.forbid {
				n1.set(func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "user not allowed to access this endpoint", http.StatusForbidden)
				})
			}
			api := NewAPI(nil, apiNodes(n1, n2), tc.user, tc.password)
			err := api.Post(apiCtx(t), "/_status/critical_nodes", nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if tc.password != "" && strings.Contains(err.Error(), tc.password) {
				t.Errorf("error leaks the password: %v", err)
			}
			if hits, _ := n2.count("/_status/critical_nodes"); hits != 0 {
				t.Errorf("second node asked %d times after a final error", hits)
			}
		})
	}
}

func TestAPINotFound(t *testing.T) {
	t.Parallel()
	n1 := newAPIFake(t, "n1", "", "")
	api := NewAPI(nil, apiNodes(n1), "", "")
	err := api.Get(apiCtx(t), "/_status/nowhere", nil)
	var ae *APIError
	if !errors.As(err, &ae) || !ae.NotFound() {
		t.Fatalf("error %v is not NotFound", err)
	}
	n1.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html>")
	})
	err = api.Get(apiCtx(t), "/api/v2/nodes/", nil)
	if !errors.As(err, &ae) || !ae.NotFound() || ae.StatusCode != 200 {
		t.Fatalf("200 text/html: error %v is not NotFound", err)
	}
}

func TestAPIResponseTooLarge(t *testing.T) {
	t.Parallel()
	n1 := newAPIFake(t, "n1", "", "")
	n1.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"node": %q}`, strings.Repeat("x", 2000))
	})
	api := NewAPI(nil, apiNodes(n1), "", "")
	api.MaxResponseBytes = 1000
	var got apiAnswer
	if err := api.Get(apiCtx(t), "/api/v2/nodes/", &got); err == nil || !strings.Contains(err.Error(), "larger than 1000 bytes") {
		t.Fatalf("error %v, want a size error", err)
	}
}

func TestAPINoNodes(t *testing.T) {
	t.Parallel()
	api := NewAPI(nil, nil, "", "")
	if err := api.Get(apiCtx(t), "/api/v2/nodes/", nil); !errors.Is(err, ErrNoNodes) {
		t.Fatalf("error %v, want ErrNoNodes", err)
	}
}

func TestAPICallerDeadline(t *testing.T) {
	t.Parallel()
	n1 := newAPIFake(t, "n1", "", "")
	n1.set(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	n2 := newAPIFake(t, "n2", "", "")
	api := NewAPI(nil, apiNodes(n1, n2), "", "")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := api.Get(ctx, "/api/v2/nodes/", nil)
	if err == nil || !strings.Contains(err.Error(), "timeout after") {
		t.Fatalf("error %v, want a timeout", err)
	}
	if hits, _ := n2.count("/api/v2/nodes/"); hits != 0 {
		t.Errorf("asked the next node after the caller's deadline")
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("Get outlived the caller's deadline: %s", time.Since(start))
	}
}

// slowLogins makes f's logins wait for release (or for the client to go
// away), counting them in received; every other request is served as usual.
func slowLogins(f *apiFake, release <-chan struct{}, received *atomic.Int32) {
	f.set(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/login/" {
			f.route(w, r)
			return
		}
		received.Add(1)
		select {
		case <-release:
			f.login(w, r)
		case <-r.Context().Done():
		}
	})
}

// TestAPILoginWaitHonoursDeadline: a caller that needs a session while
// another caller's login is in flight waits for that login only as long as
// its own context allows (the lock used to be held across the login's
// network call, blocking everyone for up to the node timeout).
func TestAPILoginWaitHonoursDeadline(t *testing.T) {
	t.Parallel()
	n1 := newAPIFake(t, "n1", "roachdog", "pw")
	release := make(chan struct{})
	var logins atomic.Int32
	slowLogins(n1, release, &logins)
	api := NewAPI(nil, apiNodes(n1), "roachdog", "pw")

	first := make(chan error, 1)
	go func() { first <- api.Post(apiCtx(t), "/_status/critical_nodes", nil, nil) }()
	deadline := time.Now().Add(10 * time.Second)
	for logins.Load() == 0 {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the first caller never tried to log in")
		}
		time.Sleep(5 * time.Millisecond)
	}

	second := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		second <- api.Post(ctx, "/_status/critical_nodes", nil, nil)
	}()
	select {
	case err := <-second:
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for the login in flight") {
			t.Errorf("second caller: %v, want its own deadline while waiting for the login", err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		<-second
		t.Fatal("second caller blocked behind the first caller's login past its own deadline")
	}

	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first caller: %v", err)
	}
	if n := logins.Load(); n != 1 {
		t.Errorf("%d logins, want 1", n)
	}
	// The session is shared: no more logins.
	if err := api.Post(apiCtx(t), "/_status/critical_nodes", nil, nil); err != nil || logins.Load() != 1 {
		t.Errorf("later call: %v, %d logins", err, logins.Load())
	}
}

// TestAPILoginAbandonedByItsCaller: when the caller whose login is in
// flight gives up, a caller still waiting logs in itself rather than
// inheriting the other's cancellation.
func TestAPILoginAbandonedByItsCaller(t *testing.T) {
	t.Parallel()
	n1 := newAPIFake(t, "n1", "roachdog", "pw")
	release := make(chan struct{})
	var logins atomic.Int32
	slowLogins(n1, release, &logins)
	api := NewAPI(nil, apiNodes(n1), "roachdog", "pw")

	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	first := make(chan error, 1)
	go func() { first <- api.Post(ctx1, "/_status/critical_nodes", nil, nil) }()
	deadline := time.Now().Add(10 * time.Second)
	for logins.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	second := make(chan error, 1)
	go func() { second <- api.Post(apiCtx(t), "/_status/critical_nodes", nil, nil) }()
	// Let the second caller reach the wait, then abandon the first login.
	time.Sleep(50 * time.Millisecond)
	cancel1()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("first caller: %v, want context.Canceled", err)
	}
	for logins.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	select {
	case err := <-second:
		if err != nil {
			t.Errorf("second caller inherited the abandoned login: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("second caller never returned")
	}
}
