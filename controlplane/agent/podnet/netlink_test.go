package podnet

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/skiffrt/skiff/internal/netns"
)

// TestKernel installs, lists and removes host-gw routes in a network
// namespace of the test's own, on a veth standing for the LAN.
func TestKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	ns, err := netns.New(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.Remove() })
	err = ns.Do(func() error {
		lan := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "lan0"}, PeerName: "lan1"}
		if err := netlink.LinkAdd(lan); err != nil {
			return err
		}
		if peer, err := netlink.LinkByName("lan1"); err == nil {
			_ = netlink.LinkSetUp(peer)
		}
		addr, _ := netlink.ParseAddr("192.168.77.1/24")
		if err := netlink.AddrAdd(lan, addr); err != nil {
			return err
		}
		if err := netlink.LinkSetUp(lan); err != nil {
			return err
		}
		// A route of someone else's, which a sync must leave alone.
		_, other, _ := net.ParseCIDR("10.99.9.0/24")
		if err := netlink.RouteAdd(&netlink.Route{Dst: other, Gw: net.ParseIP("192.168.77.9"), LinkIndex: lan.Attrs().Index}); err != nil {
			return err
		}
		k := Kernel{}
		if ok, err := k.OnLink(netip.MustParseAddr("192.168.77.2")); !ok {
			t.Errorf("a LAN address is not on link (%v)", err)
		}
		if ok, _ := k.OnLink(netip.MustParseAddr("172.16.0.5")); ok {
			t.Error("an address with no route is on link")
		}
		want := []Route{{Dst: netip.MustParsePrefix("10.99.1.0/24"), Via: netip.MustParseAddr("192.168.77.2")}}
		if err := Reconcile(context.Background(), k, want, map[Route]bool{}); err != nil {
			return err
		}
		got, err := k.Routes()
		if err != nil || len(got) != 1 || !same(got[0], want[0]) {
			t.Errorf("routes %v %v, want %v", got, err, want)
		}
		if err := Reconcile(context.Background(), k, nil, map[Route]bool{}); err != nil {
			return err
		}
		if got, _ := k.Routes(); len(got) != 0 {
			t.Errorf("routes left: %v", got)
		}
		all, _ := netlink.RouteList(nil, netlink.FAMILY_V4)
		kept := false
		for _, r := range all {
			kept = kept || (r.Dst != nil && r.Dst.String() == "10.99.9.0/24")
		}
		if !kept {
			t.Error("another's route was removed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIptables writes the NAT exemption in a namespace of the test's
// own and checks that a second write replaces the first.
func TestIptables(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("iptables-restore"); err != nil {
		t.Skip("no iptables-restore")
	}
	ns, err := netns.New(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.Remove() })
	own := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/24")}
	remote := []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParsePrefix("10.244.2.0/24")}
	err = ns.Do(func() error {
		for _, r := range [][]netip.Prefix{remote, remote[1:]} {
			if err := (Iptables{}).Exempt(own, r); err != nil {
				return err
			}
		}
		out, err := exec.Command("iptables", "-w", "-t", "nat", "-S").Output()
		if err != nil {
			return err
		}
		rules := string(out)
		for _, want := range []string{"-A POSTROUTING -m comment --comment \"skiff host-gw: no NAT between pod CIDRs\" -j SKIFF-HOSTGW",
			"-A SKIFF-HOSTGW -s 10.244.0.0/24 -d 10.244.2.0/24 -j ACCEPT"} {
			if !strings.Contains(rules, want) {
				t.Errorf("no %q in\n%s", want, rules)
			}
		}
		if strings.Contains(rules, "10.244.1.0/24") || strings.Count(rules, "-j SKIFF-HOSTGW") != 1 {
			t.Errorf("stale or doubled rules:\n%s", rules)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
