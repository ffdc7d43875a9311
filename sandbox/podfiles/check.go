package podfiles

import runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

// Check refuses a pod's hostname and DNS config that the files could not
// be written from, before anything is made for the pod.
func Check(cfg *runtime.PodSandboxConfig) error {
	if h := cfg.GetHostname(); h != "" {
		if err := checkHostname("hostname", h); err != nil {
			return err
		}
	}
	if dns := cfg.GetDnsConfig(); dns != nil {
		return checkDNS(dns.GetServers(), dns.GetSearches(), dns.GetOptions())
	}
	return nil
}
