package daemonset

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/controllertest"
	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/controller/history/historytest"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type fakeAPI struct{ statuses []appsv1.DaemonSetStatus }

func (f *fakeAPI) get(context.Context, string, string) (*appsv1.DaemonSet, error) { return ds(), nil }

func (f *fakeAPI) updateStatus(_ context.Context, d *appsv1.DaemonSet) (*appsv1.DaemonSet, error) {
	f.statuses = append(f.statuses, d.Status)
	return d, nil
}

// fakePods records the nodes pods are created for and the pods deleted.
type fakePods struct {
	mu      sync.Mutex
	created []string // node names
	pods    []*corev1.Pod
	deleted []string
}

func (f *fakePods) Create(_ context.Context, t *corev1.PodTemplateSpec, owner pods.Owner, ref metav1.OwnerReference) (*corev1.Pod, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := pods.FromTemplate(t, owner, ref)
	f.pods = append(f.pods, p)
	f.created = append(f.created, nodeOf(p))
	slices.Sort(f.created)
	return p, nil
}

func (f *fakePods) Delete(_ context.Context, _ pods.Owner, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, name)
	slices.Sort(f.deleted)
	return nil
}

func (f *fakePods) Patch(context.Context, string, string, []byte) error { return nil }

type fixture struct {
	c       *Controller
	api     *fakeAPI
	pods    *fakePods
	history *historytest.API
	events  *controllertest.Recorder
}

func testController(t *testing.T, objs ...any) *fixture {
	t.Helper()
	nsIdx := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
	dsIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, nsIdx)
	nodeIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	podIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, ownerref.Indexers())
	revIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, ownerref.Indexers())
	f := &fixture{api: &fakeAPI{}, pods: &fakePods{}, history: historytest.New(), events: &controllertest.Recorder{}}
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *appsv1.DaemonSet:
			err = dsIdx.Add(o)
		case *corev1.Node:
			err = nodeIdx.Add(o)
		case *corev1.Pod:
			err = podIdx.Add(o)
		case *appsv1.ControllerRevision:
			err = revIdx.Add(o)
			f.history.Revs[o.Name] = o
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	f.c = newController(appslisters.NewDaemonSetLister(dsIdx), corelisters.NewNodeLister(nodeIdx), podIdx, revIdx,
		f.api, f.pods, f.history, f.events)
	f.c.now = func() time.Time { return now }
	return f
}

// ds is the DaemonSet "agent" of app=agent running image.
func ds(mods ...func(*appsv1.DaemonSet)) *appsv1.DaemonSet {
	d := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "agent", UID: "ds-uid", Generation: 1},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "agent:1"}}},
			},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: new(intstr.FromInt32(1)), MaxSurge: new(intstr.FromInt32(0))}},
			RevisionHistoryLimit: new(int32(10)),
		},
	}
	for _, m := range mods {
		m(d)
	}
	return d
}

func image(i string) func(*appsv1.DaemonSet) {
	return func(d *appsv1.DaemonSet) { d.Spec.Template.Spec.Containers[0].Image = i }
}

// revision is the revision number n of d.
func revision(d *appsv1.DaemonSet, n int64) *appsv1.ControllerRevision {
	data, err := revisionData(d)
	if err != nil {
		panic(err)
	}
	return history.New(d, kind, d.Spec.Template.Labels, data, n, nil)
}

func hashOf(d *appsv1.DaemonSet) string { return revision(d, 1).Labels[history.HashLabel] }

func node(name string, mods ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}}}
	for _, m := range mods {
		m(n)
	}
	return n
}

func taint(key string, effect corev1.TaintEffect) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Effect: effect}) }
}

// pod is a ready pod of the DaemonSet on nodeName, of the revision hash.
func pod(name, nodeName, hash string, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name + "-uid"),
			Labels:            map[string]string{"app": "agent", history.HashLabel: hash},
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour)),
			OwnerReferences:   []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "agent", UID: "ds-uid", Controller: new(true)}},
		},
		Spec: corev1.PodSpec{NodeName: nodeName},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))}}},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func notReady(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }
