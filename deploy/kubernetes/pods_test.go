package kubernetes

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roachdog/roachdog/internal/testenv"
)

// podTemplates returns every pod template the manifests define, by owner.
func (m *manifests) podTemplates() map[string]*podTemplate {
	return map[string]*podTemplate{
		"Deployment/" + m.deployment.Metadata.Name: &m.deployment.Spec.Template,
		"Job/" + m.job.Metadata.Name:               &m.job.Spec.Template,
	}
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestSelectorsSelectOnlyTheirPods: a Deployment or Service selector that
// also matches another workload's pods (the grants Job's) counts that pod
// as one of its own: the Deployment's controller sees a pod it did not
// create, and the Service sends /metrics scrapes to a pod without the port.
func TestSelectorsSelectOnlyTheirPods(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	own := "Deployment/" + m.deployment.Metadata.Name
	for owner, tpl := range m.podTemplates() {
		if owner == own {
			continue
		}
		if selects(m.deployment.Spec.Selector.MatchLabels, tpl.Metadata.Labels) {
			t.Errorf("Deployment %s selector %v also selects the pods of %s (labels %v)",
				m.deployment.Metadata.Name, m.deployment.Spec.Selector.MatchLabels, owner, tpl.Metadata.Labels)
		}
		if selects(m.service.Spec.Selector, tpl.Metadata.Labels) {
			t.Errorf("Service %s selector %v also selects the pods of %s (labels %v)",
				m.service.Metadata.Name, m.service.Spec.Selector, owner, tpl.Metadata.Labels)
		}
	}
}

// TestPodsRestricted: every pod the manifests run meets the restricted Pod
// Security Standard: non-root, RuntimeDefault seccomp, and containers with a
// read-only root filesystem, no privilege escalation and no capabilities.
func TestPodsRestricted(t *testing.T) {
	t.Parallel()
	m := loadManifests(t)
	for owner, tpl := range m.podTemplates() {
		sc := tpl.Spec.SecurityContext
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("%s: want runAsNonRoot: true and a non-zero runAsUser", owner)
		}
		if sc.SeccompProfile.Type != "RuntimeDefault" {
			t.Errorf("%s: seccompProfile %q, want RuntimeDefault", owner, sc.SeccompProfile.Type)
		}
		for _, c := range tpl.Spec.Containers {
			csc := c.SecurityContext
			if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
				t.Errorf("%s container %s: want readOnlyRootFilesystem: true", owner, c.Name)
			}
			if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
				t.Errorf("%s container %s: want allowPrivilegeEscalation: false", owner, c.Name)
			}
			if !slices.Equal(csc.Capabilities.Drop, []string{"ALL"}) || len(csc.Capabilities.Add) > 0 {
				t.Errorf("%s container %s: capabilities drop %v add %v, want drop [ALL], add nothing", owner, c.Name, csc.Capabilities.Drop, csc.Capabilities.Add)
			}
		}
	}
}

// TestGrantsScriptShellcheck lints the Job's embedded /bin/sh script.
func TestGrantsScriptShellcheck(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("shellcheck")
	if err != nil {
		testenv.SkipOrFail(t, "shellcheck not installed (Debian package shellcheck; scripts/test-deps.sh installs it)")
	}
	m := loadManifests(t)
	if len(m.job.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("Job: want one container")
	}
	script := jobScript(t, &m.job.Spec.Template.Spec.Containers[0])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--shell=sh", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck of the Job's script: %v\n%s", err, out)
	}
}
