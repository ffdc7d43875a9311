package replicaset

import (
	"context"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/expectations"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// Name is the controller's name, and the source of its events.
const Name = "replicaset-controller"

// burstReplicas bounds the pods created or deleted in one sync.
const burstReplicas = 500

var kind = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")

// Controller is the ReplicaSet controller; see the package documentation.
type Controller struct {
	replicaSets appslisters.ReplicaSetLister
	// byOwner are the ReplicaSets, indexed by ownerref.Index, to find the
	// siblings of a ReplicaSet (the other ReplicaSets of its Deployment).
	byOwner cache.Indexer
	pods    cache.Indexer // with ownerref.Index
	api     api
	podAPI  podAPI
	expect  *expectations.Expectations
	queue   *controller.Queue[string]
	synced  []cache.InformerSynced
	now     func() time.Time
}

// podAPI writes pods (pods.Control).
type podAPI interface {
	Create(ctx context.Context, template *corev1.PodTemplateSpec, owner pods.Owner, ref metav1.OwnerReference) (*corev1.Pod, error)
	Delete(ctx context.Context, owner pods.Owner, name string) error
	Patch(ctx context.Context, ns, name string, patch []byte) error
}

// New returns the controller, reading ReplicaSets and pods from d's
// informers.
func New(d *controller.Deps) (*Controller, error) {
	rsInformer, podInformer := d.Informers.Apps().V1().ReplicaSets(), d.Informers.Core().V1().Pods()
	for _, inf := range []cache.SharedIndexInformer{rsInformer.Informer(), podInformer.Informer()} {
		if err := ownerref.AddIndex(inf); err != nil {
			return nil, err
		}
	}
	c := newController(rsInformer.Lister(), rsInformer.Informer().GetIndexer(), podInformer.Informer().GetIndexer(),
		clientAPI{d.Client}, pods.Control{Client: d.Client, Recorder: d.Recorder(Name)})
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: rsInformer.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueue, UpdateFunc: c.updateReplicaSet, DeleteFunc: c.deleteReplicaSet,
		}},
		controller.Watch{Informer: podInformer.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.deletePod,
		}},
	)
	return c, err
}

func newController(rs appslisters.ReplicaSetLister, byOwner, podIndexer cache.Indexer, a api, p podAPI) *Controller {
	c := &Controller{replicaSets: rs, byOwner: byOwner, pods: podIndexer, api: a, podAPI: p,
		expect: expectations.New(), now: time.Now}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run syncs ReplicaSets with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

func (c *Controller) enqueue(obj any) {
	if key, ok := controller.Key(obj); ok {
		c.queue.Add(key)
	}
}

func (c *Controller) updateReplicaSet(old, cur any) {
	if o, n := old.(*appsv1.ReplicaSet), cur.(*appsv1.ReplicaSet); o.UID != n.UID {
		c.deleteReplicaSet(o) // deleted and created again under its name
	}
	c.enqueue(cur)
}

func (c *Controller) deleteReplicaSet(obj any) {
	if key, ok := controller.Key(obj); ok {
		c.expect.Forget(key)
		c.queue.Add(key)
	}
}

// resolve returns the key of the ReplicaSet ref names, if it exists.
func (c *Controller) resolve(ns string, ref *metav1.OwnerReference) (string, bool) {
	return ownerref.ResolveKey(ref, kind.Kind, c.replicaSets.ReplicaSets(ns).Get)
}

// addPod: a pod of a ReplicaSet was created (one creation fewer to wait
// for), or an orphan that ReplicaSets may adopt.
func (c *Controller) addPod(obj any) {
	p := obj.(*corev1.Pod)
	if p.DeletionTimestamp != nil {
		c.deletePod(p)
		return
	}
	if ref := metav1.GetControllerOf(p); ref != nil {
		if key, ok := c.resolve(p.Namespace, ref); ok {
			c.expect.CreationObserved(key)
			c.queue.Add(key)
		}
		return
	}
	c.enqueueMatching(p)
}

// updatePod: a pod changed state, labels or owner; its old and new
// ReplicaSets look again. A pod becoming ready is looked at again when it
// becomes available.
func (c *Controller) updatePod(old, cur any) {
	o, p := old.(*corev1.Pod), cur.(*corev1.Pod)
	if o.ResourceVersion == p.ResourceVersion {
		return
	}
	labelsChanged := !reflect.DeepEqual(o.Labels, p.Labels)
	if p.DeletionTimestamp != nil {
		c.deletePod(p)
		if labelsChanged {
			c.deletePod(o)
		}
		return
	}
	oldRef, ref := metav1.GetControllerOf(o), metav1.GetControllerOf(p)
	refChanged := !reflect.DeepEqual(oldRef, ref)
	if refChanged && oldRef != nil {
		if key, ok := c.resolve(o.Namespace, oldRef); ok {
			c.queue.Add(key)
		}
	}
	if ref == nil {
		if labelsChanged || refChanged {
			c.enqueueMatching(p)
		}
		return
	}
	key, ok := c.resolve(p.Namespace, ref)
	if !ok {
		return
	}
	c.queue.Add(key)
	if rs, err := c.replicaSets.ReplicaSets(p.Namespace).Get(ref.Name); err == nil && rs.Spec.MinReadySeconds > 0 &&
		!pods.IsReady(o) && pods.IsReady(p) {
		c.queue.AddAfter(key, time.Duration(rs.Spec.MinReadySeconds)*time.Second)
	}
}

// deletePod: a pod of a ReplicaSet is gone or going.
func (c *Controller) deletePod(obj any) {
	p, ok := controller.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	if key, ok := c.resolve(p.Namespace, metav1.GetControllerOf(p)); ok {
		c.expect.DeletionObserved(key, podKey(p))
		c.queue.Add(key)
	}
}

// enqueueMatching queues the ReplicaSets whose selector matches an
// orphan.
func (c *Controller) enqueueMatching(p *corev1.Pod) {
	sets, err := c.replicaSets.GetPodReplicaSets(p)
	if err != nil {
		return
	}
	for _, rs := range sets {
		c.queue.Add(rs.Namespace + "/" + rs.Name)
	}
}

func podKey(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }
