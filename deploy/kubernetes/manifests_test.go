// Package kubernetes holds no Go code: its test checks the manifests beside
// it (kustomization.yaml and what it lists) offline, the way the API server,
// the Datadog Agent and roachdog itself will read them.
package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/exporter"
	"github.com/roachdog/roachdog/internal/testenv"
)

// Names the manifests share with CockroachDB's own Kubernetes manifests.
const (
	crdbPublicService  = "cockroachdb-public"
	crdbHeadless       = "cockroachdb"
	crdbContainer      = "cockroachdb" // the StatefulSet's container
	crdbRootCertSecret = "cockroachdb.client.root"
	optionalCheckPatch = "cockroachdb-datadog-check.yaml"
)

// ---- a minimal, strict model of the objects used here ----
//
// Decoded with KnownFields: a misspelt or misplaced field fails the test
// instead of being dropped by the API server without a word.

type objectMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type typeMeta struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type podTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     podSpec    `yaml:"spec"`
}

type podSpec struct {
	ServiceAccountName           string             `yaml:"serviceAccountName"`
	AutomountServiceAccountToken *bool              `yaml:"automountServiceAccountToken"`
	EnableServiceLinks           *bool              `yaml:"enableServiceLinks"`
	RestartPolicy                string             `yaml:"restartPolicy"`
	SecurityContext              podSecurityContext `yaml:"securityContext"`
	Containers                   []container        `yaml:"containers"`
	Volumes                      []volume           `yaml:"volumes"`
}

type podSecurityContext struct {
	RunAsNonRoot   *bool  `yaml:"runAsNonRoot"`
	RunAsUser      *int64 `yaml:"runAsUser"`
	RunAsGroup     *int64 `yaml:"runAsGroup"`
	FSGroup        *int64 `yaml:"fsGroup"`
	SeccompProfile struct {
		Type string `yaml:"type"`
	} `yaml:"seccompProfile"`
}

type container struct {
	Name            string          `yaml:"name"`
	Image           string          `yaml:"image"`
	ImagePullPolicy string          `yaml:"imagePullPolicy"`
	Command         []string        `yaml:"command"`
	Args            []string        `yaml:"args"`
	Ports           []containerPort `yaml:"ports"`
	Env             []envVar        `yaml:"env"`
	Resources       struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	LivenessProbe   *probe `yaml:"livenessProbe"`
	ReadinessProbe  *probe `yaml:"readinessProbe"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
			Add  []string `yaml:"add"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []volumeMount `yaml:"volumeMounts"`
}

type containerPort struct {
	Name          string `yaml:"name"`
	ContainerPort int    `yaml:"containerPort"`
	Protocol      string `yaml:"protocol"`
}

type envVar struct {
	Name      string  `yaml:"name"`
	Value     *string `yaml:"value"`
	ValueFrom *struct {
		FieldRef *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a name or a number
	} `yaml:"httpGet"`
	InitialDelaySeconds int `yaml:"initialDelaySeconds"`
	PeriodSeconds       int `yaml:"periodSeconds"`
	TimeoutSeconds      int `yaml:"timeoutSeconds"`
	FailureThreshold    int `yaml:"failureThreshold"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	ReadOnly  bool   `yaml:"readOnly"`
}

type keyToPath struct {
	Key  string `yaml:"key"`
	Path string `yaml:"path"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name  string      `yaml:"name"`
		Items []keyToPath `yaml:"items"`
	} `yaml:"configMap"`
	Secret *struct {
		SecretName  string      `yaml:"secretName"`
		Items       []keyToPath `yaml:"items"`
		DefaultMode *int        `yaml:"defaultMode"`
	} `yaml:"secret"`
	EmptyDir *struct {
		SizeLimit string `yaml:"sizeLimit"`
	} `yaml:"emptyDir"`
}

type deployment struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		Replicas *int `yaml:"replicas"`
		Strategy struct {
			Type string `yaml:"type"`
		} `yaml:"strategy"`
		RevisionHistoryLimit *int          `yaml:"revisionHistoryLimit"`
		Selector             labelSelector `yaml:"selector"`
		Template             podTemplate   `yaml:"template"`
	} `yaml:"spec"`
}

type job struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		BackoffLimit            *int        `yaml:"backoffLimit"`
		ActiveDeadlineSeconds   *int        `yaml:"activeDeadlineSeconds"`
		TTLSecondsAfterFinished *int        `yaml:"ttlSecondsAfterFinished"`
		Template                podTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type service struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		Type     string            `yaml:"type"`
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
			Protocol   string `yaml:"protocol"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type serviceAccount struct {
	typeMeta                     `yaml:",inline"`
	AutomountServiceAccountToken *bool `yaml:"automountServiceAccountToken"`
}

// statefulSetPatch is the optional patch of CockroachDB's StatefulSet: only
// the pod template's annotations.
type statefulSetPatch struct {
	typeMeta `yaml:",inline"`
	Spec     struct {
		Template struct {
			Metadata objectMeta `yaml:"metadata"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type kustomization struct {
	APIVersion         string   `yaml:"apiVersion"`
	Kind               string   `yaml:"kind"`
	Resources          []string `yaml:"resources"`
	ConfigMapGenerator []struct {
		Name    string   `yaml:"name"`
		Files   []string `yaml:"files"`
		Options struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"options"`
	} `yaml:"configMapGenerator"`
	Images []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// wantAPIVersion is the one apiVersion each kind may use.
var wantAPIVersion = map[string]string{
	"ServiceAccount": "v1",
	"Service":        "v1",
	"ConfigMap":      "v1",
	"Deployment":     "apps/v1",
	"StatefulSet":    "apps/v1",
	"Job":            "batch/v1",
}

// manifests is everything kustomization.yaml produces, decoded.
type manifests struct {
	kust           kustomization
	deployment     deployment
	job            job
	service        service
	serviceAccount serviceAccount
	configName     string // the generated ConfigMap's name
	configKey      string // its one key
	configData     []byte // its content
	docs           []typeMeta
}

// strictDecode decodes one YAML document into out, rejecting unknown fields.
func strictDecode(doc *yaml.Node, out any) error {
	raw, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	return dec.Decode(out)
}

// readDocs returns every YAML document of file.
func readDocs(t *testing.T, file string) []*yaml.Node {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		docs = append(docs, &n)
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML document", file)
	}
	return docs
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{}
	kdocs := readDocs(t, "kustomization.yaml")
	if len(kdocs) != 1 {
		t.Fatalf("kustomization.yaml: %d documents, want 1", len(kdocs))
	}
	if err := strictDecode(kdocs[0], &m.kust); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if m.kust.APIVersion != "kustomize.config.k8s.io/v1beta1" || m.kust.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: apiVersion %q kind %q, want kustomize.config.k8s.io/v1beta1 Kustomization", m.kust.APIVersion, m.kust.Kind)
	}

	seen := map[string]bool{}
	for _, res := range m.kust.Resources {
		for i, doc := range readDocs(t, res) {
			where := fmt.Sprintf("%s document %d", res, i+1)
			var h typeMeta
			if err := doc.Decode(&h); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			checkTypeMeta(t, where, h)
			id := h.Kind + "/" + h.Metadata.Name
			if seen[id] {
				t.Errorf("%s: %s defined twice", where, id)
			}
			seen[id] = true
			m.docs = append(m.docs, h)
			var out any
			switch h.Kind {
			case "Deployment":
				out = &m.deployment
			case "Job":
				out = &m.job
			case "Service":
				out = &m.service
			case "ServiceAccount":
				out = &m.serviceAccount
			default:
				t.Fatalf("%s: unexpected kind %s", where, h.Kind)
			}
			if err := strictDecode(doc, out); err != nil {
				t.Fatalf("%s (%s): %v", where, id, err)
			}
		}
	}
	for _, want := range []string{"Deployment/roachdog", "Service/roachdog", "ServiceAccount/roachdog", "Job/roachdog-grants"} {
		if !seen[want] {
			t.Errorf("kustomization.yaml resources: no %s", want)
		}
	}

	if len(m.kust.ConfigMapGenerator) != 1 || len(m.kust.ConfigMapGenerator[0].Files) != 1 {
		t.Fatalf("kustomization.yaml: want one configMapGenerator with one file (roachdog's config), got %+v", m.kust.ConfigMapGenerator)
	}
	gen := m.kust.ConfigMapGenerator[0]
	m.configName = gen.Name
	src := gen.Files[0]
	m.configKey = path.Base(src)
	if k, file, ok := strings.Cut(src, "="); ok { // "key=file" form
		m.configKey, src = k, file
	}
	data, err := os.ReadFile(filepath.FromSlash(src))
	if err != nil {
		t.Fatalf("configMapGenerator %s: %v", gen.Name, err)
	}
	m.configData = data
	return m
}

func checkTypeMeta(t *testing.T, where string, h typeMeta) {
	t.Helper()
	want, ok := wantAPIVersion[h.Kind]
	switch {
	case h.Kind == "":
		t.Errorf("%s: no kind", where)
	case !ok:
		t.Errorf("%s: kind %s is not expected here", where, h.Kind)
	case h.APIVersion != want:
		t.Errorf("%s: %s has apiVersion %q, want %q", where, h.Kind, h.APIVersion, want)
	}
	if h.Metadata.Name == "" {
		t.Errorf("%s: %s without metadata.name", where, h.Kind)
	}
	if h.Metadata.Namespace != "" {
		t.Errorf("%s: %s/%s sets namespace %q: the manifests must go to whatever namespace they are applied to", where, h.Kind, h.Metadata.Name, h.Metadata.Namespace)
	}
}

// TestLayout checks that every YAML file here is accounted for: listed in
// kustomization.yaml, a generator's input, or the optional patch, which must
// not be a resource (it is a fragment of CockroachDB's StatefulSet).
func TestLayout(t *testing.T) {
	m := loadManifests(t)
	known := map[string]string{"kustomization.yaml": "kustomization"}
	for _, r := range m.kust.Resources {
		known[r] = "resource"
	}
	for _, g := range m.kust.ConfigMapGenerator {
		for _, f := range g.Files {
			if _, file, ok := strings.Cut(f, "="); ok {
				f = file
			}
			known[f] = "generator input"
		}
	}
	if known[optionalCheckPatch] != "" {
		t.Errorf("%s is listed in kustomization.yaml as a %s: it is a partial StatefulSet, to apply with kubectl patch", optionalCheckPatch, known[optionalCheckPatch])
	}
	known[optionalCheckPatch] = "optional patch"
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		if known[filepath.ToSlash(p)] == "" {
			t.Errorf("%s: not in kustomization.yaml (resources or configMapGenerator) nor a known optional file", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.kust.Images) != 1 || m.kust.Images[0].Name != m.deployment.Spec.Template.Spec.Containers[0].Image {
		t.Errorf("kustomization.yaml images: want one entry for the Deployment's image %q, got %+v",
			m.deployment.Spec.Template.Spec.Containers[0].Image, m.kust.Images)
	}
}

// TestKustomizeBuild renders the directory with kubectl's built-in kustomize
// (offline) when kubectl is installed: the strongest check that `kubectl
// apply -k` accepts the layout. The other tests read the same files without
// it.
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed: kustomize rendering not checked (the other tests read the files directly)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kubectl, "kustomize", ".")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl kustomize .: %v\n%s", err, stderr.String())
	}
	dec := yaml.NewDecoder(&stdout)
	got := map[string]string{} // kind/name prefix -> full name
	for {
		var h typeMeta
		err := dec.Decode(&h)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		checkTypeMeta(t, "kubectl kustomize output", h)
		got[h.Kind] += h.Metadata.Name + " "
	}
	for kind, name := range map[string]string{
		"ServiceAccount": "roachdog ", "Deployment": "roachdog ", "Service": "roachdog ", "Job": "roachdog-grants ",
	} {
		if got[kind] != name {
			t.Errorf("kubectl kustomize: %s objects %q, want %q", kind, got[kind], name)
		}
	}
	// The generated ConfigMap carries a content hash, and kustomize rewrites
	// the Deployment's reference to it.
	if !regexp.MustCompile(`^roachdog-config-[a-z0-9]+ $`).MatchString(got["ConfigMap"]) {
		t.Errorf("kubectl kustomize: ConfigMap %q, want roachdog-config-<hash>", got["ConfigMap"])
	}
}

func (m *manifests) pod() *podSpec { return &m.deployment.Spec.Template.Spec }

func (m *manifests) roachdog(t *testing.T) *container {
	t.Helper()
	cs := m.pod().Containers
	if len(cs) != 1 || cs[0].Name != "roachdog" {
		t.Fatalf("Deployment roachdog: want one container named roachdog, got %d", len(cs))
	}
	return &cs[0]
}

// port resolves a probe's or Service's port (name or number) to the
// container port it designates, or 0.
func port(c *container, ref string) int {
	for _, p := range c.Ports {
		if p.Name == ref || strconv.Itoa(p.ContainerPort) == ref {
			return p.ContainerPort
		}
	}
	return 0
}

func TestDeployment(t *testing.T) {
	m := loadManifests(t)
	d := m.deployment
	c := m.roachdog(t)
	pod := m.pod()

	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas: want exactly 1 (two roachdogs would send every metric twice)")
	}
	if d.Spec.Strategy.Type != "Recreate" {
		t.Errorf("strategy %q: want Recreate, so that an update never runs two roachdogs at once", d.Spec.Strategy.Type)
	}
	if len(d.Spec.Selector.MatchLabels) == 0 {
		t.Error("selector.matchLabels is empty")
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod template's labels", k, v)
		}
	}

	// Non-root, read-only, no privileges: the restricted Pod Security Standard.
	sc := pod.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Error("pod securityContext: want runAsNonRoot: true and a non-zero runAsUser")
	}
	if sc.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("seccompProfile %q, want RuntimeDefault", sc.SeccompProfile.Type)
	}
	csc := c.SecurityContext
	if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
		t.Error("container: want readOnlyRootFilesystem: true")
	}
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Error("container: want allowPrivilegeEscalation: false")
	}
	if !slices.Equal(csc.Capabilities.Drop, []string{"ALL"}) || len(csc.Capabilities.Add) > 0 {
		t.Errorf("capabilities: drop %v add %v, want drop [ALL], add nothing", csc.Capabilities.Drop, csc.Capabilities.Add)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken: want false (roachdog never calls the Kubernetes API)")
	}
	if pod.ServiceAccountName != m.serviceAccount.Metadata.Name {
		t.Errorf("serviceAccountName %q, want the ServiceAccount defined here (%q)", pod.ServiceAccountName, m.serviceAccount.Metadata.Name)
	}

	// Resources sized for the design goal: at most 60 MB RSS.
	const designRSS = 60 << 20
	req, err := quantity(c.Resources.Requests["memory"])
	if err != nil {
		t.Fatalf("requests.memory: %v", err)
	}
	lim, err := quantity(c.Resources.Limits["memory"])
	if err != nil {
		t.Fatalf("limits.memory: %v", err)
	}
	if req < designRSS || req > 2*designRSS {
		t.Errorf("requests.memory %s: want the designed steady state, 60Mi to 120Mi", c.Resources.Requests["memory"])
	}
	if lim <= req || lim > 4*designRSS {
		t.Errorf("limits.memory %s: want above the request and at most 240Mi", c.Resources.Limits["memory"])
	}
	if _, err := millicores(c.Resources.Requests["cpu"]); err != nil {
		t.Errorf("requests.cpu: %v", err)
	}
	if cpuReq, _ := millicores(c.Resources.Requests["cpu"]); cpuReq > 200 {
		t.Errorf("requests.cpu %s: more than the design's few percent of a core", c.Resources.Requests["cpu"])
	}
	if cpuLim, err := millicores(c.Resources.Limits["cpu"]); err == nil {
		if cpuReq, _ := millicores(c.Resources.Requests["cpu"]); cpuLim < cpuReq {
			t.Errorf("limits.cpu %s below requests.cpu", c.Resources.Limits["cpu"])
		}
	}
	env := envMap(c)
	if v := env["GOMEMLIMIT"]; v != nil {
		goal, err := goMemLimit(*v)
		if err != nil {
			t.Errorf("GOMEMLIMIT: %v", err)
		} else if goal >= lim || goal < req {
			t.Errorf("GOMEMLIMIT %s: want between requests.memory and limits.memory", *v)
		}
	}

	// Probes on /healthz and /readyz, on the container's port.
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 9464 || c.Ports[0].Name == "" {
		t.Fatalf("ports %+v: want one named port 9464", c.Ports)
	}
	for _, p := range []struct {
		name string
		pr   *probe
		path string
	}{{"livenessProbe", c.LivenessProbe, "/healthz"}, {"readinessProbe", c.ReadinessProbe, "/readyz"}} {
		if p.pr == nil || p.pr.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe on %s", p.name, p.path)
			continue
		}
		if p.pr.HTTPGet.Path != p.path {
			t.Errorf("%s path %q, want %s", p.name, p.pr.HTTPGet.Path, p.path)
		}
		if port(c, p.pr.HTTPGet.Port) != c.Ports[0].ContainerPort {
			t.Errorf("%s port %q is not the container port %d", p.name, p.pr.HTTPGet.Port, c.Ports[0].ContainerPort)
		}
		if p.pr.TimeoutSeconds < 1 || p.pr.PeriodSeconds < p.pr.TimeoutSeconds {
			t.Errorf("%s: timeoutSeconds %d periodSeconds %d", p.name, p.pr.TimeoutSeconds, p.pr.PeriodSeconds)
		}
	}

	// The Datadog environment. No DD_ENTITY_ID: origin detection would tag
	// the cluster's metrics with roachdog's own pod (new series at every
	// rollout); roachdog reports on a remote cluster.
	for name, fieldPath := range map[string]string{"DD_AGENT_HOST": "status.hostIP"} {
		e := findEnv(c, name)
		if e == nil || e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != fieldPath {
			t.Errorf("env %s: want valueFrom.fieldRef.fieldPath %s", name, fieldPath)
		}
	}
	if e := findEnv(c, "DD_ENTITY_ID"); e != nil {
		t.Error("env DD_ENTITY_ID is set: the Agent would add roachdog's pod tags to every crdb.* series")
	}
	pw := findEnv(c, "CRDB_PASSWORD")
	if pw == nil || pw.ValueFrom == nil || pw.ValueFrom.SecretKeyRef == nil || pw.ValueFrom.SecretKeyRef.Name == "" {
		t.Error("env CRDB_PASSWORD: want valueFrom.secretKeyRef")
	}

	// The config file: the generated ConfigMap, mounted where --config looks.
	cfgPath := argAfter(c.Args, "--config")
	if cfgPath == "" {
		t.Fatalf("args %v: no --config FILE", c.Args)
	}
	vol, key := mountedFile(t, pod, c, cfgPath)
	if vol == nil || vol.ConfigMap == nil || vol.ConfigMap.Name != m.configName || key != m.configKey {
		t.Errorf("--config %s: want key %q of ConfigMap %q mounted there", cfgPath, m.configKey, m.configName)
	}
	for _, vm := range c.VolumeMounts {
		if !vm.ReadOnly {
			t.Errorf("volumeMount %s: want readOnly", vm.Name)
		}
	}
}

func TestService(t *testing.T) {
	m := loadManifests(t)
	c := m.roachdog(t)
	s := m.service
	if len(s.Spec.Selector) == 0 {
		t.Fatal("Service roachdog: no selector")
	}
	for k, v := range s.Spec.Selector {
		if m.deployment.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("Service selector %s=%s does not select roachdog's pod", k, v)
		}
	}
	if len(s.Spec.Ports) != 1 {
		t.Fatalf("Service ports: %d, want 1 (/metrics)", len(s.Spec.Ports))
	}
	p := s.Spec.Ports[0]
	if port(c, p.TargetPort) != 9464 || p.Port != 9464 {
		t.Errorf("Service port %d targetPort %q: want 9464 to the container's port 9464", p.Port, p.TargetPort)
	}
	if len(s.Metadata.Annotations) > 0 {
		for k := range s.Metadata.Annotations {
			if strings.HasPrefix(k, "ad.datadoghq.com/") {
				t.Errorf("Service annotation %s: the pod's annotations already make the Agent scrape roachdog", k)
			}
		}
	}
}

// adAnnotations returns the ad.datadoghq.com annotations by container and
// kind (checks, logs, ...).
func adAnnotations(t *testing.T, where string, ann map[string]string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for k, v := range ann {
		rest, ok := strings.CutPrefix(k, "ad.datadoghq.com/")
		if !ok {
			continue
		}
		ctr, what, ok := strings.Cut(rest, ".")
		if !ok || ctr == "" {
			t.Errorf("%s: annotation %s: want ad.datadoghq.com/<container>.<checks|logs|...>", where, k)
			continue
		}
		switch what {
		case "checks", "logs", "check.id", "tags":
		case "check_names", "init_configs", "instances":
			t.Errorf("%s: annotation %s: the v1 form; use the v2 %s.checks", where, k, ctr)
		default:
			t.Errorf("%s: annotation %s: unknown autodiscovery key %q", where, k, what)
		}
		if out[ctr] == nil {
			out[ctr] = map[string]string{}
		}
		out[ctr][what] = v
	}
	return out
}

// adChecks decodes a v2 checks annotation: the Agent ignores the whole pod's
// checks when this JSON is invalid, and reports it only in `agent status`.
type adCheck struct {
	InitConfig map[string]any   `json:"init_config"`
	Instances  []map[string]any `json:"instances"`
	Logs       []map[string]any `json:"logs"`
}

func decodeChecks(t *testing.T, where, js string) map[string]adCheck {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(js))
	dec.DisallowUnknownFields()
	var checks map[string]adCheck
	if err := dec.Decode(&checks); err != nil {
		t.Fatalf("%s: checks annotation is not valid JSON of the v2 shape: %v\n%s", where, err, js)
	}
	if dec.More() {
		t.Fatalf("%s: checks annotation has trailing data", where)
	}
	for name, c := range checks {
		if c.InitConfig == nil || len(c.Instances) == 0 {
			t.Errorf("%s: check %s: want init_config {} and at least one instance", where, name)
		}
	}
	return checks
}

func TestRoachdogAutodiscovery(t *testing.T) {
	m := loadManifests(t)
	c := m.roachdog(t)
	ads := adAnnotations(t, "Deployment roachdog", m.deployment.Spec.Template.Metadata.Annotations)
	for ctr := range ads {
		if ctr != c.Name {
			t.Errorf("autodiscovery annotations name container %q; the pod's container is %q", ctr, c.Name)
		}
	}
	js, ok := ads[c.Name]["checks"]
	if !ok {
		t.Fatalf("no ad.datadoghq.com/%s.checks annotation", c.Name)
	}
	checks := decodeChecks(t, "Deployment roachdog", js)
	om, ok := checks["openmetrics"]
	if !ok || len(checks) != 1 || len(om.Instances) != 1 {
		t.Fatalf("checks annotation: want exactly one openmetrics instance, got %v", checks)
	}
	inst := om.Instances[0]
	endpoint, _ := inst["openmetrics_endpoint"].(string)
	// %%host%% is the Agent's template variable (the pod IP), not a valid
	// URL host: swap it for a name before parsing.
	u, err := url.Parse(strings.Replace(endpoint, "%%host%%", "pod-ip", 1))
	if err != nil || !strings.Contains(endpoint, "%%host%%") || u.Scheme != "http" || u.Hostname() != "pod-ip" || u.Path != "/metrics" {
		t.Fatalf("openmetrics_endpoint %q: want http://%%%%host%%%%:<port>/metrics", endpoint)
	}
	if p, _ := strconv.Atoi(u.Port()); p != c.Ports[0].ContainerPort {
		t.Errorf("openmetrics_endpoint port %q is not the container port %d", u.Port(), c.Ports[0].ContainerPort)
	}
	if inst["namespace"] != "roachdog" {
		t.Errorf("namespace %v, want roachdog", inst["namespace"])
	}
	metrics, _ := inst["metrics"].([]any)
	if len(metrics) != 1 || metrics[0] != "roachdog_.*" {
		t.Fatalf(`metrics %v, want ["roachdog_.*"]`, inst["metrics"])
	}
	if logs, ok := ads[c.Name]["logs"]; ok {
		var l []map[string]string
		if err := json.Unmarshal([]byte(logs), &l); err != nil || len(l) == 0 || l[0]["source"] == "" {
			t.Errorf("logs annotation %q: want a JSON list of {source, service}: %v", logs, err)
		}
	}

	// The annotation and the probes against roachdog's real HTTP server: the
	// paths exist, and the metric pattern selects roachdog's own families
	// (not Go runtime or promhttp ones).
	self := exporter.NewSelfMetrics("test", "test")
	srv := exporter.NewHTTPServer("127.0.0.1:0", self, func() bool { return true }, nil)
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()
	for _, p := range []string{u.Path, c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path} {
		body, code := get(t, ts.URL+p)
		if code != http.StatusOK {
			t.Errorf("roachdog's HTTP server: GET %s: %d %s", p, code, body)
		}
	}
	body, _ := get(t, ts.URL+u.Path)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse roachdog's /metrics: %v", err)
	}
	re := regexp.MustCompile(`^(?:` + metrics[0].(string) + `)$`)
	matched := 0
	for name := range fams {
		if re.MatchString(name) {
			matched++
			if !strings.HasPrefix(name, "roachdog_") {
				t.Errorf("metrics pattern selects %s, which is not roachdog's", name)
			}
		} else if strings.HasPrefix(name, "roachdog_") {
			t.Errorf("metrics pattern misses roachdog's %s", name)
		}
	}
	if _, ok := fams["roachdog_build_info"]; !ok || matched == 0 {
		t.Errorf("roachdog's /metrics: no roachdog_build_info among %d families", len(fams))
	}
}

func get(t *testing.T, u string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return string(b), resp.StatusCode
}

// fakeEnv is the Deployment's environment as the kubelet would fill it in.
func fakeEnv(t *testing.T, c *container, password string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.Value != nil:
			env[e.Name] = *e.Value
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "status.hostIP":
				env[e.Name] = "10.20.30.40"
			case "metadata.uid":
				env[e.Name] = "3c0e8f5a-7f7c-4c51-9d43-6f0d3b1f2a11"
			default:
				t.Fatalf("env %s: fieldRef %s not modelled by the test", e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = password
		default:
			t.Fatalf("env %s: no value", e.Name)
		}
	}
	return env
}

func TestConfigMapConfig(t *testing.T) {
	m := loadManifests(t)
	c := m.roachdog(t)
	pod := m.pod()
	const password = "Zq7.pass_word~9-x"
	env := fakeEnv(t, c, password)
	cfg, err := config.Parse(m.configKey, m.configData, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("roachdog's config in the ConfigMap does not parse with the Deployment's environment:\n%v", err)
	}
	if strings.Contains(string(m.configData), password) {
		t.Fatal("test bug: the password must come from the environment")
	}

	// init_config: the Agent through DD_AGENT_HOST, all interfaces for the
	// kubelet and the Agent.
	if want := net.JoinHostPort(env["DD_AGENT_HOST"], "8125"); cfg.Init.DogStatsDAddr != want {
		t.Errorf("DogStatsD address %q, want %q: leave dogstatsd_url out so that DD_AGENT_HOST applies", cfg.Init.DogStatsDAddr, want)
	}
	host, p, err := net.SplitHostPort(cfg.Init.ListenAddress)
	if err != nil {
		t.Fatalf("listen_address %q: %v", cfg.Init.ListenAddress, err)
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		t.Errorf("listen_address %q: the kubelet and the Agent connect to the pod IP; listen on all interfaces", cfg.Init.ListenAddress)
	}
	if p != strconv.Itoa(c.Ports[0].ContainerPort) {
		t.Errorf("listen_address port %s is not the container port %d", p, c.Ports[0].ContainerPort)
	}
	if !slices.Contains(cfg.Init.Tags, "service:roachdog") {
		t.Errorf("tags %v: want service:roachdog from DD_SERVICE", cfg.Init.Tags)
	}

	if len(cfg.Instances) != 1 {
		t.Fatalf("%d instances, want 1", len(cfg.Instances))
	}
	in := cfg.Instances[0]
	if !in.Discover {
		t.Error("discover: want true, to follow the StatefulSet as it scales")
	}
	u, err := url.Parse(in.SQLURL)
	if err != nil {
		t.Fatalf("sql_url: %v", err)
	}
	if u.Host != crdbPublicService+":26257" {
		t.Errorf("sql_url host %q, want %s:26257", u.Host, crdbPublicService)
	}
	if pw, _ := u.User.Password(); u.User.Username() != "roachdog" || pw != password {
		t.Errorf("sql_url user %q password %q: want roachdog and ${CRDB_PASSWORD}", u.User.Username(), pw)
	}
	if strings.Contains(in.RedactedSQLURL, password) {
		t.Errorf("redacted sql_url %q shows the password", in.RedactedSQLURL)
	}
	q := u.Query()
	if q.Get("sslmode") != "verify-full" {
		t.Errorf("sslmode %q: a password goes over the network only with verify-full", q.Get("sslmode"))
	}
	for what, file := range map[string]string{"sql_url sslrootcert": q.Get("sslrootcert"), "tls.ca_file": in.TLS.CAFile} {
		vol, key := mountedFile(t, pod, c, file)
		if vol == nil || vol.Secret == nil || key != "ca.crt" {
			t.Errorf("%s %q: want the ca.crt of a mounted Secret", what, file)
			continue
		}
		// Only the CA: the root client key must not be readable by roachdog.
		if len(vol.Secret.Items) != 1 || vol.Secret.Items[0].Key != "ca.crt" {
			t.Errorf("volume %s: mount only ca.crt of Secret %s (items), got %+v", vol.Name, vol.Secret.SecretName, vol.Secret.Items)
		}
	}
	if in.Discovery.Scheme != "https" {
		t.Errorf("discovery.scheme %q, want https (secure cluster)", in.Discovery.Scheme)
	}
	for _, s := range in.StatusURLs {
		su, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if su.Scheme != in.Discovery.Scheme || su.Port() != strconv.Itoa(in.Discovery.HTTPPort) ||
			!regexp.MustCompile(`^cockroachdb-\d+\.`+crdbHeadless+`$`).MatchString(su.Hostname()) {
			t.Errorf("status_url %q: want %s://cockroachdb-<n>.%s:%d (a pod under the headless Service)", s, in.Discovery.Scheme, crdbHeadless, in.Discovery.HTTPPort)
		}
	}

	// Without the Secret's value the config must not load: the variable
	// has no default on purpose.
	delete(env, "CRDB_PASSWORD")
	_, err = config.Parse(m.configKey, m.configData, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err == nil || !strings.Contains(err.Error(), "CRDB_PASSWORD") {
		t.Errorf("config without CRDB_PASSWORD: error %v, want one naming CRDB_PASSWORD", err)
	}
}

// TestOptionalCockroachDBCheck checks the optional patch of CockroachDB's
// StatefulSet: valid JSON for the official check, on the right container,
// with roachdog's cluster tag.
func TestOptionalCockroachDBCheck(t *testing.T) {
	docs := readDocs(t, optionalCheckPatch)
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1", optionalCheckPatch, len(docs))
	}
	var p statefulSetPatch
	if err := strictDecode(docs[0], &p); err != nil {
		t.Fatalf("%s: %v", optionalCheckPatch, err)
	}
	checkTypeMeta(t, optionalCheckPatch, p.typeMeta)
	if p.Kind != "StatefulSet" || p.Metadata.Name != crdbHeadless {
		t.Errorf("%s: patches %s/%s, want StatefulSet/%s", optionalCheckPatch, p.Kind, p.Metadata.Name, crdbHeadless)
	}
	ads := adAnnotations(t, optionalCheckPatch, p.Spec.Template.Metadata.Annotations)
	if len(ads) != 1 || ads[crdbContainer]["checks"] == "" {
		t.Fatalf("%s: want one ad.datadoghq.com/%s.checks annotation, got %v", optionalCheckPatch, crdbContainer, ads)
	}
	checks := decodeChecks(t, optionalCheckPatch, ads[crdbContainer]["checks"])
	ck, ok := checks["cockroachdb"]
	if !ok || len(checks) != 1 || len(ck.Instances) != 1 {
		t.Fatalf("%s: want one instance of the cockroachdb check, got %v", optionalCheckPatch, checks)
	}
	inst := ck.Instances[0]
	if inst["openmetrics_endpoint"] != "https://%%host%%:8080/_status/vars" {
		t.Errorf("openmetrics_endpoint %v, want https://%%%%host%%%%:8080/_status/vars (V2 check, secure cluster)", inst["openmetrics_endpoint"])
	}
	if _, legacy := inst["prometheus_url"]; legacy {
		t.Error("prometheus_url selects the legacy V1 check; use openmetrics_endpoint")
	}

	m := loadManifests(t)
	cfg, err := config.Parse(m.configKey, m.configData, func(k string) (string, bool) {
		if k == "CRDB_PASSWORD" {
			return "x", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	tags, _ := inst["tags"].([]any)
	if !slices.Contains(tags, any("cluster:"+cfg.Instances[0].Cluster)) {
		t.Errorf("tags %v: want cluster:%s, roachdog's cluster tag", tags, cfg.Instances[0].Cluster)
	}
}

// TestOptionalPatchApplies applies the optional patch, as the README says,
// to a StatefulSet shaped like CockroachDB's, with kubectl's offline
// (--local) strategic merge, when kubectl is installed.
func TestOptionalPatchApplies(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed: the patch is checked by TestOptionalCockroachDBCheck only")
	}
	sts := filepath.Join(t.TempDir(), "sts.yaml")
	const statefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: cockroachdb
spec:
  serviceName: cockroachdb
  replicas: 3
  selector:
    matchLabels: {app: cockroachdb}
  template:
    metadata:
      labels: {app: cockroachdb}
      annotations: {existing: kept}
    spec:
      containers:
        - name: cockroachdb
          image: cockroachdb/cockroach:v24.3.5
`
	if err := os.WriteFile(sts, []byte(statefulSet), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kubectl, "patch", "--local", "-f", sts, "--type", "strategic",
		"--patch-file", optionalCheckPatch, "-o", "yaml")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl patch --local: %v\n%s", err, stderr.String())
	}
	var got statefulSetPatch
	dec := yaml.NewDecoder(&stdout)
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	ann := got.Spec.Template.Metadata.Annotations
	if ann["existing"] != "kept" {
		t.Errorf("the patch dropped the pod template's other annotations: %v", ann)
	}
	js := ann["ad.datadoghq.com/"+crdbContainer+".checks"]
	if js == "" {
		t.Fatalf("patched StatefulSet has no check annotation: %v", ann)
	}
	decodeChecks(t, "patched StatefulSet", js)
	if got.Spec.Template.Metadata.Labels["app"] != "cockroachdb" {
		t.Errorf("the patch changed the pod labels: %v", got.Spec.Template.Metadata.Labels)
	}
}

// grantStatements returns the SQL statements of conf.d/grants.sql, comments
// removed and whitespace normalised.
func grantStatements(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "conf.d", "grants.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for line := range strings.Lines(string(data)) {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i] + "\n"
		}
		b.WriteString(line)
	}
	var out []string
	for s := range strings.SplitSeq(b.String(), ";") {
		if s = strings.Join(strings.Fields(s), " "); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func TestGrantsJob(t *testing.T) {
	m := loadManifests(t)
	j := m.job
	pod := &j.Spec.Template.Spec
	if pod.RestartPolicy != "Never" && pod.RestartPolicy != "OnFailure" {
		t.Errorf("restartPolicy %q: a Job needs Never or OnFailure", pod.RestartPolicy)
	}
	if j.Spec.BackoffLimit == nil || j.Spec.ActiveDeadlineSeconds == nil || j.Spec.TTLSecondsAfterFinished == nil {
		t.Error("Job: want backoffLimit, activeDeadlineSeconds and ttlSecondsAfterFinished, so that it neither retries forever nor blocks re-applies")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("Job: %d containers, want 1", len(pod.Containers))
	}
	c := &pod.Containers[0]
	sc := pod.SecurityContext
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Error("Job: want runAsNonRoot and a non-zero runAsUser")
	}
	if c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem ||
		c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Error("Job container: want readOnlyRootFilesystem and no privilege escalation")
	}

	env := envMap(c)
	get := func(k string) string {
		if env[k] == nil {
			return ""
		}
		return *env[k]
	}
	if get("COCKROACH_HOST") != crdbPublicService+":26257" {
		t.Errorf("COCKROACH_HOST %q, want %s:26257, where roachdog connects", get("COCKROACH_HOST"), crdbPublicService)
	}
	// Its password comes from the Secret roachdog reads.
	jobPW, podPW := findEnv(c, "CRDB_PASSWORD"), findEnv(m.roachdog(t), "CRDB_PASSWORD")
	if jobPW == nil || jobPW.ValueFrom == nil || jobPW.ValueFrom.SecretKeyRef == nil ||
		podPW == nil || podPW.ValueFrom == nil || podPW.ValueFrom.SecretKeyRef == nil ||
		*jobPW.ValueFrom.SecretKeyRef != *podPW.ValueFrom.SecretKeyRef {
		t.Error("Job env CRDB_PASSWORD: want the same secretKeyRef as roachdog's")
	}
	// Root's client certificate: the key must be readable by the process's
	// group only (cockroach refuses anything wider than 0740 for a root-owned
	// key, and 0700 otherwise).
	certsDir := get("COCKROACH_CERTS_DIR")
	vol, _ := mountedFile(t, pod, c, path.Join(certsDir, "client.root.key"))
	switch {
	case vol == nil || vol.Secret == nil || vol.Secret.SecretName != crdbRootCertSecret:
		t.Errorf("COCKROACH_CERTS_DIR %q: want Secret %s mounted there", certsDir, crdbRootCertSecret)
	case vol.Secret.DefaultMode == nil || *vol.Secret.DefaultMode&^0o740 != 0:
		t.Errorf("Secret %s defaultMode: want at most 0740", crdbRootCertSecret)
	case sc.FSGroup == nil || sc.RunAsGroup == nil || *sc.FSGroup != *sc.RunAsGroup:
		t.Error("Job: fsGroup must equal runAsGroup, so that cockroach accepts the group-readable key")
	}

	script := jobScript(t, c)
	// Kubernetes expands $(VAR) in args for the container's variables:
	// the script must not contain one by accident.
	for _, mm := range regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).FindAllStringSubmatch(script, -1) {
		if env[mm[1]] != nil {
			t.Errorf("script contains $(%s), which Kubernetes would replace; write $%s", mm[1], mm[1])
		}
	}
	runGrantsScript(t, script, grantStatements(t))
}

func jobScript(t *testing.T, c *container) string {
	t.Helper()
	if !slices.Equal(c.Command, []string{"/bin/sh", "-c"}) || len(c.Args) != 1 {
		t.Fatalf("Job container: command %v args %d, want /bin/sh -c SCRIPT", c.Command, len(c.Args))
	}
	return c.Args[0]
}

// runGrantsScript runs the Job's real script under /bin/sh with a fake
// cockroach binary that records every SQL statement it receives, and checks
// the statements against conf.d/grants.sql: the two must not drift apart.
func runGrantsScript(t *testing.T, script string, grants []string) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		testenv.SkipOrFail(t, "no sh to run the Job's script")
	}
	dir := t.TempDir()
	// fake cockroach: "sql -e STMT" runs STMT, "sql" reads statements from
	// stdin. SHOW allow_unsafe_internals succeeds with FAKE_UNSAFE=1 (v25.4+),
	// fails as on older versions with FAKE_UNSAFE=0, and fails otherwise
	// (a broken connection) with anything else.
	fake := `#!/bin/sh
[ "$1" = sql ] || { echo "fake cockroach: unexpected $*" >&2; exit 2; }
shift
if [ "$#" -ge 2 ] && [ "$1" = -e ]; then
  if [ "$2" = "SHOW allow_unsafe_internals" ]; then
    case "${FAKE_UNSAFE:-}" in
      1) echo on; exit 0 ;;
      0) echo 'ERROR: unrecognized configuration parameter "allow_unsafe_internals"' >&2; exit 1 ;;
      *) echo 'ERROR: connection refused' >&2; exit 1 ;;
    esac
  fi
  printf '%s;\n' "$2" >> "$FAKE_LOG"
  exit 0
fi
[ "$#" -eq 0 ] || { echo "fake cockroach: unexpected sql $*" >&2; exit 2; }
cat >> "$FAKE_LOG"
`
	if err := os.WriteFile(filepath.Join(dir, "cockroach"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, password, unsafe string) (executed []string, stderr string, err error) {
		t.Helper()
		log := filepath.Join(t.TempDir(), "sql.log")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sh, "-c", script)
		cmd.Env = []string{
			"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"),
			"CRDB_PASSWORD=" + password,
			"COCKROACH_HOST=cockroachdb-public:26257",
			"FAKE_LOG=" + log,
			"FAKE_UNSAFE=" + unsafe,
		}
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err = cmd.Run()
		data, _ := os.ReadFile(log)
		for s := range strings.SplitSeq(string(data), ";") {
			if s = strings.Join(strings.Fields(s), " "); s != "" && s != "SELECT 1" {
				executed = append(executed, s)
			}
		}
		return executed, errb.String(), err
	}

	const pw = "h3x.pass_word~Z-9"
	setPW := "ALTER USER roachdog WITH PASSWORD '" + pw + "'"
	t.Run("v25.4+", func(t *testing.T) {
		got, stderr, err := run(t, pw, "1")
		if err != nil {
			t.Fatalf("script failed: %v\n%s", err, stderr)
		}
		for _, g := range grants {
			if !slices.Contains(got, g) {
				t.Errorf("conf.d/grants.sql runs %q; the Job does not (it ran %q)", g, got)
			}
		}
		for _, g := range got {
			if g != setPW && !slices.Contains(grants, g) {
				t.Errorf("the Job runs %q, which conf.d/grants.sql does not", g)
			}
		}
		if !slices.Contains(got, setPW) {
			t.Errorf("the Job did not set the password from the Secret (ran %q)", got)
		}
	})
	t.Run("before v25.4", func(t *testing.T) {
		got, stderr, err := run(t, pw, "0")
		if err != nil {
			t.Fatalf("script failed where the variable does not exist: %v\n%s", err, stderr)
		}
		for _, g := range got {
			if strings.Contains(g, "allow_unsafe_internals") {
				t.Errorf("ran %q on a version without the variable", g)
			}
		}
		if len(got) != len(grants) { // all but ALTER ROLE, plus the password
			t.Errorf("ran %q, want the %d other statements", got, len(grants))
		}
	})
	t.Run("SHOW fails for another reason", func(t *testing.T) {
		_, stderr, err := run(t, pw, "broken")
		if err == nil {
			t.Fatal("script succeeded although it could not tell whether allow_unsafe_internals exists")
		}
		if !strings.Contains(stderr, "connection refused") {
			t.Errorf("error %q does not carry cockroach's message", stderr)
		}
	})
	for _, bad := range []string{"", "it's", "p@ss/word", "with space"} {
		t.Run("password "+strconv.Quote(bad), func(t *testing.T) {
			got, stderr, err := run(t, bad, "1")
			if err == nil {
				t.Fatalf("script accepted password %q (ran %q)", bad, got)
			}
			if len(got) != 0 {
				t.Errorf("ran %q before rejecting the password", got)
			}
			if !strings.Contains(stderr, "roachdog-sql") {
				t.Errorf("error %q does not name the Secret", stderr)
			}
		})
	}
}

// ---- helpers ----

func envMap(c *container) map[string]*string {
	out := map[string]*string{}
	for _, e := range c.Env {
		out[e.Name] = e.Value
	}
	return out
}

func findEnv(c *container, name string) *envVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func argAfter(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

// mountedFile finds the volume, and the key in it, that provides file in
// container c; nil when no volume is mounted there.
func mountedFile(t *testing.T, pod *podSpec, c *container, file string) (*volume, string) {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(file, strings.TrimSuffix(vm.MountPath, "/")+"/")
		if !ok {
			continue
		}
		for i := range pod.Volumes {
			v := &pod.Volumes[i]
			if v.Name != vm.Name {
				continue
			}
			var items []keyToPath
			switch {
			case v.ConfigMap != nil:
				items = v.ConfigMap.Items
			case v.Secret != nil:
				items = v.Secret.Items
			}
			if len(items) == 0 {
				return v, rel // every key, under its own name
			}
			for _, it := range items {
				if it.Path == rel {
					return v, it.Key
				}
			}
			return nil, ""
		}
		t.Fatalf("volumeMount %s: no such volume", vm.Name)
	}
	return nil, ""
}

// quantity parses the Kubernetes memory quantities used here (Ki, Mi, Gi,
// or plain bytes).
func quantity(s string) (int64, error) {
	for suffix, mult := range map[string]int64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			return v * mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// millicores parses a CPU quantity ("50m", "1", "0.5").
func millicores(s string) (int64, error) {
	if n, ok := strings.CutSuffix(s, "m"); ok {
		return strconv.ParseInt(n, 10, 64)
	}
	f, err := strconv.ParseFloat(s, 64)
	return int64(f * 1000), err
}

// goMemLimit parses GOMEMLIMIT's syntax (a number of bytes with an optional
// B, KiB, MiB, GiB suffix).
func goMemLimit(s string) (int64, error) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			return v * u.mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
