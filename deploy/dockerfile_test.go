package deploy

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/internal/testenv"
)

// No Docker engine runs where the tests run, so the Dockerfile cannot be
// built with `docker build`. Instead the tests read it as Docker's parser
// would (instructions, stages, exec forms) and run its Go build step with
// the local toolchain, then exercise the binary the way the image uses it.

type instruction struct {
	line int
	cmd  string // upper case: FROM, RUN, COPY, ...
	args string
}

type stage struct {
	base, name string
	ins        []instruction
}

func (s *stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.ins {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func (s *stage) last(t *testing.T, cmd string) instruction {
	t.Helper()
	all := s.all(cmd)
	if len(all) == 0 {
		t.Fatalf("Dockerfile: the final stage has no %s", cmd)
	}
	return all[len(all)-1]
}

// parseDockerfile splits a Dockerfile into stages of instructions: comment
// lines are dropped (also inside continuations, as Docker does) and lines
// ending in a backslash are joined.
func parseDockerfile(data string) ([]*stage, []instruction, error) {
	var global []instruction // ARGs before the first FROM
	var stages []*stage
	var cur strings.Builder
	start := 0
	lines := strings.Split(data, "\n")
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(cont + " ")
			if i < len(lines)-1 {
				continue
			}
		} else {
			cur.WriteString(line)
		}
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			continue
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := &stage{}
			for len(f) > 0 && strings.HasPrefix(f[0], "--") { // --platform=...
				f = f[1:]
			}
			switch {
			case len(f) == 1:
				st.base = f[0]
			case len(f) == 3 && strings.EqualFold(f[1], "AS"):
				st.base, st.name = f[0], f[2]
			default:
				return nil, nil, fmt.Errorf("line %d: FROM %s: want IMAGE [AS NAME]", in.line, in.args)
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				return nil, nil, fmt.Errorf("line %d: %s before the first FROM", in.line, in.cmd)
			}
			global = append(global, in)
			continue
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	if len(stages) == 0 {
		return nil, nil, errors.New("no FROM")
	}
	return stages, global, nil
}

// execForm decodes an instruction's JSON (exec) form: the image has no
// shell, so the shell form could not run.
func execForm(t *testing.T, in instruction, args string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil || len(out) == 0 {
		t.Fatalf("Dockerfile line %d: %s %s: want the exec form [\"...\", ...] (the final image has no shell)", in.line, in.cmd, args)
	}
	return out
}

func readDockerfile(t *testing.T) []*stage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages, _, err := parseDockerfile(string(data))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return stages
}

func TestDockerfileParser(t *testing.T) {
	stages, global, err := parseDockerfile("# c\nARG GO=1.26\nFROM golang:${GO} AS build\nRUN a \\\n  # inside\n  b\n\nFROM scratch\nUSER 1:1\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(global) != 1 || len(stages) != 2 || stages[0].name != "build" || stages[1].base != "scratch" {
		t.Fatalf("stages %+v global %+v", stages, global)
	}
	if run := stages[0].ins[0]; run.cmd != "RUN" || strings.Join(strings.Fields(run.args), " ") != "a b" || run.line != 4 {
		t.Errorf("continuation: %+v", run)
	}
	if _, _, err := parseDockerfile("RUN x\n"); err == nil {
		t.Error("RUN before FROM accepted")
	}
}

// dockerfile holds what the checks need from the final stage.
type dockerfile struct {
	stages     []*stage
	final      *stage
	binary     string   // where the final stage COPYs the binary
	entrypoint []string // ENTRYPOINT
	cmd        []string // CMD
	copies     map[string]string
}

func loadDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	d := &dockerfile{stages: readDockerfile(t), copies: map[string]string{}}
	if len(d.stages) < 2 {
		t.Fatalf("Dockerfile: %d stage(s), want a multi-stage build (build, then a minimal runtime image)", len(d.stages))
	}
	d.final = d.stages[len(d.stages)-1]
	earlier := map[string]bool{}
	for _, s := range d.stages[:len(d.stages)-1] {
		earlier[s.name] = s.name != ""
	}
	for _, in := range d.final.all("COPY") {
		f := strings.Fields(in.args)
		from := ""
		for len(f) > 0 && strings.HasPrefix(f[0], "--") {
			if v, ok := strings.CutPrefix(f[0], "--from="); ok {
				from = v
			}
			f = f[1:]
		}
		if len(f) != 2 {
			t.Fatalf("Dockerfile line %d: COPY %s: want one source and one destination", in.line, in.args)
		}
		if from != "" && !earlier[from] {
			t.Errorf("Dockerfile line %d: COPY --from=%s names no earlier stage", in.line, from)
		}
		if from == "" {
			d.copies[f[1]] = f[0] // from the build context
		} else if strings.HasSuffix(f[0], "/roachdog") {
			d.binary = f[1]
		}
	}
	if d.binary == "" {
		t.Fatal("Dockerfile: the final stage copies no roachdog binary from a build stage")
	}
	ep := d.final.last(t, "ENTRYPOINT")
	d.entrypoint = execForm(t, ep, ep.args)
	cmd := d.final.last(t, "CMD")
	d.cmd = execForm(t, cmd, cmd.args)
	return d
}

func TestDockerfile(t *testing.T) {
	d := loadDockerfile(t)

	// A minimal runtime image: no shell, no package manager.
	if b := d.final.base; b != "scratch" && !strings.Contains(b, "distroless") {
		t.Errorf("final stage FROM %s: want scratch or a distroless image", b)
	}

	// A static binary: CGO off in the build stage.
	build := buildStep(t, d.stages)
	if !strings.Contains(build.args, "CGO_ENABLED=0") {
		t.Errorf("Dockerfile line %d: the go build step does not set CGO_ENABLED=0 (a scratch image has no libc)", build.line)
	}

	// Non-root, numerically: scratch has no /etc/passwd, and Kubernetes'
	// runAsNonRoot can only verify a numeric user.
	uid := dockerUID(t, d.final)
	if uid == 0 {
		t.Error("Dockerfile: the final stage runs as root")
	}
	if k8s := deploymentUID(t); k8s != uid {
		t.Errorf("Dockerfile USER %d, but deploy/kubernetes runs the pod as %d", uid, k8s)
	}

	if len(d.entrypoint) != 1 || d.entrypoint[0] != d.binary {
		t.Errorf("ENTRYPOINT %v, want [%q]", d.entrypoint, d.binary)
	}

	// HEALTHCHECK: the binary probes its own /healthz on the exposed port.
	hc := d.final.last(t, "HEALTHCHECK")
	opts, cmdArgs, ok := strings.Cut(hc.args, "CMD ")
	if !ok {
		t.Fatalf("Dockerfile line %d: HEALTHCHECK %s: want [OPTIONS] CMD [...]", hc.line, hc.args)
	}
	for _, o := range strings.Fields(opts) {
		if !strings.HasPrefix(o, "--") {
			t.Errorf("HEALTHCHECK option %q", o)
		}
	}
	probe := execForm(t, hc, cmdArgs)
	if len(probe) < 2 || probe[0] != d.binary || probe[1] != "healthcheck" {
		t.Fatalf("HEALTHCHECK CMD %v: want [%q, \"healthcheck\", ...]", probe, d.binary)
	}
	probeURL := "http://127.0.0.1:9464/healthz" // the subcommand's default
	for i, a := range probe {
		if a == "--url" && i+1 < len(probe) {
			probeURL = probe[i+1]
		}
	}
	u, err := url.Parse(probeURL)
	if err != nil || u.Path != "/healthz" {
		t.Errorf("HEALTHCHECK URL %q: want /healthz", probeURL)
	}
	exposed := map[string]bool{}
	for _, in := range d.final.all("EXPOSE") {
		for _, p := range strings.Fields(in.args) {
			exposed[strings.TrimSuffix(p, "/tcp")] = true
		}
	}
	if !exposed[u.Port()] {
		t.Errorf("HEALTHCHECK probes port %s; EXPOSE says %v", u.Port(), exposed)
	}

	// CMD runs the config file the image carries.
	if len(d.cmd) != 3 || d.cmd[0] != "run" || d.cmd[1] != "--config" {
		t.Fatalf("CMD %v: want [run, --config, FILE]", d.cmd)
	}
	src, ok := d.copies[d.cmd[2]]
	if !ok {
		t.Fatalf("CMD --config %s: the final stage copies no file there", d.cmd[2])
	}
	if _, err := os.Stat(filepath.Join(testenv.RepoRoot(t), filepath.FromSlash(src))); err != nil {
		t.Errorf("COPY %s: %v", src, err)
	}
}

// buildStep returns the build stages' RUN that runs go build.
func buildStep(t *testing.T, stages []*stage) instruction {
	t.Helper()
	for _, s := range stages[:len(stages)-1] {
		for _, in := range s.all("RUN") {
			if strings.Contains(in.args, "go build") {
				return in
			}
		}
	}
	t.Fatal("Dockerfile: no RUN ... go build in a build stage")
	return instruction{}
}

func dockerUID(t *testing.T, s *stage) int {
	t.Helper()
	in := s.last(t, "USER")
	user, _, _ := strings.Cut(in.args, ":")
	uid, err := strconv.Atoi(user)
	if err != nil {
		t.Fatalf("Dockerfile line %d: USER %s: want a numeric uid[:gid]", in.line, in.args)
	}
	return uid
}

func deploymentUID(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "deploy", "kubernetes", "roachdog-deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Spec struct {
			Template struct {
				Spec struct {
					SecurityContext struct {
						RunAsUser int `yaml:"runAsUser"`
					} `yaml:"securityContext"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Spec.SecurityContext.RunAsUser
}

// shellWords splits a RUN command line into words: quotes and ${VAR}
// expansion from vars, as far as this Dockerfile needs.
func shellWords(s string, vars map[string]string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	expand := func(i int) (int, error) {
		end := strings.IndexByte(s[i:], '}')
		if !strings.HasPrefix(s[i:], "${") || end < 0 {
			return 0, fmt.Errorf("unsupported $ at %d in %q", i, s)
		}
		name := s[i+2 : i+end]
		v, ok := vars[name]
		if !ok {
			return 0, fmt.Errorf("${%s} is not an ARG with a value", name)
		}
		w.WriteString(v)
		return i + end, nil
	}
	for i := 0; i < len(s); i++ {
		c := rune(s[i])
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				w.WriteRune(c)
			}
		case c == '$' && quote != '\'':
			j, err := expand(i)
			if err != nil {
				return nil, err
			}
			i, inWord = j, true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				w.WriteRune(c)
			}
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case strings.ContainsRune("&|;<>`", c):
			return nil, fmt.Errorf("shell operator %q not supported in %q", c, s)
		default:
			w.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

func TestShellWords(t *testing.T) {
	got, err := shellWords(`A=0 go build -ldflags "-s -X main.v=${V}" -o '/out/x y' ./cmd`, map[string]string{"V": "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=0", "go", "build", "-ldflags", "-s -X main.v=1.0", "-o", "/out/x y", "./cmd"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []string{`go build "x`, `go build ${UNSET}`, `a && b`} {
		if _, err := shellWords(bad, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDockerfileBuildStep runs the Dockerfile's go build step as written
// (its environment, flags and ldflags, with the ARGs set as `docker build
// --build-arg` would), then checks the binary the image would carry: static,
// stamped with the version, and with a healthcheck subcommand whose exit
// status Docker understands (0 healthy, 1 unhealthy).
func TestDockerfileBuildStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		testenv.SkipOrFail(t, "no go toolchain on PATH to run the Dockerfile's build step")
	}
	stages := readDockerfile(t)
	step := buildStep(t, stages)
	vars := map[string]string{"VERSION": "v9.8.7-dockerfile-test", "COMMIT": "c0ffee1"}
	words, err := shellWords(step.args, vars)
	if err != nil {
		t.Fatalf("Dockerfile line %d: %v", step.line, err)
	}
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		env = append(env, words[0])
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("Dockerfile line %d: want [VAR=value ...] go build ..., got %q", step.line, words)
	}
	out := filepath.Join(t.TempDir(), "roachdog")
	args := []string{}
	for i := 1; i < len(words); i++ {
		if words[i] == "-o" && i+1 < len(words) {
			args = append(args, "-o", out)
			i++
			continue
		}
		args = append(args, words[i])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = testenv.RepoRoot(t)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("Dockerfile line %d: %s %s: %v\n%s", step.line, strings.Join(env, " "), strings.Join(args, " "), err, b)
	}

	// Static: no ELF interpreter and no dynamic libraries, so it runs on
	// scratch.
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has an ELF interpreter: dynamically linked, it cannot run on scratch")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	f.Close()

	run := func(args ...string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var b bytes.Buffer
		c := exec.CommandContext(ctx, out, args...)
		c.Stdout, c.Stderr = &b, &b
		err := c.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return b.String(), 0
		case errors.As(err, &exit):
			return b.String(), exit.ExitCode()
		default:
			t.Fatalf("roachdog %s: %v", strings.Join(args, " "), err)
			return "", -1
		}
	}
	if v, code := run("version"); code != 0 || !strings.Contains(v, vars["VERSION"]) || !strings.Contains(v, vars["COMMIT"]) {
		t.Errorf("roachdog version: %q (exit %d): the ldflags do not stamp VERSION and COMMIT", v, code)
	}

	// The HEALTHCHECK's command line, pointed at a stand-in /healthz.
	d := loadDockerfile(t)
	hc := d.final.last(t, "HEALTHCHECK")
	_, cmdArgs, _ := strings.Cut(hc.args, "CMD ")
	probe := execForm(t, hc, cmdArgs)
	var unhealthy atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || unhealthy.Load() {
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer ts.Close()
	probeArgs := pointAt(probe[1:], ts.URL)
	if outText, code := run(probeArgs...); code != 0 {
		t.Errorf("HEALTHCHECK %v against a healthy /healthz: exit %d: %s", probeArgs, code, outText)
	}
	unhealthy.Store(true)
	if outText, code := run(probeArgs...); code != 1 {
		t.Errorf("HEALTHCHECK against an unhealthy /healthz: exit %d, want 1 (Docker reserves other codes): %s", code, outText)
	}
	ts.Close()
	if outText, code := run(probeArgs...); code != 1 {
		t.Errorf("HEALTHCHECK with nothing listening: exit %d, want 1: %s", code, outText)
	}
}

// pointAt replaces the scheme and host of the --url argument with base's,
// keeping the path.
func pointAt(args []string, base string) []string {
	out := append([]string(nil), args...)
	b, _ := url.Parse(base)
	for i := range out {
		if out[i] == "--url" && i+1 < len(out) {
			u, err := url.Parse(out[i+1])
			if err == nil {
				u.Scheme, u.Host = b.Scheme, b.Host
				out[i+1] = u.String()
			}
			return out
		}
	}
	return append(out, "--url", base+"/healthz")
}
