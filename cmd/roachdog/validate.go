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

// cmdValidate checks dashboards and monitors offline against the metric
// catalog: the files and directories given as arguments (as promtool check
// rules takes files), a user's copies in DIR/dashboards and DIR/monitors
// (--dir), or, with neither, the copies embedded in the binary, which it
// says first. It prints "<file>: ok" for each good file and every problem of
// the others, and fails when there is any.
//
// Without arguments it does not look for ./dashboards and ./monitors on its
// own: the same command must check the same files wherever it runs (in CI
// above all), and a directory of that name may hold something else. It
// says when they exist and were not checked instead.
func cmdValidate(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("validate", flag.ContinueOnError)
	fset.SetOutput(stderr)
	ns := fset.String("namespace", "crdb", "namespace roachdog sends metrics under (init_config.namespace)")
	dir := fset.String("dir", "", "validate DIR/dashboards/*.json and DIR/monitors/*.json (the same as the argument DIR, but both directories must exist)")
	var allow stringList
	fset.Var(&allow, "allow-tag", "also accept tag `KEY` on every metric (a key of your own init_config.tags or instances[].tags); repeatable, or comma-separated")
	fset.Usage = func() {
		fmt.Fprint(stderr, `Usage: roachdog validate [--namespace crdb] [--allow-tag KEY]... [FILE|DIR]...
       roachdog validate [--namespace crdb] [--allow-tag KEY]... --dir DIR

Checks dashboards and monitors offline against roachdog's metric catalog.
FILE is a dashboard or monitor JSON file: a dashboard if it is in a directory
named dashboards or has "widgets", a monitor if in monitors or it has "query".
DIR holding dashboards/ or monitors/ is checked as a clone of the repository
(DIR/dashboards/*.json, DIR/monitors/*.json); any other DIR, its *.json files.
Without FILE, DIR or --dir: the copies embedded in this binary.

`)
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return errUsage
	}
	if *dir != "" && fset.NArg() > 0 {
		fmt.Fprintf(stderr, "validate: give --dir or files and directories, not both (got --dir %s and %q)\n", *dir, fset.Arg(0))
		return errUsage
	}

	v := &assets.Validator{Catalog: checks.Catalog(), Namespace: *ns, ExtraTags: allow}
	var results []assets.Result
	switch {
	case *dir != "":
		dashFS, err := openDir(*dir, "dashboards")
		if err != nil {
			return err
		}
		monFS, err := openDir(*dir, "monitors")
		if err != nil {
			return err
		}
		if results, err = v.All(dashFS, monFS); err != nil {
			return err
		}
		if len(results) == 0 {
			return fmt.Errorf("no dashboards/*.json or monitors/*.json in %s", *dir)
		}
	case fset.NArg() > 0:
		files, unknown, err := validateInputs(fset.Args())
		if err != nil {
			return err
		}
		results = append(v.Files(files), unknown...)
	default:
		version, _ := buildVersion()
		fmt.Fprintf(stdout, "embedded copies (roachdog %s), not files on disk; pass files or directories to validate yours\n", version)
		if local := localCopies(); len(local) > 0 {
			fmt.Fprintf(stderr, "note: %s in the current directory not validated; to validate them: roachdog validate %s\n",
				strings.Join(local, " and "), strings.Join(local, " "))
		}
		var err error
		if results, err = v.All(dashboards.FS, monitors.FS); err != nil {
			return err
		}
	}
	problems, bad := 0, 0
	for _, r := range results {
		if len(r.Errs) == 0 {
			fmt.Fprintf(stdout, "%s: ok\n", r.File)
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

// validateMaxFile bounds one file read (the shipped ones are under 100 kB).
const validateMaxFile = 16 << 20

// validateInputs reads the files named by args (files, or directories: see
// cmdValidate's usage), each once, in the order given. Files whose kind
// cannot be told come back as results with that problem; an argument that
// cannot be read, or a directory with nothing to validate, is an error.
func validateInputs(args []string) ([]assets.File, []assets.Result, error) {
	var files []assets.File
	var unknown []assets.Result
	seen := map[string]bool{}
	add := func(p string, kind assets.Kind) error {
		name := filepath.ToSlash(filepath.Clean(p))
		if seen[name] {
			return nil
		}
		seen[name] = true
		data, err := readSmallFile(p)
		if err != nil {
			return err
		}
		if kind == "" {
			var ok bool
			if kind, ok = assets.DetectKind(name, data); !ok {
				unknown = append(unknown, assets.Result{File: name, Errs: []error{&assets.Error{File: name,
					Msg: `cannot tell a dashboard from a monitor: put it in a directory named dashboards or monitors (a dashboard has "widgets", a monitor "query")`}}})
				return nil
			}
		}
		files = append(files, assets.File{Name: name, Kind: kind, Data: data})
		return nil
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("validate %s: %w", arg, err)
		}
		if !st.IsDir() {
			if err := add(arg, ""); err != nil {
				return nil, nil, err
			}
			continue
		}
		// A clone of the repository (or --dir's layout): its dashboards
		// and monitors directories; otherwise the directory's own files.
		var sets []struct {
			dir  string
			kind assets.Kind
		}
		for _, sub := range []struct {
			name string
			kind assets.Kind
		}{{"dashboards", assets.KindDashboard}, {"monitors", assets.KindMonitor}} {
			if st, err := os.Stat(filepath.Join(arg, sub.name)); err == nil && st.IsDir() {
				sets = append(sets, struct {
					dir  string
					kind assets.Kind
				}{filepath.Join(arg, sub.name), sub.kind})
			}
		}
		if len(sets) == 0 {
			sets = append(sets, struct {
				dir  string
				kind assets.Kind
			}{arg, ""})
		}
		found := 0
		for _, set := range sets {
			entries, err := os.ReadDir(set.dir) // sorted by name
			if err != nil {
				return nil, nil, fmt.Errorf("validate %s: %w", set.dir, err)
			}
			for _, e := range entries {
				if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
					continue
				}
				found++
				if err := add(filepath.Join(set.dir, e.Name()), set.kind); err != nil {
					return nil, nil, err
				}
			}
		}
		if found == 0 {
			// A mistyped directory must not pass as "nothing to check".
			return nil, nil, fmt.Errorf("validate %s: no *.json files in it, nor in a dashboards or monitors directory under it", arg)
		}
	}
	return files, unknown, nil
}

// readSmallFile reads a regular file of at most validateMaxFile bytes.
func readSmallFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", p, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", p, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("validate %s: not a regular file", p)
	}
	data, err := io.ReadAll(io.LimitReader(f, validateMaxFile+1))
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", p, err)
	}
	if len(data) > validateMaxFile {
		return nil, fmt.Errorf("validate %s: larger than %d bytes: not a dashboard or monitor", p, validateMaxFile)
	}
	return data, nil
}

// localCopies lists ./dashboards and ./monitors when they exist and hold
// JSON files, so that validating the embedded copies says it left them out.
func localCopies() []string {
	var out []string
	for _, d := range []string{"dashboards", "monitors"} {
		if m, _ := filepath.Glob(filepath.Join(d, "*.json")); len(m) > 0 {
			out = append(out, d)
		}
	}
	return out
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
