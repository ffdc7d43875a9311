package podnet

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// NATChain is the chain of the nat table that exempts traffic between
// pod CIDRs from masquerading.
const NATChain = "SKIFF-HOSTGW"

// NAT keeps traffic from this node's pods to other nodes' pods free of
// masquerading. The runtime's default network masquerades whatever
// leaves the node's own pod CIDR (so that pods reach the LAN and the
// internet); host-gw routes the pod CIDRs, so pods on other nodes must
// see the pod's own address.
type NAT interface {
	// Exempt makes traffic from own to each of remote leave unchanged.
	Exempt(own []netip.Prefix, remote []netip.Prefix) error
}

// Iptables is NAT through iptables-restore, in the nat table the CNI
// bridge plugin's masquerade rules live in: a jump to NATChain heads
// POSTROUTING, and NATChain accepts (ends the nat table's walk for)
// pod-to-pod traffic, as flannel and kubenet do.
type Iptables struct{}

// Exempt rewrites NATChain for each IP family in use.
func (Iptables) Exempt(own []netip.Prefix, remote []netip.Prefix) error {
	var errs []error
	for _, v4 := range []bool{true, false} {
		var rules []string
		for _, o := range own {
			for _, r := range remote {
				if o.Addr().Is4() == v4 && r.Addr().Is4() == v4 {
					rules = append(rules, fmt.Sprintf("-A %s -s %s -d %s -j ACCEPT", NATChain, o, r))
				}
			}
		}
		if len(rules) == 0 && !hasFamily(own, v4) {
			continue
		}
		errs = append(errs, restore(v4, rules))
	}
	return errors.Join(errs...)
}

func hasFamily(ps []netip.Prefix, v4 bool) bool {
	for _, p := range ps {
		if p.Addr().Is4() == v4 {
			return true
		}
	}
	return false
}

// restore writes NATChain (declaring it flushes it) and makes sure
// POSTROUTING jumps to it first.
func restore(v4 bool, rules []string) error {
	bin := "ip6tables"
	if v4 {
		bin = "iptables"
	}
	in := "*nat\n:" + NATChain + " - [0:0]\n" + strings.Join(append(rules, "COMMIT"), "\n") + "\n"
	if err := run(bin+"-restore", strings.NewReader(in), "-w", "--noflush"); err != nil {
		return err
	}
	jump := []string{"-w", "-t", "nat", "-C", "POSTROUTING", "-m", "comment", "--comment", "skiff host-gw: no NAT between pod CIDRs", "-j", NATChain}
	if run(bin, nil, jump...) == nil {
		return nil
	}
	jump[3] = "-I"
	return run(bin, nil, append(jump[:5:5], append([]string{"1"}, jump[5:]...)...)...)
}

func run(bin string, stdin *strings.Reader, args ...string) error {
	cmd := exec.Command(bin, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
