package hostbridge

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/vishvananda/netlink"

	"github.com/skiffrt/skiff/internal/cni"
)

var harnesses = map[string]Bridge{"E2E": E2E, "ControlPlane": ControlPlane, "Critest": Critest, "Kubelet": Kubelet, "Bench": Bench}

// reserved are ranges no harness may use: skiffd's default, Kubernetes'
// services, the control plane's cluster CIDR, internal/cni's tests.
var reserved = []string{cni.DefaultSubnet, "10.96.0.0/12", "10.244.0.0/16", "10.199.0.0/16"}

func overlap(a, b string) bool {
	_, x, _ := net.ParseCIDR(a)
	_, y, _ := net.ParseCIDR(b)
	return x.Contains(y.IP) || y.Contains(x.IP)
}

func TestHarnessNetworksAreDistinct(t *testing.T) {
	for name, b := range harnesses {
		if err := cni.CheckBridgeName(b.Name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := cni.CheckSubnet(b.Subnet); err != nil || strings.Contains(b.Subnet, ":") {
			t.Errorf("%s: subnet %q: %v (want one IPv4 CIDR)", name, b.Subnet, err)
			continue
		}
		if b.Name == cni.DefaultBridgeName {
			t.Errorf("%s uses skiffd's default bridge", name)
		}
		for _, r := range reserved {
			if overlap(b.Subnet, r) {
				t.Errorf("%s: subnet %s overlaps reserved %s", name, b.Subnet, r)
			}
		}
		for other, ob := range harnesses {
			if other < name && (ob.Name == b.Name || overlap(ob.Subnet, b.Subnet)) {
				t.Errorf("%s (%v) and %s (%v) share a bridge or subnet", name, b, other, ob)
			}
		}
	}
}

func TestSkiffdNetTOML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "with \"quotes\" and spaces")
	n, err := E2E.ForSkiffd(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(n.ConfDir); err != nil || !fi.IsDir() {
		t.Fatalf("conf dir not created: %v", err)
	}
	var got struct {
		CNI map[string]string `toml:"cni"`
	}
	if _, err := toml.Decode(n.TOML(), &got); err != nil {
		t.Fatalf("decode %q: %v", n.TOML(), err)
	}
	want := map[string]string{"conf_dir": dir + "/net.d", "ipam_data_dir": dir + "/ipam", "default_bridge": "skiffe2e0", "default_subnet": "10.232.0.0/16"}
	for k, v := range want {
		if got.CNI[k] != v {
			t.Errorf("%s = %q, want %q", k, got.CNI[k], v)
		}
	}
	if n.Leases() != dir+"/ipam/skiff" {
		t.Errorf("leases in %s", n.Leases())
	}
}

// addLink creates an interface that is up, with addr, deleted when the
// test ends.
func addLink(t *testing.T, link netlink.Link, addr string) {
	t.Helper()
	if err := netlink.LinkAdd(link); err != nil {
		t.Fatalf("add %s: %v", link.Attrs().Name, err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(link.Attrs().Name); err == nil {
			netlink.LinkDel(l)
		}
	})
	a, err := netlink.ParseAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.AddrAdd(link, a); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		t.Fatal(err)
	}
}

func exists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

// TestClaimAndDelete runs on the host's network: a leftover bridge of
// the harness's name is deleted, a subnet routed elsewhere is refused,
// and an interface of the name that is no bridge (a veth) is left alone.
func TestClaimAndDelete(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	b := Bridge{Name: fmt.Sprintf("hbt%d", os.Getpid()%100000), Subnet: "10.239.254.0/24"}
	other := fmt.Sprintf("hbo%d", os.Getpid()%100000)
	if err := b.checkSubnetFree(); err != nil {
		t.Skipf("test subnet in use on this host: %v", err)
	}

	addLink(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: b.Name}}, "10.239.254.1/24")
	if err := b.Claim(); err != nil {
		t.Fatalf("Claim with a leftover bridge of its own: %v", err)
	}
	if exists(b.Name) {
		t.Error("Claim left the leftover bridge")
	}
	if err := b.Delete(); err != nil {
		t.Errorf("Delete of a missing bridge: %v", err)
	}

	addLink(t, &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: other}, PeerName: other + "p"}, "10.239.254.129/25")
	if err := b.Claim(); err == nil || !strings.Contains(err.Error(), other) {
		t.Errorf("Claim of a subnet routed through %s = %v, want an error naming it", other, err)
	}

	notBridge := Bridge{Name: other, Subnet: "10.239.253.0/24"}
	if err := notBridge.Delete(); err == nil || !exists(other) {
		t.Errorf("Delete of a veth = %v (still there: %v), want an error and no deletion", err, exists(other))
	}
}
