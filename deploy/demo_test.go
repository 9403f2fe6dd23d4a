package deploy

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/internal/testenv"
)

// The demo must do what its comments and the README promise: these tests
// read the normalised compose file, haproxy.cfg and the shell scripts.

// TestComposeRoachdogHardened: roachdog runs as the image's non-root user,
// on a read-only root filesystem, without capabilities or a way to gain
// privileges (it writes no file, so it needs no tmpfs either).
func TestComposeRoachdogHardened(t *testing.T) {
	t.Parallel()
	rd := composeConfig(t, "-f", "docker-compose.yaml").Services["roachdog"]
	if !rd.ReadOnly {
		t.Error("roachdog: want read_only: true")
	}
	uid, _, _ := strings.Cut(rd.User, ":")
	n, err := strconv.Atoi(uid)
	if err != nil || n == 0 {
		t.Errorf("roachdog: user %q: want a numeric non-root uid:gid", rd.User)
	}
	if want := dockerUID(t, finalStage(t)); n != want {
		t.Errorf("roachdog: user %q, want the image's USER uid %d", rd.User, want)
	}
	if !slices.Contains(rd.CapDrop, "ALL") || len(rd.CapAdd) > 0 || rd.Privileged {
		t.Errorf("roachdog: cap_drop %v cap_add %v privileged %v: want cap_drop [ALL] and nothing added", rd.CapDrop, rd.CapAdd, rd.Privileged)
	}
	if !slices.ContainsFunc(rd.SecurityOpt, func(o string) bool {
		return o == "no-new-privileges" || o == "no-new-privileges:true"
	}) {
		t.Errorf("roachdog: security_opt %v: want no-new-privileges:true", rd.SecurityOpt)
	}
}

// finalStage is the Dockerfile's last stage, the image compose builds.
func finalStage(t *testing.T) *stage {
	t.Helper()
	stages := readDockerfile(t)
	return stages[len(stages)-1]
}

// TestComposeRoachdogStartsWithoutHealthyAgent: an Agent whose API key is
// rejected (a typo, or a key of another site without DD_SITE) never turns
// healthy; roachdog must start anyway, as nothing it does needs the Agent's
// intake (DogStatsD is fire-and-forget UDP).
func TestComposeRoachdogStartsWithoutHealthyAgent(t *testing.T) {
	t.Parallel()
	cf := composeConfig(t, "-f", "docker-compose.yaml")
	for name, s := range cf.Services {
		if c := s.DependsOn["datadog-agent"].Condition; c == "service_healthy" {
			t.Errorf("%s waits for datadog-agent to be healthy: with a rejected API key it never starts", name)
		}
	}
	if _, ok := cf.Services["roachdog"].DependsOn["datadog-agent"]; !ok {
		t.Error("roachdog: want depends_on datadog-agent (service_started), so that compose starts the Agent with it")
	}
}

// TestComposeQuickStartNamesSite: the start command at the top of the file
// names DD_SITE, and DD_SITE reaches the Agent.
func TestComposeQuickStartNamesSite(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var start string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "docker compose up") {
			start = line
			break
		}
	}
	if !strings.Contains(start, "DD_API_KEY=") || !strings.Contains(start, "DD_SITE=") {
		t.Errorf("quick start %q: want DD_API_KEY=... DD_SITE=... (a key of another site is rejected without DD_SITE)", start)
	}
	out, stderr, err := compose(t, []string{"DD_API_KEY=k", "DD_SITE=datadoghq.eu"}, "-f", "docker-compose.yaml", "config")
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, stderr)
	}
	if !regexp.MustCompile(`(?m)^\s+DD_SITE: datadoghq\.eu$`).MatchString(out) {
		t.Error("DD_SITE=datadoghq.eu does not reach the Agent's environment")
	}
}

// TestComposeDogStatsDURL: conf.d/roachdog.d/conf.yaml says DD_DOGSTATSD_URL
// replaces the demo's Agent; compose must pass it to the container for that
// to be true.
func TestComposeDogStatsDURL(t *testing.T) {
	t.Parallel()
	out, stderr, err := compose(t, []string{"DD_API_KEY=k", "DD_DOGSTATSD_URL=udp://other-agent:9125"}, "-f", "docker-compose.yaml", "config")
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, stderr)
	}
	cf := parseCompose(t, out)
	rd := cf.Services["roachdog"]
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "conf.d", "roachdog.d", "conf.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("conf.yaml", data, func(k string) (string, bool) {
		v, ok := rd.Environment[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Init.DogStatsDAddr != "other-agent:9125" {
		t.Errorf("with DD_DOGSTATSD_URL=udp://other-agent:9125, roachdog sends to %q", cfg.Init.DogStatsDAddr)
	}
}

// TestComposeStopGracePeriod: `docker compose stop roach2` is shown as a
// graceful shutdown; a draining node needs up to a minute, and compose's
// default 10 s would kill it mid-drain.
func TestComposeStopGracePeriod(t *testing.T) {
	t.Parallel()
	cf := composeConfig(t, "-f", "docker-compose.yaml")
	for name, s := range cf.Services {
		if !strings.HasPrefix(name, "roach") || name == "roachdog" {
			continue
		}
		d, err := time.ParseDuration(s.StopGracePeriod)
		if err != nil || d < time.Minute {
			t.Errorf("%s: stop_grace_period %q: want at least 1m for the node to drain", name, s.StopGracePeriod)
		}
	}
}

// TestComposeRestartPolicies: every long-running service comes back after
// a crash or a Docker restart; the one-shot init does not loop.
func TestComposeRestartPolicies(t *testing.T) {
	t.Parallel()
	cf := composeConfig(t, "-f", "docker-compose.yaml")
	for name, s := range cf.Services {
		if name == "init" {
			if s.Restart == "always" || s.Restart == "unless-stopped" {
				t.Errorf("init: restart %q would re-run a one-shot forever", s.Restart)
			}
			continue
		}
		if !slices.Contains([]string{"always", "unless-stopped", "on-failure"}, s.Restart) {
			t.Errorf("%s: restart %q: want unless-stopped", name, s.Restart)
		}
	}
}

// haproxyLTS are HAProxy's long-term-support branches still supported
// (3.0 until 2029-Q2, 3.2 until 2030-Q2, 3.4 until 2031-Q2). 2.9 ended in
// March 2025; odd branches live about a year.
var haproxyLTS = []string{"3.0", "3.2", "3.4"}

func TestComposeHAProxyImage(t *testing.T) {
	t.Parallel()
	img := composeConfig(t, "-f", "docker-compose.yaml").Services["haproxy"].Image
	name, tag, _ := strings.Cut(img, ":")
	branch := regexp.MustCompile(`^\d+\.\d+`).FindString(tag)
	if name != "haproxy" || !slices.Contains(haproxyLTS, branch) {
		t.Errorf("haproxy image %q: want a supported LTS branch, one of haproxy:%v", img, haproxyLTS)
	}
}

// haproxySection is one section of haproxy.cfg: its keyword line and the
// lines under it.
type haproxySection struct {
	kind, name string
	lines      [][]string // words; comments dropped
}

func parseHAProxy(t *testing.T, data string) []haproxySection {
	t.Helper()
	var out []haproxySection
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		switch words[0] {
		case "global", "defaults", "frontend", "backend", "listen", "resolvers", "peers", "userlist", "program", "http-errors", "ring", "cache", "mailers":
			s := haproxySection{kind: words[0]}
			if len(words) > 1 {
				s.name = words[1]
			}
			out = append(out, s)
			continue
		}
		if len(out) == 0 {
			t.Fatalf("haproxy.cfg: %q outside a section", line)
		}
		out[len(out)-1].lines = append(out[len(out)-1].lines, words)
	}
	return out
}

// option returns the words after keyword kw in a server line, or nil.
func option(words []string, kw string) []string {
	if i := slices.Index(words, kw); i >= 0 {
		return words[i+1:]
	}
	return nil
}

// TestHAProxyResolvesAtRunTime: without a resolvers section HAProxy resolves
// server names once, at start: roach4 and roach5 (not running then) would
// never join the pool, and a node recreated with a new address would never
// be followed. Every SQL server must resolve through Docker's DNS and
// start even when its name does not resolve yet.
func TestHAProxyResolvesAtRunTime(t *testing.T) {
	t.Parallel()
	cf := composeConfig(t, "-f", "docker-compose.yaml", "--profile", "scale")
	data := mountedFile(t, "haproxy", haproxyCfg, cf.Services["haproxy"].Volumes)
	sections := parseHAProxy(t, string(data))

	resolvers := map[string]bool{}
	for _, s := range sections {
		if s.kind != "resolvers" {
			continue
		}
		for _, l := range s.lines {
			if l[0] == "nameserver" && len(l) == 3 && l[2] == "127.0.0.11:53" {
				resolvers[s.name] = true
			}
		}
	}
	if len(resolvers) == 0 {
		t.Fatal("haproxy.cfg: no resolvers section with nameserver 127.0.0.11:53 (Docker's embedded DNS)")
	}

	var servers []string
	for _, s := range sections {
		if s.kind != "listen" && s.kind != "backend" {
			continue
		}
		var defaults []string
		for _, l := range s.lines {
			switch l[0] {
			case "default-server":
				defaults = l[1:]
			case "server":
				if len(l) < 3 {
					t.Fatalf("haproxy.cfg: %v", l)
				}
				h, _, err := net.SplitHostPort(l[2])
				if err != nil {
					t.Fatalf("haproxy.cfg: server %s address %q: %v", l[1], l[2], err)
				}
				servers = append(servers, h)
				all := append(slices.Clone(defaults), l[3:]...)
				if r := option(all, "resolvers"); len(r) == 0 || !resolvers[r[0]] {
					t.Errorf("haproxy.cfg: server %s: no \"resolvers\" naming Docker's DNS: resolved only once, at start", l[1])
				}
				if ia := option(all, "init-addr"); len(ia) == 0 || !slices.Contains(strings.Split(ia[0], ","), "none") {
					t.Errorf("haproxy.cfg: server %s: init-addr without none: HAProxy refuses to start while %s is down", l[1], h)
				}
				if _, ok := cf.Services[h]; !ok {
					t.Errorf("haproxy.cfg: server %s: %s is not a compose service", l[1], h)
				}
			}
		}
	}
	for _, n := range []string{"roach1", "roach2", "roach3", "roach4", "roach5"} {
		if !slices.Contains(servers, n) {
			t.Errorf("haproxy.cfg: no server for %s", n)
		}
	}
}

// TestHAProxyConfigValid runs `haproxy -c`, HAProxy's own check, offline.
// The Debian package may be an older branch than the image: the config
// sticks to keywords both know.
func TestHAProxyConfigValid(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		testenv.SkipOrFail(t, "haproxy not installed (Debian package haproxy; scripts/test-deps.sh installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := filepath.Join(testenv.RepoRoot(t), "conf.d", "haproxy", "haproxy.cfg")
	out, err := exec.CommandContext(ctx, bin, "-c", "-f", cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	// Unresolvable names are expected here (no Docker DNS); anything else
	// HAProxy warns about is not.
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "[WARNING]") && !strings.Contains(line, "could not resolve address") {
			t.Errorf("haproxy -c: %s", line)
		}
	}
}

// TestShellScripts runs shellcheck over the repository's shell scripts.
func TestShellScripts(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("shellcheck")
	if err != nil {
		testenv.SkipOrFail(t, "shellcheck not installed (Debian package shellcheck; scripts/test-deps.sh installs it)")
	}
	root := testenv.RepoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, ".ci", "run"), filepath.Join(root, "conf.d", "workload", "workload.sh"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, files...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
