package pods

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// IsActive: neither finished (Succeeded, Failed) nor being deleted.
func IsActive(p *corev1.Pod) bool {
	return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed && p.DeletionTimestamp == nil
}

// IsTerminating: being deleted and not finished yet.
func IsTerminating(p *corev1.Pod) bool {
	return p.DeletionTimestamp != nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

// Ready returns the pod's Ready condition, or nil.
func Ready(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// IsReady: the Ready condition is True.
func IsReady(p *corev1.Pod) bool {
	c := Ready(p)
	return c != nil && c.Status == corev1.ConditionTrue
}

// IsAvailable: ready for at least minReadySeconds at now.
func IsAvailable(p *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	if !IsReady(p) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	since := Ready(p).LastTransitionTime
	return !since.IsZero() && !since.Add(time.Duration(minReadySeconds)*time.Second).After(now)
}

// NextAvailable returns how long until the first of pods that is ready
// but not yet available becomes available, or false when none will
// without a change: when to look again.
func NextAvailable(pods []*corev1.Pod, minReadySeconds int32, now time.Time) (time.Duration, bool) {
	var next time.Duration
	found := false
	for _, p := range pods {
		if !IsReady(p) || minReadySeconds <= 0 || Ready(p).LastTransitionTime.IsZero() {
			continue
		}
		d := Ready(p).LastTransitionTime.Add(time.Duration(minReadySeconds) * time.Second).Sub(now)
		if d > 0 && (!found || d < next) {
			next, found = d, true
		}
	}
	return next, found
}
