package pod

import (
	corev1 "k8s.io/api/core/v1"
)

// DefaultTolerationSeconds is how long a pod stays bound to a node that
// is not ready or unreachable before the node lifecycle controller
// evicts it, unless the pod says otherwise: upstream's
// DefaultTolerationSeconds admission plugin's 300 s.
const DefaultTolerationSeconds = 300

// Tolerations are the NoExecute tolerations of the not-ready and
// unreachable taints a new pod gets when it has none of its own, in
// seconds.
type Tolerations struct {
	NotReady, Unreachable int64
}

// addDefaultTolerations gives a pod being created the default
// tolerations it lacks, as upstream's admission plugin does.
func addDefaultTolerations(s *corev1.PodSpec, t Tolerations) {
	for _, d := range []struct {
		key     string
		seconds int64
	}{{corev1.TaintNodeNotReady, t.NotReady}, {corev1.TaintNodeUnreachable, t.Unreachable}} {
		if tolerates(s.Tolerations, d.key) {
			continue
		}
		s.Tolerations = append(s.Tolerations, corev1.Toleration{
			Key: d.key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr(d.seconds),
		})
	}
}

// tolerates reports whether ts has a toleration for key's NoExecute
// taint (its own, or one for every key or effect).
func tolerates(ts []corev1.Toleration, key string) bool {
	for _, t := range ts {
		if (t.Key == key || (t.Key == "" && t.Operator == corev1.TolerationOpExists)) &&
			(t.Effect == "" || t.Effect == corev1.TaintEffectNoExecute) {
			return true
		}
	}
	return false
}
