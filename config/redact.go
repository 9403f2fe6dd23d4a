package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/roachdog/roachdog/internal/yamlx"
)

// redactSQLURL hides the password of a parsed URL, in the user info and in
// the query.
func redactSQLURL(u *url.URL) string {
	r := *u
	if _, has := r.User.Password(); has {
		r.User = url.UserPassword(r.User.Username(), yamlx.Redacted)
	}
	q := r.Query()
	changed := false
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, yamlx.Redacted)
			changed = true
		}
	}
	if changed {
		r.RawQuery = q.Encode()
	}
	return r.String()
}

var sslModes = map[string]bool{
	"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true,
}

// checkSQLURL validates a PostgreSQL connection URL and returns it redacted.
// Its errors (*badValue) show the URL only through redactURLText and never
// carry net/url's own messages about the raw URL, which quote pieces of it.
func checkSQLURL(raw string) (string, error) {
	shown := yamlx.RedactURLText(raw)
	bad := func(shown, format string, args ...any) error {
		return &yamlx.BadValue{Shown: shown, Msg: fmt.Sprintf(format, args...)}
	}
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return "", bad("", `want a URL like "postgresql://roachdog@haproxy:26257/defaultdb?sslmode=verify-full" (the value is not Shown: it may hold a password)`)
	}
	if s := strings.ToLower(scheme); s != "postgres" && s != "postgresql" {
		return "", bad(shown, ": want a URL with scheme postgres:// or postgresql://")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Parse the redacted text instead: if that works, the trouble is in
		// the user info; if not, its error quotes nothing secret.
		if _, err2 := url.Parse(shown); err2 != nil {
			var ue *url.Error
			if errors.As(err2, &ue) {
				err2 = ue.Err
			}
			return "", bad(shown, ": not a valid URL: %v", err2)
		}
		return "", bad(shown, ": not a valid URL: percent-encode special characters in the user name and password (@ as %%40, / as %%2F, ? as %%3F, # as %%23, %% as %%25)")
	}
	if strings.Contains(u.Path, "@") || strings.Contains(u.RawQuery, "@") || strings.Contains(u.Fragment, "@") {
		// "postgresql://u:12/34@h" parses with host "u:12": the password
		// held a "/" (or "?", "#") that ended the host early.
		return "", bad(shown, ": an \"@\" after the host; percent-encode special characters in the user name and password (@ as %%40, / as %%2F, ? as %%3F, # as %%23)")
	}
	redactedURL := redactSQLURL(u)
	q := u.Query()
	switch {
	case u.Fragment != "" || u.RawFragment != "":
		return "", bad(redactedURL, " must not have a fragment (#...)")
	case u.Host == "" && q.Get("host") == "":
		return "", bad(redactedURL, " has no host")
	}
	if u.Host != "" {
		for _, hp := range strings.Split(u.Host, ",") { // libpq allows host1:port1,host2:port2
			host := hp
			if i := strings.LastIndexByte(hp, ':'); i >= 0 && !strings.HasSuffix(hp, "]") {
				host = hp[:i]
				if err := checkPort(hp[i+1:]); err != nil {
					return "", bad(redactedURL, ": %v", err)
				}
			}
			if host == "" || host == "[]" {
				return "", bad(redactedURL, " has no host")
			}
		}
	}
	if m := q.Get("sslmode"); m != "" && !sslModes[m] {
		return "", bad(redactedURL, ": sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full")
	}
	return redactedURL, nil
}

// LogValue shows the configuration without secrets (the SQL URL is shown
// redacted), so that the whole Config can be logged at start-up.
func (c *Config) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	attrs := []slog.Attr{
		slog.String("file", c.File),
		slog.String("dogstatsd", c.Init.DogStatsDAddr),
		slog.String("namespace", c.Init.Namespace),
		slog.Any("tags", c.Init.Tags),
		slog.String("listen_address", c.Init.ListenAddress),
	}
	for i := range c.Instances {
		attrs = append(attrs, slog.Any("instance."+strconv.Itoa(i), c.Instances[i]))
	}
	return slog.GroupValue(attrs...)
}

// LogValue shows an instance without secrets.
func (in Instance) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("cluster", in.Cluster),
		slog.Any("status_urls", in.StatusURLs),
		slog.Bool("discover", in.Discover),
	}
	if in.RedactedSQLURL != "" {
		attrs = append(attrs, slog.String("sql_url", in.RedactedSQLURL))
	}
	attrs = append(attrs,
		slog.Duration("min_collection_interval", in.MinCollectionInterval),
		slog.Any("tags", in.Tags),
	)
	// Each check's schedule and options, as its registration shows them.
	for _, c := range in.Checks {
		attrs = append(attrs, c.LogAttrs()...)
	}
	// The API user, never its password.
	if in.APIUser != "" {
		attrs = append(attrs, slog.String("status_api_user", in.APIUser))
	}
	return slog.GroupValue(attrs...)
}
