package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/testenv"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// FuzzParse decodes arbitrary files. Whatever the input:
//   - Parse never panics, and returns a config or an error, not both;
//   - every problem is an *Error naming the file and a line of it (1 to the
//     line count, +1 for a problem at the very end): errors name a line;
//   - no error, and no line of the config logged at start-up, holds what
//     the secret variables hold, or a piece of it, in any case, unless the
//     file itself holds it or the config puts it where it is no secret
//     (a cluster name, a tag, a host: the user chose to send it).
func FuzzParse(f *testing.F) {
	// Seeds stay small (a few kB), so that the fuzzer mutates them quickly.
	root := testenv.RepoRoot(f)
	for _, p := range []string{
		filepath.Join("conf.d", "roachdog.d", "conf.yaml"),
		filepath.Join("conf.d", "roachdog.d", "local.yaml"),
		filepath.Join("conf.d", "roachdog.d", "conf.yaml.example"),
		filepath.Join("deploy", "kubernetes", "roachdog.d", "conf.yaml"),
	} {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			f.Fatal(err)
		}
		// Every option uncommented, comment lines dropped: the whole key
		// space in a couple of kB (the example has every key commented).
		b = regexp.MustCompile(`(?m)^(\s*)# `).ReplaceAll(b, []byte("$1"))
		b = regexp.MustCompile(`(?m)^\s*#.*\n|^\s*\n`).ReplaceAll(b, nil)
		f.Add(b)
	}
	env := func(name string) (string, bool) {
		switch name {
		case "CRDB_PASSWORD", "CRDB_API_PASSWORD":
			return fuzzSecret, true
		case "CRDB_SQL_URL": // a whole URL with the password in it
			return "postgresql://roachdog:" + fuzzSecret + "@haproxy:26257/defaultdb?sslmode=bogus", true
		case "EMPTY":
			return "", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("conf.yaml", data, env)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", cfg != nil, err)
		}
		// What the file holds may be quoted; only what a variable gave
		// is checked (with references removed, as a value can be put
		// together around "${EMPTY}").
		written := strings.ToLower(string(envRefRe.ReplaceAll(data, nil)))
		var pieces []string
		for _, p := range fuzzSecretPieces {
			if !strings.Contains(written, strings.ToLower(p)) {
				pieces = append(pieces, p)
			}
		}
		if err == nil {
			checkLogSecrets(t, cfg, pieces)
			return
		}
		for _, p := range pieces {
			if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(p)) {
				t.Errorf("error holds %q of a secret variable:\n%v", p, err)
			}
		}
		lines := yamlLines(data)
		for _, e := range leafErrors(err) {
			var ce *Error
			if !errors.As(e, &ce) {
				t.Fatalf("problem is not a *config.Error: %T %v", e, e)
			}
			if ce.File != "conf.yaml" {
				t.Errorf("error names file %q: %v", ce.File, ce)
			}
			if strings.HasPrefix(ce.Path, "environment ") {
				continue // DD_* variables have no place in the file
			}
			if ce.Line < 1 || ce.Line > lines+1 {
				t.Errorf("error names line %d of a %d-line file: %v", ce.Line, lines, ce)
			}
		}
	})
}

// yamlLines counts the lines of data as the YAML parser numbers them: a
// line break is LF, CR, CRLF (one break), NEL, LS or PS. Counting LF alone
// made "\r\r0" a 1-line file whose error on line 3 looked wrong.
func yamlLines(data []byte) int {
	n := 1
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			n++
		case data[i] == '\r':
			n++
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
		case bytes.HasPrefix(data[i:], []byte("\u0085")), bytes.HasPrefix(data[i:], []byte("\u2028")), bytes.HasPrefix(data[i:], []byte("\u2029")):
			n++
		}
	}
	return n
}

// fuzzSecret is what FuzzParse's secret variables hold: letters, digits
// and characters that end URL parts, so that a message quoting part of a
// URL built from it shows a piece.
const fuzzSecret = "s3cr3tQ/Pa55w0rd@Zx9"

var fuzzSecretPieces = []string{"s3cr3tQ", "Pa55w0rd", "w0rd@Zx9", "3tQ/Pa5"}

var envRefRe = regexp.MustCompile(`\$\{[^}]*\}`)

// checkLogSecrets: the config as logged at start-up holds no piece of a
// secret, unless the config puts it in a field that is no secret.
func checkLogSecrets(t *testing.T, cfg *Config, pieces []string) {
	t.Helper()
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", cfg)
	logged := strings.ToLower(buf.String())
	// The fields that may hold what the user chose to send or show: all
	// but the SQL URL and the API password; of the SQL URL, the user, the
	// hosts, the database and the query without its passwords.
	public := *cfg
	public.Instances = slices.Clone(cfg.Instances)
	var sqlParts []string
	for i := range public.Instances {
		in := &public.Instances[i]
		if u, err := url.Parse(in.SQLURL); err == nil {
			q := u.Query()
			q.Del("password")
			q.Del("sslpassword")
			sqlParts = append(sqlParts, u.User.Username(), u.Host, u.Path, q.Encode())
			if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(in.RedactedSQLURL, pw) && pw != yamlx.Redacted {
				t.Errorf("redacted SQL URL %q holds the password", in.RedactedSQLURL)
			}
		}
		in.SQLURL, in.RedactedSQLURL, in.APIPassword = "", "", ""
	}
	shown := strings.ToLower(fmt.Sprintf("%+v %q", public, sqlParts))
	for _, p := range pieces {
		if lp := strings.ToLower(p); strings.Contains(logged, lp) && !strings.Contains(shown, lp) {
			t.Errorf("logged config holds %q of a secret variable:\n%s", p, buf.String())
		}
	}
}

// leafErrors flattens errors.Join trees.
func leafErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	return []error{err}
}
