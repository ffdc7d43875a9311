package cni

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
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
	if _, err := parseCIDRs(c.DefaultSubnet); err != nil {
		return c, fmt.Errorf("DefaultSubnet: %w", err)
	}
	if len(c.DefaultBridge) > 15 || strings.ContainsAny(c.DefaultBridge, "/ ") {
		return c, fmt.Errorf("DefaultBridge %q is not a valid interface name", c.DefaultBridge)
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
