package scheduler

import (
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/scheduler/algorithm"
)

// responsibleFor tells the pods the scheduler must place: its own, not
// bound, neither finished nor being deleted.
func responsibleFor(p *corev1.Pod) bool {
	return p.Spec.SchedulerName == Name && p.Spec.NodeName == "" && p.DeletionTimestamp == nil && !algorithm.Terminated(p)
}

func (s *Scheduler) onPodAdd(obj any) {
	p := obj.(*corev1.Pod)
	if p.Spec.NodeName != "" {
		s.assumed.forget(p.UID)
		return
	}
	if responsibleFor(p) {
		s.enqueue(p)
	}
}

// onPodUpdate: a bound pod confirms its assumption, and frees its place
// when it finishes; a pending pod whose spec or labels change is tried
// again (not when only its status does: the scheduler writes that
// itself).
func (s *Scheduler) onPodUpdate(oldObj, newObj any) {
	old, p := oldObj.(*corev1.Pod), newObj.(*corev1.Pod)
	if p.Spec.NodeName != "" {
		s.assumed.forget(p.UID)
		if algorithm.Terminated(p) && !algorithm.Terminated(old) {
			s.clusterChanged()
		}
		return
	}
	if responsibleFor(p) && (!apiequality.Semantic.DeepEqual(old.Spec, p.Spec) || !apiequality.Semantic.DeepEqual(old.Labels, p.Labels)) {
		s.enqueue(p)
	}
}

// onPodDelete: a deleted pod that held a place frees it.
func (s *Scheduler) onPodDelete(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	wasAssumed := s.assumed.has(p.UID)
	s.assumed.forget(p.UID)
	if p.Spec.NodeName != "" || wasAssumed {
		s.clusterChanged()
	}
}

// onNodeUpdate: a change that may let a pod on (not a mere heartbeat)
// sends the unschedulable pods back.
func (s *Scheduler) onNodeUpdate(oldObj, newObj any) {
	old, n := oldObj.(*corev1.Node), newObj.(*corev1.Node)
	if !apiequality.Semantic.DeepEqual(old.Spec, n.Spec) ||
		!apiequality.Semantic.DeepEqual(old.Labels, n.Labels) ||
		!apiequality.Semantic.DeepEqual(old.Status.Allocatable, n.Status.Allocatable) ||
		ready(old) != ready(n) {
		s.clusterChanged()
	}
}

func ready(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

func (s *Scheduler) enqueue(p *corev1.Pod) {
	key, err := cache.MetaNamespaceKeyFunc(p)
	if err == nil {
		s.queue.Add(key)
	}
}
