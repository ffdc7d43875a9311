//go:build e2e

package controlplane

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nodeManifest is a Node as an agent registers it: capacity (allocatable
// defaults to it), the Ready condition, labels and spec as YAML flow
// mappings' contents.
func nodeManifest(name, cpu, memory, pods, ready, labels, spec string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Node
metadata:
  name: %s
  labels: {%s}
spec: {%s}
status:
  capacity: {cpu: "%s", memory: %s, pods: "%s"}
  conditions:
  - {type: Ready, status: "%s", reason: Test}
---
`, name, labels, spec, cpu, memory, pods, ready)
}

// podManifest is a pod of one container requesting cpu, with more
// metadata and spec lines (indented by two spaces).
func podManifest(name, cpu, metadata, spec string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
%s
spec:
%s
  containers:
  - name: c
    image: busybox
    resources: {requests: {cpu: "%s"}}
---
`, name, metadata, spec, cpu)
}

// requireNodes is the spec line of a required node affinity to the
// nodes named.
func requireNodes(names string) string {
	return `  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchFields: [{key: metadata.name, operator: In, values: [` + names + `]}]`
}

// eventually runs kubectl until its output is want, for 20 seconds.
func (s *server) eventually(t *testing.T, want string, args ...string) {
	t.Helper()
	ok, out := poll(20*time.Second, 100*time.Millisecond, func() (bool, string) {
		out := s.k(args...)
		return out == want, out
	})
	if !ok {
		t.Fatalf("kubectl %s: %q, want %q", strings.Join(args, " "), out, want)
	}
}

func (s *server) waitBound(t *testing.T, pod, node string) {
	t.Helper()
	s.eventually(t, node, "get", "pod", pod, "-o", "jsonpath={.spec.nodeName}")
}

// waitUnschedulable waits until the pod's PodScheduled condition is
// False, reason Unschedulable, with message msg, and checks that the pod
// is unbound and that kubectl describe shows the FailedScheduling event.
func (s *server) waitUnschedulable(t *testing.T, pod, msg string) {
	t.Helper()
	s.eventually(t, "False|Unschedulable|"+msg, "get", "pod", pod, "-o",
		`jsonpath={range .status.conditions[?(@.type=="PodScheduled")]}{.status}|{.reason}|{.message}{end}`)
	expectLine(t, s.k("get", "pod", pod), pod, "0/1", "Pending", "0")
	out := s.k("describe", "pod", pod)
	condition := regexp.MustCompile(`(?m)^\s+PodScheduled\s+False\s*$`)
	event := regexp.MustCompile(`(?m)^\s+Warning\s+FailedScheduling\s+.+\s+default-scheduler\s+` + regexp.QuoteMeta(msg) + `$`)
	if !condition.MatchString(out) || !event.MatchString(out) {
		t.Fatalf("describe pod %s shows no PodScheduled False or no FailedScheduling event %q:\n%s", pod, msg, out)
	}
}

// TestSchedulerFilters: pods go to the nodes their selectors, affinity,
// tolerations and requests allow, and a pod that fits nowhere stays
// Pending with the reasons in its condition and events.
func TestSchedulerFilters(t *testing.T) {
	s := startServer(t, "")
	s.k("apply", "-f", s.writeFile("nodes.yaml",
		nodeManifest("small", "1", "2Gi", "10", "True", "disk: hdd, zone: a", "")+
			nodeManifest("large", "4", "8Gi", "10", "True", "disk: ssd, zone: b", "")+
			nodeManifest("gpu", "4", "8Gi", "10", "True", "zone: b", "taints: [{key: dedicated, value: gpu, effect: NoSchedule}]")+
			nodeManifest("down", "64", "64Gi", "10", "False", "zone: c", "")))
	expectLine(t, s.k("get", "nodes"), "down", "NotReady", "<none>")
	if alloc := s.k("get", "node", "large", "-o", "jsonpath={.status.allocatable.cpu}"); alloc != "4" {
		t.Fatalf("allocatable cpu of large: %q", alloc)
	}

	t.Run("nodeSelector", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("p.yaml", podManifest("ssd", "100m", "", "  nodeSelector: {disk: ssd}")))
		s.waitBound(t, "ssd", "large")
		expectLine(t, s.k("get", "pod", "ssd", "-o", "wide"), "ssd", "0/1", "Pending", "0", "*", "<none>", "large")
	})
	t.Run("required node affinity", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("p.yaml",
			podManifest("zone-a", "100m", "", `  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: zone, operator: In, values: [a, c]}]`)+
				podManifest("by-name", "100m", "", requireNodes("large"))))
		s.waitBound(t, "zone-a", "small")
		s.waitBound(t, "by-name", "large")
	})
	t.Run("taints and tolerations", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("p.yaml",
			podManifest("tolerant", "100m", "", requireNodes("gpu")+
				"\n  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]")+
				podManifest("intolerant", "100m", "", requireNodes("gpu"))))
		s.waitBound(t, "tolerant", "gpu")
		s.waitUnschedulable(t, "intolerant", "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "+
			"1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 node(s) didn't match Pod's node affinity/selector.")
	})
	t.Run("too big for every node", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("p.yaml", podManifest("huge", "16", "", "")))
		s.waitUnschedulable(t, "huge", "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "+
			"1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 Insufficient cpu.")
	})
	t.Run("bound pods keep their place", func(t *testing.T) {
		// large has 4 cpus and holds 200m: one 3.5-cpu pod fits, not two.
		s.k("apply", "-f", s.writeFile("p.yaml",
			podManifest("big-1", "3500m", "", "  nodeSelector: {disk: ssd}")+podManifest("big-2", "3500m", "", "  nodeSelector: {disk: ssd}")))
		s.eventually(t, "large", "get", "pods", "big-1", "big-2", "-o", "jsonpath={.items[*].spec.nodeName}")
		pending := "big-2"
		if s.k("get", "pod", "big-1", "-o", "jsonpath={.spec.nodeName}") == "" {
			pending = "big-1"
		}
		s.waitUnschedulable(t, pending, "0/4 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, "+
			"1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.")
	})
	t.Run("a node that fits joins", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("n.yaml", nodeManifest("giant", "32", "64Gi", "10", "True", "", "")))
		s.waitBound(t, "huge", "giant")
		if c := s.k("get", "pod", "huge", "-o", `jsonpath={range .status.conditions[?(@.type=="PodScheduled")]}{.status}{.reason}{.message}{end}`); c != "True" {
			t.Fatalf("PodScheduled of huge: %q", c)
		}
	})
	t.Run("an untainted node takes the pod that did not tolerate it", func(t *testing.T) {
		s.k("taint", "nodes", "gpu", "dedicated-")
		s.waitBound(t, "intolerant", "gpu")
	})
	t.Run("a pod with a node name skips the scheduler", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("p.yaml", podManifest("pinned", "64", "", "  nodeName: small")))
		s.waitBound(t, "pinned", "small")
		if ev := s.k("get", "events", "--field-selector", "involvedObject.name=pinned", "-o", "name"); ev != "" {
			t.Fatalf("events about pinned: %s", ev)
		}
	})
	t.Run("another scheduler's pod is left alone", func(t *testing.T) {
		s.k("apply", "-f", s.writeFile("p.yaml", podManifest("other", "100m", "", "  schedulerName: other-scheduler")))
		time.Sleep(time.Second)
		if out := s.k("get", "pod", "other", "-o", "jsonpath={.spec.nodeName}{.status.conditions}"); out != "" {
			t.Fatalf("pod of another scheduler touched: %s", out)
		}
	})
}

// TestSchedulerSpreadsAndWaits: a controller's pods spread over the
// nodes (by the scheduler that holds the kube-scheduler Lease); pods scheduled back to back do not share a node's last place;
// a pod that fits nowhere waits, not on a cordoned node, and is placed
// once a node that fits is there.
func TestSchedulerSpreadsAndWaits(t *testing.T) {
	s := startServer(t, "")
	var manifest string
	for _, n := range []string{"n1", "n2", "n3"} {
		manifest += nodeManifest(n, "2", "4Gi", "3", "True", "", "")
	}
	s.k("apply", "-f", s.writeFile("nodes.yaml", manifest))

	// The pods share a controller, an object that exists (the garbage
	// collector deletes pods whose owner is gone) and creates no pods.
	s.k("create", "configmap", "web")
	uid := s.k("get", "configmap", "web", "-o", "jsonpath={.metadata.uid}")
	owned := `  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: web, uid: ` + uid + `, controller: true}`
	manifest = ""
	for i := range 6 {
		manifest += podManifest(fmt.Sprintf("web-%d", i), "100m", owned, "")
	}
	s.k("apply", "-f", s.writeFile("web.yaml", manifest))
	s.eventually(t, "n1 n1 n2 n2 n3 n3", "get", "pods", "--sort-by=.spec.nodeName", "-o", "jsonpath={.items[*].spec.nodeName}")
	// The scheduler runs while it holds its Lease.
	holder := s.k("get", "lease", "-n", "kube-system", "kube-scheduler", "-o", "jsonpath={.spec.holderIdentity}")
	if !strings.Contains(holder, "_127.0.0.1:") {
		t.Fatalf("kube-scheduler lease held by %q", holder)
	}

	// One place is left per node: of four pods at once, three take them
	// and one waits.
	manifest = ""
	for i := range 4 {
		manifest += podManifest(fmt.Sprintf("more-%d", i), "100m", "", "")
	}
	s.k("apply", "-f", s.writeFile("more.yaml", manifest))
	s.eventually(t, "n1 n1 n1 n2 n2 n2 n3 n3 n3", "get", "pods", "--field-selector", "spec.nodeName!=",
		"--sort-by=.spec.nodeName", "-o", "jsonpath={.items[*].spec.nodeName}")
	pending := strings.TrimPrefix(s.k("get", "pods", "--field-selector", "spec.nodeName=", "-o", "name"), "pod/")
	pending = strings.TrimSpace(pending)
	s.waitUnschedulable(t, pending, "0/3 nodes are available: 3 Too many pods.")

	// A cordoned node takes nothing; once uncordoned, it takes the pod.
	s.k("apply", "-f", s.writeFile("n4.yaml", nodeManifest("n4", "2", "4Gi", "3", "True", "", "unschedulable: true")))
	s.waitUnschedulable(t, pending, "0/4 nodes are available: 1 node(s) were unschedulable, 3 Too many pods.")
	s.k("uncordon", "n4")
	s.waitBound(t, pending, "n4")
	if c := s.k("get", "pod", pending, "-o", `jsonpath={range .status.conditions[?(@.type=="PodScheduled")]}{.status}{.reason}{end}`); c != "True" {
		t.Fatalf("PodScheduled of %s: %q", pending, c)
	}
	out := s.k("describe", "pod", pending)
	if !regexp.MustCompile(`Normal\s+Scheduled\s+.+\s+default-scheduler\s+Successfully assigned default/` + pending + ` to n4`).MatchString(out) {
		t.Fatalf("describe shows no Scheduled event:\n%s", out)
	}
}
