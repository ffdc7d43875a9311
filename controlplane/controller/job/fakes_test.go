package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/controllertest"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeAPI serves Jobs by name and records status writes and deletions.
type fakeAPI struct {
	jobs     map[string]*batchv1.Job
	statuses []batchv1.JobStatus
	deleted  []string
}

func (f *fakeAPI) get(_ context.Context, _, name string) (*batchv1.Job, error) {
	j, ok := f.jobs[name]
	if !ok {
		return nil, apierrors.NewNotFound(batchv1.Resource("jobs"), name)
	}
	return j.DeepCopy(), nil
}

func (f *fakeAPI) updateStatus(_ context.Context, j *batchv1.Job) (*batchv1.Job, error) {
	f.statuses = append(f.statuses, *j.Status.DeepCopy())
	f.jobs[j.Name] = j.DeepCopy()
	return j, nil
}

func (f *fakeAPI) delete(_ context.Context, j *batchv1.Job) error {
	f.deleted = append(f.deleted, j.Name)
	return nil
}

// last is the status last written.
func (f *fakeAPI) last(t *testing.T) batchv1.JobStatus {
	t.Helper()
	if len(f.statuses) == 0 {
		t.Fatal("no status written")
	}
	return f.statuses[len(f.statuses)-1]
}

// fakePods records pod writes, applying patches to the pods it holds as
// the API server would; creates fail once okCreates succeeded (>= 0).
type fakePods struct {
	mu        sync.Mutex
	pods      map[string]*corev1.Pod
	created   []*corev1.Pod
	okCreates int
	deleted   []string
	patched   []string
}

func (f *fakePods) Create(_ context.Context, t *corev1.PodTemplateSpec, owner pods.Owner, ref metav1.OwnerReference) (*corev1.Pod, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.okCreates >= 0 && len(f.created) >= f.okCreates {
		return nil, apierrors.NewForbidden(corev1.Resource("pods"), "", errors.New("exceeded quota"))
	}
	p := pods.FromTemplate(t, owner, ref)
	f.created = append(f.created, p)
	return p, nil
}

func (f *fakePods) Delete(_ context.Context, _ pods.Owner, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, name)
	slices.Sort(f.deleted)
	return nil
}

func (f *fakePods) Patch(_ context.Context, _, name string, patch []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.patched = append(f.patched, name)
	slices.Sort(f.patched)
	p, ok := f.pods[name]
	if !ok {
		return apierrors.NewNotFound(corev1.Resource("pods"), name)
	}
	cur, _ := json.Marshal(p)
	out, err := strategicpatch.StrategicMergePatch(cur, patch, &corev1.Pod{})
	if err != nil {
		return err
	}
	next := &corev1.Pod{}
	if err := json.Unmarshal(out, next); err != nil {
		return err
	}
	f.pods[name] = next
	return nil
}

type fixture struct {
	c      *Controller
	api    *fakeAPI
	pods   *fakePods
	events *controllertest.Recorder
	podIdx cache.Indexer
}

// testController is a controller over listers holding objs.
func testController(t *testing.T, objs ...any) *fixture {
	t.Helper()
	jobIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	idx := ownerref.Indexers()
	idx[cache.NamespaceIndex] = cache.MetaNamespaceIndexFunc
	podIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, idx)
	f := &fixture{api: &fakeAPI{jobs: map[string]*batchv1.Job{}}, pods: &fakePods{okCreates: -1, pods: map[string]*corev1.Pod{}},
		events: &controllertest.Recorder{}, podIdx: podIdx}
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *batchv1.Job:
			err = jobIdx.Add(o)
			f.api.jobs[o.Name] = o
		case *corev1.Pod:
			err = podIdx.Add(o)
			f.pods.pods[o.Name] = o.DeepCopy()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	f.c = newController(batchlisters.NewJobLister(jobIdx), podIdx, f.api, f.pods, f.events, Options{})
	f.c.now = func() time.Time { return now }
	return f
}

// job is a Job "pi" of completions and parallelism, started a minute ago.
func job(completions, parallelism int32, mods ...func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pi", UID: "job-uid", Generation: 1},
		Spec: batchv1.JobSpec{
			Completions: &completions, Parallelism: &parallelism, BackoffLimit: new(int32(6)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: "job-uid"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{batchv1.ControllerUidLabel: "job-uid", batchv1.JobNameLabel: "pi"}},
				Spec:       corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever},
			},
		},
		Status: batchv1.JobStatus{StartTime: &metav1.Time{Time: now.Add(-time.Minute)}},
	}
	for _, m := range mods {
		m(j)
	}
	return j
}

// pod is a pod of the Job in phase, with the tracking finalizer.
func pod(name string, phase corev1.PodPhase, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name + "-uid"), ResourceVersion: "1",
			Labels:            map[string]string{batchv1.ControllerUidLabel: "job-uid", batchv1.JobNameLabel: "pi"},
			Finalizers:        []string{batchv1.JobTrackingFinalizer},
			CreationTimestamp: metav1.NewTime(now.Add(-time.Minute)),
			OwnerReferences:   []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: "pi", UID: "job-uid", Controller: new(true)}},
		},
		Spec:   corev1.PodSpec{NodeName: "n1"},
		Status: corev1.PodStatus{Phase: phase},
	}
	if phase == corev1.PodFailed || phase == corev1.PodSucceeded {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{State: corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(now.Add(-time.Second))}}}}
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func pods_(prefix string, n int, phase corev1.PodPhase, mods ...func(*corev1.Pod)) []any {
	var out []any
	for i := range n {
		out = append(out, pod(fmt.Sprintf("%s%d", prefix, i), phase, mods...))
	}
	return out
}

func noFinalizer(p *corev1.Pod) { p.Finalizers = nil }
