package podfiles

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// hostsHeader is kubelet's managed /etc/hosts preamble (pkg/kubelet
// managedHostsHeader and the lines after it).
const hostsHeader = `# Kubernetes-managed hosts file.
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
fe00::0	ip6-localnet
fe00::0	ip6-mcastprefix
fe00::1	ip6-allnodes
fe00::2	ip6-allrouters
`

// WriteHosts writes <dir>/hosts: the localhost and IPv6 lines kubelet
// writes, then one "<ip>\t<hostname>" line per pod IP. Without IPs (or
// without a hostname) there is no pod line.
func WriteHosts(dir, hostname string, ips ...string) error {
	if hostname != "" {
		if err := checkHostname("hostname", hostname); err != nil {
			return err
		}
	}
	var b strings.Builder
	b.WriteString(hostsHeader)
	for i, s := range ips {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("podfiles: ips[%d]: %q is not an IP address: %w", i, s, errdefs.ErrInvalidArgument)
		}
		if hostname != "" {
			fmt.Fprintf(&b, "%s\t%s\n", ip, hostname)
		}
	}
	return writeFile(dir, HostsFile, []byte(b.String()))
}
