package cni

import (
	"errors"
	"fmt"
	"net"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"

	"github.com/skiffrt/skiff/internal/netns"
)

// A DEL without a cached ADD (skiffd killed after the plugins ran ADD but
// before libcni cached its result) reaches the plugins without a
// prevResult, and the firewall plugin deletes its rules by the addresses
// in prevResult: with none, it deletes nothing and the pod's ACCEPT rules
// stay for good. While the pod's namespace is there, its interface still
// carries what ADD gave it, so Teardown reads the addresses back from it
// into a stand-in prevResult.

// resultFromNetNS returns a CNI result naming the global unicast addresses
// of interface ifName in the namespace at path, or nil if it has none (the
// ADD did not get that far, or a DEL already removed the interface).
func resultFromNetNS(path, ifName string) (*types100.Result, error) {
	var addrs []netlink.Addr
	err := netns.Do(path, func() error {
		link, err := netlink.LinkByName(ifName)
		if err != nil {
			if errors.As(err, new(netlink.LinkNotFoundError)) {
				return nil
			}
			return err
		}
		addrs, err = netlink.AddrList(link, netlink.FAMILY_ALL)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the addresses of %s in %s: %w", ifName, path, err)
	}
	res := &types100.Result{
		CNIVersion: types100.ImplementedSpecVersion,
		Interfaces: []*types100.Interface{{Name: ifName, Sandbox: path}},
	}
	for _, a := range addrs {
		if !a.IP.IsGlobalUnicast() {
			continue
		}
		res.IPs = append(res.IPs, &types100.IPConfig{
			Interface: types100.Int(0),
			Address:   net.IPNet{IP: a.IP, Mask: a.Mask},
		})
	}
	if len(res.IPs) == 0 {
		return nil, nil
	}
	return res, nil
}

// withPrevResult returns a copy of list in which every plugin gets prev as
// its prevResult, in the list's CNI version.
func withPrevResult(list *libcni.NetworkConfigList, prev types.Result) (*libcni.NetworkConfigList, error) {
	prev, err := prev.GetAsVersion(list.CNIVersion)
	if err != nil {
		return nil, err
	}
	out := *list
	out.Plugins = make([]*libcni.PluginConfig, len(list.Plugins))
	for i, p := range list.Plugins {
		if out.Plugins[i], err = libcni.InjectConf(p, map[string]any{"prevResult": prev}); err != nil {
			return nil, err
		}
	}
	return &out, nil
}
