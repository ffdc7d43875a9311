package garbagecollector

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
)

// Name is the collector's name in logs.
const Name = "garbage-collector"

// ignored are the resources the collector does not watch: events are
// many, short-lived and never owners.
var ignored = map[schema.GroupResource]bool{
	{Group: "", Resource: "events"}:              true,
	{Group: "events.k8s.io", Resource: "events"}: true,
}

// Indexes of every watched resource: by UID, and by the UIDs of the
// owners.
const (
	uidIndex   = "uid"
	ownerIndex = "owner"
)

// objectRef names one object: its resource, namespace, name and UID.
type objectRef struct {
	Resource        schema.GroupVersionResource
	Namespace, Name string
	UID             types.UID
}

func (r objectRef) String() string {
	return fmt.Sprintf("%s %s/%s (%s)", r.Resource.GroupResource(), r.Namespace, r.Name, r.UID)
}

// resource is one watched resource and its cache.
type resource struct {
	controller.Resource
	indexer cache.Indexer
}

// Collector is the garbage collector; see the package documentation.
type Collector struct {
	resources []*resource
	byKind    map[schema.GroupKind]*resource
	api       api
	deletes   *controller.Queue[objectRef] // objects to judge
	orphans   *controller.Queue[objectRef] // owners whose dependents to orphan
	synced    []cache.InformerSynced
}

// New returns a collector of every resource the API serves that can be
// listed, watched and deleted, watched through d's metadata informers.
func New(d *controller.Deps) (*Collector, error) {
	served, err := controller.Resources(d.Client.Discovery(), "list", "watch", "delete")
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	c := newCollector(metadataAPI{d.Metadata})
	for _, r := range served {
		if ignored[r.GroupResource()] {
			continue
		}
		informer := d.MetadataInformers.ForResource(r.GroupVersionResource).Informer()
		if err := informer.AddIndexers(cache.Indexers{uidIndex: uidOf, ownerIndex: ownersOf}); err != nil {
			return nil, err
		}
		res := c.add(r, informer.GetIndexer())
		if _, err := informer.AddEventHandler(c.handlers(res)); err != nil {
			return nil, err
		}
		c.synced = append(c.synced, informer.HasSynced)
	}
	return c, nil
}

func newCollector(a api) *Collector {
	c := &Collector{byKind: map[schema.GroupKind]*resource{}, api: a}
	c.deletes = controller.NewQueue(Name, c.attemptToDelete)
	c.orphans = controller.NewQueue(Name+"-orphans", c.attemptToOrphan)
	return c
}

// add records a watched resource with its indexer.
func (c *Collector) add(r controller.Resource, indexer cache.Indexer) *resource {
	res := &resource{Resource: r, indexer: indexer}
	c.resources = append(c.resources, res)
	c.byKind[r.GroupVersionKind().GroupKind()] = res
	return res
}

// Run collects with workers workers (and as many for orphaning) until
// ctx ends.
func (c *Collector) Run(ctx context.Context, workers int) {
	done := make(chan struct{})
	go func() {
		c.orphans.Run(ctx, workers, c.synced...)
		close(done)
	}()
	c.deletes.Run(ctx, workers, c.synced...)
	<-done
}

func uidOf(obj any) ([]string, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, nil
	}
	return []string{string(m.GetUID())}, nil
}

func ownersOf(obj any) ([]string, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, nil
	}
	var out []string
	for _, r := range m.GetOwnerReferences() {
		out = append(out, string(r.UID))
	}
	return out, nil
}

// refOf is the objectRef of obj of resource r.
func refOf(r *resource, obj metav1.Object) objectRef {
	return objectRef{Resource: r.GroupVersionResource, Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID()}
}

// byUID returns the cached object with uid, of any resource.
func (c *Collector) byUID(uid types.UID) (*resource, metav1.Object, bool) {
	for _, r := range c.resources {
		objs, _ := r.indexer.ByIndex(uidIndex, string(uid))
		if len(objs) > 0 {
			return r, objs[0].(metav1.Object), true
		}
	}
	return nil, nil, false
}

// dependents returns the cached objects that name uid as an owner.
func (c *Collector) dependents(uid types.UID) []objectRef {
	var out []objectRef
	for _, r := range c.resources {
		objs, _ := r.indexer.ByIndex(ownerIndex, string(uid))
		for _, o := range objs {
			out = append(out, refOf(r, o.(metav1.Object)))
		}
	}
	return out
}

// cached returns the cached object ref names, if it is still that one.
func (c *Collector) cached(ref objectRef) (metav1.Object, bool) {
	r, ok := c.byResource(ref.Resource)
	if !ok {
		return nil, false
	}
	key := ref.Name
	if ref.Namespace != "" {
		key = ref.Namespace + "/" + key
	}
	obj, ok, _ := r.indexer.GetByKey(key)
	if !ok || obj.(metav1.Object).GetUID() != ref.UID {
		return nil, false
	}
	return obj.(metav1.Object), true
}

func (c *Collector) byResource(gvr schema.GroupVersionResource) (*resource, bool) {
	for _, r := range c.resources {
		if r.GroupVersionResource == gvr {
			return r, true
		}
	}
	return nil, false
}
