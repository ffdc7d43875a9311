package registry_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/applyconfigurations"

	"github.com/skiffrt/skiff/controlplane/apiserver"
	"github.com/skiffrt/skiff/controlplane/etcd/etcdtest"
	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/configmap"
	"github.com/skiffrt/skiff/controlplane/registry/deployment"
	"github.com/skiffrt/skiff/controlplane/registry/namespace"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
	"github.com/skiffrt/skiff/controlplane/storage"
)

type stores struct {
	ns, cm, pod, deploy *registry.Store
	dec                 *registry.Decoder
}

var opts = registry.WriteOptions{FieldManager: "test"}

// newStores serves the skeleton's kinds over a real etcd, with namespace
// "default" created.
func newStores(t *testing.T) *stores {
	t.Helper()
	scheme := apiserver.NewScheme()
	deps := registry.Deps{
		Storage:       storage.New(etcdtest.Start(t), storage.NewCodec(scheme), "/registry"),
		Scheme:        scheme,
		TypeConverter: applyconfigurations.NewTypeConverter(scheme),
	}
	mk := func(k registry.Kind) *registry.Store {
		s, err := registry.NewStore(k, deps)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := &stores{ns: mk(namespace.Kind()), cm: mk(configmap.Kind()), pod: mk(pod.Kind()), deploy: mk(deployment.Kind()), dec: registry.NewDecoder(scheme)}
	if _, err := s.ns.Create(context.Background(), "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, opts); err != nil {
		t.Fatal(err)
	}
	return s
}

func newDeployment(name string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
			},
		},
		Status: appsv1.DeploymentStatus{Replicas: 9},
	}
}

func wantCode(t *testing.T, err error, code int32) {
	t.Helper()
	var st apierrors.APIStatus
	if err == nil || !errorsAs(err, &st) || st.Status().Code != code {
		t.Fatalf("error %v, want code %d", err, code)
	}
}

func errorsAs(err error, st *apierrors.APIStatus) bool {
	s, ok := err.(apierrors.APIStatus)
	*st = s
	return ok
}

func TestCreateSetsServerFields(t *testing.T) {
	ctx := context.Background()
	s := newStores(t)
	d := newDeployment("")
	d.GenerateName = "web-"
	obj, err := s.deploy.Create(ctx, "default", d, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*appsv1.Deployment)
	if !strings.HasPrefix(got.Name, "web-") || len(got.Name) != len("web-")+5 || got.UID == "" || got.Generation != 1 ||
		got.CreationTimestamp.IsZero() || got.ResourceVersion == "" || got.Namespace != "default" {
		t.Fatalf("server fields: %+v", got.ObjectMeta)
	}
	if got.Status.Replicas != 0 || *got.Spec.Replicas != 1 || len(got.ManagedFields) != 1 || got.ManagedFields[0].Manager != "test" {
		t.Fatalf("status %+v, replicas %v, managedFields %+v", got.Status, *got.Spec.Replicas, got.ManagedFields)
	}
	if _, err := s.deploy.Create(ctx, "default", newDeployment(got.Name), opts); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("duplicate: %v", err)
	}
	_, err = s.cm.Create(ctx, "missing", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}, opts)
	wantCode(t, err, 404)
	dry := registry.WriteOptions{DryRun: true, FieldManager: "test"}
	if _, err := s.cm.Create(ctx, "default", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dry"}}, dry); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cm.Get(ctx, "default", "dry"); !apierrors.IsNotFound(err) {
		t.Fatalf("dry-run stored: %v", err)
	}
}

func TestUpdateSemantics(t *testing.T) {
	ctx := context.Background()
	s := newStores(t)
	obj, err := s.deploy.Create(ctx, "default", newDeployment("web"), opts)
	if err != nil {
		t.Fatal(err)
	}
	d := obj.(*appsv1.Deployment)

	// A label change keeps the generation; status sent on the main
	// resource is ignored.
	d.Labels = map[string]string{"x": "y"}
	d.Status.Replicas = 5
	obj, err = s.deploy.Update(ctx, "default", "web", "", d.DeepCopy(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if u := obj.(*appsv1.Deployment); u.Generation != 1 || u.Status.Replicas != 0 || u.Labels["x"] != "y" {
		t.Fatalf("after label update: gen %d status %d", u.Generation, u.Status.Replicas)
	}
	// The old resourceVersion is now stale.
	_, err = s.deploy.Update(ctx, "default", "web", "", d.DeepCopy(), opts)
	wantCode(t, err, 409)

	// Status through /status changes status, labels and annotations
	// (the Deployment controller records the revision so), not the spec
	// nor the owners.
	cur := obj.(*appsv1.Deployment).DeepCopy()
	cur.Status.ReadyReplicas = 1
	cur.Spec.Replicas = ptr(int32(7))
	cur.Annotations = map[string]string{"deployment.kubernetes.io/revision": "1"}
	cur.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "x", UID: "x"}}
	obj, err = s.deploy.Update(ctx, "default", "web", "status", cur, opts)
	if err != nil {
		t.Fatal(err)
	}
	if u := obj.(*appsv1.Deployment); u.Status.ReadyReplicas != 1 || *u.Spec.Replicas != 1 ||
		u.Annotations["deployment.kubernetes.io/revision"] != "1" || len(u.OwnerReferences) != 0 {
		t.Fatalf("status update: status %d, replicas %d, annotations %v, owners %v", u.Status.ReadyReplicas, *u.Spec.Replicas,
			u.Annotations, u.OwnerReferences)
	}

	// A spec change moves the generation; the selector is immutable.
	cur = obj.(*appsv1.Deployment).DeepCopy()
	cur.ResourceVersion = ""
	cur.Spec.Template.Spec.Containers[0].Image = "busybox:2"
	obj, err = s.deploy.Update(ctx, "default", "web", "", cur, opts)
	if err != nil || obj.(*appsv1.Deployment).Generation != 2 {
		t.Fatalf("spec update: %v %+v", err, obj)
	}
	cur.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	cur.Spec.Template.Labels = map[string]string{"app": "other"}
	_, err = s.deploy.Update(ctx, "default", "web", "", cur, opts)
	if err == nil || !strings.Contains(err.Error(), "spec.selector") {
		t.Fatalf("selector change: %v", err)
	}
	wantCode(t, err, 422)
}

func TestScaleSubresource(t *testing.T) {
	ctx := context.Background()
	s := newStores(t)
	if _, err := s.deploy.Create(ctx, "default", newDeployment("web"), opts); err != nil {
		t.Fatal(err)
	}
	obj, err := s.deploy.Patch(ctx, "default", "web", "scale", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), s.dec,
		registry.PatchOptions{WriteOptions: registry.WriteOptions{FieldManager: "kubectl"}})
	if err != nil {
		t.Fatal(err)
	}
	sc, ok := obj.(*autoscalingv1.Scale)
	if !ok || sc.Spec.Replicas != 3 || sc.Status.Selector != "app=web" {
		t.Fatalf("scale %+v", obj)
	}
	d, _ := s.deploy.Get(ctx, "default", "web")
	if *d.(*appsv1.Deployment).Spec.Replicas != 3 {
		t.Fatal("replicas not scaled")
	}
	// An apply of replicas now conflicts with the scale manager.
	apply := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5}}`
	_, err = s.deploy.Patch(ctx, "default", "web", "", types.ApplyYAMLPatchType, []byte(apply), s.dec,
		registry.PatchOptions{WriteOptions: registry.WriteOptions{FieldManager: "other"}})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `subresource "scale"`) {
		t.Fatalf("apply conflict: %v", err)
	}
	_, err = s.cm.GetSubresource(ctx, "default", "x", "scale")
	wantCode(t, err, 404)
}

func TestDeletion(t *testing.T) {
	ctx := context.Background()
	s := newStores(t)

	// Finalizers hold an object until an update removes them.
	c := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "f", Finalizers: []string{"example.com/hold"}}}
	if _, err := s.cm.Create(ctx, "default", c, opts); err != nil {
		t.Fatal(err)
	}
	obj, gone, err := s.cm.Delete(ctx, "default", "f", &metav1.DeleteOptions{})
	if err != nil || gone || obj.(*corev1.ConfigMap).DeletionTimestamp == nil {
		t.Fatalf("delete with finalizer: gone=%v err=%v", gone, err)
	}
	held := obj.(*corev1.ConfigMap).DeepCopy()
	held.Finalizers = nil
	if _, err := s.cm.Update(ctx, "default", "f", "", held, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cm.Get(ctx, "default", "f"); !apierrors.IsNotFound(err) {
		t.Fatalf("after last finalizer: %v", err)
	}

	// A pod on a node waits for its grace period; grace 0 removes it.
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{NodeName: "n1",
		Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := s.pod.Create(ctx, "default", p, opts); err != nil {
		t.Fatal(err)
	}
	obj, gone, err = s.pod.Delete(ctx, "default", "p", &metav1.DeleteOptions{})
	if err != nil || gone || *obj.(*corev1.Pod).DeletionGracePeriodSeconds != 30 {
		t.Fatalf("graceful delete: gone=%v err=%v", gone, err)
	}
	// Its node's status updates meanwhile do not remove it.
	stopped := obj.(*corev1.Pod).DeepCopy()
	stopped.Status.Phase = corev1.PodSucceeded
	if _, err := s.pod.Update(ctx, "default", "p", "status", stopped, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pod.Get(ctx, "default", "p"); err != nil {
		t.Fatalf("a status update removed a pod in its grace period: %v", err)
	}
	if _, gone, err = s.pod.Delete(ctx, "default", "p", &metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil || !gone {
		t.Fatalf("grace 0: gone=%v err=%v", gone, err)
	}

	// Preconditions.
	if _, err := s.cm.Create(ctx, "default", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "u"}}, opts); err != nil {
		t.Fatal(err)
	}
	uid := types.UID("other")
	_, _, err = s.cm.Delete(ctx, "default", "u", &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	wantCode(t, err, 409)

	// A terminating namespace takes no new objects.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "t", Finalizers: []string{"example.com/hold"}}}
	if _, err := s.ns.Create(ctx, "", ns, opts); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ns.Delete(ctx, "", "t", &metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = s.cm.Create(ctx, "t", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}, opts)
	wantCode(t, err, 403)
}

func TestSelectors(t *testing.T) {
	ctx := context.Background()
	s := newStores(t)
	for _, n := range []struct{ name, node string }{{"a", "n1"}, {"b", "n2"}, {"c", ""}} {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: n.name, Labels: map[string]string{"on": n.node}},
			Spec: corev1.PodSpec{NodeName: n.node, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		if _, err := s.pod.Create(ctx, "default", p, opts); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		labels, fields string
		want           string
	}{
		{"", "spec.nodeName=n1", "a"},
		{"", "spec.nodeName=", "c"},
		{"", "metadata.name!=a,status.phase=Pending", "b c"},
		{"on in (n1,n2)", "", "a b"},
		{"on=n2", "metadata.name=a", ""},
	}
	for _, tc := range tests {
		list, err := s.pod.List(ctx, "default", &metav1.ListOptions{LabelSelector: tc.labels, FieldSelector: tc.fields})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, it := range list.(*corev1.PodList).Items {
			names = append(names, it.Name)
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("%q %q: %q, want %q", tc.labels, tc.fields, got, tc.want)
		}
	}
	_, err := s.pod.List(ctx, "", &metav1.ListOptions{FieldSelector: "spec.bogus=1"})
	wantCode(t, err, 400)
}

func TestWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := newStores(t)
	for _, n := range []string{"a", "b"} {
		c := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{"keep": "yes"}}}
		if _, err := s.cm.Create(ctx, "default", c, opts); err != nil {
			t.Fatal(err)
		}
	}
	// Watch-list: the objects, then the initial-events-end bookmark.
	yes := true
	events, err := s.cm.Watch(ctx, "default", &metav1.ListOptions{LabelSelector: "keep=yes", SendInitialEvents: &yes,
		AllowWatchBookmarks: true, ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan})
	if err != nil {
		t.Fatal(err)
	}
	expect := func(typ watch.EventType, name string) runtime.Object {
		t.Helper()
		select {
		case ev := <-events:
			m := ev.Object.(metav1.Object)
			if ev.Type != typ || m.GetName() != name {
				t.Fatalf("event %s %q, want %s %q", ev.Type, m.GetName(), typ, name)
			}
			return ev.Object
		case <-ctx.Done():
			t.Fatalf("no %s event", typ)
		}
		return nil
	}
	expect(watch.Added, "a")
	expect(watch.Added, "b")
	b := expect(watch.Bookmark, "")
	if b.(metav1.Object).GetAnnotations()[registry.InitialEventsEnd] != "true" {
		t.Fatalf("bookmark %+v", b)
	}
	// Leaving the selector is a DELETED event.
	_, err = s.cm.Patch(ctx, "default", "a", "", types.MergePatchType, []byte(`{"metadata":{"labels":{"keep":"no"}}}`), s.dec,
		registry.PatchOptions{WriteOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	expect(watch.Deleted, "a")
	if _, _, err := s.cm.Delete(ctx, "default", "b", &metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(watch.Deleted, "b")
}

func ptr[T any](v T) *T { return &v }

// TestNamespaceFinalize: a deleted namespace waits for its
// spec.finalizers, which only namespaces/<name>/finalize changes; it goes
// when they are gone.
func TestNamespaceFinalize(t *testing.T) {
	ctx := context.Background()
	s := newStores(t)
	if _, err := s.ns.Create(ctx, "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "scratch"}}, opts); err != nil {
		t.Fatal(err)
	}
	obj, gone, err := s.ns.Delete(ctx, "", "scratch", &metav1.DeleteOptions{})
	if err != nil || gone {
		t.Fatalf("delete: gone=%v err=%v", gone, err)
	}
	ns := obj.(*corev1.Namespace).DeepCopy()
	if len(ns.Spec.Finalizers) != 1 || ns.Spec.Finalizers[0] != corev1.FinalizerKubernetes || ns.DeletionTimestamp == nil {
		t.Fatalf("deleted namespace: %+v", ns)
	}
	ns.Spec.Finalizers = nil
	ns.ResourceVersion = ""
	obj, err = s.ns.Update(ctx, "", "scratch", "", ns, opts)
	if err != nil || len(obj.(*corev1.Namespace).Spec.Finalizers) != 1 {
		t.Fatalf("an update of the main resource changed spec.finalizers: %v %+v", err, obj)
	}
	if _, err := s.ns.Update(ctx, "", "scratch", "finalize", ns, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ns.Get(ctx, "", "scratch"); !apierrors.IsNotFound(err) {
		t.Fatalf("finalized namespace: %v", err)
	}
}

// TestConcurrentPatches: patches without a resourceVersion racing each
// other all land (each applies to the version it finally wins against),
// while an update carrying a stale resourceVersion is a 409.
func TestConcurrentPatches(t *testing.T) {
	ctx := context.Background()
	s := newStores(t)
	if _, err := s.cm.Create(ctx, "default", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}, opts); err != nil {
		t.Fatal(err)
	}
	stale, err := s.cm.Get(ctx, "default", "c")
	if err != nil {
		t.Fatal(err)
	}
	const writers, patches = 3, 10
	errs := make(chan error, writers*patches)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range patches {
				body := fmt.Sprintf(`{"data":{"w%d-%d":"x"}}`, w, i)
				_, err := s.cm.Patch(ctx, "default", "c", "", types.MergePatchType, []byte(body), s.dec, registry.PatchOptions{WriteOptions: opts})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a patch lost a race: %v", err)
		}
	}
	obj, err := s.cm.Get(ctx, "default", "c")
	if err != nil || len(obj.(*corev1.ConfigMap).Data) != writers*patches {
		t.Fatalf("after the patches: %v %+v", err, obj)
	}
	_, err = s.cm.Update(ctx, "default", "c", "", stale, opts)
	wantCode(t, err, 409)
}
