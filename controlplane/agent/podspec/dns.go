package podspec

import (
	"bufio"
	"io"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// maxNameservers is what the C resolver reads of resolv.conf.
const maxNameservers = 3

// DNSOptions are the node's resolver settings.
type DNSOptions struct {
	// ClusterDNS are the cluster DNS servers; without them ClusterFirst
	// falls back to the host's resolver, as kubelet does.
	ClusterDNS []string
	// ClusterDomain is the cluster's domain ("cluster.local").
	ClusterDomain string
	// Host is the host's resolv.conf (see ParseResolvConf).
	Host ResolvConf
}

// ResolvConf is what a resolv.conf says.
type ResolvConf struct {
	Nameservers, Searches, Options []string
}

// ParseResolvConf reads the nameserver, search and options lines of a
// resolv.conf.
func ParseResolvConf(r io.Reader) (ResolvConf, error) {
	var rc ResolvConf
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			rc.Nameservers = append(rc.Nameservers, f[1])
		case "search", "domain":
			rc.Searches = f[1:]
		case "options":
			rc.Options = append(rc.Options, f[1:]...)
		}
	}
	return rc, sc.Err()
}

// DNS is the pod's resolver config by its dnsPolicy, then merged with its
// dnsConfig: ClusterFirst gives the cluster servers with the
// <ns>.svc.<domain>, svc.<domain>, <domain> searches and ndots:5
// (host-network pods, and every pod when no cluster DNS is set, get the
// host's); Default the host's; None only what dnsConfig says.
func DNS(pod *corev1.Pod, o DNSOptions) *runtimeapi.DNSConfig {
	var rc ResolvConf
	switch dnsPolicy(pod, len(o.ClusterDNS) > 0) {
	case corev1.DNSClusterFirst:
		rc = ResolvConf{Nameservers: slices.Clone(o.ClusterDNS), Options: []string{"ndots:5"}}
		if d := o.ClusterDomain; d != "" {
			rc.Searches = []string{pod.Namespace + ".svc." + d, "svc." + d, d}
		}
		rc.Searches = append(rc.Searches, o.Host.Searches...)
	case corev1.DNSDefault:
		rc = ResolvConf{Nameservers: slices.Clone(o.Host.Nameservers), Searches: slices.Clone(o.Host.Searches), Options: slices.Clone(o.Host.Options)}
	}
	if dc := pod.Spec.DNSConfig; dc != nil {
		rc.Nameservers = appendNew(rc.Nameservers, dc.Nameservers...)
		rc.Searches = appendNew(rc.Searches, dc.Searches...)
		rc.Options = mergeOptions(rc.Options, dc.Options)
	}
	if len(rc.Nameservers) > maxNameservers {
		rc.Nameservers = rc.Nameservers[:maxNameservers]
	}
	return &runtimeapi.DNSConfig{Servers: rc.Nameservers, Searches: rc.Searches, Options: rc.Options}
}

// dnsPolicy resolves the pod's policy to ClusterFirst, Default or None.
func dnsPolicy(pod *corev1.Pod, haveClusterDNS bool) corev1.DNSPolicy {
	switch pod.Spec.DNSPolicy {
	case corev1.DNSNone:
		return corev1.DNSNone
	case corev1.DNSDefault:
		return corev1.DNSDefault
	case corev1.DNSClusterFirstWithHostNet:
		if haveClusterDNS {
			return corev1.DNSClusterFirst
		}
		return corev1.DNSDefault
	}
	if pod.Spec.HostNetwork || !haveClusterDNS {
		return corev1.DNSDefault
	}
	return corev1.DNSClusterFirst
}

func appendNew(list []string, more ...string) []string {
	for _, s := range more {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// mergeOptions adds the pod's options to base; a pod option replaces a
// base option of the same name.
func mergeOptions(base []string, pod []corev1.PodDNSConfigOption) []string {
	name := func(o string) string { n, _, _ := strings.Cut(o, ":"); return n }
	out := slices.Clone(base)
	for _, o := range pod {
		s := o.Name
		if o.Value != nil {
			s += ":" + *o.Value
		}
		out = slices.DeleteFunc(out, func(b string) bool { return name(b) == o.Name })
		out = append(out, s)
	}
	return out
}
