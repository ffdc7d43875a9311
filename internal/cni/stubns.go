package cni

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"

	"github.com/skiffrt/skiff/internal/netns"
)

// The bridge and ptp plugins (up to at least v1.1.1, the version Debian
// ships) find the addresses whose masquerade rules they delete on the
// pod's interface: with the namespace gone, DEL releases the lease but
// leaves an iptables chain and a POSTROUTING rule behind for good. For
// such networks Teardown hands DEL a stand-in namespace holding a veth
// interface with the pod's cached addresses, so the plugins find them.

// stubSafe are the plugin types whose DEL only deletes or reads the
// interface in the namespace (or does not look at it): a stand-in is
// harmless to them. A list with another type (host-device, which would
// move the stand-in to the host, say) gets no stand-in.
var stubSafe = map[string]bool{
	"bridge": true, "ptp": true, "host-local": true, "static": true,
	"portmap": true, "firewall": true, "tuning": true, "bandwidth": true,
	"loopback": true, "macvlan": true, "ipvlan": true,
}

// needsStub reports whether DEL of list without a namespace would leave
// masquerade rules behind, and a stand-in namespace is safe.
func needsStub(list *libcni.NetworkConfigList) bool {
	masq := false
	for _, p := range list.Plugins {
		if !stubSafe[p.Network.Type] {
			return false
		}
		var c struct {
			IPMasq bool `json:"ipMasq"`
		}
		if (p.Network.Type == "bridge" || p.Network.Type == "ptp") && json.Unmarshal(p.Bytes, &c) == nil && c.IPMasq {
			masq = true
		}
	}
	return masq
}

// stubNetNS creates a stand-in namespace for the pod's cached ADD result,
// with a stand-in ifName carrying the pod's addresses, and returns its path
// and its removal. It returns "" if the cache has no addresses.
func (n *Network) stubNetNS(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) (string, func() error, error) {
	cached, err := n.cni.GetNetworkListCachedResult(list, rt)
	if err != nil || cached == nil {
		return "", nil, err
	}
	res, err := types100.NewResultFromResult(cached)
	if err != nil {
		return "", nil, err
	}
	var addrs []*net.IPNet
	for _, ip := range res.IPs {
		a := ip.Address
		addrs = append(addrs, &a)
	}
	if len(addrs) == 0 {
		return "", nil, nil
	}
	dir := filepath.Join(n.cfg.CacheDir, "stub-netns")
	pin := filepath.Join(dir, rt.ContainerID)
	if err := netns.Remove(pin); err != nil { // left by a crash
		return "", nil, err
	}
	ns, err := netns.NewNamed(ctx, dir, rt.ContainerID)
	if err != nil {
		return "", nil, err
	}
	err = ns.Do(func() error {
		// A veth pair rather than a dummy: every kernel that runs the
		// bridge plugin has veth; not every one has the dummy module.
		stand := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: rt.IfName}, PeerName: "stubpeer"}
		if err := netlink.LinkAdd(stand); err != nil {
			return fmt.Errorf("add stand-in %s: %w", rt.IfName, err)
		}
		for _, a := range addrs {
			if err := netlink.AddrAdd(stand, &netlink.Addr{IPNet: a}); err != nil {
				return fmt.Errorf("add address %s: %w", a, err)
			}
		}
		return nil
	})
	if err != nil {
		return "", nil, errors.Join(err, ns.Remove())
	}
	return ns.Path(), ns.Remove, nil
}
