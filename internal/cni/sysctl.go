package cni

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// procSys is where sysctls live; a variable for tests.
var procSys = "/proc/sys"

// EnsureForwarding sets the host sysctls skiff's default network needs:
//
//   - net.ipv4.ip_forward=1: pods' traffic to other hosts, and host ports
//     reached from other machines (DNAT then forward to the pod), are
//     routed by the host. Pod-to-pod on the bridge, pod-to-host and host
//     ports used from the host itself work without it.
//   - net.bridge.bridge-nf-call-iptables=1 (and -ip6tables), when
//     br_netfilter is present: traffic between pods on the bridge then
//     passes iptables, as Kubernetes Services (kube-proxy's DNAT) need.
//     skiff does not load the module.
//
// Not needed: net.ipv4.conf.all.route_localnet, since portmap with snat
// sets route_localnet on the bridge itself for 127.0.0.1 host ports; and
// IPv6 forwarding, which skiff leaves to the administrator because
// enabling it globally turns off router advertisements on the host's own
// interfaces.
func EnsureForwarding() error {
	if err := writeSysctl("net/ipv4/ip_forward", "1"); err != nil {
		return err
	}
	for _, k := range []string{"net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables"} {
		err := writeSysctl(k, "1")
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// writeSysctl sets key (slash-separated) to v unless it already has it.
func writeSysctl(key, v string) error {
	p := procSys + "/" + key
	cur, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("cni: sysctl %s: %w", strings.ReplaceAll(key, "/", "."), err)
	}
	if strings.TrimSpace(string(cur)) == v {
		return nil
	}
	if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
		return fmt.Errorf("cni: set sysctl %s=%s: %w", strings.ReplaceAll(key, "/", "."), v, err)
	}
	return nil
}
