package deployment

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// deployment is web: n replicas of httpd:2.4, rolling update 25%/25%,
// progress deadline 600s, history limit 10, generation 1.
func deployment(n int32) *appsv1.Deployment {
	return deploymentWith(n, "25%", "25%")
}

func deploymentWith(n int32, surge, unavailable string) *appsv1.Deployment {
	s, u := intstr.Parse(surge), intstr.Parse(unavailable)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "d-uid", Generation: 1, ResourceVersion: "1",
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec: appsv1.DeploymentSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: template("httpd:2.4"),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &s, MaxUnavailable: &u}},
			RevisionHistoryLimit:    new(int32(10)),
			ProgressDeadlineSeconds: new(int32(600)),
		},
	}
}

func recreate(d *appsv1.Deployment) *appsv1.Deployment {
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	return d
}

func template(image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "httpd", Image: image}}},
	}
}

// rs is a ReplicaSet of web's current template (httpd:2.4), revision 1,
// with replicas pods of which available are ready and available.
func rs(name string, replicas, available int32, mods ...func(*appsv1.ReplicaSet)) *appsv1.ReplicaSet {
	t := template("httpd:2.4")
	t.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = name
	r := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name + "-uid"), Generation: 1, ResourceVersion: "1",
			Labels:            maps.Clone(t.Labels),
			Annotations:       map[string]string{RevisionAnnotation: "1"},
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour)),
			OwnerReferences:   []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "d-uid", Controller: new(true)}},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: maps.Clone(t.Labels)},
			Template: t,
		},
		Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: available, AvailableReplicas: available, ObservedGeneration: 1,
			TerminatingReplicas: new(int32(0))},
	}
	for _, m := range mods {
		m(r)
	}
	return r
}

// old makes a ReplicaSet of an earlier template (image), revision rev,
// created age ago.
func old(image string, rev int, age time.Duration) func(*appsv1.ReplicaSet) {
	return func(r *appsv1.ReplicaSet) {
		r.Spec.Template.Spec.Containers[0].Image = image
		r.Annotations[RevisionAnnotation] = fmt.Sprint(rev)
		r.CreationTimestamp = metav1.NewTime(now.Add(-age))
	}
}

// annotated sets the replicas annotations the Deployment wrote when it
// last scaled the ReplicaSet.
func annotated(desired, maxReplicas int32) func(*appsv1.ReplicaSet) {
	return func(r *appsv1.ReplicaSet) {
		r.Annotations[DesiredReplicasAnnotation] = fmt.Sprint(desired)
		r.Annotations[MaxReplicasAnnotation] = fmt.Sprint(maxReplicas)
	}
}

// fakeAPI keeps the ReplicaSets written and logs every write.
type fakeAPI struct {
	deployment *appsv1.Deployment
	sets       map[string]*appsv1.ReplicaSet
	log        []string
	statuses   []appsv1.Deployment
	createErr  error
}

func (f *fakeAPI) getDeployment(context.Context, string, string) (*appsv1.Deployment, error) {
	return f.deployment.DeepCopy(), nil
}

func (f *fakeAPI) updateDeploymentStatus(_ context.Context, d *appsv1.Deployment) (*appsv1.Deployment, error) {
	f.log = append(f.log, "status")
	f.statuses = append(f.statuses, *d.DeepCopy())
	out := d.DeepCopy()
	out.ResourceVersion += "+"
	return out, nil
}

func (f *fakeAPI) createReplicaSet(_ context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	if f.createErr != nil {
		return nil, f.createErr
	}
	f.log = append(f.log, fmt.Sprintf("create %s %d", rs.Name, *rs.Spec.Replicas))
	f.sets[rs.Name] = rs.DeepCopy()
	return rs.DeepCopy(), nil
}

func (f *fakeAPI) updateReplicaSet(_ context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	f.log = append(f.log, fmt.Sprintf("update %s %d", rs.Name, *rs.Spec.Replicas))
	f.sets[rs.Name] = rs.DeepCopy()
	return rs.DeepCopy(), nil
}

func (f *fakeAPI) patchReplicaSet(_ context.Context, _, name string, _ []byte) error {
	f.log = append(f.log, "patch "+name)
	return nil
}

func (f *fakeAPI) deleteReplicaSet(_ context.Context, rs *appsv1.ReplicaSet) error {
	f.log = append(f.log, "delete "+rs.Name)
	delete(f.sets, rs.Name)
	return nil
}

// lastStatus is the last status written.
func (f *fakeAPI) lastStatus(t *testing.T) appsv1.Deployment {
	t.Helper()
	if len(f.statuses) == 0 {
		t.Fatal("no status written")
	}
	return f.statuses[len(f.statuses)-1]
}

// events records events as "reason: message".
type events []string

func (e *events) Eventf(_ runtime.Object, _, reason, messageFmt string, args ...any) {
	*e = append(*e, reason+": "+fmt.Sprintf(messageFmt, args...))
}

// testController is a controller over listers holding objs.
func testController(t *testing.T, objs ...runtime.Object) (*Controller, *fakeAPI, *events) {
	t.Helper()
	dIndexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	rsIndexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	podIndexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, ownerref.Indexers())
	a := &fakeAPI{sets: map[string]*appsv1.ReplicaSet{}}
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *appsv1.Deployment:
			err = dIndexer.Add(o)
			a.deployment = o
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
	ev := &events{}
	c := newController(appslisters.NewDeploymentLister(dIndexer), appslisters.NewReplicaSetLister(rsIndexer), podIndexer, a, ev)
	c.now = func() time.Time { return now }
	return c, a, ev
}

// sizes is "name=replicas" of every ReplicaSet the fake holds, sorted.
func (f *fakeAPI) sizes() []string {
	var out []string
	for name, rs := range f.sets {
		out = append(out, fmt.Sprintf("%s=%d", name, *rs.Spec.Replicas))
	}
	slices.Sort(out)
	return out
}

var errNotFound = apierrors.NewNotFound(appsv1.Resource("replicasets"), "x")
