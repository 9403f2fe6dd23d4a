package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roachdog/roachdog/internal/testenv"
)

// FuzzParse decodes arbitrary files. Whatever the input:
//   - Parse never panics, and returns a config or an error, not both;
//   - every problem is an *Error naming the file and a line of it (1 to the
//     line count, +1 for a problem at the very end): errors name a line.
func FuzzParse(f *testing.F) {
	// Seeds stay small (a few kB): on a syntax error the decoder re-parses
	// prefixes to find the line, so large inputs slow the fuzzer down.
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
		case "CRDB_PASSWORD":
			return "s3cr3t-Pa55w0rd", true
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
		if err == nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
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
