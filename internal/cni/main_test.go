package cni

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// hostPortChains are portmap's shared chains, which it creates on first
// use and never removes.
var hostPortChains = []string{"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"}

// TestMain removes portmap's and firewall's shared chains afterwards if
// the tests created them and left them with no rules of anyone's pods.
func TestMain(m *testing.M) {
	root := os.Geteuid() == 0
	hostPorts := !root || exec.Command("iptables", "-t", "nat", "-S", "CNI-HOSTPORT-DNAT").Run() == nil
	firewall := !root || exec.Command("iptables", "-t", "filter", "-S", "CNI-ADMIN").Run() == nil
	code := m.Run()
	if !hostPorts {
		removeHostPortChains()
	}
	if !firewall {
		removeFirewallChains()
	}
	os.Exit(code)
}

func removeFirewallChains() {
	fwd, err := exec.Command("iptables", "-t", "filter", "-S", "CNI-FORWARD").Output()
	admin, err2 := exec.Command("iptables", "-t", "filter", "-S", "CNI-ADMIN").Output()
	if err != nil || err2 != nil || strings.Count(string(fwd), "\n") > 2 || strings.Count(string(admin), "\n") > 1 {
		return // gone, or holds someone's pods or an admin's rules
	}
	_ = exec.Command("iptables", "-t", "filter", "-D", "FORWARD", "-m", "comment", "--comment", "CNI firewall plugin rules", "-j", "CNI-FORWARD").Run()
	for _, c := range []string{"CNI-FORWARD", "CNI-ADMIN"} {
		_ = exec.Command("iptables", "-t", "filter", "-F", c).Run()
		_ = exec.Command("iptables", "-t", "filter", "-X", c).Run()
	}
}

func removeHostPortChains() {
	out, err := exec.Command("iptables", "-t", "nat", "-S", "CNI-HOSTPORT-DNAT").Output()
	if err != nil || strings.Count(string(out), "\n") > 1 {
		return // gone, or holds someone's host ports
	}
	for _, jump := range [][]string{
		{"PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"},
		{"OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT"},
		{"POSTROUTING", "-m", "comment", "--comment", "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ"},
	} {
		_ = exec.Command("iptables", append([]string{"-t", "nat", "-D"}, jump...)...).Run()
	}
	for _, c := range hostPortChains {
		_ = exec.Command("iptables", "-t", "nat", "-F", c).Run()
		_ = exec.Command("iptables", "-t", "nat", "-X", c).Run()
	}
}
