package oci

import (
	"maps"
	"slices"
	"strings"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ipcSysctls are the kernel.* sysctls of the IPC namespace that runc
// accepts (kubelet's kernel.shm*, kernel.msg* and kernel.sem less the
// *_next_id knobs runc refuses); fs.mqueue.* are IPC too.
var ipcSysctls = []string{
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
}

// podSysctls checks the pod's sysctls, which every container of the pod
// also carries: only namespaced ones (net.*, the IPC ones), and none of a
// namespace the pod shares with the host. Names may use '/' as separator.
func podSysctls(cfg *runtime.PodSandboxConfig) (map[string]string, error) {
	in := cfg.GetLinux().GetSysctls()
	if len(in) == 0 {
		return nil, nil
	}
	ns := cfg.GetLinux().GetSecurityContext().GetNamespaceOptions()
	for _, k := range slices.Sorted(maps.Keys(in)) {
		name := dottedSysctl(k)
		switch {
		case strings.HasPrefix(name, "net."):
			if ns.GetNetwork() == runtime.NamespaceMode_NODE {
				return nil, invalid(sandboxScope, "linux.sysctls", "%q would change the host's network namespace (host network)", k)
			}
		case slices.Contains(ipcSysctls, name) || strings.HasPrefix(name, "fs.mqueue."):
			if ns.GetIpc() == runtime.NamespaceMode_NODE {
				return nil, invalid(sandboxScope, "linux.sysctls", "%q would change the host's IPC namespace (host IPC)", k)
			}
		default:
			return nil, invalid(sandboxScope, "linux.sysctls", "%q is not a namespaced sysctl", k)
		}
	}
	return maps.Clone(in), nil
}

// dottedSysctl writes a sysctl name with '.' separators: in the '/' form
// a '.' is part of a name component (net/ipv4/conf/eth0.100/forwarding).
func dottedSysctl(k string) string {
	dot, slash := strings.IndexByte(k, '.'), strings.IndexByte(k, '/')
	if slash < 0 || (dot >= 0 && dot < slash) {
		return k
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, k)
}
