package cni

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"unicode"
)

// Defaults for the fields of Config left empty.
const (
	DefaultConfDir     = "/etc/cni/net.d"
	DefaultNetworkName = "skiff"
	DefaultBridgeName  = "skiff0"
	// DefaultSubnet is a private range that does not collide with common
	// LANs or with Kubernetes' default service range (10.96.0.0/12).
	DefaultSubnet = "10.88.0.0/16"
	// IfName is the name of the pod's interface in its namespace.
	IfName = "eth0"
)

// DefaultBinDirs are searched in order for plugin binaries: Debian's
// package first, then the upstream location.
var DefaultBinDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// Config configures a Network. Zero fields take the defaults above.
type Config struct {
	ConfDir string   // network configs; default /etc/cni/net.d
	BinDirs []string // plugin binaries, searched in order
	// CacheDir is libcni's cache of ADDs, needed for DEL after a restart;
	// put it under skiffd's persistent root, e.g. <root>/cni/cache.
	CacheDir string

	// DefaultSubnet is the IPv4 (or IPv6) range of skiff's own default
	// network, used when ConfDir has no config and no pod CIDR is set.
	DefaultSubnet string
	// DefaultNetworkName names the default network (CNI network name,
	// host-local's lease directory, iptables chain hashes).
	DefaultNetworkName string
	// DefaultBridge is the default network's bridge; tests set a unique
	// name so as not to touch skiff0.
	DefaultBridge string
	// IPAMDataDir is host-local's dataDir for the default network; empty
	// keeps host-local's own default, /var/lib/cni/networks.
	IPAMDataDir string
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.ConfDir == "" {
		c.ConfDir = DefaultConfDir
	}
	if len(c.BinDirs) == 0 {
		c.BinDirs = DefaultBinDirs
	}
	if c.CacheDir == "" {
		return c, fmt.Errorf("CacheDir is required")
	}
	if c.DefaultSubnet == "" {
		c.DefaultSubnet = DefaultSubnet
	}
	if c.DefaultNetworkName == "" {
		c.DefaultNetworkName = DefaultNetworkName
	}
	if c.DefaultBridge == "" {
		c.DefaultBridge = DefaultBridgeName
	}
	if err := CheckSubnet(c.DefaultSubnet); err != nil {
		return c, fmt.Errorf("DefaultSubnet: %w", err)
	}
	if err := CheckBridgeName(c.DefaultBridge); err != nil {
		return c, fmt.Errorf("DefaultBridge: %w", err)
	}
	for _, p := range append([]string{c.ConfDir, c.CacheDir}, c.BinDirs...) {
		if !filepath.IsAbs(p) {
			return c, fmt.Errorf("path %q is not absolute", p)
		}
	}
	return c, nil
}

// parseCIDRs parses a comma-separated list of CIDRs (kubelet passes a
// dual-stack pod CIDR that way) into their canonical network form.
func parseCIDRs(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		_, ipn, err := net.ParseCIDR(f)
		if err != nil {
			return nil, err
		}
		out = append(out, ipn.String())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no CIDR in %q", s)
	}
	return out, nil
}

// maxIfName is the longest network interface name Linux takes (IFNAMSIZ
// less the terminating NUL).
const maxIfName = 15

// CheckBridgeName says why name cannot name the default network's bridge:
// it must be a name the kernel accepts for an interface (1 to 15 bytes,
// not "." or "..", no '/', ':' or white space).
func CheckBridgeName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty interface name")
	case len(name) > maxIfName:
		return fmt.Errorf("interface name %q is longer than %d bytes", name, maxIfName)
	case name == "." || name == "..":
		return fmt.Errorf("%q is not a valid interface name", name)
	case strings.ContainsFunc(name, func(r rune) bool { return r == '/' || r == ':' || unicode.IsSpace(r) }):
		return fmt.Errorf("interface name %q holds '/', ':' or white space", name)
	}
	return nil
}

// CheckSubnet says why s cannot be the default network's subnet: it must
// be a CIDR, or an IPv4 and an IPv6 CIDR separated by a comma for dual
// stack, each with room for the gateway and pods.
func CheckSubnet(s string) error {
	cidrs, err := parseCIDRs(s)
	if err != nil {
		return err
	}
	var v4, v6 int
	for _, c := range cidrs {
		_, ipn, _ := net.ParseCIDR(c)
		ones, bits := ipn.Mask.Size()
		if bits-ones < 2 {
			return fmt.Errorf("subnet %s is too small for a gateway and pods", c)
		}
		if bits == 32 {
			v4++
		} else {
			v6++
		}
	}
	if v4 > 1 || v6 > 1 {
		return fmt.Errorf("%q: want one CIDR, or one IPv4 and one IPv6 CIDR", s)
	}
	return nil
}
