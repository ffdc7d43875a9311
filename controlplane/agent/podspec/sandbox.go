package podspec

import (
	"fmt"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// SandboxOptions are what the sandbox config needs beyond the pod.
type SandboxOptions struct {
	// Attempt counts the pod's sandboxes: 0 for the first.
	Attempt uint32
	// LogRoot holds the pods' log directories (kubelet's /var/log/pods).
	LogRoot string
	// CgroupParent is the pod's cgroup (see CgroupParent).
	CgroupParent string
	// DNS is the pod's resolver configuration (see DNS).
	DNS *runtimeapi.DNSConfig
	// ClusterDomain completes the FQDN of a pod with a subdomain.
	ClusterDomain string
}

// LogDir is the pod's log directory under root:
// <root>/<namespace>_<name>_<uid>, as kubelet names it.
func LogDir(root, namespace, name string, uid types.UID) string {
	return filepath.Join(root, fmt.Sprintf("%s_%s_%s", namespace, name, uid))
}

// ContainerLogPath is a container's log file relative to the pod's log
// directory: <container>/<restartCount>.log.
func ContainerLogPath(container string, restartCount int) string {
	return filepath.Join(container, fmt.Sprintf("%d.log", restartCount))
}

// Sandbox returns the CRI config of the pod's sandbox.
func Sandbox(pod *corev1.Pod, o SandboxOptions) (*runtimeapi.PodSandboxConfig, error) {
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: pod.Name, Namespace: pod.Namespace, Uid: string(pod.UID), Attempt: o.Attempt},
		Labels:       sandboxLabels(pod),
		Annotations:  pod.Annotations,
		DnsConfig:    o.DNS,
		LogDirectory: LogDir(o.LogRoot, pod.Namespace, pod.Name, pod.UID),
		PortMappings: portMappings(pod),
		Linux:        sandboxLinux(pod, o.CgroupParent),
	}
	if !pod.Spec.HostNetwork {
		host, err := Hostname(pod, o.ClusterDomain)
		if err != nil {
			return nil, err
		}
		cfg.Hostname = host
	}
	return cfg, nil
}

// Hostname is the pod's hostname: spec.hostname or the pod's name cut to
// 63 characters; with setHostnameAsFQDN and a subdomain, the FQDN
// <hostname>.<subdomain>.<namespace>.svc.<clusterDomain>.
func Hostname(pod *corev1.Pod, clusterDomain string) (string, error) {
	host := pod.Spec.Hostname
	if host == "" {
		host = truncateHostname(pod.Name)
	}
	if pod.Spec.Subdomain == "" || pod.Spec.SetHostnameAsFQDN == nil || !*pod.Spec.SetHostnameAsFQDN {
		return host, nil
	}
	fqdn := fmt.Sprintf("%s.%s.%s.svc.%s", host, pod.Spec.Subdomain, pod.Namespace, clusterDomain)
	if len(fqdn) > 64 {
		return "", fmt.Errorf("failed to construct FQDN from pod hostname and cluster domain, FQDN %s is too long (64 characters is the max, %d characters requested)", fqdn, len(fqdn))
	}
	return fqdn, nil
}

// truncateHostname cuts a name to the 63 characters a hostname may have,
// without a trailing '-' or '.'.
func truncateHostname(name string) string {
	if len(name) <= 63 {
		return name
	}
	return strings.TrimRight(name[:63], "-.")
}

// portMappings are the host ports the pod's containers ask for.
func portMappings(pod *corev1.Pod) []*runtimeapi.PortMapping {
	var out []*runtimeapi.PortMapping
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort == 0 {
				continue
			}
			out = append(out, &runtimeapi.PortMapping{
				Protocol: protocol(p.Protocol), ContainerPort: p.ContainerPort, HostPort: p.HostPort, HostIp: p.HostIP,
			})
		}
	}
	return out
}

func protocol(p corev1.Protocol) runtimeapi.Protocol {
	switch p {
	case corev1.ProtocolUDP:
		return runtimeapi.Protocol_UDP
	case corev1.ProtocolSCTP:
		return runtimeapi.Protocol_SCTP
	}
	return runtimeapi.Protocol_TCP
}

// sandboxLinux is the sandbox's Linux config: cgroup parent, namespaces,
// user and groups, sysctls; the pause process runs under the runtime's
// default seccomp profile, privileged when a container is.
func sandboxLinux(pod *corev1.Pod, cgroupParent string) *runtimeapi.LinuxPodSandboxConfig {
	sc := &runtimeapi.LinuxSandboxSecurityContext{
		NamespaceOptions: namespaces(pod),
		Privileged:       hasPrivileged(pod),
		Seccomp:          &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault},
	}
	lc := &runtimeapi.LinuxPodSandboxConfig{CgroupParent: cgroupParent, SecurityContext: sc}
	psc := pod.Spec.SecurityContext
	if psc == nil {
		return lc
	}
	if psc.RunAsUser != nil {
		sc.RunAsUser = &runtimeapi.Int64Value{Value: *psc.RunAsUser}
	}
	if psc.RunAsGroup != nil {
		sc.RunAsGroup = &runtimeapi.Int64Value{Value: *psc.RunAsGroup}
	}
	sc.SupplementalGroups = supplementalGroups(psc)
	if len(psc.Sysctls) > 0 {
		lc.Sysctls = map[string]string{}
		for _, s := range psc.Sysctls {
			lc.Sysctls[s.Name] = s.Value
		}
	}
	return lc
}

// namespaces: the host's network, PID and IPC namespaces when the pod asks
// for them; one PID namespace for the pod with shareProcessNamespace.
func namespaces(pod *corev1.Pod) *runtimeapi.NamespaceOption {
	ns := &runtimeapi.NamespaceOption{
		Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_CONTAINER, Ipc: runtimeapi.NamespaceMode_POD,
	}
	if pod.Spec.HostNetwork {
		ns.Network = runtimeapi.NamespaceMode_NODE
	}
	switch {
	case pod.Spec.HostPID:
		ns.Pid = runtimeapi.NamespaceMode_NODE
	case pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace:
		ns.Pid = runtimeapi.NamespaceMode_POD
	}
	if pod.Spec.HostIPC {
		ns.Ipc = runtimeapi.NamespaceMode_NODE
	}
	return ns
}

func hasPrivileged(pod *corev1.Pod) bool {
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
				return true
			}
		}
	}
	return false
}

// supplementalGroups are the pod's supplemental groups plus its fsGroup.
func supplementalGroups(psc *corev1.PodSecurityContext) []int64 {
	groups := append([]int64(nil), psc.SupplementalGroups...)
	if psc.FSGroup != nil {
		groups = append(groups, *psc.FSGroup)
	}
	return groups
}
