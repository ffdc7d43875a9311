package cni

import (
	"fmt"
	"net"
	"strings"

	"github.com/containernetworking/cni/libcni"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Pod is what CNI needs to know about a pod sandbox.
type Pod struct {
	ID        string // sandbox ID, the CNI container ID
	NetNS     string // pinned network namespace; may be gone at Teardown
	Name      string // metadata.name
	Namespace string // metadata.namespace
	UID       string // metadata.uid
	// PortMappings are the CRI host ports; those without a host port are
	// ignored, as containerd and cri-o do.
	PortMappings []*runtime.PortMapping
	// Annotations are passed as the io.kubernetes.cri.pod-annotations
	// capability to plugins that declare it.
	Annotations map[string]string
}

func (p Pod) validate(needNetNS bool) error {
	if p.ID == "" {
		return fmt.Errorf("cni: pod without an ID: %w", errdefs.ErrInvalidArgument)
	}
	if needNetNS && p.NetNS == "" {
		return fmt.Errorf("cni: pod %s: no network namespace: %w", p.ID, errdefs.ErrInvalidArgument)
	}
	for _, m := range p.PortMappings {
		if err := validatePort(m); err != nil {
			return fmt.Errorf("cni: pod %s: port mapping %v: %w: %w", p.ID, m, errdefs.ErrInvalidArgument, err)
		}
	}
	return nil
}

// validatePort rejects what portmap would fail on, before any plugin ran.
func validatePort(m *runtime.PortMapping) error {
	switch {
	case m == nil || m.HostPort == 0:
		return nil // no host port: nothing to map
	case m.HostPort < 0 || m.HostPort > 65535:
		return fmt.Errorf("host port %d out of range", m.HostPort)
	case m.ContainerPort <= 0 || m.ContainerPort > 65535:
		return fmt.Errorf("container port %d out of range", m.ContainerPort)
	case m.HostIp != "" && net.ParseIP(m.HostIp) == nil:
		return fmt.Errorf("host IP %q is not an IP address", m.HostIp)
	}
	if _, ok := runtime.Protocol_name[int32(m.Protocol)]; !ok {
		return fmt.Errorf("unknown protocol %d", m.Protocol)
	}
	return nil
}

// portMapping is an entry of the portMappings capability, as the portmap
// plugin reads it.
type portMapping struct {
	HostPort      int32  `json:"hostPort"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// runtimeConf is the per-pod half of a CNI call: the CNI args kubelet and
// cri-o pass, and the capability args (libcni passes each only to plugins
// that declare it).
func runtimeConf(p Pod, netns string, podCIDRs []string) *libcni.RuntimeConf {
	caps := map[string]any{}
	var pms []portMapping
	for _, m := range p.PortMappings {
		if m == nil || m.HostPort <= 0 {
			continue
		}
		pms = append(pms, portMapping{
			HostPort:      m.HostPort,
			ContainerPort: m.ContainerPort,
			Protocol:      strings.ToLower(m.Protocol.String()),
			HostIP:        m.HostIp,
		})
	}
	if len(pms) > 0 {
		caps["portMappings"] = pms
	}
	if len(podCIDRs) > 0 {
		var ranges [][]map[string]string
		for _, c := range podCIDRs {
			ranges = append(ranges, []map[string]string{{"subnet": c}})
		}
		caps["ipRanges"] = ranges
	}
	if len(p.Annotations) > 0 {
		caps["io.kubernetes.cri.pod-annotations"] = p.Annotations
	}
	return &libcni.RuntimeConf{
		ContainerID: p.ID,
		NetNS:       netns,
		IfName:      IfName,
		Args: [][2]string{
			// Plugins reject CNI args they do not know without this.
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", p.Namespace},
			{"K8S_POD_NAME", p.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", p.ID},
			{"K8S_POD_UID", p.UID},
		},
		CapabilityArgs: caps,
	}
}
