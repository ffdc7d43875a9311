package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// inNS runs f on a thread in ns (processes f starts are in ns too); the
// thread is thrown away afterwards.
func inNS(ns netns.NsHandle, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	return <-errc
}

// newNS returns a new network namespace with lo up, closed at the end.
func newNS(t *testing.T) netns.NsHandle {
	t.Helper()
	hc := make(chan netns.NsHandle, 1)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the thread stays in the new namespace and ends with the goroutine
		ns, err := netns.New()
		if err == nil {
			var lo netlink.Link
			if lo, err = netlink.LinkByName("lo"); err == nil {
				err = netlink.LinkSetUp(lo)
			}
		}
		hc <- ns
		errc <- err
	}()
	ns, err := <-hc, <-errc
	if err != nil {
		t.Fatalf("new netns: %v", err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// link connects node and ep with a veth pair on 10.250.i.0/24 and
// fd00:250:i::/64: node has .1 and ::1, ep has .2 and ::2 and default
// routes through the node's. It returns ep's IPv4 address.
func link(t *testing.T, node, ep netns.NsHandle, i int) string {
	t.Helper()
	nodeIP, epIP := fmt.Sprintf("10.250.%d.1", i), fmt.Sprintf("10.250.%d.2", i)
	nodeIP6, epIP6 := fmt.Sprintf("fd00:250:%d::1", i), fmt.Sprintf("fd00:250:%d::2", i)
	err := inNS(node, func() error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("ep%d", i)}, PeerName: "eth0", PeerNamespace: netlink.NsFd(ep)}
		if err := netlink.LinkAdd(veth); err != nil {
			return err
		}
		if err := addIP(veth.Name, nodeIP6+"/64", ""); err != nil {
			return err
		}
		return addIP(veth.Name, nodeIP+"/24", "")
	})
	if err == nil {
		err = inNS(ep, func() error {
			if err := addIP("eth0", epIP6+"/64", nodeIP6); err != nil {
				return err
			}
			return addIP("eth0", epIP+"/24", nodeIP)
		})
	}
	if err != nil {
		t.Fatalf("veth %d: %v", i, err)
	}
	return epIP
}

// addIP adds ip, an address with its prefix length, to the link and
// sets it up, and adds a default route through gw unless it is "". No
// duplicate address detection (IPv6): the address is usable at once.
func addIP(name, ip, gw string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	addr, err := netlink.ParseAddr(ip)
	if err != nil {
		return err
	}
	addr.Flags = unix.IFA_F_NODAD
	if err := netlink.AddrAdd(l, addr); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return err
	}
	if gw == "" {
		return nil
	}
	return netlink.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Gw: net.ParseIP(gw)})
}

// serve answers every TCP connection on ns's :8080 with name, until the
// test ends.
func serve(t *testing.T, ns netns.NsHandle, name string) {
	t.Helper()
	serveTCP(t, ns, ":8080", func(net.Addr) string { return name })
}

// serveWho answers every TCP connection on ns's :8081 with name and the
// client's address, until the test ends.
func serveWho(t *testing.T, ns netns.NsHandle, name string) {
	t.Helper()
	serveTCP(t, ns, ":8081", func(client net.Addr) string {
		host, _, _ := net.SplitHostPort(client.String())
		return name + " " + host
	})
}

// serveTCP answers every TCP connection on ns's addr with the line
// answer gives for the client's address, until the test ends.
func serveTCP(t *testing.T, ns netns.NsHandle, addr string, answer func(client net.Addr) string) {
	t.Helper()
	var ln net.Listener
	if err := inNS(ns, func() (err error) { ln, err = net.Listen("tcp", addr); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintln(c, answer(c.RemoteAddr()))
			c.Close()
		}
	}()
}

// TestNetnsClusterIP applies a ruleset in a network namespace standing for
// a node, with three endpoints in namespaces of their own, and connects
// to the ClusterIP and the NodePort from the node: every endpoint
// answers, ClientIP affinity holds, a replaced UDP endpoint's conntrack
// entry is deleted, and a service without endpoints refuses the
// connection. Needs root and nft.
func TestNetnsClusterIP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, nftables)")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs nft (hack/install-deps.sh installs nftables)")
	}
	node := newNS(t)
	if err := inNS(node, func() error {
		if err := os.WriteFile("/proc/sys/net/ipv6/conf/all/forwarding", []byte("1"), 0o644); err != nil {
			return err
		}
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	svcs := &fakeServices{items: []*corev1.Service{
		service("web", "10.96.0.5", corev1.ProtocolTCP, 80, clientIPAffinity(60)),
		service("empty", "10.96.0.6", corev1.ProtocolTCP, 80),
		service("dns", "10.96.0.7", corev1.ProtocolUDP, 53),
		service("near", "10.96.0.8", corev1.ProtocolTCP, 80, internalLocal),
		service("ext", "10.96.0.9", corev1.ProtocolTCP, 80, externalIPs("192.0.2.10"), localPolicy),
		service("lb", "10.96.0.12", corev1.ProtocolTCP, 80, loadBalancer(30082, "192.0.2.20"), sourceRangesOpt("10.250.3.0/24")),
		service("six", "10.96.0.13", corev1.ProtocolTCP, 80, dualStack("fd00:96::13"), nodePort(30083)),
	}}
	var eps []ep
	var nss []netns.NsHandle // the endpoints' namespaces
	names := map[string]bool{}
	for i := 1; i <= 3; i++ {
		ns := newNS(t)
		ip := link(t, node, ns, i)
		serve(t, ns, ip)
		serveUDP(t, ns, ip)
		serveWho(t, ns, ip)
		eps = append(eps, ep{ip: ip})
		nss = append(nss, ns)
		names[ip] = true
	}
	// A node has a route to the service range (here its default route);
	// locally sent packets are routed before they are DNATed.
	if err := inNS(node, func() error {
		if err := netlink.RouteAdd(&netlink.Route{Gw: net.ParseIP("fd00:250:1::2")}); err != nil {
			return err
		}
		return netlink.RouteAdd(&netlink.Route{Gw: net.ParseIP(eps[0].ip)})
	}); err != nil {
		t.Fatal(err)
	}
	slcs := &fakeSlices{items: []*discoveryv1.EndpointSlice{
		slice("web", corev1.ProtocolTCP, 8080, eps...),
		slice("dns", corev1.ProtocolUDP, 5353, eps[0]),
		slice("near", corev1.ProtocolTCP, 8080, ep{ip: eps[0].ip, node: "n2"}, ep{ip: eps[1].ip, node: "n1"}),
		slice("ext", corev1.ProtocolTCP, 8081, ep{ip: eps[0].ip, node: "n1"}, ep{ip: eps[1].ip, node: "n2"}),
		slice("lb", corev1.ProtocolTCP, 8080, eps[1]),
		slice6("six", corev1.ProtocolTCP, 8080, ep{ip: "fd00:250:2::2"}, ep{ip: "fd00:250:3::2"}),
	}}

	var p *Proxier
	ctx := context.Background()
	sync := func() {
		t.Helper()
		if err := inNS(node, func() error {
			if p == nil {
				nft, err := NewNFTables()
				if err != nil {
					return err
				}
				p = New(nft, NetlinkConntrack{}, svcs, slcs, Config{NodeName: "n1", ClusterCIDRs: []netip.Prefix{cidr}})
			}
			_, err := p.Sync(ctx)
			return err
		}); err != nil {
			t.Fatalf("sync: %v", err)
		}
	}
	sync()
	t.Cleanup(func() {
		if err := inNS(node, func() error { return Cleanup(ctx, p.nft) }); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})

	// Without affinity, the three endpoints all answer within 60 tries.
	svcs.items[0] = service("web", "10.96.0.5", corev1.ProtocolTCP, 80, nodePort(30080))
	sync()
	seen := map[string]int{}
	for range 60 {
		seen[get(t, node, "10.96.0.5:80")]++
	}
	for name := range names {
		if seen[name] == 0 {
			t.Errorf("endpoint %s never answered: %v", name, seen)
		}
	}
	// internalTrafficPolicy Local: only the endpoint on this node.
	for range 10 {
		if got := get(t, node, "10.96.0.8:80"); got != eps[1].ip {
			t.Fatalf("internalTrafficPolicy Local: answer from %s, want %s", got, eps[1].ip)
		}
	}
	// An external IP with externalTrafficPolicy Local, from a client
	// outside the node: the local endpoint only, and it sees the client.
	for range 10 {
		if got, want := get(t, nss[2], "192.0.2.10:80"), eps[0].ip+" "+eps[2].ip; got != want {
			t.Fatalf("external IP, policy Local: answer %q, want %q", got, want)
		}
	}
	// A load balancer IP, from a client in loadBalancerSourceRanges; one
	// outside them is dropped.
	if got := get(t, nss[2], "192.0.2.20:80"); got != eps[1].ip {
		t.Errorf("load balancer IP: answer from %q", got)
	}
	var nerr net.Error
	if err := dial(nss[0], "192.0.2.20:80", time.Second); !errors.As(err, &nerr) || !nerr.Timeout() {
		t.Errorf("load balancer IP from outside loadBalancerSourceRanges: %v, want a timeout", err)
	}
	// IPv6: the ClusterIP and the NodePort reach the IPv6 endpoints only,
	// from the node and from outside it.
	for _, c := range []struct {
		ns   netns.NsHandle
		addr string
	}{{node, "[fd00:96::13]:80"}, {node, "[fd00:250:1::1]:30083"}, {nss[0], "[fd00:96::13]:80"}, {nss[0], "[fd00:250:1::1]:30083"}} {
		seen := map[string]bool{}
		for range 20 {
			seen[get(t, c.ns, c.addr)] = true
		}
		if len(seen) != 2 || !seen[eps[1].ip] || !seen[eps[2].ip] {
			t.Errorf("IPv6 %s: answers from %v, want %s and %s", c.addr, seen, eps[1].ip, eps[2].ip)
		}
	}
	// The NodePort, on the node's own address.
	if got := get(t, node, "10.250.2.1:30080"); !names[got] {
		t.Errorf("NodePort answered %q", got)
	}
	// UDP: the endpoint answers; when it is replaced, its conntrack
	// entry goes, so the next datagram from the same socket reaches
	// the new one.
	udp := dialUDP(t, node, "10.96.0.7:53")
	if got := exchange(t, udp); got != eps[0].ip {
		t.Fatalf("UDP answer from %q", got)
	}
	slcs.items[1] = slice("dns", corev1.ProtocolUDP, 5353, eps[1])
	sync()
	if got := exchange(t, udp); got != eps[1].ip {
		t.Errorf("UDP after the endpoint changed: answer from %q, want %s (stale conntrack entry?)", got, eps[1].ip)
	}
	// With ClientIP affinity, one client always gets one endpoint.
	svcs.items[0] = service("web", "10.96.0.5", corev1.ProtocolTCP, 80, clientIPAffinity(60))
	sync()
	first := get(t, node, "10.96.0.5:80")
	for range 10 {
		if got := get(t, node, "10.96.0.5:80"); got != first {
			t.Fatalf("affinity: answer from %s after %s", got, first)
		}
	}
	// Two endpoints removed: only the last one answers.
	slcs.items[0] = slice("web", corev1.ProtocolTCP, 8080, eps[2])
	svcs.items[0] = service("web", "10.96.0.5", corev1.ProtocolTCP, 80)
	sync()
	for range 10 {
		if got := get(t, node, "10.96.0.5:80"); got != eps[2].ip {
			t.Fatalf("answer from removed endpoint %s", got)
		}
	}
	// No endpoints: refused at once, not left to time out.
	err := dial(node, "10.96.0.6:80", 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("service without endpoints: %v, want connection refused", err)
	}
	// The table holds only the one table's objects the last sync wanted.
	var chains []string
	if err := inNS(node, func() (err error) { chains, err = p.nft.List(ctx, "chain"); return err }); err != nil {
		t.Fatal(err)
	}
	for _, c := range chains {
		if strings.HasPrefix(c, "ep-default/web/") && !strings.Contains(c, eps[2].ip) {
			t.Errorf("stale chain %s", c)
		}
	}
}

// dial connects to addr from ns and hangs up.
func dial(ns netns.NsHandle, addr string, timeout time.Duration) error {
	return inNS(ns, func() error {
		c, err := net.DialTimeout("tcp", addr, timeout)
		if err == nil {
			c.Close()
		}
		return err
	})
}

// get connects to addr from ns and returns the line the server sends.
func get(t *testing.T, ns netns.NsHandle, addr string) string {
	t.Helper()
	var line string
	err := inNS(ns, func() error {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		line, err = bufio.NewReader(c).ReadString('\n')
		return err
	})
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	return strings.TrimSpace(line)
}

// serveUDP answers every datagram on ns's :5353 with name.
func serveUDP(t *testing.T, ns netns.NsHandle, name string) {
	t.Helper()
	var pc net.PacketConn
	if err := inNS(ns, func() (err error) { pc, err = net.ListenPacket("udp", ":5353"); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 64)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(name), from)
		}
	}()
}

// dialUDP returns a UDP socket in ns connected to addr (one source port
// for all its datagrams, so one conntrack entry).
func dialUDP(t *testing.T, ns netns.NsHandle, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	if err := inNS(ns, func() (err error) { c, err = net.Dial("udp", addr); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// exchange sends a datagram on c and returns the answer ("" on timeout).
func exchange(t *testing.T, c net.Conn) string {
	t.Helper()
	if _, err := c.Write([]byte("?")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}
