package nodeipam

import (
	"errors"
	"net/netip"
	"testing"
)

func mustSet(t *testing.T, cluster string, bits int) *CIDRSet {
	t.Helper()
	s, err := NewCIDRSet(netip.MustParsePrefix(cluster), bits)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewCIDRSetRejects(t *testing.T) {
	tests := []struct {
		name    string
		cluster string
		bits    int
	}{
		{"node mask shorter than the cluster's", "10.244.0.0/16", 15},
		{"longer than an address", "10.244.0.0/16", 33},
		{"too many node CIDRs", "10.0.0.0/8", 25},
		{"too many IPv6 node CIDRs", "fd00::/48", 65},
	}
	for _, tc := range tests {
		if _, err := NewCIDRSet(netip.MustParsePrefix(tc.cluster), tc.bits); err == nil {
			t.Errorf("%s: accepted %s /%d", tc.name, tc.cluster, tc.bits)
		}
	}
}

func TestAllocateInOrderUntilFull(t *testing.T) {
	s := mustSet(t, "10.244.0.0/22", 24)
	var got []string
	for range 4 {
		p, err := s.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.String())
	}
	want := []string{"10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allocated %v, want %v", got, want)
		}
	}
	if _, err := s.Allocate(); !errors.Is(err, ErrFull) {
		t.Fatalf("fifth allocation: %v, want ErrFull", err)
	}
	if err := s.Release(netip.MustParsePrefix("10.244.1.0/24")); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Allocate(); err != nil || p.String() != "10.244.1.0/24" {
		t.Fatalf("after a release: %v %v", p, err)
	}
}

func TestFreedCIDRReusedLast(t *testing.T) {
	s := mustSet(t, "10.244.0.0/16", 24)
	a, _ := s.Allocate()
	b, _ := s.Allocate()
	_ = s.Release(a)
	c, _ := s.Allocate()
	if c == a || c == b || c.String() != "10.244.2.0/24" {
		t.Fatalf("after releasing %s got %s, want the next never used", a, c)
	}
}

func TestOccupy(t *testing.T) {
	s := mustSet(t, "10.244.0.0/16", 24)
	if free, err := s.Occupy(netip.MustParsePrefix("10.244.0.0/24")); err != nil || !free {
		t.Fatalf("occupy: %v %v", free, err)
	}
	if free, _ := s.Occupy(netip.MustParsePrefix("10.244.0.0/24")); free {
		t.Error("occupied twice: reported free")
	}
	// A /23 covers two node CIDRs; a /25 is held by one.
	if _, err := s.Occupy(netip.MustParsePrefix("10.244.2.0/23")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Occupy(netip.MustParsePrefix("10.244.1.128/25")); err != nil {
		t.Fatal(err)
	}
	if s.Free() != 256-4 {
		t.Errorf("free %d, want 252", s.Free())
	}
	if p, _ := s.Allocate(); p.String() != "10.244.4.0/24" {
		t.Errorf("allocated %s, want 10.244.4.0/24", p)
	}
	for _, out := range []string{"10.245.0.0/24", "10.0.0.0/8", "fd00::/64"} {
		if _, err := s.Occupy(netip.MustParsePrefix(out)); err == nil {
			t.Errorf("occupied %s outside the cluster CIDR", out)
		}
	}
}

func TestIPv6(t *testing.T) {
	s := mustSet(t, "fd00:10:244::/56", 64)
	a, _ := s.Allocate()
	b, _ := s.Allocate()
	if a.String() != "fd00:10:244::/64" || b.String() != "fd00:10:244:1::/64" {
		t.Fatalf("allocated %s %s", a, b)
	}
	if s.Free() != 254 {
		t.Errorf("free %d", s.Free())
	}
	if free, _ := s.Occupy(netip.MustParsePrefix("fd00:10:244:ff::/64")); !free {
		t.Error("last node CIDR not free")
	}
}
