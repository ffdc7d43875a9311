package job

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// burstPods bounds the pods created in one sync.
const burstPods = 500

// result is what a sync decided besides the status: an event to record
// once the status is written, when to look again, and the error of the
// pod writes.
type result struct {
	event *event
	after time.Duration
	err   error
}

type event struct{ eventType, reason, message string }

// decide writes the pods of an unfinished Job and sets st: the end of the
// Job (failure, completion), suspension, or the pods it still needs.
func (c *Controller) decide(ctx context.Context, key string, job *batchv1.Job, st *batchv1.JobStatus, owned []*corev1.Pod, settled bool, now time.Time) result {
	var active []*corev1.Pod
	var terminating int32
	for _, p := range owned {
		switch {
		case !finished(p):
			active = append(active, p)
		case p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed:
			terminating++
		}
	}
	st.Terminating = &terminating
	var r result
	suspended := job.Spec.Suspend != nil && *job.Spec.Suspend
	if !suspended {
		if st.StartTime == nil {
			st.StartTime = &metav1.Time{Time: now}
		}
		if isTrue(st, batchv1.JobSuspended) {
			setCondition(st, batchv1.JobSuspended, corev1.ConditionFalse, "JobResumed", "Job resumed", now)
			st.StartTime = &metav1.Time{Time: now}
			r.event = &event{corev1.EventTypeNormal, reasonResumed, "Job resumed"}
		}
	}
	if reason, message := failure(job, st, active, now); reason != "" {
		n, err := c.deletePods(ctx, key, job, active)
		st.Failed += int32(n)
		setCondition(st, batchv1.JobFailed, corev1.ConditionTrue, reason, message, now)
		st.Active, st.Ready = 0, new(int32(0))
		return result{event: &event{corev1.EventTypeWarning, reason, message}, err: err}
	}
	succeeded := st.Succeeded + int32(len(st.UncountedTerminatedPods.Succeeded))
	var completed map[int]bool
	if indexed(job) {
		completed = parseIndexes(st.CompletedIndexes)
		succeeded = int32(len(completed))
	}
	if complete(job, succeeded, len(active)) {
		_, err := c.deletePods(ctx, key, job, active)
		setCondition(st, batchv1.JobComplete, corev1.ConditionTrue, "", "", now)
		st.CompletionTime = &metav1.Time{Time: now}
		st.Active, st.Ready = 0, new(int32(0))
		return result{event: &event{corev1.EventTypeNormal, reasonCompleted, messageCompleted}, err: err}
	}
	if suspended {
		_, r.err = c.deletePods(ctx, key, job, active)
		if setCondition(st, batchv1.JobSuspended, corev1.ConditionTrue, "JobSuspended", "Job suspended", now) {
			r.event = &event{corev1.EventTypeNormal, reasonSuspended, "Job suspended"}
		}
		st.Active, st.Ready = 0, new(int32(0))
		return r
	}
	if d := job.Spec.ActiveDeadlineSeconds; d != nil {
		r.after = st.StartTime.Add(time.Duration(*d) * time.Second).Sub(now)
	}
	n := len(active)
	if settled {
		var wait time.Duration
		n, wait, r.err = c.manage(ctx, key, job, active, wanted(job, succeeded), completed, now)
		if wait > 0 && (r.after <= 0 || wait < r.after) {
			r.after = wait
		}
	}
	st.Active = int32(n)
	ready := int32(0)
	for _, p := range active {
		if pods.IsReady(p) {
			ready++
		}
	}
	st.Ready = &ready
	return r
}

// failure is the reason and message of the Job's failure, if it failed.
func failure(job *batchv1.Job, st *batchv1.JobStatus, active []*corev1.Pod, now time.Time) (string, string) {
	limit := int32(6)
	if job.Spec.BackoffLimit != nil {
		limit = *job.Spec.BackoffLimit
	}
	failed := st.Failed + int32(len(st.UncountedTerminatedPods.Failed))
	if failed > limit {
		return reasonBackoffLimit, messageBackoffLimit
	}
	if job.Spec.Template.Spec.RestartPolicy == corev1.RestartPolicyOnFailure {
		var restarts int32
		for _, p := range active {
			for _, s := range slices.Concat(p.Status.InitContainerStatuses, p.Status.ContainerStatuses) {
				restarts += s.RestartCount
			}
		}
		if restarts > 0 && restarts+failed >= max(limit, 1) {
			return reasonBackoffLimit, messageBackoffLimit
		}
	}
	if d := job.Spec.ActiveDeadlineSeconds; d != nil && st.StartTime != nil &&
		!now.Before(st.StartTime.Add(time.Duration(*d)*time.Second)) {
		return reasonDeadline, messageDeadline
	}
	return "", ""
}

// complete: enough pods succeeded. Without completions, one success ends
// the Job once no pod runs any more.
func complete(job *batchv1.Job, succeeded int32, active int) bool {
	if c := job.Spec.Completions; c != nil {
		return succeeded >= *c
	}
	return succeeded > 0 && active == 0
}

// wanted is how many pods should run: parallelism, but no more than the
// completions missing; none more once a pod of a Job without completions
// succeeded.
func wanted(job *batchv1.Job, succeeded int32) int {
	parallelism := int32(1)
	if job.Spec.Parallelism != nil {
		parallelism = *job.Spec.Parallelism
	}
	if c := job.Spec.Completions; c != nil {
		return int(max(min(parallelism, *c-succeeded), 0))
	}
	if succeeded > 0 {
		return 0
	}
	return int(parallelism)
}

// manage creates or deletes pods until want run, unless the back-off
// after failures holds new pods back (then it returns how long). An
// Indexed Job (completed is not nil) first loses the pods it does not
// need, then gets pods for its lowest missing indexes. It returns how
// many pods run once its writes are done.
func (c *Controller) manage(ctx context.Context, key string, job *batchv1.Job, active []*corev1.Pod, want int, completed map[int]bool, now time.Time) (int, time.Duration, error) {
	var victims []*corev1.Pod
	if completed != nil {
		victims = surplus(job, completed, active, now)
	}
	diff := len(active) - len(victims) - want
	if diff > 0 {
		rest := slices.DeleteFunc(slices.Clone(active), func(p *corev1.Pod) bool { return slices.Contains(victims, p) })
		pods.SortForDeletion(rest, nil, now)
		victims = append(victims, rest[:diff]...)
	}
	if len(victims) > 0 {
		n, err := c.deletePods(ctx, key, job, victims)
		return len(active) - n, 0, err
	}
	if diff == 0 {
		return len(active), 0, nil
	}
	if d := c.backoff.delay(key, now); d > 0 {
		return len(active), d, nil
	}
	n := min(-diff, burstPods)
	template := job.Spec.Template.DeepCopy()
	template.Finalizers = append(template.Finalizers, batchv1.JobTrackingFinalizer)
	templates := make([]*corev1.PodTemplateSpec, n)
	for i := range templates {
		templates[i] = template
	}
	if completed != nil {
		indexes := missingIndexes(job, completed, active, n)
		templates = templates[:len(indexes)]
		for i, index := range indexes {
			templates[i] = indexedTemplate(job, template, index)
		}
		n = len(templates)
	}
	c.expect.ExpectCreations(key, n)
	ref := ownerref.NewControllerRef(job, kind)
	var next atomic.Int32
	created, err := pods.SlowStart(n, func() error {
		_, err := c.podAPI.Create(ctx, templates[next.Add(1)-1], job, ref)
		return err
	})
	for range n - created {
		c.expect.CreationObserved(key)
	}
	return len(active) + created, 0, err
}

// deletePods deletes victims, removing their tracking finalizer first so
// that they are not counted as failures; it returns how many went.
func (c *Controller) deletePods(ctx context.Context, key string, job *batchv1.Job, victims []*corev1.Pod) (int, error) {
	names := make([]string, len(victims))
	for i, p := range victims {
		names[i] = podKey(p)
	}
	c.expect.ExpectDeletions(key, names)
	errs := make([]error, len(victims))
	var wg sync.WaitGroup
	for i, p := range victims {
		wg.Go(func() {
			err := c.removeFinalizer(ctx, p)
			if err == nil {
				err = c.podAPI.Delete(ctx, job, p.Name)
			}
			if err != nil {
				c.expect.DeletionObserved(key, podKey(p))
			}
			if !apierrors.IsNotFound(err) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	n := 0
	for _, e := range errs {
		if e == nil {
			n++
		}
	}
	return n, errors.Join(errs...)
}
