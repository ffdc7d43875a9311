package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/internal/log"
)

// sync brings the Job key (namespace/name) one step closer to its end
// and writes its status; a "pod:" key is a pod whose Job is gone.
func (c *Controller) sync(ctx context.Context, key string) error {
	if pod, ok := strings.CutPrefix(key, podKeyPrefix); ok {
		return c.syncOrphan(ctx, pod)
	}
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	job, err := c.jobs.Jobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expect.Forget(key)
		c.backoff.forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil || job.Spec.Selector == nil {
		log.G(ctx).Warn("invalid selector", "job", key, log.KeyError, err)
		return nil
	}
	settled := c.expect.Satisfied(key)
	all, err := ownerref.Owned[*corev1.Pod](c.pods, ns, job.UID, true)
	if err != nil {
		return err
	}
	owned, err := c.claim(ctx, job, selector, all)
	if err != nil {
		return err
	}
	now := c.now()
	if finishedJob(job) || job.DeletionTimestamp != nil {
		return c.syncFinished(ctx, job, owned, now)
	}
	st := job.Status.DeepCopy()
	job, err = c.track(ctx, key, job, st, owned, now)
	if err != nil {
		return err
	}
	r := c.decide(ctx, key, job, st, owned, settled, now)
	if _, err := c.writeStatus(ctx, job, *st); err != nil {
		return err
	}
	if r.event != nil {
		c.events.Eventf(job, r.event.eventType, r.event.reason, "%s", r.event.message)
	}
	if r.after > 0 {
		c.queue.AddAfter(key, r.after)
	}
	if ttl := job.Spec.TTLSecondsAfterFinished; ttl != nil && finishedStatus(st) {
		c.queue.AddAfter(key, time.Duration(*ttl)*time.Second)
	}
	return r.err
}

// claim adopts the matching orphans among pods and releases owned pods
// that no longer match; it returns the Job's pods.
func (c *Controller) claim(ctx context.Context, job *batchv1.Job, selector labels.Selector, all []*corev1.Pod) ([]*corev1.Pod, error) {
	claimer := &ownerref.Claimer{
		Owner: job, Kind: kind, Patch: c.podAPI.Patch,
		CanAdopt: ownerref.FreshOwner(job, func(ctx context.Context) (metav1.Object, error) {
			return c.api.get(ctx, job.Namespace, job.Name)
		}),
	}
	return ownerref.Claim(ctx, claimer, all, func(p *corev1.Pod) bool { return selector.Matches(labels.Set(p.Labels)) })
}

// syncFinished lets the pods of a finished (or deleted) Job go: their
// finalizers are removed, those of a finished Job still running are
// deleted, what was left uncounted is counted, and a
// Job with ttlSecondsAfterFinished is deleted once that is over.
func (c *Controller) syncFinished(ctx context.Context, job *batchv1.Job, owned []*corev1.Pod, now time.Time) error {
	var errs []error
	var running []*corev1.Pod
	for _, p := range owned {
		switch {
		case !finished(p) && job.DeletionTimestamp == nil:
			running = append(running, p)
		case hasFinalizer(p):
			errs = append(errs, c.removeFinalizer(ctx, p))
		}
	}
	if len(running) > 0 {
		_, err := c.deletePods(ctx, job.Namespace+"/"+job.Name, job, running)
		errs = append(errs, err)
	}
	st := job.Status.DeepCopy()
	if u := st.UncountedTerminatedPods; u != nil && len(u.Succeeded)+len(u.Failed) > 0 {
		st.Succeeded += int32(len(u.Succeeded))
		st.Failed += int32(len(u.Failed))
		st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
		if _, err := c.writeStatus(ctx, job, *st); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil || job.DeletionTimestamp != nil {
		return err
	}
	ttl := job.Spec.TTLSecondsAfterFinished
	if ttl == nil {
		return nil
	}
	at := finishTimeOf(job).Add(time.Duration(*ttl) * time.Second)
	if left := at.Sub(now); left > 0 {
		c.queue.AddAfter(job.Namespace+"/"+job.Name, left)
		return nil
	}
	log.G(ctx).Info("deleting job after its ttl", "job", job.Namespace+"/"+job.Name)
	if err := c.api.delete(ctx, job); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete job after ttl: %w", err)
	}
	return nil
}

// syncOrphan removes the tracking finalizer of the pod ns/name when the
// Job that controls it is gone (or it has no controller at all).
func (c *Controller) syncOrphan(ctx context.Context, key string) error {
	obj, ok, err := c.pods.GetByKey(key)
	if err != nil || !ok {
		return err
	}
	p := obj.(*corev1.Pod)
	if !hasFinalizer(p) {
		return nil
	}
	if _, ok := c.jobOf(p); ok {
		return nil
	}
	return c.removeFinalizer(ctx, p)
}

// writeStatus writes status to job through /status unless nothing
// changed; one conflict is retried on a fresh read. It returns the Job
// as written.
func (c *Controller) writeStatus(ctx context.Context, job *batchv1.Job, status batchv1.JobStatus) (*batchv1.Job, error) {
	if apiequality.Semantic.DeepEqual(normal(job.Status), normal(status)) {
		return job, nil
	}
	return controller.UpdateStatus(ctx, job, func(job *batchv1.Job) { job.Status = status }, c.api.updateStatus, c.api.get)
}

// normal is s with an empty uncountedTerminatedPods as nil, for
// comparisons.
func normal(s batchv1.JobStatus) batchv1.JobStatus {
	if u := s.UncountedTerminatedPods; u != nil && len(u.Succeeded)+len(u.Failed) == 0 {
		s.UncountedTerminatedPods = nil
	}
	return s
}
