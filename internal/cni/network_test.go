package cni

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/netns"
)

func setup(t *testing.T, n *Network, p Pod) *Result {
	t.Helper()
	res, err := n.Setup(context.Background(), p)
	if err != nil {
		t.Fatalf("Setup %s: %v", p.Name, err)
	}
	t.Cleanup(func() { _ = n.Teardown(context.Background(), p) })
	return res
}

// TestPodNetworking runs two pods on the default network: addresses,
// pod to pod, pod to host, host ports, and a double Teardown.
func TestPodNetworking(t *testing.T) {
	requireNet(t)
	e := newEnv(t)
	n := e.network(t)
	if err := n.Status(); err != nil {
		t.Fatalf("Status: %v", err)
	}
	a, b := e.newPod(t, "a"), e.newPod(t, "b")
	hostLocal, hostAll := freePort(t), freePort(t)
	a.PortMappings = []*runtime.PortMapping{
		{Protocol: runtime.Protocol_TCP, ContainerPort: 8080, HostPort: int32(hostLocal), HostIp: "127.0.0.1"},
		{Protocol: runtime.Protocol_TCP, ContainerPort: 8080, HostPort: int32(hostAll)},
	}
	ra, rb := setup(t, n, a), setup(t, n, b)

	for _, r := range []*Result{ra, rb} {
		if len(r.IPs) != 1 || !e.subnet.Contains(r.IPs[0]) {
			t.Fatalf("IPs %v, want one in %s", r.IPs, e.subnet)
		}
		if r.Interface != IfName || len(r.Gateways) != 1 || !r.Gateways[0].Equal(e.gw) {
			t.Errorf("result %+v, want interface %s gateway %s", r, IfName, e.gw)
		}
	}
	if ra.IPs[0].Equal(rb.IPs[0]) {
		t.Fatalf("both pods got %s", ra.IPs[0])
	}

	serve(t, a, 8080, "pod-a")
	host, err := net.Listen("tcp", net.JoinHostPort(e.gw.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	go acceptLoop(host, "host")

	tests := []struct {
		name string
		from *Pod // nil: the host
		addr string
		want string
	}{
		{"pod to pod", &b, net.JoinHostPort(ra.IPs[0].String(), "8080"), "pod-a"},
		{"pod to host gateway", &b, host.Addr().String(), "host"},
		{"host to pod", nil, net.JoinHostPort(ra.IPs[0].String(), "8080"), "pod-a"},
		{"host port on 127.0.0.1", nil, fmt.Sprintf("127.0.0.1:%d", hostLocal), "pod-a"},
		{"host port on bridge IP", nil, fmt.Sprintf("%s:%d", e.gw, hostAll), "pod-a"},
		{"hairpin to own host port", &a, fmt.Sprintf("%s:%d", e.gw, hostAll), "pod-a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			var err error
			if tc.from == nil {
				got, err = fetch(tc.addr)
			} else {
				got, err = fetchFrom(*tc.from, tc.addr)
			}
			if err != nil || got != tc.want {
				t.Fatalf("fetch %s = %q, %v; want %q", tc.addr, got, err, tc.want)
			}
		})
	}

	for i := range 2 {
		if err := n.Teardown(context.Background(), a); err != nil {
			t.Fatalf("Teardown #%d: %v", i+1, err)
		}
	}
	if _, err := fetch(fmt.Sprintf("127.0.0.1:%d", hostLocal)); err == nil {
		t.Error("host port still answers after Teardown")
	}
}

// TestTeardownAfterRestart: a new Network on the same cache deletes the
// pod with the config of its ADD although the conf dir changed since.
func TestTeardownAfterRestart(t *testing.T) {
	requireNet(t)
	e := newEnv(t)
	before := e.iptablesLines(t)
	p := e.newPod(t, "restart")
	p.PortMappings = []*runtime.PortMapping{{ContainerPort: 80, HostPort: int32(freePort(t))}}
	res := setup(t, e.network(t), p)
	if len(e.iptablesLines(t)) <= len(before) {
		t.Fatal("Setup added no iptables rule that the test sees")
	}

	// The admin installs another network; a "restarted" skiffd uses it.
	writeFile(t, filepath.Join(e.cfg.ConfDir, "10-other.conflist"),
		`{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"loopback"}]}`)
	n2 := e.network(t)
	if err := n2.Teardown(context.Background(), p); err != nil {
		t.Fatalf("Teardown after restart: %v", err)
	}
	assertReleased(t, e, res.IPs[0])
	if vethsOn(t, e.bridge) != 0 {
		t.Error("veth left on the bridge")
	}
	assertSameRules(t, before, e.iptablesLines(t))
}

// TestTeardownNetNSGone: the pod's namespace was removed before Teardown.
func TestTeardownNetNSGone(t *testing.T) {
	requireNet(t)
	e := newEnv(t)
	n := e.network(t)
	before := e.iptablesLines(t)
	p := e.newPod(t, "gone")
	p.PortMappings = []*runtime.PortMapping{{ContainerPort: 80, HostPort: int32(freePort(t))}}
	res := setup(t, n, p)
	if len(e.iptablesLines(t)) <= len(before) {
		t.Fatal("Setup added no iptables rule that the test sees")
	}
	if err := netns.Remove(p.NetNS); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := n.Teardown(context.Background(), p); err != nil {
			t.Fatalf("Teardown #%d: %v", i+1, err)
		}
	}
	assertReleased(t, e, res.IPs[0])
	assertSameRules(t, before, e.iptablesLines(t))
}

// TestTeardownWithoutCachedAdd: skiffd was killed after the plugins had
// run ADD but before libcni cached its result, so DEL runs with the
// current config and no prevResult. The firewall plugin deletes its rules
// by the addresses of prevResult; they must not be left behind.
func TestTeardownWithoutCachedAdd(t *testing.T) {
	requireNet(t)
	e := newEnv(t)
	before := e.iptablesLines(t)
	p := e.newPod(t, "uncached")
	res := setup(t, e.network(t), p)

	lost := *e
	lost.cfg.CacheDir = t.TempDir()
	if err := lost.network(t).Teardown(context.Background(), p); err != nil {
		t.Fatalf("Teardown without a cached ADD: %v", err)
	}
	assertReleased(t, e, res.IPs[0])
	if vethsOn(t, e.bridge) != 0 {
		t.Error("veth left on the bridge")
	}
	assertSameRules(t, before, e.iptablesLines(t))
}

// TestCyclesLeakNothing: many Setup/Teardown cycles leave no lease, veth
// or iptables rule behind.
func TestCyclesLeakNothing(t *testing.T) {
	requireNet(t)
	e := newEnv(t)
	n := e.network(t)
	ctx := context.Background()
	// A first pod creates the bridge and the shared host-port chains.
	warm := e.newPod(t, "warm")
	warm.PortMappings = []*runtime.PortMapping{{ContainerPort: 80, HostPort: int32(freePort(t))}}
	setup(t, n, warm)
	if err := n.Teardown(ctx, warm); err != nil {
		t.Fatal(err)
	}
	before := e.iptablesLines(t)

	p := e.newPod(t, "cycle")
	p.PortMappings = []*runtime.PortMapping{{ContainerPort: 80, HostPort: int32(freePort(t)), Protocol: runtime.Protocol_UDP}}
	for i := range 50 {
		if _, err := n.Setup(ctx, p); err != nil {
			t.Fatalf("cycle %d: Setup: %v", i, err)
		}
		if err := n.Teardown(ctx, p); err != nil {
			t.Fatalf("cycle %d: Teardown: %v", i, err)
		}
	}
	if v := vethsOn(t, e.bridge); v != 0 {
		t.Errorf("%d veths left on %s", v, e.bridge)
	}
	if leases := leaseFiles(t, e); len(leases) != 0 {
		t.Errorf("leases left: %v", leases)
	}
	assertSameRules(t, before, e.iptablesLines(t))
}

// TestSetupTwice: a second Setup of an attached pod is refused and does
// not undo the first.
func TestSetupTwice(t *testing.T) {
	requireNet(t)
	e := newEnv(t)
	n := e.network(t)
	p := e.newPod(t, "twice")
	res := setup(t, n, p)
	if _, err := n.Setup(context.Background(), p); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Fatalf("second Setup: %v, want ErrAlreadyExists", err)
	}
	host, err := net.Listen("tcp", net.JoinHostPort(e.gw.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	go acceptLoop(host, "host")
	if got, err := fetchFrom(p, host.Addr().String()); err != nil || got != "host" {
		t.Fatalf("pod %s lost its network: %q %v", res.IPs[0], got, err)
	}
}

// TestPodCIDRChangeReplacesBridgeAddress: the bridge keeps the gateway of
// an earlier subnet after its pods are gone (it outlives skiffd too); a
// pod on the new pod CIDR still starts, and the bridge moves to the new
// gateway.
func TestPodCIDRChangeReplacesBridgeAddress(t *testing.T) {
	requireNet(t)
	e := newEnv(t)
	n := e.network(t)
	old := e.newPod(t, "old")
	if _, err := n.Setup(context.Background(), old); err != nil {
		t.Fatalf("Setup on the default subnet: %v", err)
	}
	if err := n.Teardown(context.Background(), old); err != nil {
		t.Fatalf("Teardown: %v", err)
	}

	third := e.subnet.IP.To4()[2]
	cidr := fmt.Sprintf("10.198.%d.0/24", third)
	gw := net.IPv4(10, 198, third, 1).To4()
	if err := n.SetPodCIDR(cidr); err != nil {
		t.Fatal(err)
	}
	p := e.newPod(t, "new")
	res := setup(t, n, p)
	if len(res.IPs) != 1 || !strings.HasPrefix(res.IPs[0].String(), fmt.Sprintf("10.198.%d.", third)) {
		t.Fatalf("IPs %v, want one in %s", res.IPs, cidr)
	}
	br, err := netlink.LinkByName(e.bridge)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := netlink.AddrList(br, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 1 || !addrs[0].IP.Equal(gw) {
		t.Fatalf("bridge addresses %v, want only %s", addrs, gw)
	}
	host, err := net.Listen("tcp", net.JoinHostPort(gw.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	go acceptLoop(host, "host")
	if got, err := fetchFrom(p, host.Addr().String()); err != nil || got != "host" {
		t.Fatalf("pod %s cannot reach the new gateway: %q %v", res.IPs[0], got, err)
	}
}

// TestSetupFailureRollsBack: a plugin failing after bridge and IPAM
// succeeded leaves no lease or veth behind, and the error names it.
func TestSetupFailureRollsBack(t *testing.T) {
	requireNet(t)
	e := newEnv(t)
	bin := t.TempDir()
	writeFile(t, filepath.Join(bin, "failer"), `#!/bin/sh
[ "$CNI_COMMAND" = ADD ] || exit 0
echo '{"cniVersion":"1.0.0","code":11,"msg":"injected failure"}'
exit 1
`)
	if err := os.Chmod(filepath.Join(bin, "failer"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.cfg.BinDirs = []string{bin, "/usr/lib/cni"}
	conf := fmt.Sprintf(`{"cniVersion":"1.0.0","name":%q,"plugins":[
		{"type":"bridge","bridge":%q,"isGateway":true,"ipam":{"type":"host-local","subnet":%q,"dataDir":%q}},
		{"type":"failer"}]}`,
		e.cfg.DefaultNetworkName, e.bridge, e.subnet, e.cfg.IPAMDataDir)
	writeFile(t, filepath.Join(e.cfg.ConfDir, "10-net.conflist"), conf)
	n := e.network(t)
	p := e.newPod(t, "fail")
	_, err := n.Setup(context.Background(), p)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), `"failer"`) {
		t.Fatalf("Setup: %v, want ErrUnavailable naming the plugin", err)
	}
	if leases := leaseFiles(t, e); len(leases) != 0 {
		t.Errorf("leases left after failed Setup: %v", leases)
	}
	if v := vethsOn(t, e.bridge); v != 0 {
		t.Errorf("%d veths left after failed Setup", v)
	}
}

// TestSetupRejectsBadPorts: bad port mappings fail before any plugin.
func TestSetupRejectsBadPorts(t *testing.T) {
	tests := []struct {
		name string
		pm   *runtime.PortMapping
	}{
		{"container port 0", &runtime.PortMapping{HostPort: 80}},
		{"host port too big", &runtime.PortMapping{HostPort: 70000, ContainerPort: 80}},
		{"bad host IP", &runtime.PortMapping{HostPort: 80, ContainerPort: 80, HostIp: "localhost"}},
		{"bad protocol", &runtime.PortMapping{HostPort: 80, ContainerPort: 80, Protocol: 9}},
	}
	n, err := New(Config{CacheDir: t.TempDir(), ConfDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Pod{ID: "x", NetNS: "/nonexistent", PortMappings: []*runtime.PortMapping{tc.pm}}
			if _, err := n.Setup(context.Background(), p); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("Setup: %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func assertReleased(t *testing.T, e *testEnv, ip net.IP) {
	t.Helper()
	for _, l := range leaseFiles(t, e) {
		if l == ip.String() {
			t.Errorf("lease for %s not released", ip)
		}
	}
}

// leaseFiles lists host-local's leases of the env's network.
func leaseFiles(t *testing.T, e *testEnv) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(e.cfg.IPAMDataDir, e.cfg.DefaultNetworkName))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, de := range ents {
		if net.ParseIP(de.Name()) != nil {
			out = append(out, de.Name())
		}
	}
	return out
}

func assertSameRules(t *testing.T, before, after []string) {
	t.Helper()
	seen := map[string]int{}
	for _, l := range before {
		seen[l]++
	}
	for _, l := range after {
		if seen[l]--; seen[l] < 0 {
			t.Errorf("iptables line left behind: %s", l)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentPods: pods set up and torn down in parallel get distinct
// addresses and leave nothing behind.
func TestConcurrentPods(t *testing.T) {
	requireNet(t)
	e := newEnv(t)
	n := e.network(t)
	pods := make([]Pod, 8)
	for i := range pods {
		pods[i] = e.newPod(t, fmt.Sprintf("c%d", i))
	}
	ips := make([]string, len(pods))
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(pods))
	for i, p := range pods {
		wg.Go(func() {
			res, err := n.Setup(context.Background(), p)
			if err != nil {
				errs <- err
				return
			}
			ips[i] = res.IPs[0].String()
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ip := range ips {
		if ip != "" && seen[ip] {
			t.Errorf("address %s given twice", ip)
		}
		seen[ip] = true
	}
	for _, p := range pods {
		wg.Go(func() {
			if err := n.Teardown(context.Background(), p); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if leases := leaseFiles(t, e); len(leases) != 0 {
		t.Errorf("leases left: %v", leases)
	}
}
