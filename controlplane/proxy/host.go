package proxy

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/skiffrt/skiff/internal/cni"
	"github.com/skiffrt/skiff/internal/log"
)

// procSys is where sysctls are read and written.
const procSys = "/proc/sys"

// PrepareHost sets the sysctls the ruleset needs, and logs each it
// changes: net.ipv4.ip_forward (with bridge-nf-call-iptables where
// br_netfilter is loaded) to forward DNATed traffic to pods, and
// net.ipv6.conf.all.forwarding when the pods have IPv6 addresses, and
// net.ipv4.conf.all.route_localnet when NodePorts listen on loopback
// addresses (DNAT from 127.0.0.1 to a pod needs it).
func PrepareHost(ctx context.Context, cfg Config) error {
	if sysctl("net/ipv4/ip_forward") != "1" {
		log.G(ctx).Info("proxy: enabling net.ipv4.ip_forward, to forward service traffic to pods")
		if err := cni.EnsureForwarding(); err != nil {
			return fmt.Errorf("proxy: %w", err)
		}
	}
	if hasIPv6(cfg.ClusterCIDRs) && sysctl("net/ipv6/conf/all/forwarding") != "1" {
		log.G(ctx).Info("proxy: enabling net.ipv6.conf.all.forwarding, to forward IPv6 service traffic to pods")
		if err := os.WriteFile(procSys+"/net/ipv6/conf/all/forwarding", []byte("1"), 0o644); err != nil {
			return fmt.Errorf("proxy: set net.ipv6.conf.all.forwarding=1: %w", err)
		}
	}
	if !loopbackNodePorts(cfg) || sysctl("net/ipv4/conf/all/route_localnet") == "1" {
		return nil
	}
	log.G(ctx).Info("proxy: enabling net.ipv4.conf.all.route_localnet, for NodePorts on loopback addresses")
	if err := os.WriteFile(procSys+"/net/ipv4/conf/all/route_localnet", []byte("1"), 0o644); err != nil {
		return fmt.Errorf("proxy: set net.ipv4.conf.all.route_localnet=1: %w", err)
	}
	return nil
}

func hasIPv6(ps []netip.Prefix) bool {
	return len(ipv6.of(ps)) > 0
}

func loopbackNodePorts(cfg Config) bool {
	for _, p := range cfg.NodePortAddresses {
		if p.Addr().IsLoopback() || p.Contains(loopback) {
			return true
		}
	}
	return false
}

func sysctl(key string) string {
	b, _ := os.ReadFile(procSys + "/" + key)
	return strings.TrimSpace(string(b))
}
