package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/roachdog/roachdog/assets"
	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/dashboards"
	"github.com/roachdog/roachdog/monitors"
)

// cmdValidate checks every dashboard and monitor offline against the metric
// catalog: the shipped (embedded) ones, or a user's edited copies in
// DIR/dashboards and DIR/monitors. It prints "ok <file>" for each good file
// and every problem of the others, and fails when there is any.
func cmdValidate(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("validate", flag.ContinueOnError)
	fset.SetOutput(stderr)
	ns := fset.String("namespace", "crdb", "namespace roachdog sends metrics under (init_config.namespace)")
	dir := fset.String("dir", "", "validate DIR/dashboards/*.json and DIR/monitors/*.json instead of the embedded files")
	var allow stringList
	fset.Var(&allow, "allow-tag", "also accept tag `KEY` on every metric (a key of your own init_config.tags or instances[].tags); repeatable, or comma-separated")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "Usage: roachdog validate [--namespace crdb] [--dir DIR] [--allow-tag KEY]...")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return errUsage
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "validate: unexpected argument %q\n", fset.Arg(0))
		return errUsage
	}

	var dashFS, monFS fs.FS = dashboards.FS, monitors.FS
	if *dir != "" {
		var err error
		if dashFS, err = openDir(*dir, "dashboards"); err != nil {
			return err
		}
		if monFS, err = openDir(*dir, "monitors"); err != nil {
			return err
		}
	}
	v := &assets.Validator{Catalog: checks.Catalog(), Namespace: *ns, ExtraTags: allow}
	results, err := v.All(dashFS, monFS)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("no dashboards/*.json or monitors/*.json in %s", *dir)
	}
	problems, bad := 0, 0
	for _, r := range results {
		if len(r.Errs) == 0 {
			fmt.Fprintf(stdout, "ok %s\n", r.File)
			continue
		}
		bad++
		for _, e := range r.Errs {
			problems++
			fmt.Fprintln(stderr, e)
		}
	}
	if problems > 0 {
		return fmt.Errorf("%d problem(s) in %d of %d file(s)", problems, bad, len(results))
	}
	return nil
}

// openDir returns DIR/sub as a file system, with a clear error when it is
// not a directory: a mistyped --dir must not pass as "nothing to check".
func openDir(dir, sub string) (fs.FS, error) {
	p := filepath.Join(dir, sub)
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--dir %s: no %s directory (expected %s)", dir, sub, p)
		}
		return nil, fmt.Errorf("--dir %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--dir %s: %s is not a directory", dir, p)
	}
	return os.DirFS(p), nil
}

// stringList is a repeatable, comma-splitting string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}
