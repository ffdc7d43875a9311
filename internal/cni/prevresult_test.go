package cni

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// TestWithPrevResult: every plugin of the list gets the result, in the
// list's version, and the list itself is left as it was.
func TestWithPrevResult(t *testing.T) {
	list, err := libcni.NetworkConfFromBytes([]byte(`{"cniVersion":"0.4.0","name":"n","plugins":[{"type":"bridge"},{"type":"firewall"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, addr, _ := net.ParseCIDR("10.1.2.3/16")
	addr.IP = net.IPv4(10, 1, 2, 3)
	prev := &types100.Result{
		CNIVersion: types100.ImplementedSpecVersion,
		Interfaces: []*types100.Interface{{Name: "eth0", Sandbox: "/run/netns/x"}},
		IPs:        []*types100.IPConfig{{Interface: types100.Int(0), Address: *addr}},
	}
	got, err := withPrevResult(list, prev)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range got.Plugins {
		var c struct {
			PrevResult struct {
				CNIVersion string `json:"cniVersion"`
				IPs        []struct {
					Address string `json:"address"`
				} `json:"ips"`
			} `json:"prevResult"`
		}
		if err := json.Unmarshal(p.Bytes, &c); err != nil {
			t.Fatal(err)
		}
		if c.PrevResult.CNIVersion != "0.4.0" || len(c.PrevResult.IPs) != 1 || c.PrevResult.IPs[0].Address != "10.1.2.3/16" {
			t.Errorf("plugin %d: prevResult %+v; want 10.1.2.3/16 in version 0.4.0", i, c.PrevResult)
		}
		if strings.Contains(string(list.Plugins[i].Bytes), "prevResult") {
			t.Errorf("plugin %d of the original list changed: %s", i, list.Plugins[i].Bytes)
		}
	}
}
