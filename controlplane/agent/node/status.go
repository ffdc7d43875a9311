package node

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxPods is the pods a node takes, as kubelet's default.
const maxPods = 110

// hardEviction is the memory kubelet keeps from pods by default
// (memory.available<100Mi), subtracted from allocatable.
var hardEviction = resource.MustParse("100Mi")

// Facts are what the host and the runtime say, the input of Status.
type Facts struct {
	// Addresses of the node (InternalIP, Hostname …).
	Addresses []corev1.NodeAddress
	CPUs      int64
	// Memory and Storage (of the agent's root) in bytes.
	Memory, Storage int64
	Info            corev1.NodeSystemInfo
	// Port is the agent's HTTPS port (logs, exec …).
	Port int32
	// RuntimeErr is why the runtime is not ready (nil: it is).
	RuntimeErr error
}

// Status is the node's status from facts; old is the status in the API,
// whose condition transition times are kept while nothing changes.
func Status(f Facts, old corev1.NodeStatus, now time.Time) corev1.NodeStatus {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(f.CPUs, resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(f.Memory, resource.BinarySI),
		corev1.ResourceEphemeralStorage: *resource.NewQuantity(f.Storage, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(maxPods, resource.DecimalSI),
	}
	allocatable := capacity.DeepCopy()
	mem := allocatable[corev1.ResourceMemory]
	mem.Sub(hardEviction)
	if mem.Sign() < 0 {
		mem.Set(0)
	}
	allocatable[corev1.ResourceMemory] = mem
	return corev1.NodeStatus{
		Capacity: capacity, Allocatable: allocatable,
		Addresses:       f.Addresses,
		NodeInfo:        f.Info,
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: f.Port}},
		Conditions:      conditions(f, old.Conditions, now),
		Images:          old.Images,
	}
}

// conditions are the pressure conditions (never under pressure: the
// agent does not evict) and Ready, from the runtime's status.
func conditions(f Facts, old []corev1.NodeCondition, now time.Time) []corev1.NodeCondition {
	ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status"}
	if f.RuntimeErr != nil {
		ready.Status, ready.Reason, ready.Message = corev1.ConditionFalse, "KubeletNotReady", f.RuntimeErr.Error()
	}
	out := []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
		ready,
	}
	for i := range out {
		out[i].LastHeartbeatTime = metav1.NewTime(now)
		out[i].LastTransitionTime = metav1.NewTime(now)
		for _, o := range old {
			if o.Type == out[i].Type && o.Status == out[i].Status {
				out[i].LastTransitionTime = o.LastTransitionTime
			}
		}
	}
	return out
}

// Changed tells whether two statuses differ in more than heartbeat times.
func Changed(a, b corev1.NodeStatus) bool {
	strip := func(s corev1.NodeStatus) corev1.NodeStatus {
		s = *s.DeepCopy()
		for i := range s.Conditions {
			s.Conditions[i].LastHeartbeatTime = metav1.Time{}
		}
		return s
	}
	return !apiequality.Semantic.DeepEqual(strip(a), strip(b))
}

// RuntimeError is why the runtime is not ready from its conditions'
// (type, status, reason, message) tuples, or nil.
func RuntimeError(conds []RuntimeCondition) error {
	var bad []string
	for _, c := range conds {
		if !c.Status {
			bad = append(bad, fmt.Sprintf("%s=false reason:%s message:%s", c.Type, c.Reason, c.Message))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("container runtime not ready: %s", strings.Join(bad, ", "))
}

// RuntimeCondition is one condition of the CRI Status.
type RuntimeCondition struct {
	Type            string
	Status          bool
	Reason, Message string
}
