package main

import (
	"errors"
	"net/netip"
	"testing"
)

func TestDNSAddress(t *testing.T) {
	lan := func() (string, error) { return "192.168.1.20", nil }
	noRoute := func() (string, error) { return "", errors.New("network is unreachable") }
	tests := []struct {
		name      string
		self      string
		outbound  func() (string, error)
		flag      string
		listen    string // what the listener binds
		bound     string // what it got (port 0 picked)
		published string
		loopback  bool
	}{
		{name: "advertised LAN address", self: "192.168.252.1", outbound: lan, flag: ":53",
			listen: "192.168.252.1:53", bound: "192.168.252.1:53", published: "192.168.252.1:53"},
		{name: "API on loopback: the default route's address", self: "127.0.0.1", outbound: lan, flag: ":53",
			listen: "192.168.1.20:53", bound: "192.168.1.20:53", published: "192.168.1.20:53"},
		{name: "API on loopback, no default route: loopback, flagged", self: "127.0.0.1", outbound: noRoute, flag: ":53",
			listen: "127.0.0.1:53", bound: "127.0.0.1:53", published: "127.0.0.1:53", loopback: true},
		{name: "every address, API on loopback: the default route's published", self: "127.0.0.1", outbound: lan, flag: "0.0.0.0:53",
			listen: "0.0.0.0:53", bound: "0.0.0.0:53", published: "192.168.1.20:53"},
		{name: "every address: the advertised one published", self: "10.0.0.5", outbound: lan, flag: "[::]:5353",
			listen: "[::]:5353", bound: "[::]:5353", published: "10.0.0.5:5353"},
		{name: "loopback asked for: kept, flagged", self: "192.168.252.1", outbound: lan, flag: "127.0.0.1:0",
			listen: "127.0.0.1:0", bound: "127.0.0.1:40053", published: "127.0.0.1:40053", loopback: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host := dnsHost(netip.MustParseAddr(tc.self), tc.outbound)
			listen, err := dnsListenAddress(tc.flag, host)
			if err != nil || listen != tc.listen {
				t.Fatalf("listen on %q, %v; want %q", listen, err, tc.listen)
			}
			published, loopback := dnsPublished(netip.MustParseAddrPort(tc.bound), host)
			if published.String() != tc.published || loopback != tc.loopback {
				t.Errorf("published %s (loopback %v), want %s (%v)", published, loopback, tc.published, tc.loopback)
			}
		})
	}
	if _, err := dnsListenAddress("53", netip.MustParseAddr("10.0.0.5")); err == nil {
		t.Error("--dns-address 53 accepted")
	}
}
