package statefulset

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/controller/history/historytest"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeSets serves StatefulSets by name and records status writes.
type fakeSets struct {
	sets     map[string]*appsv1.StatefulSet
	statuses []appsv1.StatefulSetStatus
}

func (f *fakeSets) get(_ context.Context, _, name string) (*appsv1.StatefulSet, error) {
	s, ok := f.sets[name]
	if !ok {
		return nil, apierrors.NewNotFound(appsv1.Resource("statefulsets"), name)
	}
	return s.DeepCopy(), nil
}

func (f *fakeSets) updateStatus(_ context.Context, s *appsv1.StatefulSet) (*appsv1.StatefulSet, error) {
	f.statuses = append(f.statuses, s.Status)
	return s, nil
}

// fakePods records the writes, in order ("create pod web-0", "create
// claim data-web-0", "delete pod web-2", "patch claim data-web-2").
type fakePods struct {
	writes  []string
	created map[string]*corev1.Pod
	claims  map[string]*corev1.PersistentVolumeClaim
	patches map[string][]byte
	fail    error // every create fails
}

func (f *fakePods) createPod(_ context.Context, _ *appsv1.StatefulSet, p *corev1.Pod) error {
	if f.fail != nil {
		return f.fail
	}
	f.writes = append(f.writes, "create pod "+p.Name)
	f.created[p.Name] = p
	return nil
}

func (f *fakePods) deletePod(_ context.Context, _ *appsv1.StatefulSet, p *corev1.Pod) error {
	f.writes = append(f.writes, "delete pod "+p.Name)
	return nil
}

func (f *fakePods) patchPod(_ context.Context, _, name string, patch []byte) error {
	f.writes = append(f.writes, "patch pod "+name)
	f.patches[name] = patch
	return nil
}

func (f *fakePods) createClaim(_ context.Context, _ *appsv1.StatefulSet, _ *corev1.Pod, c *corev1.PersistentVolumeClaim) error {
	if f.fail != nil {
		return f.fail
	}
	f.writes = append(f.writes, "create claim "+c.Name)
	f.claims[c.Name] = c
	return nil
}

func (f *fakePods) patchClaim(_ context.Context, _, name string, patch []byte) error {
	f.writes = append(f.writes, "patch claim "+name)
	f.patches[name] = patch
	return nil
}

type fixture struct {
	c    *Controller
	sets *fakeSets
	pods *fakePods
	hist *historytest.API
}

// testController is a controller over listers holding objs.
func testController(t *testing.T, objs ...any) *fixture {
	t.Helper()
	withNS := func(ix cache.Indexers) cache.Indexers {
		ix[cache.NamespaceIndex] = cache.MetaNamespaceIndexFunc
		return ix
	}
	setIx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, withNS(cache.Indexers{}))
	podIx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, withNS(ownerref.Indexers()))
	revIx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, withNS(ownerref.Indexers()))
	claimIx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, withNS(cache.Indexers{}))
	f := &fixture{
		sets: &fakeSets{sets: map[string]*appsv1.StatefulSet{}},
		pods: &fakePods{created: map[string]*corev1.Pod{}, claims: map[string]*corev1.PersistentVolumeClaim{}, patches: map[string][]byte{}},
		hist: historytest.New(),
	}
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *appsv1.StatefulSet:
			err = setIx.Add(o)
			f.sets.sets[o.Name] = o
		case *corev1.Pod:
			err = podIx.Add(o)
		case *appsv1.ControllerRevision:
			err = revIx.Add(o)
			f.hist.Revs[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			err = claimIx.Add(o)
		default:
			err = fmt.Errorf("unexpected %T", o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	f.c = newController(appslisters.NewStatefulSetLister(setIx), podIx, revIx, corelisters.NewPersistentVolumeClaimLister(claimIx),
		f.sets, f.pods, f.hist)
	f.c.now = func() time.Time { return now }
	return f
}

// sts is a StatefulSet "web" of n replicas, image img, a claim template
// "data", OrderedReady, RollingUpdate.
func sts(n int32, img string, mods ...func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "set-uid", Generation: 3},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &n,
			ServiceName: "nginx",
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: img}}},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}},
			PodManagementPolicy:  appsv1.OrderedReadyPodManagement,
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: new(int32(0))}},
		},
	}
	for _, m := range mods {
		m(s)
	}
	return s
}

func parallel(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement }

// revision is the ControllerRevision number n of set's template.
func revision(t *testing.T, set *appsv1.StatefulSet, n int64) *appsv1.ControllerRevision {
	t.Helper()
	data, err := revisionData(set)
	if err != nil {
		t.Fatal(err)
	}
	return history.New(set, kind, set.Spec.Template.Labels, data, n, new(int32(0)))
}

// pod is the pod of ordinal ord of set at revision rev, running and
// ready for an hour.
func pod(set *appsv1.StatefulSet, rev *appsv1.ControllerRevision, ord int, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := newPod(set, rev.Name, ord)
	p.UID = types.UID(p.Name + "-uid")
	p.Spec.NodeName = "n1"
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))},
	}}
	for _, m := range mods {
		m(p)
	}
	return p
}

func notReady(p *corev1.Pod)    { p.Status.Conditions[0].Status = corev1.ConditionFalse }
func pending(p *corev1.Pod)     { p.Status = corev1.PodStatus{Phase: corev1.PodPending} }
func terminating(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: now} }

func claim(name string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name + "-uid")}}
}

var errQuota = errors.New("exceeded quota")
