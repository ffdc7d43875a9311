package statefulset

import (
	"context"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// Name is the controller's name, and the source of its events.
const Name = "statefulset-controller"

var kind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")

// Controller is the StatefulSet controller; see the package documentation.
type Controller struct {
	sets      appslisters.StatefulSetLister
	pods      cache.Indexer // with ownerref.Index
	revisions cache.Indexer // with ownerref.Index
	claims    corelisters.PersistentVolumeClaimLister
	api       setAPI
	podAPI    podAPI
	revAPI    history.API
	queue     *controller.Queue[string]
	synced    []cache.InformerSynced
	now       func() time.Time
}

// New returns the controller, reading StatefulSets, pods,
// ControllerRevisions and claims from d's informers.
func New(d *controller.Deps) (*Controller, error) {
	v1 := d.Informers.Apps().V1()
	sets, revs := v1.StatefulSets(), v1.ControllerRevisions()
	podInf, claims := d.Informers.Core().V1().Pods(), d.Informers.Core().V1().PersistentVolumeClaims()
	for _, inf := range []cache.SharedIndexInformer{podInf.Informer(), revs.Informer()} {
		if err := ownerref.AddIndex(inf); err != nil {
			return nil, err
		}
	}
	c := newController(sets.Lister(), podInf.Informer().GetIndexer(), revs.Informer().GetIndexer(), claims.Lister(),
		clientSets{d.Client}, clientPods{client: d.Client, recorder: d.Recorder(Name)}, history.Client{Client: d.Client})
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: sets.Informer(), Handler: c.queue.Handler(controller.Key)},
		controller.Watch{Informer: revs.Informer(), Handler: c.queue.Handler(c.ownerKey)},
		controller.Watch{Informer: podInf.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.enqueueOwner,
		}},
		controller.Watch{Informer: claims.Informer()},
	)
	return c, err
}

func newController(sets appslisters.StatefulSetLister, podIndexer, revIndexer cache.Indexer,
	claims corelisters.PersistentVolumeClaimLister, a setAPI, p podAPI, r history.API) *Controller {
	c := &Controller{sets: sets, pods: podIndexer, revisions: revIndexer, claims: claims,
		api: a, podAPI: p, revAPI: r, now: time.Now}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run syncs StatefulSets with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

// owner returns the StatefulSet that ref names in ns, if it exists.
func (c *Controller) owner(ns string, ref *metav1.OwnerReference) (*appsv1.StatefulSet, bool) {
	return ownerref.Resolve(ref, kind.Kind, c.sets.StatefulSets(ns).Get)
}

// ownerKey returns the key of the set controlling a pod or revision, if
// it exists.
func (c *Controller) ownerKey(obj any) (string, bool) {
	o, ok := controller.Unwrap[metav1.Object](obj)
	if !ok {
		return "", false
	}
	return ownerref.ResolveKey(metav1.GetControllerOfNoCopy(o), kind.Kind, c.sets.StatefulSets(o.GetNamespace()).Get)
}

// enqueueOwner queues the set controlling a pod or revision.
func (c *Controller) enqueueOwner(obj any) {
	if key, ok := c.ownerKey(obj); ok {
		c.queue.Add(key)
	}
}

// addPod: a pod of a set showed up, or an orphan sets may adopt.
func (c *Controller) addPod(obj any) {
	p := obj.(*corev1.Pod)
	if metav1.GetControllerOfNoCopy(p) != nil {
		c.enqueueOwner(p)
		return
	}
	c.enqueueMatching(p)
}

// updatePod: a pod changed state, labels or owner. A pod becoming ready
// is looked at again once available.
func (c *Controller) updatePod(old, cur any) {
	o, p := old.(*corev1.Pod), cur.(*corev1.Pod)
	if o.ResourceVersion == p.ResourceVersion {
		return
	}
	oldRef, ref := metav1.GetControllerOfNoCopy(o), metav1.GetControllerOfNoCopy(p)
	if !reflect.DeepEqual(oldRef, ref) {
		c.enqueueOwner(o)
	}
	if ref == nil {
		if !reflect.DeepEqual(o.Labels, p.Labels) || oldRef != nil {
			c.enqueueMatching(p)
		}
		return
	}
	set, ok := c.owner(p.Namespace, ref)
	if !ok {
		return
	}
	key := set.Namespace + "/" + set.Name
	c.queue.Add(key)
	if set.Spec.MinReadySeconds > 0 && !pods.IsReady(o) && pods.IsReady(p) {
		c.queue.AddAfter(key, time.Duration(set.Spec.MinReadySeconds)*time.Second)
	}
}

// enqueueMatching queues the sets whose selector matches an orphan.
func (c *Controller) enqueueMatching(p *corev1.Pod) {
	sets, err := c.sets.GetPodStatefulSets(p)
	if err != nil {
		return
	}
	for _, s := range sets {
		c.queue.Add(s.Namespace + "/" + s.Name)
	}
}
