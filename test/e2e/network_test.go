//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// httpdScript serves "hello from <name>" on port.
func httpdScript(name string, port int) string {
	return fmt.Sprintf("mkdir -p /tmp/www && echo hello from %s > /tmp/www/index.html && exec httpd -f -p %d -h /tmp/www", name, port)
}

func (d *daemon) podIP(t *testing.T, pod string) string {
	t.Helper()
	resp, err := d.runtime.PodSandboxStatus(ctxT(t), &runtime.PodSandboxStatusRequest{PodSandboxId: pod})
	if err != nil {
		t.Fatal(err)
	}
	if net.ParseIP(resp.Status.Network.GetIp()) == nil {
		t.Fatalf("pod %s has no IP: %+v", pod, resp.Status.Network)
	}
	return resp.Status.Network.Ip
}

// wget fetches url from inside container ctr, retrying while the server
// starts.
func (d *daemon) wget(t *testing.T, ctr, url string) string {
	t.Helper()
	var last string
	for range 50 {
		res, err := d.execSync(t, ctr, 5, "wget", "-q", "-T", "2", "-O", "-", url)
		if err == nil && res.ExitCode == 0 {
			return string(res.Stdout)
		}
		last = fmt.Sprintf("%v %s", err, res.GetStderr())
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("wget %s from %s: %s", url, ctr, last)
	return ""
}

func TestPodsTalkOverTheNetwork(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	cfgA, cfgB := podConfig(t, "net-a"), podConfig(t, "net-b")
	a, b := d.runPod(t, cfgA), d.runPod(t, cfgB)
	defer d.removePod(t, a)
	defer d.removePod(t, b)
	d.runContainer(t, a, cfgA, "web", httpdScript("a", 8080))
	client := d.runContainer(t, b, cfgB, "client", "exec sleep 1000")
	ipA, ipB := d.podIP(t, a), d.podIP(t, b)
	if ipA == ipB {
		t.Fatalf("two pods share IP %s", ipA)
	}
	// They are on the tests' own network, never on skiff0.
	_, subnet, _ := net.ParseCIDR(hostNet.Bridge.Subnet)
	if !subnet.Contains(net.ParseIP(ipA)) {
		t.Errorf("pod IP %s is not in the tests' subnet %s", ipA, subnet)
	}
	if _, err := net.InterfaceByName(hostNet.Bridge.Name); err != nil {
		t.Errorf("the tests' bridge: %v", err)
	}
	if got := d.wget(t, client, "http://"+ipA+":8080/"); got != "hello from a\n" {
		t.Errorf("pod b got %q from pod a", got)
	}
	// The pod reaches the host: a server on the pod network's gateway,
	// the host's side of the bridge.
	gw := gateway(t, ipB)
	ln, err := net.Listen("tcp", net.JoinHostPort(gw, "0"))
	if err != nil {
		t.Fatalf("listen on the bridge address %s: %v", gw, err)
	}
	defer ln.Close()
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello from the host\n") }))
	if got := d.wget(t, client, "http://"+ln.Addr().String()+"/"); got != "hello from the host\n" {
		t.Errorf("pod got %q from the host", got)
	}
}

// gateway is the host's address on the bridge the pod with ip is on.
func gateway(t *testing.T, ip string) string {
	t.Helper()
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.Contains(net.ParseIP(ip)) {
				return n.IP.String()
			}
		}
	}
	t.Fatalf("no host interface on the network of %s", ip)
	return ""
}

func TestHostPortReachesContainer(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	_, port, _ := net.SplitHostPort(freeLoopbackAddr(t))
	var hostPort int32
	fmt.Sscan(port, &hostPort)
	cfg := podConfig(t, "hostport")
	cfg.PortMappings = []*runtime.PortMapping{{Protocol: runtime.Protocol_TCP, ContainerPort: 80, HostPort: hostPort, HostIp: "127.0.0.1"}}
	pod := d.runPod(t, cfg)
	defer d.removePod(t, pod)
	d.runContainer(t, pod, cfg, "web", httpdScript("the pod", 80))
	url := fmt.Sprintf("http://127.0.0.1:%d/", hostPort)
	var body string
	for range 50 {
		if resp, err := http.Get(url); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if body != "hello from the pod\n" {
		t.Errorf("GET %s = %q", url, body)
	}
}

// netCounts are the host's traces of pod networking.
type netCounts struct {
	Leases, Veths, CNIChains, PodRules, NetNS int
}

func networkResources(t *testing.T, d *daemon) netCounts {
	t.Helper()
	var c netCounts
	leases, _ := filepath.Glob(filepath.Join(hostNet.Leases(), "*"))
	for _, l := range leases {
		if b := filepath.Base(l); b != "lock" && !strings.HasPrefix(b, "last_reserved_ip") {
			c.Leases++
		}
	}
	out, _ := exec.Command("ip", "-o", "link", "show", "type", "veth").Output()
	c.Veths = strings.Count(string(out), "\n")
	rules, _ := exec.Command("iptables-save").Output()
	c.CNIChains = strings.Count(string(rules), ":CNI-")
	c.PodRules = podRules(string(rules))
	c.NetNS = countEntries(filepath.Join(d.dir, "run", "netns"))
	return c
}

// podRules counts the rules of an iptables-save dump that name an address
// of the tests' pod subnet: each pod's masquerade and firewall rules.
func podRules(dump string) int {
	_, subnet, err := net.ParseCIDR(hostNet.Bridge.Subnet)
	if err != nil {
		panic(err)
	}
	n := 0
	for _, line := range strings.Split(dump, "\n") {
		for _, f := range strings.Fields(line) {
			ip, _, err := net.ParseCIDR(f)
			if err != nil {
				ip = net.ParseIP(f)
			}
			if ip != nil && subnet.Contains(ip) {
				n++
				break
			}
		}
	}
	return n
}

func TestFiftyPodsLeakNothing(t *testing.T) {
	d := startDaemon(t)
	before := networkResources(t, d)
	ips := map[string]bool{}
	for i := range 50 {
		cfg := podConfig(t, fmt.Sprint("many", i))
		if i%5 == 0 {
			cfg.PortMappings = []*runtime.PortMapping{{Protocol: runtime.Protocol_TCP, ContainerPort: 80, HostPort: int32(20000 + i), HostIp: "127.0.0.1"}}
		}
		pod := d.runPod(t, cfg)
		ip := d.podIP(t, pod)
		if i == 0 && networkResources(t, d) == before {
			t.Fatal("a pod leaves no trace in the counted resources: the test counts nothing")
		}
		ips[ip] = true
		d.removePod(t, pod)
	}
	if after := networkResources(t, d); after != before {
		t.Errorf("leaked: before %+v, after %+v", before, after)
	}
	if len(ips) < 2 {
		t.Errorf("50 pods got %d distinct IPs", len(ips))
	}
}

func TestRestartBetweenAddAndDel(t *testing.T) {
	d := startDaemon(t)
	before := networkResources(t, d)
	cfg := podConfig(t, "restart-net")
	cfg.PortMappings = []*runtime.PortMapping{{Protocol: runtime.Protocol_TCP, ContainerPort: 80, HostPort: 20999, HostIp: "127.0.0.1"}}
	pod := d.runPod(t, cfg)
	d.signal(syscall.SIGKILL, 5*time.Second)
	d = startDaemonIn(t, d.dir, daemonArgs)
	d.removePod(t, pod)
	if after := networkResources(t, d); after != before {
		t.Errorf("leaked across a restart: before %+v, after %+v", before, after)
	}
	if _, err := os.Stat(filepath.Join(d.dir, "run", "netns", pod)); !os.IsNotExist(err) {
		t.Errorf("netns pin left: %v", err)
	}
}
