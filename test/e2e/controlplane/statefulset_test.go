//go:build e2e

package controlplane

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// webStatefulSet: three busybox pods, each with a claim "data" mounted
// at /data.
const webStatefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 3
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:1.36
        command: [sleep, "100000"]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Mi}}
`

// TestStatefulSet, with the real kubectl on `skiff server` running its
// agent over a real skiffd: a StatefulSet of 3 with a claim template;
// each pod writes into its volume; scaled 3 → 1 (web-2, then web-1) →
// 3, the same names come back and find their data.
func TestStatefulSet(t *testing.T) {
	n := startLocalNode(t)
	s := n.s
	s.k("apply", "-f", s.writeFile("web-sts.yaml", webStatefulSet))
	podNames := []string{"get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.metadata.name} {end}"}
	n.waitOutput(3*time.Minute, regexp.MustCompile(`^web\s+3/3\s`), "get", "sts", "web", "--no-headers")
	if out := s.k(podNames...); out != "web-0 web-1 web-2 " {
		t.Fatalf("pods: %q", out)
	}
	if out, err := s.kLong(t, time.Minute, "rollout", "status", "sts/web", "--timeout=50s"); err != nil || !strings.Contains(out, "complete") {
		t.Fatalf("rollout status: %v\n%s", err, out)
	}
	claims := []string{"get", "pvc", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}"}
	if out := s.k(claims...); out != "data-web-0=Bound data-web-1=Bound data-web-2=Bound " {
		t.Fatalf("claims: %q", out)
	}
	if out := s.k("get", "pod", "web-1", "-o", `jsonpath={.spec.hostname}.{.spec.subdomain} {.metadata.labels.statefulset\.kubernetes\.io/pod-name} {.metadata.labels.apps\.kubernetes\.io/pod-index}`); out != "web-1.web web-1 1" {
		t.Errorf("identity of web-1: %q", out)
	}
	for _, p := range []string{"web-0", "web-1", "web-2"} {
		s.k("exec", p, "--", "sh", "-c", "echo data of "+p+" > /data/id")
	}
	// The data is in the agent's --volume-dir, under the claim's volume.
	uid := s.k("get", "pvc", "data-web-2", "-o", "jsonpath={.metadata.uid}")
	if b, err := os.ReadFile(filepath.Join(n.dir, "volumes", "pvc-"+uid, "id")); err != nil || string(b) != "data of web-2\n" {
		t.Fatalf("volume of data-web-2: %q %v", b, err)
	}

	t.Run("scale down removes web-2, then web-1; claims stay", func(t *testing.T) {
		s.k("scale", "sts/web", "--replicas=1")
		n.eventually(2*time.Minute, "only web-0 left", func() (bool, string) {
			list, err := n.client.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
			if err != nil {
				return false, err.Error()
			}
			have := map[string]bool{}
			for _, p := range list.Items {
				have[p.Name] = true
			}
			if have["web-2"] && !have["web-1"] {
				t.Fatalf("web-1 removed before web-2")
			}
			return len(have) == 1 && have["web-0"], strings.Join(keys(have), " ")
		})
		if out := s.k(claims...); out != "data-web-0=Bound data-web-1=Bound data-web-2=Bound " {
			t.Fatalf("claims after scale down: %q", out)
		}
	})

	t.Run("scale up: same names, same data", func(t *testing.T) {
		s.k("scale", "sts/web", "--replicas=3")
		n.waitOutput(3*time.Minute, regexp.MustCompile(`^web\s+3/3\s`), "get", "sts", "web", "--no-headers")
		if out := s.k(podNames...); out != "web-0 web-1 web-2 " {
			t.Fatalf("pods: %q", out)
		}
		for _, p := range []string{"web-1", "web-2"} {
			if out := s.k("exec", p, "--", "cat", "/data/id"); out != "data of "+p+"\n" {
				t.Errorf("%s reads %q", p, out)
			}
		}
	})

	t.Run("events", func(t *testing.T) {
		out := s.k("get", "events", "--field-selector", "involvedObject.kind=StatefulSet,involvedObject.name=web")
		for _, want := range []string{"create Pod web-0 in StatefulSet web successful", "create Claim data-web-0 Pod web-0 in StatefulSet web success",
			"delete Pod web-2 in StatefulSet web successful"} {
			if !strings.Contains(out, want) {
				t.Errorf("no event %q:\n%s", want, out)
			}
		}
	})
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
