package cronjob

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

// sync reconciles the CronJob key (namespace/name): its active Jobs, its
// history, and the Job of its most recent schedule time; then writes its
// status and looks again at the next schedule time.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	cj, err := c.cronJobs.CronJobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	owned, err := ownerref.Owned[*batchv1.Job](c.jobs, ns, cj.UID, false)
	if err != nil {
		return err
	}
	st := cj.Status.DeepCopy()
	errs := []error{c.reconcileActive(ctx, cj, st, owned), c.cleanupHistory(ctx, cj, owned)}
	var after time.Duration
	if cj.DeletionTimestamp == nil {
		var err error
		after, err = c.schedule(ctx, cj, st, c.now())
		errs = append(errs, err)
	}
	errs = append(errs, c.writeStatus(ctx, cj, *st))
	if after > 0 {
		c.queue.AddAfter(key, after)
	}
	return errors.Join(errs...)
}

// reconcileActive drops the finished and vanished Jobs from st.active and
// notes the last success.
func (c *Controller) reconcileActive(ctx context.Context, cj *batchv1.CronJob, st *batchv1.CronJobStatus, owned []*batchv1.Job) error {
	byUID := map[string]*batchv1.Job{}
	for _, j := range owned {
		byUID[string(j.UID)] = j
		active := slices.ContainsFunc(st.Active, func(r corev1.ObjectReference) bool { return r.UID == j.UID })
		cond, finished := finishedCondition(j)
		switch {
		case !finished && !active && j.DeletionTimestamp == nil:
			c.events.Eventf(cj, corev1.EventTypeWarning, "UnexpectedJob", "Saw a job that the controller did not create or forgot: %s", j.Name)
		case finished && active:
			c.events.Eventf(cj, corev1.EventTypeNormal, "SawCompletedJob", "Saw completed job: %s, condition: %v", j.Name, cond)
			st.Active = slices.DeleteFunc(st.Active, func(r corev1.ObjectReference) bool { return r.UID == j.UID })
		}
		if cond == batchv1.JobComplete && j.Status.CompletionTime != nil &&
			(st.LastSuccessfulTime == nil || j.Status.CompletionTime.After(st.LastSuccessfulTime.Time)) {
			st.LastSuccessfulTime = j.Status.CompletionTime.DeepCopy()
		}
	}
	var errs []error
	st.Active = slices.DeleteFunc(st.Active, func(r corev1.ObjectReference) bool {
		if byUID[string(r.UID)] != nil {
			return false
		}
		// Not in the cache: gone, or too new for it.
		j, err := c.api.getJob(ctx, r.Namespace, r.Name)
		switch {
		case apierrors.IsNotFound(err) || (err == nil && j.UID != r.UID):
			c.events.Eventf(cj, corev1.EventTypeNormal, "MissingJob", "Active job went missing: %v", r.Name)
			return true
		case err != nil:
			errs = append(errs, err)
		}
		return false
	})
	return errors.Join(errs...)
}

// finishedCondition is Complete or Failed, when the Job finished.
func finishedCondition(j *batchv1.Job) (batchv1.JobConditionType, bool) {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return c.Type, true
		}
	}
	return "", false
}

// cleanupHistory deletes the oldest finished Jobs beyond the history
// limits.
func (c *Controller) cleanupHistory(ctx context.Context, cj *batchv1.CronJob, owned []*batchv1.Job) error {
	var succeeded, failed []*batchv1.Job
	for _, j := range owned {
		switch cond, _ := finishedCondition(j); {
		case j.DeletionTimestamp != nil:
		case cond == batchv1.JobComplete:
			succeeded = append(succeeded, j)
		case cond == batchv1.JobFailed:
			failed = append(failed, j)
		}
	}
	return errors.Join(
		c.trim(ctx, cj, succeeded, cj.Spec.SuccessfulJobsHistoryLimit),
		c.trim(ctx, cj, failed, cj.Spec.FailedJobsHistoryLimit))
}

func (c *Controller) trim(ctx context.Context, cj *batchv1.CronJob, jobs []*batchv1.Job, limit *int32) error {
	if limit == nil || len(jobs) <= int(*limit) {
		return nil
	}
	slices.SortStableFunc(jobs, func(a, b *batchv1.Job) int { return startOf(a).Compare(startOf(b)) })
	var errs []error
	for _, j := range jobs[:len(jobs)-int(*limit)] {
		errs = append(errs, c.deleteJob(ctx, cj, j.Name))
	}
	return errors.Join(errs...)
}

// startOf is when a Job started, or was created.
func startOf(j *batchv1.Job) time.Time {
	if j.Status.StartTime != nil {
		return j.Status.StartTime.Time
	}
	return j.CreationTimestamp.Time
}

func (c *Controller) deleteJob(ctx context.Context, cj *batchv1.CronJob, name string) error {
	err := c.api.deleteJob(ctx, cj.Namespace, name)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		c.events.Eventf(cj, corev1.EventTypeWarning, "FailedDelete", "Deleted job: %v", err)
		return err
	}
	c.events.Eventf(cj, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted job %v", name)
	return nil
}

// schedule runs the most recent schedule time not yet run, as the
// concurrency policy allows, and returns how long until the next one.
func (c *Controller) schedule(ctx context.Context, cj *batchv1.CronJob, st *batchv1.CronJobStatus, now time.Time) (time.Duration, error) {
	if cj.Spec.Suspend != nil && *cj.Spec.Suspend {
		return 0, nil
	}
	sched, loc, err := parse(cj)
	if err != nil {
		c.events.Eventf(cj, corev1.EventTypeWarning, "InvalidSchedule", "invalid schedule: %s : %v", cj.Spec.Schedule, err)
		return 0, nil
	}
	earliest := cj.CreationTimestamp.Time
	if st.LastScheduleTime != nil {
		earliest = st.LastScheduleTime.Time
	}
	deadline := cj.Spec.StartingDeadlineSeconds
	if deadline != nil {
		if w := now.Add(-time.Duration(*deadline) * time.Second); w.After(earliest) {
			earliest = w
		}
	}
	scheduled, missed, next := mostRecent(sched, earliest, now, loc)
	// A little past the time, so that the next sync finds it due.
	after := next.Sub(now) + 100*time.Millisecond
	if next.IsZero() {
		after = 0
	}
	if scheduled.IsZero() {
		return after, nil
	}
	if missed > 100 {
		c.events.Eventf(cj, corev1.EventTypeWarning, "TooManyMissedTimes",
			"too many missed start times: %d. Set or decrease .spec.startingDeadlineSeconds or check clock skew", missed)
	}
	if deadline != nil && scheduled.Add(time.Duration(*deadline)*time.Second).Before(now) {
		c.events.Eventf(cj, corev1.EventTypeWarning, "MissSchedule", "Missed scheduled time to start a job: %s", scheduled.UTC().Format(time.RFC1123Z))
		return after, nil
	}
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(st.Active) > 0 {
			c.events.Eventf(cj, corev1.EventTypeNormal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid")
			return after, nil
		}
	case batchv1.ReplaceConcurrent:
		for _, r := range slices.Clone(st.Active) {
			if err := c.deleteJob(ctx, cj, r.Name); err != nil {
				return 0, err
			}
			st.Active = slices.DeleteFunc(st.Active, func(a corev1.ObjectReference) bool { return a.UID == r.UID })
		}
	}
	job, err := c.create(ctx, cj, scheduled, loc)
	if err != nil {
		return 0, err
	}
	if _, finished := finishedCondition(job); !finished &&
		!slices.ContainsFunc(st.Active, func(r corev1.ObjectReference) bool { return r.UID == job.UID }) {
		st.Active = append(st.Active, corev1.ObjectReference{Kind: "Job", APIVersion: "batch/v1",
			Namespace: job.Namespace, Name: job.Name, UID: job.UID, ResourceVersion: job.ResourceVersion})
	}
	st.LastScheduleTime = &metav1.Time{Time: scheduled}
	return after, nil
}

// create creates the Job of the time scheduled, or returns the one
// created before (a crash between the create and the status write).
func (c *Controller) create(ctx context.Context, cj *batchv1.CronJob, scheduled time.Time, loc *time.Location) (*batchv1.Job, error) {
	job := newJob(cj, scheduled, loc)
	created, err := c.api.createJob(ctx, job)
	if apierrors.IsAlreadyExists(err) {
		existing, gerr := c.api.getJob(ctx, job.Namespace, job.Name)
		if gerr != nil {
			return nil, gerr
		}
		if !metav1.IsControlledBy(existing, cj) {
			return nil, fmt.Errorf("job %s/%s exists and is not the cronjob's", job.Namespace, job.Name)
		}
		return existing, nil
	}
	if err != nil {
		if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			c.events.Eventf(cj, corev1.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
		}
		return nil, err
	}
	c.events.Eventf(cj, corev1.EventTypeNormal, "SuccessfulCreate", "Created job %v", created.Name)
	return created, nil
}

// newJob is the Job of cj for the time scheduled.
func newJob(cj *batchv1.CronJob, scheduled time.Time, loc *time.Location) *batchv1.Job {
	t := &cj.Spec.JobTemplate
	annotations := maps.Clone(t.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[batchv1.CronJobScheduledTimestampAnnotation] = scheduled.In(loc).Format(time.RFC3339)
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name: jobName(cj, scheduled), Namespace: cj.Namespace,
			Labels: maps.Clone(t.Labels), Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{ownerref.NewControllerRef(cj, kind)},
		},
		Spec: *t.Spec.DeepCopy(),
	}
}

// writeStatus writes status to cj through /status unless nothing
// changed; one conflict is retried on a fresh read.
func (c *Controller) writeStatus(ctx context.Context, cj *batchv1.CronJob, status batchv1.CronJobStatus) error {
	if apiequality.Semantic.DeepEqual(cj.Status, status) {
		return nil
	}
	_, err := controller.UpdateStatus(ctx, cj, func(cj *batchv1.CronJob) { cj.Status = status }, c.api.updateStatus, c.api.getCronJob)
	if errors.Is(err, controller.ErrReplaced) {
		return nil
	}
	return err
}
