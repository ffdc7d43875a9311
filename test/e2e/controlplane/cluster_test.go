//go:build e2e

package controlplane

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/testutil/cluster"
)

// fastFailover are the options of a cluster that notices a failed node
// within seconds: a 10 s --node-monitor-grace-period, pods evicted 5 s
// after their node's taint. The agents then renew their Lease every 2 s
// (--node-lease-duration=8s), five heartbeats per grace period: with
// the default 10 s a heartbeat only just late marks a live node
// unreachable, and the scheduler avoids it.
func fastFailover(t *testing.T) cluster.Options {
	return cluster.Options{Bin: binDir(t),
		ServerFlags: []string{"--node-monitor-grace-period=10s",
			"--default-unreachable-toleration-seconds=5", "--default-not-ready-toleration-seconds=5"},
		AgentFlags: []string{"--node-lease-duration=8s"},
	}
}

// clusterKubectl is bin/kubectl as the admin of a cluster.Cluster.
type clusterKubectl struct {
	t               *testing.T
	bin, kubeconfig string
}

func newClusterKubectl(t *testing.T, c *cluster.Cluster) *clusterKubectl {
	return &clusterKubectl{t: t, bin: filepath.Join(binDir(t), "kubectl"), kubeconfig: c.Kubeconfig}
}

// run runs kubectl for a minute at most and returns its output, stdout
// and stderr together, trimmed.
func (kc *clusterKubectl) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kc.bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kc.kubeconfig)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// k runs kubectl and fails the test on error.
func (kc *clusterKubectl) k(args ...string) string {
	kc.t.Helper()
	out, err := kc.run(args...)
	if err != nil {
		kc.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestCluster runs three simulated nodes (internal/testutil/cluster):
// each gets its own pod CIDR; a pod on node 1 reaches a pod on node 2 by
// its pod IP and is seen there under its own IP (host-gw, no NAT); when
// node 3's agent and skiffd die, the node goes NotReady and its pods of a
// Deployment come back on the others.
func TestCluster(t *testing.T) {
	c := cluster.Start(t, 3, fastFailover(t))
	k := newClusterKubectl(t, c).k

	cidrs := k("get", "nodes", "-o", "jsonpath={range .items[*]}{.spec.podCIDR} {end}")
	seen := map[string]bool{}
	for _, cidr := range strings.Fields(cidrs) {
		seen[cidr] = true
	}
	if len(seen) != 3 {
		t.Fatalf("pod CIDRs %q: want three distinct", cidrs)
	}

	// Pod to pod across nodes: the CGI reports the caller's address.
	server := `mkdir -p /www/cgi-bin && printf '#!/bin/sh\necho Content-Type: text/plain\necho\necho $REMOTE_ADDR\n' >/www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 8080 -h /www`
	for i := 1; i <= 2; i++ {
		manifest := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p%d"},"spec":{"nodeName":%q,
"containers":[{"name":"c","image":"busybox","command":["sh","-c",%q]}]}}`, i, c.NodeName(i), server)
		f := t.TempDir() + "/pod.json"
		if err := os.WriteFile(f, []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		k("apply", "-f", f)
	}
	ips := map[string]string{}
	for _, p := range []string{"p1", "p2"} {
		eventually(t, 90*time.Second, p+" running", func() (bool, string) {
			out := k("get", "pod", p, "-o", "jsonpath={.status.phase} {.status.podIP}")
			f := strings.Fields(out)
			if len(f) == 2 && f[0] == "Running" {
				ips[p] = f[1]
				return true, out
			}
			return false, out
		})
	}
	got := k("exec", "p1", "--", "wget", "-qO-", "-T", "5", "http://"+ips["p2"]+":8080/cgi-bin/ip")
	if strings.Trim(got, "[]") != ips["p1"] && strings.Trim(got, "[]") != "::ffff:"+ips["p1"] {
		t.Errorf("p2 saw p1 (%s) as %q: NATed", ips["p1"], got)
	}

	// A node fails: its Deployment pods come back on the others.
	k("create", "deployment", "web", "--image=busybox", "--replicas=3", "--", "sleep", "3600")
	eventually(t, 120*time.Second, "web spread over the nodes", func() (bool, string) {
		out := k("get", "pods", "-l", "app=web", "--field-selector=status.phase=Running", "-o", "jsonpath={range .items[*]}{.spec.nodeName} {end}")
		return len(strings.Fields(out)) == 3, out
	})
	victim := 3
	onVictim := k("get", "pods", "-l", "app=web", "--field-selector=spec.nodeName="+c.NodeName(victim), "-o", "name")
	if onVictim == "" {
		victim = 1
	}
	killed := time.Now()
	c.Kill(victim)
	eventually(t, 60*time.Second, "node NotReady", func() (bool, string) {
		out := k("get", "node", c.NodeName(victim), "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		return out == "Unknown", out
	})
	t.Logf("node %s NotReady %s after the kill", c.NodeName(victim), time.Since(killed).Round(time.Second))
	eventually(t, 90*time.Second, "web back to 3 running pods off the dead node", func() (bool, string) {
		out := k("get", "pods", "-l", "app=web", "-o", `jsonpath={range .items[*]}{.spec.nodeName}/{.status.phase}/{.metadata.deletionTimestamp} {end}`)
		n := 0
		for _, f := range strings.Fields(out) {
			parts := strings.Split(f, "/")
			if parts[0] != c.NodeName(victim) && parts[1] == "Running" && parts[2] == "" {
				n++
			}
		}
		return n == 3, out
	})
	t.Logf("web back to 3 pods %s after the kill", time.Since(killed).Round(time.Second))
	taints := k("get", "node", c.NodeName(victim), "-o", "jsonpath={.spec.taints[*].key}")
	if !strings.Contains(taints, "node.kubernetes.io/unreachable") {
		t.Errorf("dead node's taints %q", taints)
	}
}
