// Package deploy holds no Go code: its tests check the repository's
// container files offline. docker-compose.yaml and its override are
// validated and normalised by the real docker-compose (the Debian package,
// v1.29), which needs no Docker engine for `config`; the Dockerfile is read
// as text and its build step run with the local Go toolchain, because no
// engine is available to `docker build` it.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/internal/testenv"
)

// composeFile is the part of `docker-compose config` output these tests
// read. The output is normalised: environment as a mapping, depends_on in
// the long form with conditions, ports as {published, target}.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Networks map[string]any            `yaml:"networks"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       map[string]any    `yaml:"build"`
	Profiles    []string          `yaml:"profiles"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Command         any            `yaml:"command"` // a string or a list
	Restart         string         `yaml:"restart"`
	StopGracePeriod string         `yaml:"stop_grace_period"`
	User            string         `yaml:"user"`
	ReadOnly        bool           `yaml:"read_only"`
	Privileged      bool           `yaml:"privileged"`
	CapDrop         []string       `yaml:"cap_drop"`
	CapAdd          []string       `yaml:"cap_add"`
	SecurityOpt     []string       `yaml:"security_opt"`
	Volumes         []string       `yaml:"volumes"`
	Networks        map[string]any `yaml:"networks"`
	Ports           []struct {
		Published int `yaml:"published"`
		Target    int `yaml:"target"`
	} `yaml:"ports"`
}

// compose runs docker-compose in the repository's root with only the
// environment given (no COMPOSE_* or DD_* from the developer's shell, no
// .env outside the repository), and returns stdout, stderr and the error.
func compose(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		testenv.SkipOrFail(t, "docker-compose not installed (Debian package docker-compose; scripts/test-deps.sh installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = testenv.RepoRoot(t)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LANG=C.UTF-8"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("docker-compose %s: timed out after 2m", strings.Join(args, " "))
	}
	return stdout.String(), stderr.String(), err
}

func composeConfig(t *testing.T, args ...string) composeFile {
	t.Helper()
	args = append(args, "config")
	out, stderr, err := compose(t, []string{"DD_API_KEY=0123456789abcdef0123456789abcdef"}, args...)
	if err != nil {
		t.Fatalf("docker-compose %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return parseCompose(t, out)
}

func parseCompose(t *testing.T, out string) composeFile {
	t.Helper()
	var cf composeFile
	if err := yaml.Unmarshal([]byte(out), &cf); err != nil {
		t.Fatalf("docker-compose config: output is not YAML: %v", err)
	}
	return cf
}

func TestComposeConfig(t *testing.T) {
	base := []string{"roach1", "roach2", "roach3", "init", "haproxy", "datadog-agent", "roachdog", "workload"}
	scale := []string{"roach4", "roach5"}
	cf := composeConfig(t, "-f", "docker-compose.yaml")

	var got []string
	for name := range cf.Services {
		got = append(got, name)
	}
	want := append(slices.Clone(base), scale...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
	for _, name := range base {
		if p := cf.Services[name].Profiles; len(p) != 0 {
			t.Errorf("%s: profiles %v; the three-node demo must start without one", name, p)
		}
	}
	for _, name := range scale {
		if p := cf.Services[name].Profiles; !slices.Equal(p, []string{"scale"}) {
			t.Errorf("%s: profiles %v, want [scale]", name, p)
		}
	}

	// roachdog starts once the cluster is initialised, with the Agent (not
	// once the Agent is healthy: TestComposeRoachdogStartsWithoutHealthyAgent).
	rd := cf.Services["roachdog"]
	for dep, cond := range map[string]string{"init": "service_completed_successfully", "datadog-agent": "service_started"} {
		if got := rd.DependsOn[dep].Condition; got != cond {
			t.Errorf("roachdog depends_on %s: condition %q, want %s", dep, got, cond)
		}
	}
	agent := cf.Services["datadog-agent"]
	if agent.Healthcheck == nil || len(agent.Healthcheck.Test) == 0 {
		t.Error("datadog-agent: no healthcheck, so docker compose ps cannot show a rejected API key")
	}
	if v := agent.Environment["DD_DOGSTATSD_NON_LOCAL_TRAFFIC"]; v != "true" {
		t.Errorf("datadog-agent DD_DOGSTATSD_NON_LOCAL_TRAFFIC %q: want true, or DogStatsD drops roachdog's packets from another container", v)
	}
	if v := agent.Environment["DD_API_KEY"]; v != "0123456789abcdef0123456789abcdef" {
		t.Errorf("datadog-agent DD_API_KEY %q: not taken from the environment", v)
	}
	for name, s := range cf.Services {
		if _, ok := s.Networks["crdb"]; !ok {
			t.Errorf("%s: not on the crdb network", name)
		}
	}
	checkRoachdogService(t, cf)
	checkHAProxy(t, cf)
	checkMounts(t, cf)
}

// checkRoachdogService parses the config file roachdog runs with, from the
// host directory compose mounts, with the service's environment, and checks
// that every host it names is a compose service.
func checkRoachdogService(t *testing.T, cf composeFile) {
	t.Helper()
	rd := cf.Services["roachdog"]
	cmd, ok := rd.Command.([]any)
	if !ok {
		t.Fatalf("roachdog command %v: want the exec form [run, --config, FILE]", rd.Command)
	}
	var cfgPath string
	for i, a := range cmd {
		if a == "--config" && i+1 < len(cmd) {
			cfgPath, _ = cmd[i+1].(string)
		}
	}
	data := mountedFile(t, "roachdog --config", cfgPath, rd.Volumes)
	cfg, err := config.Parse(cfgPath, data, func(k string) (string, bool) {
		v, ok := rd.Environment[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("roachdog's compose config does not parse:\n%v", err)
	}

	// DogStatsD goes to the Agent's service.
	agentHost, agentPort, err := net.SplitHostPort(cfg.Init.DogStatsDAddr)
	if err != nil || agentHost != "datadog-agent" || agentPort != "8125" {
		t.Errorf("DogStatsD address %q, want datadog-agent:8125", cfg.Init.DogStatsDAddr)
	}
	// Its HTTP endpoint is published, so it listens on all interfaces.
	lhost, lport, err := net.SplitHostPort(cfg.Init.ListenAddress)
	if err != nil || (lhost != "0.0.0.0" && lhost != "" && lhost != "::") {
		t.Errorf("listen_address %q: compose publishes the port, so listen on all interfaces", cfg.Init.ListenAddress)
	}
	published := false
	for _, p := range rd.Ports {
		published = published || strconv.Itoa(p.Target) == lport
	}
	if !published {
		t.Errorf("roachdog listens on %s; ports %+v do not publish it", lport, rd.Ports)
	}
	for _, in := range cfg.Instances {
		for _, s := range in.StatusURLs {
			u, err := url.Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := cf.Services[u.Hostname()]; !ok {
				t.Errorf("status_url %s: %s is not a compose service", s, u.Hostname())
			}
		}
		if in.SQLURL != "" {
			u, err := url.Parse(in.SQLURL)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := cf.Services[u.Hostname()]; !ok {
				t.Errorf("sql_url host %s is not a compose service", u.Hostname())
			}
		}
	}
	if len(cfg.Instances) != 1 || !cfg.Instances[0].Discover {
		t.Error("the demo config must discover nodes, so that roach4 and roach5 are followed when they join")
	}
}

// haproxyCfg is where the haproxy service reads its configuration.
const haproxyCfg = "/usr/local/etc/haproxy/haproxy.cfg"

// mountedFile reads the host file that one of a service's bind mounts
// provides at containerPath; the test fails when none does.
func mountedFile(t *testing.T, service, containerPath string, volumes []string) []byte {
	t.Helper()
	host := hostPathOf(volumes, containerPath)
	if host == "" {
		t.Fatalf("%s: no volume mounts %s", service, containerPath)
	}
	data, err := os.ReadFile(host)
	if err != nil {
		t.Fatalf("%s: %s: %v", service, containerPath, err)
	}
	return data
}

// hostPathOf returns the host file that a bind mount provides at
// containerPath, or "".
func hostPathOf(volumes []string, containerPath string) string {
	for _, v := range volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			continue
		}
		src, dst := parts[0], parts[1]
		if containerPath == dst {
			return src
		}
		if rel, ok := strings.CutPrefix(containerPath, strings.TrimSuffix(dst, "/")+"/"); ok {
			return filepath.Join(src, filepath.FromSlash(rel))
		}
	}
	return ""
}

// checkHAProxy checks that HAProxy's servers are the cluster's nodes.
func checkHAProxy(t *testing.T, cf composeFile) {
	t.Helper()
	data := mountedFile(t, "haproxy", haproxyCfg, cf.Services["haproxy"].Volumes)
	re := regexp.MustCompile(`(?m)^\s*server\s+(\S+)\s+([^:\s]+):26257\b`)
	var servers []string
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		servers = append(servers, m[2])
		if _, ok := cf.Services[m[2]]; !ok {
			t.Errorf("haproxy.cfg: server %s: %s is not a compose service", m[1], m[2])
		}
	}
	for _, n := range []string{"roach1", "roach2", "roach3", "roach4", "roach5"} {
		if !slices.Contains(servers, n) {
			t.Errorf("haproxy.cfg: no server for %s (got %v)", n, servers)
		}
	}
}

// checkMounts checks that every bind-mounted host file exists.
func checkMounts(t *testing.T, cf composeFile) {
	t.Helper()
	for name, s := range cf.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !filepath.IsAbs(src) {
				continue // a named volume
			}
			if _, err := os.Stat(src); err != nil {
				t.Errorf("%s: volume %s: %v", name, v, err)
			}
		}
	}
}

func TestComposeScaleProfile(t *testing.T) {
	cf := composeConfig(t, "-f", "docker-compose.yaml", "--profile", "scale")
	for _, n := range []string{"roach4", "roach5"} {
		s, ok := cf.Services[n]
		if !ok {
			t.Fatalf("--profile scale: no %s", n)
		}
		// They join the existing cluster rather than form a new one.
		cmd, _ := s.Command.(string)
		if !strings.Contains(cmd, "--join=roach1,roach2,roach3") || !strings.Contains(cmd, "--advertise-addr="+n+":26257") {
			t.Errorf("%s: command %q: want --join=roach1,roach2,roach3 and --advertise-addr=%s:26257", n, cmd, n)
		}
	}
}

// TestComposeOverrideExample validates the base file with the optional
// override, which mounts the Agent's official CockroachDB check.
func TestComposeOverrideExample(t *testing.T) {
	cf := composeConfig(t, "-f", "docker-compose.yaml", "-f", "docker-compose.override.example.yaml")
	const target = "/etc/datadog-agent/conf.d/cockroachdb.d/conf.yaml"
	data := mountedFile(t, "override: datadog-agent", target, cf.Services["datadog-agent"].Volumes)
	var check struct {
		InitConfig any `yaml:"init_config"`
		Instances  []struct {
			OpenMetricsEndpoint string   `yaml:"openmetrics_endpoint"`
			Tags                []string `yaml:"tags"`
		} `yaml:"instances"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&check); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	if len(check.Instances) == 0 {
		t.Fatalf("%s: no instances", target)
	}
	for i, in := range check.Instances {
		u, err := url.Parse(in.OpenMetricsEndpoint)
		if err != nil || u.Path != "/_status/vars" {
			t.Errorf("instance %d: openmetrics_endpoint %q: want http://<node>:8080/_status/vars", i, in.OpenMetricsEndpoint)
			continue
		}
		if _, ok := cf.Services[u.Hostname()]; !ok {
			t.Errorf("instance %d: %s is not a compose service", i, u.Hostname())
		}
		if !slices.Contains(in.Tags, "cluster:demo") {
			t.Errorf("instance %d: tags %v: want cluster:demo, roachdog's cluster tag in the demo", i, in.Tags)
		}
	}
}

func TestComposeNeedsAPIKey(t *testing.T) {
	_, stderr, err := compose(t, nil, "-f", "docker-compose.yaml", "config")
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("docker-compose config without DD_API_KEY: %v, want a non-zero exit", err)
	}
	if !strings.Contains(stderr, "DD_API_KEY") {
		t.Errorf("docker-compose config without DD_API_KEY: message %q does not name DD_API_KEY", stderr)
	}
}
