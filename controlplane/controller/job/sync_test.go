package job

import (
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// counts is the part of a Job's status the tests compare: active,
// succeeded, failed, ready.
type counts [4]int32

func countsOf(s batchv1.JobStatus) counts {
	var ready int32 = -1
	if s.Ready != nil {
		ready = *s.Ready
	}
	return counts{s.Active, s.Succeeded, s.Failed, ready}
}

func TestSync(t *testing.T) {
	finishedJob := func(ttl int32, ago time.Duration) func(*batchv1.Job) {
		return func(j *batchv1.Job) {
			j.Spec.TTLSecondsAfterFinished = &ttl
			j.Status.CompletionTime = &metav1.Time{Time: now.Add(-ago)}
			j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
		}
	}
	tests := []struct {
		name      string
		objs      []any
		pending   func(c *Controller)
		created   int
		deleted   []string
		patched   []string // finalizers removed
		status    *counts  // last status written; nil: none
		writes    int      // status writes, when status is set
		condition batchv1.JobConditionType
		reason    string
		events    []string
		jobGone   bool // deleted after its ttl
	}{
		{
			name:    "a new Job starts parallelism pods",
			objs:    []any{job(4, 2)},
			created: 2, status: &counts{2, 0, 0, 0}, writes: 1,
			events: nil,
		},
		{
			name:    "a succeeded pod is counted through uncountedTerminatedPods, its finalizer removed",
			objs:    append([]any{job(4, 2), pod("ok", corev1.PodSucceeded)}, pods_("run", 2, corev1.PodRunning)...),
			patched: []string{"ok"}, status: &counts{2, 1, 0, 0}, writes: 2,
		},
		{
			name: "a pod counted before is not counted again",
			objs: append([]any{job(4, 2, func(j *batchv1.Job) { j.Status.Succeeded = 1 }), pod("ok", corev1.PodSucceeded, noFinalizer)},
				pods_("run", 2, corev1.PodRunning)...),
			status: &counts{2, 1, 0, 0}, writes: 1,
		},
		{
			name: "an uncounted pod gone meanwhile is counted",
			objs: append([]any{job(4, 2, func(j *batchv1.Job) {
				j.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{Failed: []types.UID{"gone-uid"}}
			})}, pods_("run", 2, corev1.PodRunning)...),
			status: &counts{2, 0, 1, 0}, writes: 1,
		},
		{
			name:    "enough successes: Complete",
			objs:    append([]any{job(4, 2, func(j *batchv1.Job) { j.Status.Succeeded = 2 })}, pods_("ok", 2, corev1.PodSucceeded)...),
			patched: []string{"ok0", "ok1"}, status: &counts{0, 4, 0, 0}, writes: 2,
			condition: batchv1.JobComplete, events: []string{"Completed"},
		},
		{
			name: "more failures than backoffLimit: Failed, running pods deleted",
			objs: []any{job(4, 2, func(j *batchv1.Job) { j.Spec.BackoffLimit = new(int32(1)); j.Status.Failed = 1 }),
				pod("bad", corev1.PodFailed), pod("run", corev1.PodRunning)},
			patched: []string{"bad", "run"}, deleted: []string{"run"}, status: &counts{0, 0, 3, 0}, writes: 2,
			condition: batchv1.JobFailed, reason: "BackoffLimitExceeded", events: []string{"BackoffLimitExceeded"},
		},
		{
			name:    "a fresh failure holds new pods back",
			objs:    []any{job(4, 2), pod("bad", corev1.PodFailed), pod("run", corev1.PodRunning)},
			patched: []string{"bad"}, status: &counts{1, 0, 1, 0}, writes: 2,
		},
		{
			name: "an old failure does not hold new pods back",
			objs: []any{job(4, 2), pod("bad", corev1.PodFailed, func(p *corev1.Pod) {
				p.Status.ContainerStatuses[0].State.Terminated.FinishedAt = metav1.NewTime(now.Add(-time.Minute))
			}), pod("run", corev1.PodRunning)},
			created: 1, patched: []string{"bad"}, status: &counts{2, 0, 1, 0}, writes: 2,
		},
		{
			name: "a pod deleted while running counts as failed",
			objs: []any{job(1, 1, func(j *batchv1.Job) { j.Spec.BackoffLimit = new(int32(0)) }),
				pod("going", corev1.PodRunning, func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: now} })},
			patched: []string{"going"}, status: &counts{0, 0, 1, 0}, writes: 2,
			condition: batchv1.JobFailed, reason: "BackoffLimitExceeded", events: []string{"BackoffLimitExceeded"},
		},
		{
			name:    "past activeDeadlineSeconds: Failed",
			objs:    []any{job(4, 1, func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = new(int64(30)) }), pod("run", corev1.PodRunning)},
			patched: []string{"run"}, deleted: []string{"run"}, status: &counts{0, 0, 1, 0}, writes: 1,
			condition: batchv1.JobFailed, reason: "DeadlineExceeded", events: []string{"DeadlineExceeded"},
		},
		{
			name: "restartPolicy OnFailure: container restarts count against backoffLimit",
			objs: []any{job(1, 1, func(j *batchv1.Job) {
				j.Spec.BackoffLimit = new(int32(2))
				j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
			}), pod("run", corev1.PodRunning, func(p *corev1.Pod) { p.Status.ContainerStatuses = []corev1.ContainerStatus{{RestartCount: 2}} })},
			patched: []string{"run"}, deleted: []string{"run"}, status: &counts{0, 0, 1, 0}, writes: 1,
			condition: batchv1.JobFailed, reason: "BackoffLimitExceeded", events: []string{"BackoffLimitExceeded"},
		},
		{
			name:    "suspended: running pods deleted, not counted",
			objs:    []any{job(4, 1, func(j *batchv1.Job) { j.Spec.Suspend = new(true) }), pod("run", corev1.PodRunning)},
			patched: []string{"run"}, deleted: []string{"run"}, status: &counts{0, 0, 0, 0}, writes: 1,
			condition: batchv1.JobSuspended, reason: "JobSuspended", events: []string{"Suspended"},
		},
		{
			name:    "parallelism lowered: extra pods deleted",
			objs:    append([]any{job(4, 1)}, pods_("run", 2, corev1.PodRunning)...),
			patched: []string{"run0"}, deleted: []string{"run0"}, status: &counts{1, 0, 0, 0}, writes: 1,
		},
		{
			name:    "creations in flight: waits for the informer",
			objs:    []any{job(4, 2)},
			pending: func(c *Controller) { c.expect.ExpectCreations("ns/pi", 2) },
			status:  &counts{0, 0, 0, 0}, writes: 1,
		},
		{
			name: "no completions: one success and none running is Complete",
			objs: []any{job(0, 2, func(j *batchv1.Job) { j.Spec.Completions = nil }), pod("ok", corev1.PodSucceeded),
				pod("bad", corev1.PodFailed, func(p *corev1.Pod) {
					p.Status.ContainerStatuses[0].State.Terminated.FinishedAt = metav1.NewTime(now.Add(-2 * time.Second))
				})},
			patched: []string{"bad", "ok"}, status: &counts{0, 1, 1, 0}, writes: 2,
			condition: batchv1.JobComplete, events: []string{"Completed"},
		},
		{
			name:    "finished: the finalizers of its pods go, nothing else",
			objs:    []any{job(1, 1, finishedJob(3600, time.Minute)), pod("late", corev1.PodSucceeded)},
			patched: []string{"late"},
		},
		{
			name:    "finished longer than ttlSecondsAfterFinished ago: deleted",
			objs:    []any{job(1, 1, finishedJob(30, time.Minute))},
			jobGone: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testController(t, tt.objs...)
			if tt.pending != nil {
				tt.pending(f.c)
			}
			if err := f.c.sync(t.Context(), "ns/pi"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			if len(f.pods.created) != tt.created || !slices.Equal(f.pods.deleted, tt.deleted) || !slices.Equal(f.pods.patched, tt.patched) {
				t.Fatalf("created %d, deleted %v, patched %v; want %d, %v, %v",
					len(f.pods.created), f.pods.deleted, f.pods.patched, tt.created, tt.deleted, tt.patched)
			}
			for _, p := range f.pods.created {
				if !hasFinalizer(p) || metav1.GetControllerOf(p) == nil || p.Labels[batchv1.JobNameLabel] != "pi" {
					t.Fatalf("created pod %+v", p.ObjectMeta)
				}
			}
			for _, name := range tt.patched {
				if p := f.pods.pods[name]; hasFinalizer(p) {
					t.Fatalf("%s keeps its finalizer", name)
				}
			}
			if !slices.Equal(f.events.Reasons(), tt.events) {
				t.Fatalf("events %v, want %v", f.events.Reasons(), tt.events)
			}
			if gone := len(f.api.deleted) > 0; gone != tt.jobGone {
				t.Fatalf("job deleted: %v", f.api.deleted)
			}
			if tt.status == nil {
				if len(f.api.statuses) != 0 {
					t.Fatalf("status written: %+v", f.api.statuses)
				}
				return
			}
			st := f.api.last(t)
			if got := countsOf(st); got != *tt.status || len(f.api.statuses) != tt.writes {
				t.Fatalf("status %v after %d writes, want %v after %d", got, len(f.api.statuses), *tt.status, tt.writes)
			}
			if u := st.UncountedTerminatedPods; u != nil && len(u.Succeeded)+len(u.Failed) != 0 {
				t.Fatalf("left uncounted: %+v", u)
			}
			if tt.condition != "" {
				c := condition(&st, tt.condition)
				if c == nil || c.Status != corev1.ConditionTrue || c.Reason != tt.reason {
					t.Fatalf("condition %s: %+v, want reason %q", tt.condition, c, tt.reason)
				}
			} else if finishedStatus(&st) {
				t.Fatalf("finished: %+v", st.Conditions)
			}
			if tt.condition == batchv1.JobComplete && st.CompletionTime == nil {
				t.Fatal("no completionTime")
			}
		})
	}
}

// TestSyncCountsOnce: a sync on a cache that still shows a counted pod
// with its finalizer does not count it again.
func TestSyncCountsOnce(t *testing.T) {
	f := testController(t, job(4, 1), pod("ok", corev1.PodSucceeded))
	if err := f.c.sync(t.Context(), "ns/pi"); err != nil {
		t.Fatal(err)
	}
	// The lister holds the Job as written, the pod still with its
	// finalizer.
	f.c.jobs = testController(t, f.api.jobs["pi"].DeepCopy()).c.jobs
	if err := f.c.sync(t.Context(), "ns/pi"); err != nil {
		t.Fatal(err)
	}
	if st := f.api.last(t); st.Succeeded != 1 {
		t.Fatalf("succeeded %d after a second sync on a stale cache", st.Succeeded)
	}
	// Once the informer shows the pod without its finalizer, it is
	// forgotten.
	old := pod("ok", corev1.PodSucceeded)
	cur := pod("ok", corev1.PodSucceeded, noFinalizer)
	cur.ResourceVersion = "2"
	f.c.updatePod(old, cur)
	if f.c.uncounting.has(cur.UID) {
		t.Fatal("still uncounting after the informer saw the finalizer go")
	}
}

// TestSyncOrphan: a pod with the tracking finalizer whose Job is gone
// loses the finalizer.
func TestSyncOrphan(t *testing.T) {
	f := testController(t, pod("left", corev1.PodRunning, func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: now} }))
	if err := f.c.sync(t.Context(), podKeyPrefix+"ns/left"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.pods.patched, []string{"left"}) || hasFinalizer(f.pods.pods["left"]) {
		t.Fatalf("patched %v", f.pods.patched)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := newBackoffs(10*time.Second, time.Minute)
	failedAt := func(ago time.Duration) *corev1.Pod {
		return pod("p", corev1.PodFailed, func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].State.Terminated.FinishedAt = metav1.NewTime(now.Add(-ago))
		})
	}
	steps := []struct {
		pod  *corev1.Pod
		want time.Duration
	}{
		{failedAt(0), 10 * time.Second},
		{failedAt(0), 20 * time.Second},
		{failedAt(5 * time.Second), 40 * time.Second}, // from the latest failure
		{failedAt(0), 60 * time.Second},               // 80 s, capped
		{pod("ok", corev1.PodSucceeded, func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].State.Terminated.FinishedAt = metav1.NewTime(now.Add(time.Second))
		}), 0},
	}
	for i, s := range steps {
		b.observe("k", []*corev1.Pod{s.pod}, now)
		if got := b.delay("k", now); got != s.want {
			t.Fatalf("step %d: delay %v, want %v", i, got, s.want)
		}
	}
}
