package cluster

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// elsewhere is a server roachdog was never configured to talk to: it
// records everything that reaches it.
type elsewhere struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // method, path, headers and body of each request
}

func newElsewhere(t *testing.T) *elsewhere {
	e := &elsewhere{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.seen = append(e.seen, r.Method+" "+r.URL.String()+" "+headerText(r.Header)+" "+string(body))
		e.mu.Unlock()
		// Answer like a node would, so that a followed redirect succeeds.
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"session": "stolen", "node": "elsewhere"}`)
	}))
	t.Cleanup(e.Close)
	return e
}

func headerText(h http.Header) string {
	var b strings.Builder
	for k, vs := range h {
		b.WriteString(k + "=" + strings.Join(vs, ",") + ";")
	}
	return b.String()
}

func (e *elsewhere) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.seen...)
}

// redirectTo answers every request to path with code and Location target.
func redirectTo(f *apiFake, path string, code int, target string) {
	f.set(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			w.Header().Set("Location", target)
			w.WriteHeader(code)
			return
		}
		f.route(w, r)
	})
}

// apiClients are the clients an API may be given: the nodes' client that
// roachdog builds, and Go's default one, which follows redirects (the API
// must refuse them whatever its client).
func apiClients(t *testing.T) map[string]*http.Client {
	c, err := NewHTTPClient(HTTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*http.Client{"nodes client": c, "default client": nil}
}

// TestAPILoginRedirectKeepsThePassword: a 307 on POST /api/v2/login/ would
// make Go's client send the form, password included, to the Location.
func TestAPILoginRedirectKeepsThePassword(t *testing.T) {
	t.Parallel()
	const password = "s3cret-Pa55word"
	for name, client := range apiClients(t) {
		t.Run(name, func(t *testing.T) {
			other := newElsewhere(t)
			n1 := newAPIFake(t, "n1", "roachdog", password)
			redirectTo(n1, apiLoginPath, http.StatusTemporaryRedirect, other.URL+"/api/v2/login/")
			n2 := newAPIFake(t, "n2", "roachdog", password)
			api := NewAPI(client, apiNodes(n1, n2), "roachdog", password)

			// n1's redirect is an error for n1; n2 still answers.
			var got apiAnswer
			if err := api.Post(apiCtx(t), "/_status/critical_nodes", nil, &got); err != nil || got.Node != "n2" {
				t.Fatalf("Post = %+v, %v; want n2's answer", got, err)
			}
			if seen := other.requests(); len(seen) > 0 {
				t.Fatalf("the redirect target received %q", seen)
			}

			// n1 alone: the error says where it pointed.
			api = NewAPI(client, apiNodes(n1), "roachdog", password)
			err := api.Post(apiCtx(t), "/_status/critical_nodes", nil, &got)
			want := `POST ` + n1.URL + `/api/v2/login/: login as roachdog: refused to follow HTTP 307 redirect to "` + other.URL + `/api/v2/login/"`
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want it to contain %q", err, want)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %v", err)
			}
			if seen := other.requests(); len(seen) > 0 {
				t.Fatalf("the redirect target received %q", seen)
			}
		})
	}
}

// TestAPISessionStaysOnItsNode: once logged in, a redirect must not carry
// the session (header on /api/v2/, cookie on /_status/) anywhere else. The
// target is the same host on another port, to which Go's client keeps an
// explicit Cookie header.
func TestAPISessionStaysOnItsNode(t *testing.T) {
	t.Parallel()
	for name, client := range apiClients(t) {
		t.Run(name, func(t *testing.T) {
			other := newElsewhere(t)
			n1 := newAPIFake(t, "n1", "roachdog", "pw")
			api := NewAPI(client, apiNodes(n1), "roachdog", "pw")
			ctx := apiCtx(t)
			var got apiAnswer
			if err := api.Get(ctx, "/api/v2/nodes/", &got); err != nil || got.Node != "n1" {
				t.Fatalf("Get before the redirects = %+v, %v", got, err)
			}
			for _, tc := range []struct {
				method, path string
				code         int
			}{
				{http.MethodGet, "/api/v2/nodes/", http.StatusFound},
				{http.MethodPost, "/_status/critical_nodes", http.StatusTemporaryRedirect},
				{http.MethodPost, "/_status/critical_nodes", http.StatusSeeOther},
			} {
				redirectTo(n1, tc.path, tc.code, other.URL+tc.path)
				err := api.Do(ctx, tc.method, tc.path, nil, &got)
				if err == nil || !strings.Contains(err.Error(), "redirect to \""+other.URL+tc.path+"\"") {
					t.Errorf("%s %s with %d: error %v, want the refused redirect", tc.method, tc.path, tc.code, err)
				}
			}
			if seen := other.requests(); len(seen) > 0 {
				t.Fatalf("the redirect target received %q", seen)
			}
		})
	}
}

// TestAPINoPasswordOverPlainHTTP: a node reached over plain HTTP on a
// network address gets neither the password nor the session (anyone in
// between could answer 401 to collect them); an HTTPS node does.
func TestAPINoPasswordOverPlainHTTP(t *testing.T) {
	t.Parallel()
	plain := newAPIFake(t, "plain", "roachdog", "pw")
	var mu sync.Mutex
	var plainSaw []string
	plain.set(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		plainSaw = append(plainSaw, r.URL.Path+" "+r.Header.Get(apiSessionHeader)+" "+r.Header.Get("Cookie")+" "+string(body))
		mu.Unlock()
		plain.route(w, r)
	})
	secure := &apiFake{name: "secure", user: "roachdog", password: "pw", sessions: map[string]bool{}, hits: map[string]int{}}
	secure.Server = httptest.NewTLSServer(http.HandlerFunc(secure.serve))
	t.Cleanup(secure.Close)

	// roach1.internal stands for a node on the network; it is the plain
	// fake, reached through the dialer.
	tr := secure.Client().Transport.(*http.Transport).Clone()
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "roach1.internal:") {
			addr = plain.Listener.Addr().String()
		}
		return dial(ctx, network, addr)
	}
	nodes := func() []string { return []string{"http://roach1.internal:8080", secure.URL} }
	api := NewAPI(&http.Client{Transport: tr}, nodes, "roachdog", "pw")
	ctx := apiCtx(t)
	for i := range 2 { // the second call has a session to (not) send
		var got apiAnswer
		if err := api.Post(ctx, "/_status/critical_nodes", nil, &got); err != nil || got.Node != "secure" {
			t.Fatalf("call %d = %+v, %v; want the HTTPS node's answer", i, got, err)
		}
	}
	mu.Lock()
	saw := append([]string(nil), plainSaw...)
	mu.Unlock()
	if len(saw) != 2 {
		t.Errorf("the plain node got %d requests, want 2 (one per call, each refused with 401)", len(saw))
	}
	for _, r := range saw {
		if r != "/_status/critical_nodes   {}" {
			t.Errorf("the plain node received %q: a login, a session or a password", r)
		}
	}

	// Alone, the plain node gives a clear error.
	api = NewAPI(&http.Client{Transport: tr}, func() []string { return []string{"http://roach1.internal:8080"} }, "roachdog", "pw")
	err := api.Post(ctx, "/_status/critical_nodes", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "asks for a login over plain HTTP") {
		t.Errorf("error %v, want the plain-HTTP refusal", err)
	}
}
