package podstatus

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition reasons, as kubelet sets them.
const (
	ReasonNotInitialized = "ContainersNotInitialized"
	ReasonNotReady       = "ContainersNotReady"
	ReasonCompleted      = "PodCompleted"
	ReasonReadinessGates = "ReadinessGatesNotReady"
)

// conditions are the pod's conditions; a condition keeps its transition
// time while its status stays; conditions the agent does not own (the
// scheduler's, readiness gates') are kept.
func conditions(in Input, s *corev1.PodStatus) []corev1.PodCondition {
	sb := in.State.Sandbox()
	sandboxOK := sb != nil && sb.Ready && (in.Pod.Spec.HostNetwork || len(sb.IPs) > 0)
	owned := []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, sandboxOK, "", ""),
		initialized(in.Pod, s),
	}
	containersReady := containersReady(in.Pod, s)
	owned = append(owned, containersReady, ready(in.Pod, containersReady))

	var out []corev1.PodCondition
	has := map[corev1.PodConditionType]bool{}
	for _, c := range owned {
		has[c.Type] = true
	}
	scheduled := false
	for _, c := range in.Pod.Status.Conditions {
		if !has[c.Type] {
			out = append(out, c)
			scheduled = scheduled || c.Type == corev1.PodScheduled
		}
	}
	if !scheduled {
		out = append(out, cond(corev1.PodScheduled, true, "", ""))
	}
	out = append(out, owned...)
	for i := range out {
		out[i].LastTransitionTime = transition(in, out[i])
	}
	return out
}

func cond(t corev1.PodConditionType, ok bool, reason, msg string) corev1.PodCondition {
	c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, Message: msg}
	if ok {
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, "", ""
	}
	return c
}

// transition is the condition's old transition time when its status did
// not change, else now.
func transition(in Input, c corev1.PodCondition) metav1.Time {
	for _, old := range in.Pod.Status.Conditions {
		if old.Type == c.Type && old.Status == c.Status && !old.LastTransitionTime.IsZero() {
			return old.LastTransitionTime
		}
	}
	if !c.LastTransitionTime.IsZero() {
		return c.LastTransitionTime
	}
	return metav1.NewTime(in.Now)
}

func initialized(pod *corev1.Pod, s *corev1.PodStatus) corev1.PodCondition {
	var pending []string
	for i, c := range pod.Spec.InitContainers {
		t := s.InitContainerStatuses[i].State.Terminated
		if t == nil || t.ExitCode != 0 {
			pending = append(pending, c.Name)
		}
	}
	if len(pending) > 0 && s.Phase == corev1.PodSucceeded {
		pending = nil
	}
	return cond(corev1.PodInitialized, len(pending) == 0, ReasonNotInitialized, incomplete("incomplete", pending))
}

func containersReady(pod *corev1.Pod, s *corev1.PodStatus) corev1.PodCondition {
	if s.Phase == corev1.PodSucceeded {
		return cond(corev1.ContainersReady, false, ReasonCompleted, "")
	}
	var unready []string
	for i, c := range pod.Spec.Containers {
		if !s.ContainerStatuses[i].Ready {
			unready = append(unready, c.Name)
		}
	}
	return cond(corev1.ContainersReady, len(unready) == 0, ReasonNotReady, incomplete("unready", unready))
}

// ready: the containers are ready and every readiness gate is true.
func ready(pod *corev1.Pod, containers corev1.PodCondition) corev1.PodCondition {
	if containers.Status != corev1.ConditionTrue {
		return cond(corev1.PodReady, false, containers.Reason, containers.Message)
	}
	var gates []string
	for _, g := range pod.Spec.ReadinessGates {
		ok := false
		for _, c := range pod.Status.Conditions {
			ok = ok || (c.Type == g.ConditionType && c.Status == corev1.ConditionTrue)
		}
		if !ok {
			gates = append(gates, string(g.ConditionType))
		}
	}
	msg := ""
	if len(gates) > 0 {
		msg = fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", gates[0])
	}
	return cond(corev1.PodReady, len(gates) == 0, ReasonReadinessGates, msg)
}

func incomplete(what string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("containers with %s status: [%s]", what, strings.Join(names, " "))
}
