package daemon

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/skiffrt/skiff/internal/testutil/hostbridge"
)

// Network is the CNI network both runtimes use: one conflist in a
// directory of its own, on the benchmark's own bridge and subnet
// (hostbridge.Bench). A CNI bridge outlives the daemons that made it, and
// two bridges on one subnet break routing, so the benchmark never uses
// skiff's default network (skiff0, 10.88.0.0/16) and deletes its bridge
// at the end.
type Network struct {
	Dir    string // holds the conflist
	Bridge string
	Subnet string
	ipam   string // host-local's data directory
}

// NewNetwork writes the conflist under dir. The plugins are those of
// skiff's default network: bridge (gateway, IP masquerade, hairpin) with
// host-local IPAM, portmap and firewall. It refuses to start when the
// subnet is routed through another interface, and deletes a bridge left
// by an interrupted run.
func NewNetwork(dir string) (*Network, error) {
	b := hostbridge.Bench
	n := &Network{Dir: filepath.Join(dir, "net.d"), Bridge: b.Name, Subnet: b.Subnet, ipam: filepath.Join(dir, "ipam")}
	if err := b.Claim(); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(n.ipam); err != nil {
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

// Delete removes the bridge and the IPAM data, if any.
func (n *Network) Delete() error {
	if err := (hostbridge.Bridge{Name: n.Bridge, Subnet: n.Subnet}).Delete(); err != nil {
		return err
	}
	return os.RemoveAll(n.ipam)
}
