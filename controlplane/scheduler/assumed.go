package scheduler

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// assumedPods are the pods the scheduler has bound (or is binding), as
// bound, until the pod informer shows them bound or deleted. Safe for
// concurrent use: the worker assumes, informer handlers forget.
type assumedPods struct {
	mu   sync.Mutex
	pods map[types.UID]*corev1.Pod // guarded by mu
}

func newAssumedPods() *assumedPods { return &assumedPods{pods: map[types.UID]*corev1.Pod{}} }

// assume records pod as bound to node.
func (a *assumedPods) assume(pod *corev1.Pod, node string) {
	p := pod.DeepCopy()
	p.Spec.NodeName = node
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pods[p.UID] = p
}

// forget drops the pod: the informer caught up, or binding failed.
func (a *assumedPods) forget(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.pods, uid)
}

// has tells whether the pod is assumed.
func (a *assumedPods) has(uid types.UID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.pods[uid]
	return ok
}

// list returns the assumed pods (not to be changed).
func (a *assumedPods) list() []*corev1.Pod {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*corev1.Pod, 0, len(a.pods))
	for _, p := range a.pods {
		out = append(out, p)
	}
	return out
}
