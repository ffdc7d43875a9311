package pod

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestDefaultTolerations(t *testing.T) {
	secs := func(n int64) *int64 { return &n }
	tests := []struct {
		name string
		in   []corev1.Toleration
		want string
	}{
		{"none", nil, "[node.kubernetes.io/not-ready:NoExecute:30 node.kubernetes.io/unreachable:NoExecute:40]"},
		{"own unreachable kept", []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs(5)}},
			"[node.kubernetes.io/unreachable:NoExecute:5 node.kubernetes.io/not-ready:NoExecute:30]"},
		{"tolerates everything", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, "[:]"},
		{"NoSchedule only does not count", []corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			"[node.kubernetes.io/not-ready:NoSchedule node.kubernetes.io/not-ready:NoExecute:30 node.kubernetes.io/unreachable:NoExecute:40]"},
	}
	for _, tc := range tests {
		p := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: tc.in}}
		strategy{tolerations: Tolerations{NotReady: 30, Unreachable: 40}}.PrepareForCreate(p)
		var got []string
		for _, tl := range p.Spec.Tolerations {
			s := tl.Key + ":" + string(tl.Effect)
			if tl.TolerationSeconds != nil {
				s += fmt.Sprintf(":%d", *tl.TolerationSeconds)
			}
			got = append(got, s)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
}
