package job

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
)

// finished: the pod will not run again (Succeeded, Failed, or being
// deleted).
func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || p.DeletionTimestamp != nil
}

// track counts the finished pods of job that still carry the tracking
// finalizer, in three steps that each survive a crash of the controller:
// their uids go to status.uncountedTerminatedPods (written), their
// finalizers are removed, then they move to status.succeeded or
// status.failed (in st, written by the caller). A pod deleted before it
// succeeded counts as failed. It returns job as last written.
func (c *Controller) track(ctx context.Context, key string, job *batchv1.Job, st *batchv1.JobStatus, owned []*corev1.Pod, now time.Time) (*batchv1.Job, error) {
	if st.UncountedTerminatedPods == nil {
		st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	u := st.UncountedTerminatedPods
	byUID := make(map[types.UID]*corev1.Pod, len(owned))
	var fresh []*corev1.Pod
	completed := parseIndexes(st.CompletedIndexes)
	for _, p := range owned {
		byUID[p.UID] = p
		if !hasFinalizer(p) || !finished(p) || c.uncounting.has(p.UID) ||
			slices.Contains(u.Succeeded, p.UID) || slices.Contains(u.Failed, p.UID) {
			continue
		}
		if p.Status.Phase == corev1.PodSucceeded {
			u.Succeeded = append(u.Succeeded, p.UID)
			if i := indexOf(job, p); indexed(job) && i >= 0 {
				completed[i] = true
				st.CompletedIndexes = formatIndexes(completed)
			}
		} else {
			u.Failed = append(u.Failed, p.UID)
		}
		fresh = append(fresh, p)
	}
	c.backoff.observe(key, fresh, now)
	if len(u.Succeeded)+len(u.Failed) == 0 {
		return job, nil
	}
	if len(fresh) > 0 {
		written, err := c.writeStatus(ctx, job, *st)
		if err != nil {
			return nil, err
		}
		job = written
	}
	done := map[types.UID]bool{}
	var errs []error
	for _, uid := range slices.Concat(u.Succeeded, u.Failed) {
		if p := byUID[uid]; p != nil && hasFinalizer(p) {
			if err := c.removeFinalizer(ctx, p); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		done[uid] = true
	}
	u.Succeeded = count(u.Succeeded, done, &st.Succeeded)
	u.Failed = count(u.Failed, done, &st.Failed)
	return job, errors.Join(errs...)
}

// count drops the uids that are done from uids and adds them to n.
func count(uids []types.UID, done map[types.UID]bool, n *int32) []types.UID {
	out := uids[:0:0]
	for _, uid := range uids {
		if done[uid] {
			*n++
		} else {
			out = append(out, uid)
		}
	}
	return out
}

// removeFinalizer removes the tracking finalizer from p; a pod gone or
// replaced has none to remove. Until the informer shows the pod without
// it, the pod is not counted again.
func (c *Controller) removeFinalizer(ctx context.Context, p *corev1.Pod) error {
	c.uncounting.add(p.UID)
	err := c.podAPI.Patch(ctx, p.Namespace, p.Name, removeFinalizerPatch(p.UID))
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) && !apierrors.IsConflict(err) {
		c.uncounting.remove(p.UID)
		return err
	}
	return nil
}

// removeFinalizerPatch is the strategic merge patch that removes the
// tracking finalizer from the pod of uid uid, and only from it.
func removeFinalizerPatch(uid types.UID) []byte {
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid": uid, "$deleteFromPrimitiveList/finalizers": []string{batchv1.JobTrackingFinalizer},
	}})
	return b
}
