package podstatus

import (
	corev1 "k8s.io/api/core/v1"
)

// phase is the pod's phase from its container statuses, as kubelet's
// getPhase; a terminal phase never changes back.
func phase(pod *corev1.Pod, inits, ctrs []corev1.ContainerStatus) corev1.PodPhase {
	if isTerminal(pod.Status.Phase) {
		return pod.Status.Phase
	}
	policy := pod.Spec.RestartPolicy
	pendingInit, failedInit := 0, 0
	for _, s := range inits {
		switch {
		case s.State.Running != nil:
			pendingInit++
		case s.State.Terminated != nil:
			if s.State.Terminated.ExitCode != 0 {
				failedInit++
			}
		case s.LastTerminationState.Terminated != nil:
			if s.LastTerminationState.Terminated.ExitCode != 0 {
				failedInit++
			}
		default:
			pendingInit++
		}
	}
	if failedInit > 0 && policy == corev1.RestartPolicyNever {
		return corev1.PodFailed
	}
	running, waiting, stopped, succeeded := 0, 0, 0, 0
	for _, s := range ctrs {
		switch {
		case s.State.Running != nil:
			running++
		case s.State.Terminated != nil:
			stopped++
			if s.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case s.LastTerminationState.Terminated != nil:
			stopped++
		default:
			waiting++
		}
	}
	switch {
	case pendingInit > 0 || failedInit > 0 || waiting > 0:
		return corev1.PodPending
	case running > 0:
		return corev1.PodRunning
	case stopped == 0:
		return corev1.PodPending
	case policy == corev1.RestartPolicyAlways:
		return corev1.PodRunning
	case stopped == succeeded:
		return corev1.PodSucceeded
	case policy == corev1.RestartPolicyNever:
		return corev1.PodFailed
	}
	return corev1.PodRunning
}
