package redirect_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roachdog/roachdog/internal/redirect"
)

// recorder is a server that counts what reaches it.
func recorder(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "other server")
	}))
	t.Cleanup(s.Close)
	return s, &hits
}

func TestClientRefusesEveryRedirect(t *testing.T) {
	t.Parallel()
	other, otherHits := recorder(t)
	t.Cleanup(func() { // after the parallel subtests
		if n := otherHits.Load(); n != 0 {
			t.Errorf("the redirect target received %d requests", n)
		}
	})
	for _, tc := range []struct {
		name     string
		code     int
		location func(self string) string
		want     string
	}{
		{"307 to another port", http.StatusTemporaryRedirect,
			func(string) string { return other.URL + "/api/v2/login/?password=hunter2" },
			`refused to follow HTTP 307 redirect to "` + other.URL + `/api/v2/login/?…"`},
		{"302 same origin", http.StatusFound,
			func(self string) string { return self + "/elsewhere" },
			`refused to follow HTTP 302 redirect to "`},
		{"relative 308", http.StatusPermanentRedirect,
			func(string) string { return "/moved" },
			`/moved"`},
		{"user info dropped", http.StatusMovedPermanently,
			func(string) string { return "http://user:pa55w0rd@" + strings.TrimPrefix(other.URL, "http://") + "/x" },
			`redirect to "` + other.URL + `/x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var selfHits atomic.Int64
			var self *httptest.Server
			self = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if selfHits.Add(1) > 1 {
					t.Errorf("second request reached the redirecting server: %s", r.URL)
				}
				w.Header().Set("Location", tc.location(self.URL))
				w.WriteHeader(tc.code)
			}))
			defer self.Close()
			c := redirect.Client(nil)
			resp, err := c.Post(self.URL+"/api/v2/login/", "application/x-www-form-urlencoded", strings.NewReader("password=hunter2"))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("redirect followed: HTTP %d", resp.StatusCode)
			}
			var re *redirect.Error
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *redirect.Error", err)
			}
			msg := redirect.Strip(err).Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if strings.Contains(msg, "hunter2") || strings.Contains(msg, "pa55w0rd") {
				t.Errorf("error shows a secret: %q", msg)
			}
		})
	}
}

func TestHTTPToHTTPSHint(t *testing.T) {
	t.Parallel()
	// CockroachDB's answer to plain HTTP on a secure cluster: the same host
	// and port, with https.
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.Host+r.RequestURI, http.StatusTemporaryRedirect)
	}))
	defer s.Close()
	_, err := redirect.Client(&http.Client{}).Get(s.URL + "/_status/vars")
	if err == nil || !strings.Contains(redirect.Strip(err).Error(), "the server wants HTTPS; configure its URL with https://") {
		t.Fatalf("error %v: want the https hint", err)
	}
}

func TestSafe(t *testing.T) {
	t.Parallel()
	long := "http://h/" + strings.Repeat("a", 300)
	for _, tc := range []struct{ in, want string }{
		{"https://u:secret@h:8080/p?token=x#frag", "https://h:8080/p?…"},
		{"http://h/a%0Ab%1Bc", "http://h/a%0Ab%1Bc"},
		{"http://h/\u202egnp.exe", "http://h/%E2%80%AEgnp.exe"},
		{long, long[:120] + "…"},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := redirect.Safe(u); got != tc.want {
			t.Errorf("Safe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
