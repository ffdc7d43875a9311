//go:build e2e

package controlplane

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

const agentDaemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:1.36
        command: [sleep, "3600"]
`

// dsRolledOut runs kubectl rollout status on the DaemonSet and expects
// it to succeed.
func (s *server) dsRolledOut(t *testing.T, name string) {
	t.Helper()
	out, err := s.kLong(t, 3*time.Minute, "rollout", "status", "ds/"+name, "--timeout=150s")
	if err != nil || !strings.Contains(out, `daemon set "`+name+`" successfully rolled out`) {
		t.Fatalf("rollout status: %v\n%s", err, out)
	}
}

// TestDaemonSet: a DaemonSet puts one pod on every node that takes it
// (the real node, a registered node; not a tainted one), bound through
// node affinity and placed by the scheduler; a new image rolls out, and
// kubectl rollout history and undo work on its ControllerRevisions.
func TestDaemonSet(t *testing.T) {
	n := startLocalNode(t)
	s := n.s
	s.k("apply", "-f", s.writeFile("nodes.yaml",
		nodeManifest("plain-1", "4", "8Gi", "110", "True", "", "")+
			nodeManifest("edge-1", "4", "8Gi", "110", "True", "", "taints: [{key: dedicated, value: edge, effect: NoSchedule}]")))
	s.k("apply", "-f", s.writeFile("ds.yaml", agentDaemonSet))

	t.Run("one pod per node", func(t *testing.T) {
		n.waitOutput(time.Minute, regexp.MustCompile(`^`+nodeName+`=Running plain-1=Pending $`), "get", "pods", "-l", "app=agent",
			"--sort-by=.spec.nodeName", "-o", `jsonpath={range .items[*]}{.spec.nodeName}={.status.phase} {end}`)
		pod := regexp.MustCompile(`agent-\S+`).FindString(s.k("get", "pods", "-l", "app=agent", "--field-selector=spec.nodeName=plain-1", "-o", "name"))
		got := s.k("get", "pod", pod, "-o", `jsonpath={.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]} {.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.spec.tolerations[*].key}`)
		if !strings.HasPrefix(got, "plain-1 DaemonSet/agent node.kubernetes.io/not-ready node.kubernetes.io/unreachable node.kubernetes.io/disk-pressure") {
			t.Fatalf("pod on plain-1: %q", got)
		}
		s.eventually(t, "2 2 1 0 1", "get", "ds", "agent", "-o", "jsonpath={.status.desiredNumberScheduled} {.status.currentNumberScheduled} {.status.numberReady} {.status.numberMisscheduled} {.status.observedGeneration}")
		// Without the registered node, the real one is all there is.
		s.k("delete", "node", "plain-1")
		s.dsRolledOut(t, "agent")
		expectLine(t, s.k("get", "ds", "agent"), "agent", "1", "1", "1", "1", "1", "<none>")
	})

	var firstHash string
	t.Run("a new image rolls out", func(t *testing.T) {
		firstHash = s.k("get", "pods", "-l", "app=agent", "--field-selector=spec.nodeName="+nodeName, "-o", "jsonpath={.items[0].metadata.labels.controller-revision-hash}")
		s.k("set", "image", "ds/agent", "c=busybox:1.37")
		s.dsRolledOut(t, "agent")
		n.waitOutput(time.Minute, regexp.MustCompile(`^busybox:1.37 $`), "get", "pods", "-l", "app=agent", "--field-selector=spec.nodeName="+nodeName,
			"-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {end}")
		out := s.k("rollout", "history", "ds/agent")
		if !regexp.MustCompile(`(?s)REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n`).MatchString(out) {
			t.Fatalf("rollout history:\n%s", out)
		}
		if out := s.k("rollout", "history", "ds/agent", "--revision=1"); !regexp.MustCompile(`Image:\s+busybox:1.36\n`).MatchString(out) {
			t.Fatalf("revision 1:\n%s", out)
		}
	})

	t.Run("undo goes back to the first image", func(t *testing.T) {
		if out := s.k("rollout", "undo", "ds/agent"); !strings.Contains(out, "daemonset.apps/agent rolled back") {
			t.Fatalf("undo: %s", out)
		}
		s.dsRolledOut(t, "agent")
		n.waitOutput(time.Minute, regexp.MustCompile(`^busybox:1.36 `+firstHash+` $`), "get", "pods", "-l", "app=agent", "--field-selector=spec.nodeName="+nodeName,
			"-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {.metadata.labels.controller-revision-hash} {end}")
		out := s.k("rollout", "history", "ds/agent")
		if !regexp.MustCompile(`(?s)REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n`).MatchString(out) {
			t.Fatalf("rollout history after undo:\n%s", out)
		}
		if got := s.k("get", "controllerrevisions", "-l", "app=agent", "-o", "jsonpath={range .items[*]}{.revision} {end}"); got != "3 2 " && got != "2 3 " {
			t.Errorf("revisions: %q", got)
		}
	})

	t.Run("describe shows the events", func(t *testing.T) {
		out := s.k("describe", "ds", "agent")
		for _, re := range []string{
			`Desired Number of Nodes Scheduled: 1`,
			`Normal\s+SuccessfulCreate\s+.*daemonset-controller\s+Created pod: agent-`,
			`Normal\s+SuccessfulDelete\s+.*daemonset-controller\s+Deleted pod: agent-`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("describe ds lacks %s:\n%s", re, out)
			}
		}
	})
}
