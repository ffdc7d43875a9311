package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
)

// Network is the CNI network both runtimes use: one conflist in a
// directory of its own, on a bridge and subnet of the benchmark's own.
// A CNI bridge outlives the daemons that made it, and two bridges on one
// subnet break routing, so the benchmark never uses skiff's default
// network (skiff0, 10.88.0.0/16) and deletes its bridge at the end.
type Network struct {
	Dir    string // holds the conflist
	Bridge string
	Subnet string
	ipam   string // host-local's data directory
}

// BenchBridge and BenchSubnet are the benchmark network's.
const (
	BenchBridge = "skiffbench0"
	BenchSubnet = "10.231.0.0/16"
)

// NewNetwork writes the conflist under dir. The plugins are those of
// skiff's default network: bridge (gateway, IP masquerade, hairpin) with
// host-local IPAM, portmap and firewall. It refuses to start when the
// subnet is routed through another interface.
func NewNetwork(dir string) (*Network, error) {
	n := &Network{Dir: filepath.Join(dir, "net.d"), Bridge: BenchBridge, Subnet: BenchSubnet, ipam: filepath.Join(dir, "ipam")}
	if err := n.checkSubnetFree(); err != nil {
		return nil, err
	}
	// A bridge left by an interrupted run is ours: start afresh.
	if err := n.Delete(); err != nil {
		return nil, err
	}
	list := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "skiff-bench",
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": n.Bridge, "isGateway": true, "ipMasq": true, "hairpinMode": true,
				"ipam": map[string]any{
					"type": "host-local", "dataDir": n.ipam,
					"ranges": [][]map[string]string{{{"subnet": n.Subnet}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true},
			map[string]any{"type": "firewall"},
		},
	}
	raw, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(n.Dir, 0o755); err != nil {
		return nil, err
	}
	return n, os.WriteFile(filepath.Join(n.Dir, "10-skiff-bench.conflist"), raw, 0o644)
}

// checkSubnetFree fails when a route into the subnet goes through an
// interface that is not the benchmark's bridge.
func (n *Network) checkSubnetFree() error {
	_, want, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		return err
	}
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	for _, r := range routes {
		if r.Dst == nil || !(want.Contains(r.Dst.IP) || r.Dst.Contains(want.IP)) || r.Dst.IP.IsUnspecified() {
			continue
		}
		link, err := netlink.LinkByIndex(r.LinkIndex)
		if err == nil && link.Attrs().Name == n.Bridge {
			continue
		}
		return fmt.Errorf("subnet %s is already routed (%s): the benchmark needs it for itself", n.Subnet, r.Dst)
	}
	return nil
}

// Delete removes the bridge and the IPAM data, if any.
func (n *Network) Delete() error {
	link, err := netlink.LinkByName(n.Bridge)
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound):
	case err != nil:
		return err
	default:
		if err := netlink.LinkDel(link); err != nil {
			return fmt.Errorf("delete bridge %s: %w", n.Bridge, err)
		}
	}
	return os.RemoveAll(n.ipam)
}
