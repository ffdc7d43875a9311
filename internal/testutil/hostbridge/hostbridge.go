package hostbridge

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
	"github.com/vishvananda/netlink"

	"github.com/skiffrt/skiff/internal/cni"
)

// Bridge is a bridge name and the IPv4 subnet of its network. The plugin
// creates the bridge on the first pod; the harness owns it from Claim to
// Delete.
type Bridge struct {
	Name   string
	Subnet string
}

// The harnesses' networks. They differ from each other and stay clear of
// 10.88.0.0/16 (skiffd's default, and containerd's and podman's), of
// Kubernetes' service range 10.96.0.0/12, of the control plane's cluster
// CIDR 10.244.0.0/16 and of internal/cni's tests (10.199.0.0/16).
var (
	E2E          = Bridge{Name: "skiffe2e0", Subnet: "10.232.0.0/16"}     // test/e2e
	ControlPlane = Bridge{Name: "skiffcp0", Subnet: "10.234.0.0/16"}      // test/e2e/controlplane
	Critest      = Bridge{Name: "skiffcri0", Subnet: "10.236.0.0/16"}     // test/critest
	Kubelet      = Bridge{Name: "skiffkubelet0", Subnet: "10.238.0.0/16"} // test/kubelet
	Bench        = Bridge{Name: "skiffbench0", Subnet: "10.231.0.0/16"}   // test/bench
)

// Claim readies the host for b: it fails when the subnet is routed through
// an interface other than the bridge, and then deletes a bridge of b's
// name left by an earlier run.
func (b Bridge) Claim() error {
	if err := b.checkSubnetFree(); err != nil {
		return err
	}
	return b.Delete()
}

// checkSubnetFree fails when a route into the subnet (or a route that
// the subnet falls in, but the default route) goes through an interface
// that is not the bridge.
func (b Bridge) checkSubnetFree() error {
	_, want, err := net.ParseCIDR(b.Subnet)
	if err != nil {
		return err
	}
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() || !(want.Contains(r.Dst.IP) || r.Dst.Contains(want.IP)) {
			continue
		}
		name := fmt.Sprintf("interface %d", r.LinkIndex)
		if link, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
			name = link.Attrs().Name
		}
		if name == b.Name {
			continue
		}
		return fmt.Errorf("subnet %s of test bridge %s is already routed through %s (%s): remove that network, or run where the subnet is free", b.Subnet, b.Name, name, r.Dst)
	}
	return nil
}

// Delete removes the bridge; a missing one is not an error. An interface
// of that name that is not a bridge is left alone, and an error.
func (b Bridge) Delete() error {
	link, err := netlink.LinkByName(b.Name)
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound):
		return nil
	case err != nil:
		return fmt.Errorf("look up bridge %s: %w", b.Name, err)
	case link.Type() != "bridge":
		return fmt.Errorf("%s is a %s, not a test bridge: left alone", b.Name, link.Type())
	}
	if err := netlink.LinkDel(link); err != nil {
		return fmt.Errorf("delete bridge %s: %w", b.Name, err)
	}
	return nil
}

// SkiffdNet is what a harness's skiffd uses for its default network.
type SkiffdNet struct {
	Bridge  Bridge
	ConfDir string // empty, so that skiffd uses its default network
	IPAMDir string // host-local's data directory
}

// ForSkiffd lays out a skiffd network on b under dir: an empty CNI config
// directory dir/net.d (created here) and host-local's leases in dir/ipam.
func (b Bridge) ForSkiffd(dir string) (SkiffdNet, error) {
	n := SkiffdNet{Bridge: b, ConfDir: filepath.Join(dir, "net.d"), IPAMDir: filepath.Join(dir, "ipam")}
	return n, os.MkdirAll(n.ConfDir, 0o755)
}

// TOML is the [cni] section of a skiff.toml that puts skiffd's default
// network on n.
func (n SkiffdNet) TOML() string {
	var buf bytes.Buffer
	cniTable := map[string]string{
		"conf_dir":       n.ConfDir,
		"ipam_data_dir":  n.IPAMDir,
		"default_bridge": n.Bridge.Name,
		"default_subnet": n.Bridge.Subnet,
	}
	if err := toml.NewEncoder(&buf).Encode(map[string]any{"cni": cniTable}); err != nil {
		panic(err) // a map of strings always encodes
	}
	return buf.String()
}

// Leases is the directory of host-local's leases on skiffd's default
// network.
func (n SkiffdNet) Leases() string { return filepath.Join(n.IPAMDir, cni.DefaultNetworkName) }
