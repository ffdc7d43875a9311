package garbagecollector

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
)

var (
	deployments = controller.Resource{GroupVersionResource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, Kind: "Deployment", Namespaced: true}
	replicaSets = controller.Resource{GroupVersionResource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, Kind: "ReplicaSet", Namespaced: true}
	pods        = controller.Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Kind: "Pod", Namespaced: true}
	nodes       = controller.Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: "nodes"}, Kind: "Node"}
)

// obj is the metadata of an object of resource r, named name (uid
// name), owned by owners given as "Kind/name" (controller and blocking),
// with more settings.
func obj(r controller.Resource, name string, owners []string, mods ...func(*metav1.PartialObjectMetadata)) *metav1.PartialObjectMetadata {
	o := &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: r.GroupVersion().String(), Kind: r.Kind},
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name), ResourceVersion: "7"},
	}
	if r.Namespaced {
		o.Namespace = "ns"
	}
	for _, ow := range owners {
		kind, oname, _ := strings.Cut(ow, "/")
		apiVersion := "apps/v1"
		if kind == "Node" {
			apiVersion = "v1"
		}
		o.OwnerReferences = append(o.OwnerReferences, metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: oname,
			UID: types.UID(oname), Controller: new(true), BlockOwnerDeletion: new(true)})
	}
	for _, m := range mods {
		m(o)
	}
	return o
}

func deleting(finalizers ...string) func(*metav1.PartialObjectMetadata) {
	return func(o *metav1.PartialObjectMetadata) {
		o.DeletionTimestamp = &metav1.Time{}
		o.Finalizers = finalizers
	}
}

// fakeAPI logs writes; get answers from live (objects the cache does
// not have yet).
type fakeAPI struct {
	live     map[string]*metav1.PartialObjectMetadata // by name
	log      []string
	conflict bool // the next delete with a resourceVersion conflicts
}

func (f *fakeAPI) get(_ context.Context, ref objectRef) (*metav1.PartialObjectMetadata, error) {
	if o, ok := f.live[ref.Name]; ok {
		return o, nil
	}
	return nil, apierrors.NewNotFound(ref.Resource.GroupResource(), ref.Name)
}

func (f *fakeAPI) delete(_ context.Context, ref objectRef, rv string, policy metav1.DeletionPropagation) error {
	if f.conflict && rv != "" {
		f.conflict = false
		f.log = append(f.log, "conflict "+ref.Name)
		return apierrors.NewConflict(ref.Resource.GroupResource(), ref.Name, fmt.Errorf("changed"))
	}
	f.log = append(f.log, fmt.Sprintf("delete %s %s", ref.Name, policy))
	return nil
}

func (f *fakeAPI) patch(_ context.Context, ref objectRef, pt types.PatchType, patch []byte) error {
	f.log = append(f.log, fmt.Sprintf("patch %s %s", ref.Name, patch))
	return nil
}

// testCollector is a collector over caches holding objs.
func testCollector(t *testing.T, objs ...*metav1.PartialObjectMetadata) (*Collector, *fakeAPI) {
	t.Helper()
	a := &fakeAPI{live: map[string]*metav1.PartialObjectMetadata{}}
	c := newCollector(a)
	for _, r := range []controller.Resource{deployments, replicaSets, pods, nodes} {
		c.add(r, cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{uidIndex: uidOf, ownerIndex: ownersOf}))
	}
	for _, o := range objs {
		r := c.byKind[o.GroupVersionKind().GroupKind()]
		if err := r.indexer.Add(o); err != nil {
			t.Fatal(err)
		}
		a.live[o.Name] = o
	}
	return c, a
}

func (c *Collector) ref(t *testing.T, kind, name string) objectRef {
	t.Helper()
	for _, r := range c.resources {
		if r.Kind == kind {
			o, ok := c.cached(objectRef{Resource: r.GroupVersionResource, Namespace: map[bool]string{true: "ns"}[r.Namespaced], Name: name, UID: types.UID(name)})
			if !ok {
				t.Fatalf("no %s %s", kind, name)
			}
			return refOf(r, o)
		}
	}
	t.Fatalf("no kind %s", kind)
	return objectRef{}
}

// drain runs the queued work until none is left.
func (c *Collector) drain(t *testing.T) {
	t.Helper()
	for c.deletes.Len()+c.orphans.Len() > 0 {
		for _, q := range []*controller.Queue[objectRef]{c.deletes, c.orphans} {
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() { q.Run(ctx, 1); close(done) }()
			for q.Len() > 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
			<-done
		}
	}
}

func TestAttemptToDelete(t *testing.T) {
	tests := []struct {
		name string
		objs []*metav1.PartialObjectMetadata
		kind string
		item string
		live []*metav1.PartialObjectMetadata // only in the API, not yet in the cache
		log  []string
	}{
		{
			name: "owner there: kept",
			objs: []*metav1.PartialObjectMetadata{obj(deployments, "web", nil), obj(replicaSets, "web-1", []string{"Deployment/web"})},
			kind: "ReplicaSet", item: "web-1",
		},
		{
			name: "owner not yet in the cache but in the API: kept",
			objs: []*metav1.PartialObjectMetadata{obj(replicaSets, "web-1", []string{"Deployment/web"})},
			live: []*metav1.PartialObjectMetadata{obj(deployments, "web", nil)},
			kind: "ReplicaSet", item: "web-1",
		},
		{
			name: "owner gone: deleted in the background",
			objs: []*metav1.PartialObjectMetadata{obj(replicaSets, "web-1", []string{"Deployment/web"})},
			kind: "ReplicaSet", item: "web-1",
			log: []string{"delete web-1 Background"},
		},
		{
			name: "owner replaced by a namesake: deleted",
			objs: []*metav1.PartialObjectMetadata{obj(replicaSets, "web-1", []string{"Deployment/web"})},
			live: []*metav1.PartialObjectMetadata{obj(deployments, "web", nil, func(o *metav1.PartialObjectMetadata) { o.UID = "other" })},
			kind: "ReplicaSet", item: "web-1",
			log: []string{"delete web-1 Background"},
		},
		{
			name: "one of two owners gone: the reference goes",
			objs: []*metav1.PartialObjectMetadata{obj(nodes, "n1", nil), obj(pods, "p", []string{"ReplicaSet/gone", "Node/n1"})},
			kind: "Pod", item: "p",
			log: []string{`patch p {"metadata":{"uid":"p","ownerReferences":[{"$patch":"delete","uid":"gone"}]}}`},
		},
		{
			name: "owner waiting, item with dependents: deleted in the foreground",
			objs: []*metav1.PartialObjectMetadata{
				obj(deployments, "web", nil, deleting(metav1.FinalizerDeleteDependents)),
				obj(replicaSets, "web-1", []string{"Deployment/web"}), obj(pods, "p", []string{"ReplicaSet/web-1"}),
			},
			kind: "ReplicaSet", item: "web-1",
			log: []string{"delete web-1 Foreground"},
		},
		{
			name: "item being deleted without foreground: left alone",
			objs: []*metav1.PartialObjectMetadata{obj(replicaSets, "web-1", []string{"Deployment/web"}, deleting())},
			kind: "ReplicaSet", item: "web-1",
		},
		{
			name: "owner of an unknown kind: kept",
			objs: []*metav1.PartialObjectMetadata{obj(pods, "p", nil, func(o *metav1.PartialObjectMetadata) {
				o.OwnerReferences = []metav1.OwnerReference{{APIVersion: "example.com/v1", Kind: "Widget", Name: "w", UID: "w"}}
			})},
			kind: "Pod", item: "p",
		},
		{
			name: "foreground owner whose blocking dependents are gone: finalizer removed",
			objs: []*metav1.PartialObjectMetadata{
				obj(deployments, "web", nil, deleting(metav1.FinalizerDeleteDependents, "example.com/keep")),
				obj(replicaSets, "loose", []string{"Deployment/web"}, func(o *metav1.PartialObjectMetadata) { o.OwnerReferences[0].BlockOwnerDeletion = nil }),
			},
			kind: "Deployment", item: "web",
			log: []string{
				`patch web {"metadata":{"resourceVersion":"7","finalizers":["example.com/keep"]}}`,
				"delete loose Background",
			},
		},
		{
			name: "a changed item whose owners did not change is still deleted",
			objs: []*metav1.PartialObjectMetadata{obj(replicaSets, "web-1", []string{"Deployment/web"})},
			kind: "ReplicaSet", item: "web-1",
			log: []string{"conflict web-1", "delete web-1 Background"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, a := testCollector(t, tt.objs...)
			for _, o := range tt.live {
				a.live[o.Name] = o
			}
			a.conflict = tt.name == "a changed item whose owners did not change is still deleted"
			if err := c.attemptToDelete(t.Context(), c.ref(t, tt.kind, tt.item)); err != nil {
				t.Fatal(err)
			}
			c.drain(t)
			if !slices.Equal(a.log, tt.log) {
				t.Fatalf("writes\n%q\nwant\n%q", a.log, tt.log)
			}
		})
	}
}

// TestForeground: an owner deleted in the foreground keeps its finalizer
// while a blocking dependent is there, and has its dependents deleted.
func TestForeground(t *testing.T) {
	c, a := testCollector(t,
		obj(deployments, "web", nil, deleting(metav1.FinalizerDeleteDependents)),
		obj(replicaSets, "web-1", []string{"Deployment/web"}),
		obj(replicaSets, "web-2", []string{"Deployment/web"}, deleting()), // on its way
	)
	if err := c.attemptToDelete(t.Context(), c.ref(t, "Deployment", "web")); err != nil {
		t.Fatal(err)
	}
	c.drain(t)
	if !slices.Equal(a.log, []string{"delete web-1 Background"}) {
		t.Fatalf("writes %q", a.log)
	}
}

// TestOrphan: an owner deleted with the orphan policy lets its
// dependents go, then loses its finalizer.
func TestOrphan(t *testing.T) {
	c, a := testCollector(t,
		obj(deployments, "web", nil, deleting(metav1.FinalizerOrphanDependents)),
		obj(replicaSets, "web-1", []string{"Deployment/web"}),
	)
	if err := c.attemptToOrphan(t.Context(), c.ref(t, "Deployment", "web")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`patch web-1 {"metadata":{"uid":"web-1","ownerReferences":[{"$patch":"delete","uid":"web"}]}}`,
		`patch web {"metadata":{"resourceVersion":"7","finalizers":null}}`,
	}
	if !slices.Equal(a.log, want) {
		t.Fatalf("writes\n%q\nwant\n%q", a.log, want)
	}
}

// TestEvents: what each change queues.
func TestEvents(t *testing.T) {
	web := obj(deployments, "web", nil)
	rs := obj(replicaSets, "web-1", []string{"Deployment/web"})
	pod := obj(pods, "p", []string{"ReplicaSet/web-1"})
	c, _ := testCollector(t, web, rs, pod)
	r := c.byKind[schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}]
	c.changed(r, nil, rs)
	if c.deletes.Len() != 1 {
		t.Fatalf("an owned object added: %d queued", c.deletes.Len())
	}
	c.changed(r, rs, rs)
	if c.deletes.Len() != 1 {
		t.Fatalf("an unchanged object: %d queued", c.deletes.Len())
	}
	c.gone(web)
	if c.deletes.Len() != 1 { // web-1 again: already queued
		t.Fatalf("owner gone: %d queued", c.deletes.Len())
	}
	c.changed(r, nil, obj(replicaSets, "web-2", nil, deleting(metav1.FinalizerOrphanDependents)))
	if c.orphans.Len() != 1 {
		t.Fatalf("orphan deletion: %d queued", c.orphans.Len())
	}
}

// TestWakeOwners: a dependent that goes, or lets go of its owner, wakes
// the owner that waits for it.
func TestWakeOwners(t *testing.T) {
	rs := obj(replicaSets, "web-1", nil, deleting(metav1.FinalizerDeleteDependents))
	pod := obj(pods, "p", []string{"ReplicaSet/web-1"})
	c, _ := testCollector(t, rs, pod)
	c.gone(pod)
	if c.deletes.Len() != 1 {
		t.Fatalf("dependent gone: %d queued", c.deletes.Len())
	}

	c, _ = testCollector(t, rs, pod)
	released := pod.DeepCopy()
	released.OwnerReferences = nil
	c.changed(c.byKind[schema.GroupKind{Kind: "Pod"}], pod, released)
	if c.deletes.Len() != 1 {
		t.Fatalf("dependent released: %d queued", c.deletes.Len())
	}
}
