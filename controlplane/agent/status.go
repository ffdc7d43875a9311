package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes"
)

// statusManager writes pods' statuses to pods/status, only when they
// changed, as a strategic merge patch from what it last wrote (or the
// cached status) with the pod's UID as precondition.
type statusManager struct {
	client kubernetes.Interface

	mu   sync.Mutex // guards sent
	sent map[types.UID]corev1.PodStatus
}

func newStatusManager(client kubernetes.Interface) *statusManager {
	return &statusManager{client: client, sent: map[types.UID]corev1.PodStatus{}}
}

func (m *statusManager) set(ctx context.Context, pod *corev1.Pod, status corev1.PodStatus) error {
	m.mu.Lock()
	old, ok := m.sent[pod.UID]
	m.mu.Unlock()
	if !ok {
		old = pod.Status
	}
	if apiequality.Semantic.DeepEqual(old, status) {
		return nil
	}
	patch, err := statusPatch(pod.UID, old, status)
	if err != nil {
		return err
	}
	_, err = m.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		return fmt.Errorf("patch status of %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	m.mu.Lock()
	m.sent[pod.UID] = status
	m.mu.Unlock()
	return nil
}

// forget drops what was sent for a pod that is gone.
func (m *statusManager) forget(uid types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sent, uid)
}

// statusPatch is the strategic merge patch from old to status, guarded
// by the pod's UID.
func statusPatch(uid types.UID, old, status corev1.PodStatus) ([]byte, error) {
	from, err := json.Marshal(corev1.Pod{Status: old})
	if err != nil {
		return nil, err
	}
	to, err := json.Marshal(corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: uid}, Status: status})
	if err != nil {
		return nil, err
	}
	return strategicpatch.CreateTwoWayMergePatch(from, to, corev1.Pod{})
}
