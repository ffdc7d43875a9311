package scheduler

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/scheduler/algorithm"
	"github.com/skiffrt/skiff/internal/log"
)

// maxMessage is the longest event note the API takes.
const maxMessage = 1024

// scheduleOne tries to place the pod of key: decide, then bind, or
// record why not.
func (s *Scheduler) scheduleOne(ctx context.Context, key string) {
	seen := s.startTry(key)
	pod, err := s.pendingPod(key)
	if err != nil || pod == nil {
		s.queue.Forget(key)
		return
	}
	ctx = log.WithAttrs(ctx, "pod", key)
	nodes, err := snapshot(s.nodes, s.pods, s.assumed.list())
	if err != nil {
		s.failed(ctx, key, pod, err, seen)
		return
	}
	if nodes, err = s.volumes.volumeNodes(pod, nodes); err != nil {
		s.failed(ctx, key, pod, err, seen)
		return
	}
	node, err := algorithm.Schedule(pod, nodes, s.rnd)
	if err != nil {
		s.failed(ctx, key, pod, err, seen)
		return
	}
	s.bind(ctx, key, pod, node)
}

// pendingPod returns the pod of key when it is still the scheduler's to
// place, nil when not (gone, bound, already assumed, another scheduler's).
func (s *Scheduler) pendingPod(key string) (*corev1.Pod, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil, err
	}
	pod, err := s.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil || !responsibleFor(pod) || s.assumed.has(pod.UID) {
		return nil, err
	}
	return pod, nil
}

// bind assumes the pod on node, then binds it. A pod that was deleted or
// bound meanwhile is dropped; another failure is retried with back-off.
func (s *Scheduler) bind(ctx context.Context, key string, pod *corev1.Pod, node string) {
	s.assumed.assume(pod, node)
	err := s.api.bind(ctx, pod, node)
	if err == nil {
		log.G(ctx).Debug("bound", "node", node)
		s.events.Eventf(pod, nil, corev1.EventTypeNormal, "Scheduled", "Binding", "Successfully assigned %s to %s", key, node)
		s.queue.Forget(key)
		return
	}
	s.assumed.forget(pod.UID)
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		log.G(ctx).Debug("binding refused: the pod is gone or bound", "node", node, log.KeyError, err)
		s.queue.Forget(key)
		return
	}
	log.G(ctx).Warn("binding failed", "node", node, log.KeyError, err)
	s.events.Eventf(pod, nil, corev1.EventTypeWarning, "FailedScheduling", "Scheduling", "Binding rejected: %s", truncate(err.Error()))
	s.queue.AddRateLimited(key)
}

// failed records why the pod was not placed: a FailedScheduling event
// and the PodScheduled condition, reason Unschedulable when no node fits
// (the pod then waits for a cluster change) or SchedulerError.
func (s *Scheduler) failed(ctx context.Context, key string, pod *corev1.Pod, err error, seen uint64) {
	msg := truncate(err.Error())
	var fitErr *algorithm.FitError
	unschedulable := errors.As(err, &fitErr) || errors.Is(err, algorithm.ErrNoNodes)
	reason := corev1.PodReasonSchedulerError
	if unschedulable {
		reason = corev1.PodReasonUnschedulable
	}
	log.G(ctx).Debug("not scheduled", "reason", reason, "message", msg)
	s.events.Eventf(pod, nil, corev1.EventTypeWarning, "FailedScheduling", "Scheduling", "%s", msg)
	cond := corev1.PodCondition{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: reason, Message: msg, LastTransitionTime: metav1.Now(),
	}
	if err := s.api.setScheduledCondition(ctx, pod, cond); err != nil && !apierrors.IsNotFound(err) {
		log.G(ctx).Warn("set PodScheduled condition", log.KeyError, err)
	}
	if unschedulable {
		s.parkUnschedulable(key, seen)
	} else {
		s.queue.AddRateLimited(key)
	}
}

// truncate cuts a message to what an event note may hold, as upstream.
func truncate(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	return msg[:maxMessage-4] + " ..."
}
