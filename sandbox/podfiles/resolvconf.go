package podfiles

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// HostResolvConf is the node's resolver configuration, copied for pods
// that come without a DNSConfig.
const HostResolvConf = "/etc/resolv.conf"

// Limits of the Kubernetes API's pod DNS validation (MaxDNSNameservers,
// MaxDNSSearchPaths, MaxDNSSearchListChars), which kubelet also applies
// when it builds a DNSConfig from the node's resolv.conf: what glibc
// reads. Kubelet never sends more; another client that does is refused
// rather than silently truncated.
const (
	maxServers     = 3
	maxSearches    = 32
	maxSearchChars = 2048
	maxDomain      = 253
)

// WriteResolvConf writes <dir>/resolv.conf from dns, or copies the node's
// /etc/resolv.conf if dns is nil, as containerd and cri-o do. A non-nil
// but empty dns gives an empty file.
func WriteResolvConf(dir string, dns *runtime.DNSConfig) error {
	return WriteResolvConfFrom(dir, dns, HostResolvConf)
}

// WriteResolvConfFrom is WriteResolvConf with the node's file at hostPath
// (kubelet's --resolv-conf, say). A missing host file gives an empty
// resolv.conf: the resolver then asks the pod's own localhost.
func WriteResolvConfFrom(dir string, dns *runtime.DNSConfig, hostPath string) error {
	if dns == nil {
		data, err := os.ReadFile(hostPath)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("podfiles: read host resolv.conf: %w", err)
		}
		return writeFile(dir, ResolvConfFile, data)
	}
	data, err := formatResolvConf(dns)
	if err != nil {
		return err
	}
	return writeFile(dir, ResolvConfFile, data)
}

// formatResolvConf checks dns and renders it in containerd's order:
// search, nameserver lines, options.
func formatResolvConf(dns *runtime.DNSConfig) ([]byte, error) {
	servers, searches, options := dns.GetServers(), dns.GetSearches(), dns.GetOptions()
	if err := checkDNS(servers, searches, options); err != nil {
		return nil, err
	}
	var b strings.Builder
	if len(searches) > 0 {
		b.WriteString("search " + strings.Join(searches, " ") + "\n")
	}
	for _, s := range servers {
		b.WriteString("nameserver " + s + "\n")
	}
	if len(options) > 0 {
		b.WriteString("options " + strings.Join(options, " ") + "\n")
	}
	return []byte(b.String()), nil
}

func checkDNS(servers, searches, options []string) error {
	bad := func(field string, i int, v, why string) error {
		return fmt.Errorf("podfiles: dns_config.%s[%d]: %q %s: %w", field, i, v, why, errdefs.ErrInvalidArgument)
	}
	if len(servers) > maxServers {
		return fmt.Errorf("podfiles: dns_config.servers: %d servers, at most %d: %w", len(servers), maxServers, errdefs.ErrInvalidArgument)
	}
	for i, s := range servers {
		if _, err := netip.ParseAddr(s); err != nil {
			return bad("servers", i, s, "is not an IP address")
		}
	}
	if len(searches) > maxSearches {
		return fmt.Errorf("podfiles: dns_config.searches: %d domains, at most %d: %w", len(searches), maxSearches, errdefs.ErrInvalidArgument)
	}
	if n := len(strings.Join(searches, " ")); n > maxSearchChars {
		return fmt.Errorf("podfiles: dns_config.searches: %d characters, at most %d: %w", n, maxSearchChars, errdefs.ErrInvalidArgument)
	}
	for i, s := range searches {
		if why := checkSearch(s); why != "" {
			return bad("searches", i, s, why)
		}
	}
	for i, o := range options {
		if o == "" || strings.ContainsFunc(o, isSpaceOrControl) {
			return bad("options", i, o, "is empty or contains white space or control characters")
		}
	}
	return nil
}

// checkSearch accepts a domain name of letters, digits, '-', '_' and '.'
// (Kubernetes accepts '_' and a lone "." since its relaxed search-path
// validation), and says why not otherwise.
func checkSearch(s string) string {
	if s == "" || len(s) > maxDomain {
		return fmt.Sprintf("is empty or longer than %d bytes", maxDomain)
	}
	for _, c := range s {
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return fmt.Sprintf("contains %q", c)
		}
	}
	return ""
}

func isSpaceOrControl(c rune) bool {
	return c <= ' ' || c == 0x7f
}
