package pods

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSortForDeletion(t *testing.T) {
	mod := func(p *corev1.Pod, f func(p *corev1.Pod)) *corev1.Pod { f(p); return p }
	created := func(age time.Duration) func(p *corev1.Pod) {
		return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(now.Add(-age)) }
	}
	tests := []struct {
		name    string
		pods    []*corev1.Pod
		related []*corev1.Pod
		want    []string // names, first to delete first
	}{
		{"unscheduled first", []*corev1.Pod{
			readyPod("scheduled", time.Hour),
			mod(readyPod("unscheduled", -1), func(p *corev1.Pod) { p.Spec.NodeName = ""; p.Status.Phase = corev1.PodPending }),
		}, nil, []string{"unscheduled", "scheduled"}},
		{"pending before unknown before running", []*corev1.Pod{
			readyPod("running", -1),
			mod(readyPod("unknown", -1), func(p *corev1.Pod) { p.Status.Phase = corev1.PodUnknown }),
			mod(readyPod("pending", -1), func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }),
		}, nil, []string{"pending", "unknown", "running"}},
		{"not ready first", []*corev1.Pod{readyPod("ready", time.Hour), readyPod("unready", -1)}, nil, []string{"unready", "ready"}},
		{"lower deletion cost first", []*corev1.Pod{
			mod(readyPod("costly", time.Hour), func(p *corev1.Pod) { p.Annotations = map[string]string{DeletionCostAnnotation: "100"} }),
			readyPod("default", time.Hour),
			mod(readyPod("cheap", time.Hour), func(p *corev1.Pod) { p.Annotations = map[string]string{DeletionCostAnnotation: "-5"} }),
			mod(readyPod("invalid", time.Hour), func(p *corev1.Pod) { p.Annotations = map[string]string{DeletionCostAnnotation: "+7"} }),
		}, nil, []string{"cheap", "default", "invalid", "costly"}},
		{"crowded node first", []*corev1.Pod{
			readyPod("alone", time.Hour),
			mod(readyPod("crowded", time.Hour), func(p *corev1.Pod) { p.Spec.NodeName = "n2" }),
		}, []*corev1.Pod{
			mod(readyPod("x", 0), func(p *corev1.Pod) { p.Spec.NodeName = "n2" }),
			mod(readyPod("y", 0), func(p *corev1.Pod) { p.Spec.NodeName = "n2" }),
			readyPod("z", 0),
		}, []string{"crowded", "alone"}},
		{"recently ready first", []*corev1.Pod{readyPod("old", 10*time.Hour), readyPod("new", time.Minute)}, nil, []string{"new", "old"}},
		{"more restarts first", []*corev1.Pod{
			readyPod("calm", -1),
			mod(readyPod("flappy", -1), func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{{RestartCount: 3}} }),
		}, nil, []string{"flappy", "calm"}},
		{"newer first", []*corev1.Pod{
			mod(readyPod("older", -1), created(10*time.Hour)),
			mod(readyPod("newer", -1), created(time.Minute)),
		}, nil, []string{"newer", "older"}},
		{"same age bucket: by uid", []*corev1.Pod{
			mod(readyPod("b", -1), created(100*time.Second)),
			mod(readyPod("a", -1), created(101*time.Second)),
		}, nil, []string{"a", "b"}},
		{"alike in every way: by uid", []*corev1.Pod{
			mod(readyPod("b", -1), created(100*time.Second)),
			mod(readyPod("a", -1), created(100*time.Second)),
		}, nil, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			SortForDeletion(tt.pods, tt.related, now)
			var got []string
			for _, p := range tt.pods {
				got = append(got, p.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("order %v, want %v", got, tt.want)
			}
		})
	}
}
