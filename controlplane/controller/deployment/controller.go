package deployment

import (
	"context"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

// Name is the controller's name, and the source of its events.
const Name = "deployment-controller"

var kind = appsv1.SchemeGroupVersion.WithKind("Deployment")

// Controller is the Deployment controller; see the package documentation.
type Controller struct {
	deployments appslisters.DeploymentLister
	replicaSets appslisters.ReplicaSetLister
	pods        cache.Indexer // with ownerref.Index
	api         api
	events      recorder
	queue       *controller.Queue[string]
	synced      []cache.InformerSynced
	now         func() time.Time
}

// New returns the controller, reading Deployments, ReplicaSets and pods
// from d's informers.
func New(d *controller.Deps) (*Controller, error) {
	dInformer := d.Informers.Apps().V1().Deployments()
	rsInformer := d.Informers.Apps().V1().ReplicaSets()
	podInformer := d.Informers.Core().V1().Pods()
	if err := ownerref.AddIndex(podInformer.Informer()); err != nil {
		return nil, err
	}
	c := newController(dInformer.Lister(), rsInformer.Lister(), podInformer.Informer().GetIndexer(), clientAPI{d.Client}, d.Recorder(Name))
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: dInformer.Informer(), Handler: c.queue.Handler(controller.Key)},
		controller.Watch{Informer: rsInformer.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.addReplicaSet, UpdateFunc: c.updateReplicaSet, DeleteFunc: c.deleteReplicaSet,
		}},
		controller.Watch{Informer: podInformer.Informer(), Handler: cache.ResourceEventHandlerFuncs{DeleteFunc: c.deletePod}},
	)
	return c, err
}

func newController(dl appslisters.DeploymentLister, rl appslisters.ReplicaSetLister, podIndexer cache.Indexer, a api, r recorder) *Controller {
	c := &Controller{deployments: dl, replicaSets: rl, pods: podIndexer, api: a, events: r, now: time.Now}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run syncs Deployments with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

func (c *Controller) enqueue(obj any) {
	if key, ok := controller.Key(obj); ok {
		c.queue.Add(key)
	}
}

// owner returns the Deployment that ref names, if it exists.
func (c *Controller) owner(ns string, ref *metav1.OwnerReference) (*appsv1.Deployment, bool) {
	return ownerref.Resolve(ref, kind.Kind, c.deployments.Deployments(ns).Get)
}

// addReplicaSet: a ReplicaSet of a Deployment appeared, or an orphan that
// Deployments may adopt.
func (c *Controller) addReplicaSet(obj any) {
	rs := obj.(*appsv1.ReplicaSet)
	if rs.DeletionTimestamp != nil {
		c.deleteReplicaSet(rs)
		return
	}
	if ref := metav1.GetControllerOf(rs); ref != nil {
		if d, ok := c.owner(rs.Namespace, ref); ok {
			c.enqueue(d)
		}
		return
	}
	c.enqueueMatching(rs)
}

func (c *Controller) updateReplicaSet(old, cur any) {
	o, rs := old.(*appsv1.ReplicaSet), cur.(*appsv1.ReplicaSet)
	if o.ResourceVersion == rs.ResourceVersion {
		return
	}
	oldRef, ref := metav1.GetControllerOf(o), metav1.GetControllerOf(rs)
	refChanged := !reflect.DeepEqual(oldRef, ref)
	if refChanged && oldRef != nil {
		if d, ok := c.owner(o.Namespace, oldRef); ok {
			c.enqueue(d)
		}
	}
	if ref != nil {
		if d, ok := c.owner(rs.Namespace, ref); ok {
			c.enqueue(d)
		}
		return
	}
	if refChanged || !reflect.DeepEqual(o.Labels, rs.Labels) {
		c.enqueueMatching(rs)
	}
}

func (c *Controller) deleteReplicaSet(obj any) {
	rs, ok := controller.Unwrap[*appsv1.ReplicaSet](obj)
	if !ok {
		return
	}
	if d, ok := c.owner(rs.Namespace, metav1.GetControllerOf(rs)); ok {
		c.enqueue(d)
	}
}

// deletePod: a Recreate rollout waits for the old pods to be gone.
func (c *Controller) deletePod(obj any) {
	p, ok := controller.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	ref := metav1.GetControllerOf(p)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	rs, err := c.replicaSets.ReplicaSets(p.Namespace).Get(ref.Name)
	if err != nil || rs.UID != ref.UID {
		return
	}
	if d, ok := c.owner(rs.Namespace, metav1.GetControllerOf(rs)); ok && d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		c.enqueue(d)
	}
}

// enqueueMatching queues the Deployments whose selector matches an
// orphaned ReplicaSet.
func (c *Controller) enqueueMatching(rs *appsv1.ReplicaSet) {
	if len(rs.Labels) == 0 {
		return
	}
	all, err := c.deployments.Deployments(rs.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, d := range all {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(rs.Labels)) {
			c.enqueue(d)
		}
	}
}
