//go:build e2e

package controlplane

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// echoManifest is a Deployment whose pods name their port "http" and are
// ready until /tmp/unready exists, and a Service reaching them through
// the name.
const echoManifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, labels: {app: echo}}
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: busybox:1.36
        command: [sleep, "100000"]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          exec: {command: [sh, -c, 'test ! -f /tmp/unready']}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: echo, labels: {tier: front}}
spec:
  selector: {app: echo}
  ports: [{name: web, port: 80, targetPort: http}]
`

// endpointState is what the API shows at one moment: the pods of
// app=echo (IP → ready, terminating ones left out), the Service's
// EndpointSlices (IP → ready) and its Endpoints (IP → ready).
type endpointState struct {
	pods, slices, endpoints map[string]bool
	podNames                map[string]string // IP → name
}

func (n *node) echoState(t *testing.T) endpointState {
	t.Helper()
	ctx := context.Background()
	st := endpointState{pods: map[string]bool{}, slices: map[string]bool{}, endpoints: map[string]bool{}, podNames: map[string]string{}}
	pods, err := n.client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=echo"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Status.PodIP != "" && p.DeletionTimestamp == nil {
			st.pods[p.Status.PodIP] = ready(&p)
			st.podNames[p.Status.PodIP] = p.Name
		}
	}
	sl, err := n.client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=echo"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sl.Items {
		for _, e := range s.Endpoints {
			st.slices[e.Addresses[0]] = e.Conditions.Ready != nil && *e.Conditions.Ready
		}
	}
	ep, err := n.client.CoreV1().Endpoints("default").Get(ctx, "echo", metav1.GetOptions{})
	if err == nil {
		for _, ss := range ep.Subsets {
			for _, a := range ss.Addresses {
				st.endpoints[a.IP] = true
			}
			for _, a := range ss.NotReadyAddresses {
				st.endpoints[a.IP] = false
			}
		}
	}
	return st
}

// readyIPs returns the IPs that are ready in m, sorted.
func readyIPs(m map[string]bool) []string {
	var out []string
	for ip, r := range m {
		if r {
			out = append(out, ip)
		}
	}
	slices.Sort(out)
	return out
}

// TestServiceEndpoints: a Deployment behind a Service, on `skiff server`
// with its node agent over a real skiffd. kubectl lists the ready pods'
// IPs with the named port in the EndpointSlices and the Endpoints;
// scaling up shows the new pods within 2 s of their being ready, scaling
// down drops the old ones within 2 s; a pod failing its readiness probe
// is listed not ready; deleting the Service removes both.
func TestServiceEndpoints(t *testing.T) {
	n := startLocalNode(t)
	s := n.s
	s.k("apply", "-f", s.writeFile("echo.yaml", echoManifest))
	s.rolledOut(t, "echo")

	var st endpointState
	n.eventually(10*time.Second, "both pods in the slices and the Endpoints", func() (bool, string) {
		st = n.echoState(t)
		want := readyIPs(st.pods)
		return len(want) == 2 && slices.Equal(readyIPs(st.slices), want) && slices.Equal(readyIPs(st.endpoints), want), fmt.Sprintf("%+v", st)
	})
	ips := readyIPs(st.pods)

	t.Run("kubectl lists the ready pods with the named port", func(t *testing.T) {
		out := s.k("get", "endpointslices", "-l", "kubernetes.io/service-name=echo")
		row := regexp.MustCompile(`(?m)^echo-[a-z0-9]{5}\s+IPv4\s+8080\s+(\S+)\s`).FindStringSubmatch(out)
		if row == nil || !slices.Equal(sorted(strings.Split(row[1], ",")), ips) {
			t.Fatalf("get endpointslices (pods %v):\n%s", ips, out)
		}
		got := s.k("get", "endpointslices", "-l", "kubernetes.io/service-name=echo", "-o",
			`jsonpath={.items[0].metadata.labels.endpointslice\.kubernetes\.io/managed-by} {.items[0].metadata.labels.tier} {.items[0].metadata.ownerReferences[0].kind}/{.items[0].metadata.ownerReferences[0].name} {.items[0].ports[0].name}/{.items[0].ports[0].port}/{.items[0].ports[0].protocol} {.items[0].endpoints[*].conditions.ready} {.items[0].endpoints[*].nodeName}`)
		if want := "endpointslice-controller.k8s.io front Service/echo web/8080/TCP true true node1 node1"; got != want {
			t.Errorf("slice:\n got %q\nwant %q", got, want)
		}
		out = s.k("get", "endpoints", "echo")
		expectLine(t, out, "echo", ips[0]+":8080,"+ips[1]+":8080")
		// Nothing changes: nothing is written again.
		versions := `jsonpath={range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion} {end}`
		before := s.k("get", "endpointslices,endpoints", "-l", "tier=front", "-o", versions)
		time.Sleep(3 * time.Second)
		if after := s.k("get", "endpointslices,endpoints", "-l", "tier=front", "-o", versions); after != before || strings.Count(before, "@") != 2 {
			t.Errorf("rewritten while nothing changed: %s -> %s", before, after)
		}
		out = s.k("describe", "service", "echo")
		if !regexp.MustCompile(`Endpoints:\s+`+regexp.QuoteMeta(ips[0])+`:8080,`+regexp.QuoteMeta(ips[1])+`:8080\n`).MatchString(out) &&
			!regexp.MustCompile(`Endpoints:\s+`+regexp.QuoteMeta(ips[1])+`:8080,`+regexp.QuoteMeta(ips[0])+`:8080\n`).MatchString(out) {
			t.Errorf("describe service:\n%s", out)
		}
	})

	t.Run("scale up: new pods listed within 2s of being ready", func(t *testing.T) {
		start := time.Now()
		s.k("scale", "deploy/echo", "--replicas=4")
		podReady, inSlices, inEndpoints := map[string]time.Time{}, map[string]time.Time{}, map[string]time.Time{}
		n.eventually(2*time.Minute, "4 ready pods listed", func() (bool, string) {
			st = n.echoState(t)
			now := time.Now()
			for ip, r := range st.pods {
				if _, ok := podReady[ip]; !ok && r {
					podReady[ip] = now
				}
				if _, ok := inSlices[ip]; !ok && st.slices[ip] {
					inSlices[ip] = now
				}
				if _, ok := inEndpoints[ip]; !ok && st.endpoints[ip] {
					inEndpoints[ip] = now
				}
			}
			return len(podReady) == 4 && len(inSlices) == 4 && len(inEndpoints) == 4, fmt.Sprintf("%+v", st)
		})
		for ip, r := range podReady {
			if slices.Contains(ips, ip) {
				continue
			}
			ls, le := inSlices[ip].Sub(r), inEndpoints[ip].Sub(r)
			t.Logf("%s: ready %s after the scale, in the slices +%s, in the Endpoints +%s", ip, r.Sub(start).Round(time.Millisecond), ls.Round(time.Millisecond), le.Round(time.Millisecond))
			if ls > 2*time.Second || le > 2*time.Second {
				t.Errorf("%s listed %s (slices) / %s (Endpoints) after it was ready", ip, ls, le)
			}
		}
		out := s.k("get", "endpointslices", "-l", "kubernetes.io/service-name=echo", "-o", `jsonpath={range .items[*].endpoints[*]}{.addresses[0]} {end}`)
		if got := sorted(strings.Fields(out)); !slices.Equal(got, readyIPs(st.pods)) {
			t.Errorf("kubectl: slice addresses %v, pods %v", got, readyIPs(st.pods))
		}
	})

	t.Run("a pod failing readiness is listed not ready", func(t *testing.T) {
		ip := readyIPs(st.pods)[0]
		name := st.podNames[ip]
		s.k("exec", name, "--", "touch", "/tmp/unready")
		n.eventually(20*time.Second, name+" not ready in the slices and the Endpoints", func() (bool, string) {
			st = n.echoState(t)
			return !st.pods[ip] && !st.slices[ip] && !st.endpoints[ip] && len(readyIPs(st.slices)) == 3, fmt.Sprintf("%+v", st)
		})
		got := s.k("get", "endpointslices", "-l", "kubernetes.io/service-name=echo", "-o",
			`jsonpath={range .items[*].endpoints[?(@.addresses[0]=="`+ip+`")]}{.conditions.ready}/{.conditions.serving}/{.conditions.terminating}{end}`)
		if got != "false/false/false" {
			t.Errorf("conditions of %s: %q", ip, got)
		}
		got = s.k("get", "endpoints", "echo", "-o", `jsonpath={.subsets[*].notReadyAddresses[*].ip}`)
		if got != ip {
			t.Errorf("notReadyAddresses %q, want %s", got, ip)
		}
		if out := s.k("get", "endpoints", "echo"); strings.Contains(out, ip+":") {
			t.Errorf("not-ready %s shown:\n%s", ip, out)
		}
	})

	t.Run("scale down: endpoints drop within 2s", func(t *testing.T) {
		s.k("scale", "deploy/echo", "--replicas=2")
		start := time.Now()
		n.eventually(30*time.Second, "2 ready endpoints", func() (bool, string) {
			st = n.echoState(t)
			ok := len(st.pods) == 2 && slices.Equal(readyIPs(st.slices), readyIPs(st.pods)) &&
				slices.Equal(readyIPs(st.endpoints), readyIPs(st.pods)) && len(st.endpoints) == 2
			return ok, fmt.Sprintf("%+v", st)
		})
		d := time.Since(start)
		t.Logf("endpoints down to 2, %s after the scale", d.Round(time.Millisecond))
		if d > 2*time.Second {
			t.Errorf("endpoints changed %s after the scale", d)
		}
		n.eventually(30*time.Second, "terminated pods gone from the slices", func() (bool, string) {
			st = n.echoState(t)
			return len(st.slices) == 2, fmt.Sprintf("%+v", st)
		})
	})

	t.Run("deleting the Service removes its slices and Endpoints", func(t *testing.T) {
		s.k("delete", "service", "echo")
		n.eventually(30*time.Second, "Endpoints deleted", func() (bool, string) {
			out, err := s.kubectl(context.Background(), nil, "get", "endpoints", "echo", "-o", "name")
			return err != nil && strings.Contains(err.Error(), "NotFound"), out
		})
		n.waitOutput(30*time.Second, regexp.MustCompile(`^$`), "get", "endpointslices", "-l", "kubernetes.io/service-name=echo", "-o", "name")
	})
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
