package pod

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/registry"
)

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic.", 0),
		registry.Column("Status", "string", "The aggregate status of the containers in this pod.", 0),
		registry.Column("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0),
		registry.AgeColumn(),
		registry.Column("IP", "string", "IP address allocated to the pod.", 1),
		registry.Column("Node", "string", "Name of the node the pod is assigned to.", 1),
		registry.Column("Nominated Node", "string", "Name of the node where the pod is nominated to run.", 1),
		registry.Column("Readiness Gates", "string", "Pod readiness gates.", 1),
	}
}

func (strategy) Row(p *corev1.Pod) []any {
	ready, restarts := 0, int64(0)
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
		restarts += int64(cs.RestartCount)
	}
	return []any{
		p.Name,
		fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers)),
		Reason(p),
		restarts,
		registry.Age(p),
		orNone(p.Status.PodIP),
		orNone(p.Spec.NodeName),
		orNone(p.Status.NominatedNodeName),
		readinessGates(p),
	}
}

// Reason is the STATUS column: the phase, refined by the pod's reason and
// its containers' waiting or terminated reasons; Terminating once deleted.
func Reason(p *corev1.Pod) string {
	reason := string(p.Status.Phase)
	if p.Status.Reason != "" {
		reason = p.Status.Reason
	}
	for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
		st := p.Status.ContainerStatuses[i].State
		switch {
		case st.Waiting != nil && st.Waiting.Reason != "":
			reason = st.Waiting.Reason
		case st.Terminated != nil && st.Terminated.Reason != "":
			reason = st.Terminated.Reason
		case st.Terminated != nil && st.Terminated.Signal != 0:
			reason = fmt.Sprintf("Signal:%d", st.Terminated.Signal)
		case st.Terminated != nil:
			reason = fmt.Sprintf("ExitCode:%d", st.Terminated.ExitCode)
		}
	}
	if p.DeletionTimestamp != nil {
		reason = "Terminating"
	}
	return reason
}

func readinessGates(p *corev1.Pod) string {
	if len(p.Spec.ReadinessGates) == 0 {
		return "<none>"
	}
	ok := 0
	for _, g := range p.Spec.ReadinessGates {
		for _, c := range p.Status.Conditions {
			if c.Type == g.ConditionType && c.Status == corev1.ConditionTrue {
				ok++
			}
		}
	}
	return fmt.Sprintf("%d/%d", ok, len(p.Spec.ReadinessGates))
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
