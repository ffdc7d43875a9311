//go:build e2e

package controlplane

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/testutil/cluster"
)

// TestWalkthrough is the seed walkthrough on three simulated nodes with
// the real kubectl: a busybox httpd Deployment of 3 replicas spread over
// the nodes, exposed as a NodePort Service; its ClusterIP reached from a
// pod through the nodes' service proxies, its NodePort from the host, its
// name through the cluster DNS; scaling reflected in the Endpoints within
// 2 s; a failed node's pods back on the others.
func TestWalkthrough(t *testing.T) {
	c := cluster.Start(t, 3, fastFailover(t))
	kc := newClusterKubectl(t, c)
	kubectl, k := kc.run, kc.k
	// running is the app=httpd pods that run and are not being deleted,
	// as name -> node.
	running := func() (map[string]string, string) {
		out := k("get", "pods", "-l", "app=httpd", "-o",
			`jsonpath={range .items[*]}{.metadata.name}/{.spec.nodeName}/{.status.phase}/{.metadata.deletionTimestamp} {end}`)
		pods := map[string]string{}
		for _, f := range strings.Fields(out) {
			p := strings.Split(f, "/")
			if len(p) == 4 && p[2] == "Running" && p[3] == "" {
				pods[p[0]] = p[1]
			}
		}
		return pods, out
	}

	// The Deployment: each pod serves a page naming itself.
	k("create", "deployment", "httpd", "--image=busybox", "--replicas=3", "--",
		"sh", "-c", `mkdir -p /www && echo "hello from $HOSTNAME" >/www/index.html && exec httpd -f -p 80 -h /www`)
	eventually(t, 120*time.Second, "httpd: 3 pods running, one on each node", func() (bool, string) {
		pods, out := running()
		nodes := map[string]bool{}
		for _, n := range pods {
			nodes[n] = true
		}
		return len(pods) == 3 && len(nodes) == 3, out
	})
	pods, _ := running()
	t.Logf("httpd pods: %v", pods)

	k("expose", "deployment", "httpd", "--port", "80", "--type", "NodePort")
	svc := strings.Fields(k("get", "service", "httpd", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}"))
	if len(svc) != 2 {
		t.Fatalf("service httpd: clusterIP and nodePort %q", svc)
	}
	clusterIP, nodePort := svc[0], svc[1]
	eventually(t, 30*time.Second, "Endpoints of httpd list the 3 pods", func() (bool, string) {
		out := k("get", "endpoints", "httpd", "-o", "jsonpath={.subsets[*].addresses[*].ip}")
		return len(strings.Fields(out)) == 3, out
	})

	// A client pod on node 1 reaches the ClusterIP; the proxy spreads the
	// connections, also to the pods of the other nodes.
	client := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"client"},"spec":{"nodeName":%q,
"containers":[{"name":"c","image":"busybox","command":["sleep","3600"]}]}}`, c.NodeName(1))
	f := t.TempDir() + "/client.json"
	if err := os.WriteFile(f, []byte(client), 0o644); err != nil {
		t.Fatal(err)
	}
	k("apply", "-f", f)
	eventually(t, 90*time.Second, "client running", func() (bool, string) {
		out := k("get", "pod", "client", "-o", "jsonpath={.status.phase}")
		return out == "Running", out
	})
	wget := func(url string) (string, error) {
		return kubectl("exec", "client", "--", "wget", "-qO-", "-T", "3", url)
	}
	seen := map[string]bool{}
	eventually(t, 60*time.Second, "the ClusterIP from the client reaches pods on the other nodes", func() (bool, string) {
		out, err := wget("http://" + clusterIP)
		if err != nil {
			return false, fmt.Sprintf("%v: %s", err, out)
		}
		name := strings.TrimPrefix(out, "hello from ")
		if _, ok := pods[name]; !ok {
			return false, "unknown page " + out
		}
		seen[name] = true
		other := 0
		for n := range seen {
			if pods[n] != c.NodeName(1) {
				other++
			}
		}
		return other >= 2, fmt.Sprintf("served by %v", sorted(keys(seen)))
	})
	t.Logf("ClusterIP %s served by %v", clusterIP, sorted(keys(seen)))

	// The NodePort from the host, on each node's address.
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{Proxy: nil}}
	for i := 1; i <= 3; i++ {
		url := fmt.Sprintf("http://%s:%s/", c.NodeIP(i), nodePort)
		eventually(t, 30*time.Second, "NodePort "+url+" from the host", func() (bool, string) {
			resp, err := hc.Get(url)
			if err != nil {
				return false, err.Error()
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			_, ok := pods[strings.TrimPrefix(strings.TrimSpace(string(b)), "hello from ")]
			return resp.StatusCode == 200 && ok, fmt.Sprintf("%s: %s", resp.Status, b)
		})
	}

	// The Service's name through the cluster DNS.
	resolv := k("exec", "client", "--", "cat", "/etc/resolv.conf")
	if !strings.Contains(resolv, "nameserver 10.96.0.10") {
		t.Errorf("client's resolv.conf does not name the cluster DNS:\n%s", resolv)
	}
	eventually(t, 30*time.Second, "httpd.default.svc.cluster.local from the client", func() (bool, string) {
		out, err := wget("http://httpd.default.svc.cluster.local")
		if err != nil {
			return false, fmt.Sprintf("%v: %s", err, out)
		}
		return strings.HasPrefix(out, "hello from httpd-"), out
	})

	// Scaling: the Endpoints follow the pods' readiness within 2 s.
	endpointsFollow := func(replicas int) {
		t.Helper()
		k("scale", "deployment", "httpd", fmt.Sprintf("--replicas=%d", replicas))
		readySince := map[string]time.Time{}
		deadline := time.Now().Add(120 * time.Second)
		for {
			now := time.Now()
			ready := k("get", "pods", "-l", "app=httpd", "-o",
				`jsonpath={range .items[?(@.status.podIP)]}{.status.podIP}/{.metadata.deletionTimestamp}/{.status.conditions[?(@.type=="Ready")].status} {end}`)
			eps := k("get", "endpoints", "httpd", "-o", "jsonpath={.subsets[*].addresses[*].ip}")
			want := map[string]bool{}
			for _, f := range strings.Fields(ready) {
				p := strings.Split(f, "/")
				if len(p) == 3 && p[1] == "" && p[2] == "True" {
					want[p[0]] = true
				}
			}
			got := map[string]bool{}
			for _, ip := range strings.Fields(eps) {
				got[ip] = true
			}
			// Any difference must not last more than 2 s.
			for ip := range union(want, got) {
				if want[ip] == got[ip] {
					delete(readySince, ip)
					continue
				}
				if _, ok := readySince[ip]; !ok {
					readySince[ip] = now
				}
				if now.Sub(readySince[ip]) > 2*time.Second {
					t.Fatalf("scaled to %d: endpoint %s (ready and not deleted: %v) still differs after %s: Endpoints %q, pods %q",
						replicas, ip, want[ip], now.Sub(readySince[ip]).Round(100*time.Millisecond), eps, ready)
				}
			}
			if len(want) == replicas && len(got) == replicas && len(readySince) == 0 {
				t.Logf("scaled to %d: Endpoints %v", replicas, sorted(keys(got)))
				return
			}
			if now.After(deadline) {
				t.Fatalf("scaled to %d: Endpoints %q, pods %q", replicas, eps, ready)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	endpointsFollow(5)
	endpointsFollow(3)

	// Node 3 fails: its pods come back on the others, and the Service
	// still answers.
	pods, _ = running()
	victim := 3
	killed := time.Now()
	c.Kill(victim)
	eventually(t, 90*time.Second, "httpd back to 3 running pods off the dead node", func() (bool, string) {
		pods, out := running()
		n := 0
		for _, node := range pods {
			if node != c.NodeName(victim) {
				n++
			}
		}
		return n == 3, out
	})
	t.Logf("httpd back to 3 pods %s after the kill", time.Since(killed).Round(time.Second))
	pods, _ = running()
	eventually(t, 30*time.Second, "Endpoints of httpd without the dead node's pods", func() (bool, string) {
		out := k("get", "endpoints", "httpd", "-o", "jsonpath={.subsets[*].addresses[*].nodeName}")
		return !strings.Contains(out, c.NodeName(victim)) && len(strings.Fields(out)) == 3, out
	})
	for i := 0; i < 6; i++ {
		out, err := wget("http://httpd.default.svc.cluster.local")
		if err != nil {
			t.Fatalf("httpd after the node failure: %v: %s", err, out)
		}
		if name := strings.TrimPrefix(out, "hello from "); pods[name] == "" {
			t.Fatalf("httpd after the node failure served by %q, not one of %v", out, pods)
		}
	}
}

func union(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
