package pods

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// readyPod is a running pod, ready since readyFor before now when
// readyFor >= 0, not ready otherwise.
func readyPod(name string, readyFor time.Duration) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: k8stypes.UID("uid-" + name)}}
	p.Status.Phase = corev1.PodRunning
	p.Spec.NodeName = "n1"
	status := corev1.ConditionFalse
	if readyFor >= 0 {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.NewTime(now.Add(-readyFor))}}
	return p
}

func TestIsAvailable(t *testing.T) {
	tests := []struct {
		name     string
		pod      *corev1.Pod
		minReady int32
		want     bool
	}{
		{"ready, no minReadySeconds", readyPod("p", 0), 0, true},
		{"not ready", readyPod("p", -1), 0, false},
		{"ready long enough", readyPod("p", 10*time.Second), 10, true},
		{"ready not long enough", readyPod("p", 9*time.Second), 10, false},
		{"no condition", &corev1.Pod{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAvailable(tt.pod, tt.minReady, now); got != tt.want {
				t.Fatalf("IsAvailable = %v", got)
			}
		})
	}
}

func TestNextAvailable(t *testing.T) {
	pods := []*corev1.Pod{readyPod("a", 2*time.Second), readyPod("b", 7*time.Second), readyPod("c", 20*time.Second), readyPod("d", -1)}
	if d, ok := NextAvailable(pods, 10, now); !ok || d != 3*time.Second {
		t.Fatalf("NextAvailable = %v %v, want 3s", d, ok)
	}
	if _, ok := NextAvailable(pods[2:], 10, now); ok {
		t.Fatal("NextAvailable found a pod among available and unready ones")
	}
	if _, ok := NextAvailable(pods, 0, now); ok {
		t.Fatal("NextAvailable without minReadySeconds")
	}
}

func TestActiveAndTerminating(t *testing.T) {
	deleted := readyPod("p", 0)
	deleted.DeletionTimestamp = &metav1.Time{Time: now}
	done := readyPod("p", 0)
	done.Status.Phase = corev1.PodSucceeded
	doneDeleted := done.DeepCopy()
	doneDeleted.DeletionTimestamp = &metav1.Time{Time: now}
	for _, tt := range []struct {
		name                string
		pod                 *corev1.Pod
		active, terminating bool
	}{
		{"running", readyPod("p", 0), true, false},
		{"being deleted", deleted, false, true},
		{"finished", done, false, false},
		{"finished and being deleted", doneDeleted, false, false},
	} {
		if IsActive(tt.pod) != tt.active || IsTerminating(tt.pod) != tt.terminating {
			t.Errorf("%s: active %v terminating %v", tt.name, IsActive(tt.pod), IsTerminating(tt.pod))
		}
	}
}
