package cni

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/skiffrt/skiff/internal/netns"
)

// requireNet skips tests that need root and the Debian CNI plugins.
func requireNet(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, p := range defaultPlugins {
		if _, err := os.Stat(filepath.Join("/usr/lib/cni", p)); err != nil {
			t.Skipf("needs CNI plugin %s in /usr/lib/cni", p)
		}
	}
	if _, err := exec.LookPath("iptables-save"); err != nil {
		t.Skip("needs iptables")
	}
}

var envSeq atomic.Int32

// testEnv is a default network of its own: a unique bridge, subnet and
// network name, and private conf, cache and lease directories.
type testEnv struct {
	cfg    Config
	bridge string
	subnet *net.IPNet
	gw     net.IP
	nsDir  string
}

// newEnv returns an env whose bridge is deleted when the test ends.
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	seq := int(envSeq.Add(1))
	pid := os.Getpid()
	dir := t.TempDir()
	e := &testEnv{
		bridge: fmt.Sprintf("skt%d_%d", pid%1000, seq),
		nsDir:  filepath.Join(dir, "netns"),
	}
	third := (pid*7 + seq*13) % 250
	_, e.subnet, _ = net.ParseCIDR(fmt.Sprintf("10.199.%d.0/24", third))
	e.gw = net.IPv4(10, 199, byte(third), 1).To4()
	e.cfg = Config{
		ConfDir:            filepath.Join(dir, "net.d"),
		BinDirs:            []string{"/usr/lib/cni"},
		CacheDir:           filepath.Join(dir, "cache"),
		DefaultSubnet:      e.subnet.String(),
		DefaultNetworkName: fmt.Sprintf("skiff-test-%d-%d", pid, seq),
		DefaultBridge:      e.bridge,
		IPAMDataDir:        filepath.Join(dir, "ipam"),
	}
	if err := os.MkdirAll(e.cfg.ConfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(e.bridge); err == nil {
			if err := netlink.LinkDel(l); err != nil {
				t.Errorf("delete bridge %s: %v", e.bridge, err)
			}
		}
	})
	return e
}

func (e *testEnv) network(t *testing.T) *Network {
	t.Helper()
	n, err := New(e.cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

// newPod creates a namespace for a pod, removed when the test ends.
func (e *testEnv) newPod(t *testing.T, name string) Pod {
	t.Helper()
	ns, err := netns.New(context.Background(), e.nsDir)
	if err != nil {
		t.Fatalf("netns.New: %v", err)
	}
	t.Cleanup(func() {
		if err := ns.Remove(); err != nil {
			t.Errorf("remove netns: %v", err)
		}
	})
	return Pod{
		ID: randomID(t), NetNS: ns.Path(), Name: name, Namespace: "default",
		UID: "uid-" + name,
	}
}

func randomID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	f, err := os.Open("/dev/urandom")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// serve runs a TCP server in the pod's namespace on port that answers
// each connection with reply.
func serve(t *testing.T, p Pod, port int, reply string) {
	t.Helper()
	var ln net.Listener
	err := netns.Do(p.NetNS, func() error {
		var err error
		ln, err = net.Listen("tcp", fmt.Sprintf(":%d", port))
		return err
	})
	if err != nil {
		t.Fatalf("listen in pod %s: %v", p.Name, err)
	}
	t.Cleanup(func() { ln.Close() })
	go acceptLoop(ln, reply)
}

func acceptLoop(ln net.Listener, reply string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		fmt.Fprintln(c, reply)
		c.Close()
	}
}

// fetch connects to addr and returns the server's line.
func fetch(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// fetchFrom is fetch from inside the pod's namespace.
func fetchFrom(p Pod, addr string) (string, error) {
	var got string
	err := netns.Do(p.NetNS, func() error {
		var err error
		got, err = fetch(addr)
		return err
	})
	return got, err
}

// freePort returns a TCP port free on the host right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// iptablesLines returns the iptables-save lines (both backends) that
// belong to the env's network: rules naming it or its subnet, and the
// chains those rules jump to. Other CNI users of the host (a skiffd
// under test, say) do not disturb the count.
func (e *testEnv) iptablesLines(t *testing.T) []string {
	t.Helper()
	prefix := strings.TrimSuffix(e.subnet.IP.String(), "0")
	name := fmt.Sprintf("%q", e.cfg.DefaultNetworkName)
	name = strings.ReplaceAll(name, `"`, `\"`)
	var lines []string
	for _, cmd := range []string{"iptables-save", "iptables-legacy-save"} {
		out, err := exec.Command(cmd).Output()
		if err != nil {
			continue
		}
		all := strings.Split(string(out), "\n")
		chains := map[string]bool{}
		for _, l := range all {
			if strings.Contains(l, prefix) || strings.Contains(l, name) {
				lines = append(lines, cmd+": "+l)
				if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[len(f)-1], "CNI-") {
					chains[f[len(f)-1]] = true
				}
			}
		}
		for _, l := range all {
			if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(l, ":") && chains[strings.TrimPrefix(f[0], ":")] {
				lines = append(lines, cmd+": "+l)
			}
		}
	}
	return lines
}

// vethsOn counts the host interfaces enslaved to bridge.
func vethsOn(t *testing.T, bridge string) int {
	t.Helper()
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return 0
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index {
			n++
		}
	}
	return n
}
