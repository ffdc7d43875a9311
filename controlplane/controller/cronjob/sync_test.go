package cronjob

import (
	"context"
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/controllertest"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

// now is 30 s past 10:05; "*/5 * * * *" was due at 10:05.
var now = time.Date(2026, 1, 2, 10, 5, 30, 0, time.UTC)

// fakeAPI holds Jobs by name and records the writes.
type fakeAPI struct {
	jobs     map[string]*batchv1.Job
	created  []string
	deleted  []string
	statuses []batchv1.CronJobStatus
}

func (f *fakeAPI) updateStatus(_ context.Context, cj *batchv1.CronJob) (*batchv1.CronJob, error) {
	f.statuses = append(f.statuses, *cj.Status.DeepCopy())
	return cj, nil
}

func (f *fakeAPI) getCronJob(context.Context, string, string) (*batchv1.CronJob, error) {
	return nil, apierrors.NewNotFound(batchv1.Resource("cronjobs"), "")
}

func (f *fakeAPI) createJob(_ context.Context, j *batchv1.Job) (*batchv1.Job, error) {
	if _, ok := f.jobs[j.Name]; ok {
		return nil, apierrors.NewAlreadyExists(batchv1.Resource("jobs"), j.Name)
	}
	j = j.DeepCopy()
	j.UID = types.UID(j.Name + "-uid")
	f.jobs[j.Name] = j
	f.created = append(f.created, j.Name)
	return j, nil
}

func (f *fakeAPI) getJob(_ context.Context, _, name string) (*batchv1.Job, error) {
	j, ok := f.jobs[name]
	if !ok {
		return nil, apierrors.NewNotFound(batchv1.Resource("jobs"), name)
	}
	return j, nil
}

func (f *fakeAPI) deleteJob(_ context.Context, _, name string) error {
	if _, ok := f.jobs[name]; !ok {
		return apierrors.NewNotFound(batchv1.Resource("jobs"), name)
	}
	delete(f.jobs, name)
	f.deleted = append(f.deleted, name)
	slices.Sort(f.deleted)
	return nil
}

func cronJob(mods ...func(*batchv1.CronJob)) *batchv1.CronJob {
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "tick", UID: "cj-uid",
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec: batchv1.CronJobSpec{
			Schedule: "*/5 * * * *", ConcurrencyPolicy: batchv1.AllowConcurrent, TimeZone: new("UTC"),
			SuccessfulJobsHistoryLimit: new(int32(3)), FailedJobsHistoryLimit: new(int32(1)),
			JobTemplate: batchv1.JobTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "tick"}}},
		},
		Status: batchv1.CronJobStatus{LastScheduleTime: &metav1.Time{Time: now.Add(-5*time.Minute - 30*time.Second)}},
	}
	for _, m := range mods {
		m(cj)
	}
	return cj
}

// job is a Job of the CronJob scheduled at minute, finished with cond
// ("" while it runs).
func job(minute int, cond batchv1.JobConditionType) *batchv1.Job {
	at := time.Date(2026, 1, 2, 10, minute, 0, 0, time.UTC)
	cj := cronJob()
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: jobName(cj, at), UID: types.UID(jobName(cj, at) + "-uid"),
		OwnerReferences: []metav1.OwnerReference{ownerref.NewControllerRef(cj, kind)}},
		Status: batchv1.JobStatus{StartTime: &metav1.Time{Time: at}}}
	if cond != "" {
		j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue}}
		if cond == batchv1.JobComplete {
			j.Status.CompletionTime = &metav1.Time{Time: at.Add(time.Second)}
		}
	}
	return j
}

func ref(j *batchv1.Job) corev1.ObjectReference {
	return corev1.ObjectReference{Kind: "Job", Namespace: j.Namespace, Name: j.Name, UID: j.UID}
}

func active(jobs ...*batchv1.Job) func(*batchv1.CronJob) {
	return func(cj *batchv1.CronJob) {
		for _, j := range jobs {
			cj.Status.Active = append(cj.Status.Active, ref(j))
		}
	}
}

func TestSync(t *testing.T) {
	due := jobName(cronJob(), time.Date(2026, 1, 2, 10, 5, 0, 0, time.UTC))
	running := job(0, "")
	tests := []struct {
		name    string
		cj      *batchv1.CronJob
		jobs    []*batchv1.Job
		created []string
		deleted []string
		active  []string // names in status.active afterwards
		events  []string
	}{
		{name: "due: creates the Job of the time", cj: cronJob(),
			created: []string{due}, active: []string{due}, events: []string{"SuccessfulCreate"}},
		{name: "already run this time: nothing", cj: cronJob(func(cj *batchv1.CronJob) {
			cj.Status.LastScheduleTime = &metav1.Time{Time: now.Add(-30 * time.Second)}
		})},
		{name: "many missed: only the most recent runs", cj: cronJob(func(cj *batchv1.CronJob) { cj.Status.LastScheduleTime = nil }),
			created: []string{due}, active: []string{due}, events: []string{"SuccessfulCreate"}},
		{name: "suspended: nothing", cj: cronJob(func(cj *batchv1.CronJob) { cj.Spec.Suspend = new(true) })},
		{name: "Forbid with a Job running: skipped", cj: cronJob(active(running), func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = batchv1.ForbidConcurrent }),
			jobs: []*batchv1.Job{running}, active: []string{running.Name}, events: []string{"JobAlreadyActive"}},
		{name: "Replace: the running Job goes first", cj: cronJob(active(running), func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = batchv1.ReplaceConcurrent }),
			jobs: []*batchv1.Job{running}, created: []string{due}, deleted: []string{running.Name}, active: []string{due},
			events: []string{"SuccessfulDelete", "SuccessfulCreate"}},
		{name: "Allow: side by side", cj: cronJob(active(running)),
			jobs: []*batchv1.Job{running}, created: []string{due}, active: []string{running.Name, due}, events: []string{"SuccessfulCreate"}},
		{name: "past startingDeadlineSeconds: missed", cj: cronJob(func(cj *batchv1.CronJob) {
			cj.Spec.StartingDeadlineSeconds = new(int64(10))
			cj.Status.LastScheduleTime = &metav1.Time{Time: now.Add(-10 * time.Minute)}
		})},
		{name: "within startingDeadlineSeconds: runs", cj: cronJob(func(cj *batchv1.CronJob) { cj.Spec.StartingDeadlineSeconds = new(int64(60)) }),
			created: []string{due}, active: []string{due}, events: []string{"SuccessfulCreate"}},
		{name: "a finished Job leaves active", cj: cronJob(active(job(0, batchv1.JobComplete)), func(cj *batchv1.CronJob) { cj.Spec.Suspend = new(true) }),
			jobs: []*batchv1.Job{job(0, batchv1.JobComplete)}, events: []string{"SawCompletedJob"}},
		{name: "an active Job gone leaves active", cj: cronJob(active(running), func(cj *batchv1.CronJob) { cj.Spec.Suspend = new(true) }),
			events: []string{"MissingJob"}},
		{name: "history limits: oldest finished Jobs deleted", cj: cronJob(func(cj *batchv1.CronJob) { cj.Spec.Suspend = new(true) }),
			jobs: []*batchv1.Job{job(1, batchv1.JobComplete), job(2, batchv1.JobComplete), job(3, batchv1.JobComplete), job(4, batchv1.JobComplete),
				job(6, batchv1.JobFailed), job(7, batchv1.JobFailed)},
			deleted: []string{job(1, "").Name, job(6, "").Name}, events: []string{"SuccessfulDelete", "SuccessfulDelete"}},
		{name: "a Job it did not make: warned, not adopted", cj: cronJob(func(cj *batchv1.CronJob) { cj.Spec.Suspend = new(true) }),
			jobs: []*batchv1.Job{running}, events: []string{"UnexpectedJob"}},
		{name: "the Job of the time exists (crash before the status): taken", cj: cronJob(),
			jobs: []*batchv1.Job{job(5, "")}, active: []string{due}, events: []string{"UnexpectedJob"}},
		{name: "a bad schedule: an event, no retry", cj: cronJob(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "61 * * * *" }),
			events: []string{"InvalidSchedule"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cjIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
			jobIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, ownerref.Indexers())
			a := &fakeAPI{jobs: map[string]*batchv1.Job{}}
			if err := cjIdx.Add(tt.cj); err != nil {
				t.Fatal(err)
			}
			for _, j := range tt.jobs {
				if err := jobIdx.Add(j); err != nil {
					t.Fatal(err)
				}
				a.jobs[j.Name] = j
			}
			r := &controllertest.Recorder{}
			c := newController(batchlisters.NewCronJobLister(cjIdx), jobIdx, a, r)
			c.now = func() time.Time { return now }
			if err := c.sync(t.Context(), "ns/tick"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			slices.Sort(a.deleted)
			if !slices.Equal(a.created, tt.created) || !slices.Equal(a.deleted, tt.deleted) || !slices.Equal(r.Reasons(), tt.events) {
				t.Fatalf("created %v, deleted %v, events %v; want %v, %v, %v", a.created, a.deleted, r.Reasons(), tt.created, tt.deleted, tt.events)
			}
			st := tt.cj.Status
			if len(a.statuses) > 0 {
				st = a.statuses[len(a.statuses)-1]
			}
			var names []string
			for _, r := range st.Active {
				names = append(names, r.Name)
			}
			if !slices.Equal(names, tt.active) {
				t.Fatalf("active %v, want %v", names, tt.active)
			}
			if len(tt.created) > 0 {
				j := a.jobs[tt.created[0]]
				if !st.LastScheduleTime.Time.Equal(time.Date(2026, 1, 2, 10, 5, 0, 0, time.UTC)) ||
					j.Annotations[batchv1.CronJobScheduledTimestampAnnotation] != "2026-01-02T10:05:00Z" || !metav1.IsControlledBy(j, tt.cj) {
					t.Fatalf("lastScheduleTime %v, job %+v", st.LastScheduleTime, j.ObjectMeta)
				}
			}
		})
	}
}

func TestMostRecent(t *testing.T) {
	cj := cronJob(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "30 2 * * *"; cj.Spec.TimeZone = new("America/New_York") })
	s, loc, err := parse(cj)
	if err != nil {
		t.Fatal(err)
	}
	// 02:30 in New York is 07:30 UTC in January.
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	last, missed, next := mostRecent(s, at.Add(-72*time.Hour), at, loc)
	if !last.Equal(time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC)) || missed != 3 || !next.Equal(time.Date(2026, 1, 6, 7, 30, 0, 0, time.UTC)) {
		t.Fatalf("last %v, missed %d, next %v", last, missed, next)
	}
	if name := jobName(cj, last); name != "tick-29459970" {
		t.Fatalf("job name %s", name)
	}
}
