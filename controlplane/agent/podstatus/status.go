package podstatus

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/agent/actions"
	"github.com/skiffrt/skiff/controlplane/agent/state"
)

// Waiting reasons kubelet reports for containers not started yet.
const (
	ReasonContainerCreating = "ContainerCreating"
	ReasonPodInitializing   = "PodInitializing"
)

// Probes gives the readiness and startup results of containers that have
// such probes, by runtime ID; false until a probe succeeded.
type Probes interface {
	Ready(id string) bool
	Started(id string) bool
}

// Input is everything Generate looks at.
type Input struct {
	Pod   *corev1.Pod
	State *state.Pod
	// Probes may be nil (then only containers without probes are ready).
	Probes Probes
	// Waiting are the sync's reasons, by container name.
	Waiting map[string]actions.Waiting
	// HostIPs are the node's addresses; host-network pods have them too.
	HostIPs []string
	// RuntimeName prefixes container IDs ("skiff://<id>").
	RuntimeName string
	Now         time.Time
}

// Generate returns the pod's status.
func Generate(in Input) corev1.PodStatus {
	// The API keeps times to the second: so do the new ones, or every
	// status would differ from the one read back.
	in.Now = in.Now.Truncate(time.Second)
	old := in.Pod.Status
	s := corev1.PodStatus{
		QOSClass: old.QOSClass, Reason: old.Reason, Message: old.Message,
		NominatedNodeName: old.NominatedNodeName, StartTime: old.StartTime,
	}
	if s.StartTime == nil {
		t := metav1.NewTime(in.Now)
		s.StartTime = &t
	}
	g := generator{in: in}
	s.InitContainerStatuses = g.statuses(in.Pod.Spec.InitContainers, true)
	s.ContainerStatuses = g.statuses(in.Pod.Spec.Containers, false)
	s.Phase = phase(in.Pod, s.InitContainerStatuses, s.ContainerStatuses)
	s.HostIP, s.HostIPs = ips(in.HostIPs)
	podIPs := in.HostIPs
	if !in.Pod.Spec.HostNetwork {
		podIPs = nil
		if sb := in.State.Sandbox(); sb != nil && sb.Ready {
			podIPs = sb.IPs
		}
	}
	if len(podIPs) == 0 && isTerminal(s.Phase) {
		s.PodIP, s.PodIPs = old.PodIP, old.PodIPs
	} else {
		var list []corev1.HostIP
		s.PodIP, list = ips(podIPs)
		s.PodIPs = podIPsOf(list)
	}
	s.Conditions = conditions(in, &s)
	return s
}

func isTerminal(p corev1.PodPhase) bool { return p == corev1.PodSucceeded || p == corev1.PodFailed }

func ips(list []string) (string, []corev1.HostIP) {
	if len(list) == 0 {
		return "", nil
	}
	out := make([]corev1.HostIP, len(list))
	for i, ip := range list {
		out[i] = corev1.HostIP{IP: ip}
	}
	return list[0], out
}

func podIPsOf(h []corev1.HostIP) []corev1.PodIP {
	if h == nil {
		return nil
	}
	out := make([]corev1.PodIP, len(h))
	for i, ip := range h {
		out[i] = corev1.PodIP{IP: ip.IP}
	}
	return out
}
