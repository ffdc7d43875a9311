package replicaset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeAPI serves ReplicaSets by name and records status writes.
type fakeAPI struct {
	sets     map[string]*appsv1.ReplicaSet
	statuses []appsv1.ReplicaSetStatus
	conflict bool // the next status write is a conflict
}

func (f *fakeAPI) get(_ context.Context, _, name string) (*appsv1.ReplicaSet, error) {
	rs, ok := f.sets[name]
	if !ok {
		return nil, apierrors.NewNotFound(appsv1.Resource("replicasets"), name)
	}
	return rs.DeepCopy(), nil
}

func (f *fakeAPI) updateStatus(_ context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	if f.conflict {
		f.conflict = false
		return nil, apierrors.NewConflict(appsv1.Resource("replicasets"), rs.Name, errors.New("stale"))
	}
	f.statuses = append(f.statuses, rs.Status)
	return rs, nil
}

// fakePods records pod writes; creates fail once okCreates succeeded
// (when >= 0), deletes of the pods named in failDelete fail.
type fakePods struct {
	mu         sync.Mutex
	created    int
	okCreates  int
	deleted    []string
	patched    []string
	failDelete map[string]error
}

func (f *fakePods) Create(_ context.Context, t *corev1.PodTemplateSpec, owner pods.Owner, ref metav1.OwnerReference) (*corev1.Pod, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.okCreates >= 0 && f.created >= f.okCreates {
		return nil, apierrors.NewForbidden(corev1.Resource("pods"), "", errors.New("exceeded quota"))
	}
	f.created++
	return pods.FromTemplate(t, owner, ref), nil
}

func (f *fakePods) Delete(_ context.Context, _ pods.Owner, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, name)
	slices.Sort(f.deleted)
	return f.failDelete[name]
}

func (f *fakePods) Patch(_ context.Context, _, name string, _ []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.patched = append(f.patched, name)
	return nil
}

// testController is a controller over listers holding objs.
func testController(t *testing.T, objs ...any) (*Controller, *fakeAPI, *fakePods) {
	t.Helper()
	rsIndexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, withNamespace(ownerref.Indexers()))
	podIndexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, withNamespace(ownerref.Indexers()))
	a := &fakeAPI{sets: map[string]*appsv1.ReplicaSet{}}
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *appsv1.ReplicaSet:
			err = rsIndexer.Add(o)
			a.sets[o.Name] = o
		case *corev1.Pod:
			err = podIndexer.Add(o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	p := &fakePods{okCreates: -1}
	c := newController(appslisters.NewReplicaSetLister(rsIndexer), rsIndexer, podIndexer, a, p)
	c.now = func() time.Time { return now }
	return c, a, p
}

// rs is a ReplicaSet of app=web with n replicas.
func rs(n int32, mods ...func(*appsv1.ReplicaSet)) *appsv1.ReplicaSet {
	r := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "rs-uid", Generation: 2},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", "tier": "front"}}},
		},
	}
	for _, m := range mods {
		m(r)
	}
	return r
}

// pod is a running, ready pod of the ReplicaSet rs-uid (orphan when
// owner is ""), with the template's labels, created age ago.
func pod(name string, owner types.UID, age time.Duration, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name + "-uid"),
			Labels: map[string]string{"app": "web", "tier": "front"}, CreationTimestamp: metav1.NewTime(now.Add(-age))},
		Spec: corev1.PodSpec{NodeName: "n1"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-age))},
		}},
	}
	if owner != "" {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web", UID: owner, Controller: new(true)}}
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func notReady(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }

func unscheduled(p *corev1.Pod) {
	p.Spec.NodeName = ""
	p.Status = corev1.PodStatus{Phase: corev1.PodPending}
}

func podNames(n int, owner types.UID) []any {
	var out []any
	for i := range n {
		out = append(out, pod(fmt.Sprintf("p%d", i), owner, time.Hour))
	}
	return out
}

func withNamespace(ix cache.Indexers) cache.Indexers {
	ix[cache.NamespaceIndex] = cache.MetaNamespaceIndexFunc
	return ix
}
