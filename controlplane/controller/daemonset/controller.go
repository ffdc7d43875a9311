package daemonset

import (
	"context"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/expectations"
	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// Name is the controller's name, and the source of its events.
const Name = "daemonset-controller"

var kind = appsv1.SchemeGroupVersion.WithKind("DaemonSet")

// Controller is the DaemonSet controller; see the package documentation.
type Controller struct {
	daemonSets appslisters.DaemonSetLister
	nodes      corelisters.NodeLister
	pods       cache.Indexer // with ownerref.Index
	revisions  cache.Indexer // with ownerref.Index
	api        api
	podAPI     podAPI
	history    history.API
	events     recorder
	expect     *expectations.Expectations
	queue      *controller.Queue[string]
	synced     []cache.InformerSynced
	now        func() time.Time
}

// New returns the controller, reading DaemonSets, nodes, pods and
// ControllerRevisions from d's informers.
func New(d *controller.Deps) (*Controller, error) {
	dsInformer := d.Informers.Apps().V1().DaemonSets()
	revInformer := d.Informers.Apps().V1().ControllerRevisions()
	podInformer := d.Informers.Core().V1().Pods()
	nodeInformer := d.Informers.Core().V1().Nodes()
	for _, inf := range []cache.SharedIndexInformer{podInformer.Informer(), revInformer.Informer()} {
		if err := ownerref.AddIndex(inf); err != nil {
			return nil, err
		}
	}
	rec := d.Recorder(Name)
	c := newController(dsInformer.Lister(), nodeInformer.Lister(), podInformer.Informer().GetIndexer(), revInformer.Informer().GetIndexer(),
		clientAPI{d.Client}, pods.Control{Client: d.Client, Recorder: rec}, history.Client{Client: d.Client}, rec)
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: dsInformer.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueue, UpdateFunc: func(_, cur any) { c.enqueue(cur) }, DeleteFunc: c.deleteDaemonSet,
		}},
		controller.Watch{Informer: podInformer.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.deletePod,
		}},
		controller.Watch{Informer: nodeInformer.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { c.enqueueAll() }, UpdateFunc: c.updateNode, DeleteFunc: func(any) { c.enqueueAll() },
		}},
		controller.Watch{Informer: revInformer.Informer()},
	)
	return c, err
}

func newController(dl appslisters.DaemonSetLister, nl corelisters.NodeLister, podIndexer, revIndexer cache.Indexer,
	a api, p podAPI, h history.API, r recorder) *Controller {
	c := &Controller{daemonSets: dl, nodes: nl, pods: podIndexer, revisions: revIndexer, api: a, podAPI: p, history: h,
		events: r, expect: expectations.New(), now: time.Now}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run syncs DaemonSets with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

func (c *Controller) enqueue(obj any) {
	if key, ok := controller.Key(obj); ok {
		c.queue.Add(key)
	}
}

func (c *Controller) enqueueAll() {
	all, err := c.daemonSets.List(labels.Everything())
	if err != nil {
		return
	}
	for _, ds := range all {
		c.queue.Add(ds.Namespace + "/" + ds.Name)
	}
}

func (c *Controller) deleteDaemonSet(obj any) {
	if key, ok := controller.Key(obj); ok {
		c.expect.Forget(key)
		c.queue.Add(key)
	}
}

// updateNode: only what decides placement matters (not heartbeats).
func (c *Controller) updateNode(old, cur any) {
	o, n := old.(*corev1.Node), cur.(*corev1.Node)
	if !reflect.DeepEqual(o.Labels, n.Labels) || !reflect.DeepEqual(o.Spec.Taints, n.Spec.Taints) ||
		o.Spec.Unschedulable != n.Spec.Unschedulable {
		c.enqueueAll()
	}
}

// owner returns the key of the DaemonSet that controls p, if it exists.
func (c *Controller) owner(p *corev1.Pod) (string, bool) {
	return ownerref.ResolveKey(metav1.GetControllerOfNoCopy(p), kind.Kind, c.daemonSets.DaemonSets(p.Namespace).Get)
}

func (c *Controller) addPod(obj any) {
	p := obj.(*corev1.Pod)
	if p.DeletionTimestamp != nil {
		c.deletePod(p)
		return
	}
	if key, ok := c.owner(p); ok {
		c.expect.CreationObserved(key)
		c.queue.Add(key)
		return
	}
	if metav1.GetControllerOfNoCopy(p) == nil {
		c.enqueueMatching(p)
	}
}

func (c *Controller) updatePod(old, cur any) {
	o, p := old.(*corev1.Pod), cur.(*corev1.Pod)
	if o.ResourceVersion == p.ResourceVersion {
		return
	}
	if p.DeletionTimestamp != nil {
		c.deletePod(p)
		return
	}
	if oldRef, ref := metav1.GetControllerOfNoCopy(o), metav1.GetControllerOfNoCopy(p); !reflect.DeepEqual(oldRef, ref) {
		if key, ok := c.owner(o); ok {
			c.queue.Add(key)
		}
	}
	if key, ok := c.owner(p); ok {
		c.queue.Add(key)
		if ds, err := c.daemonSets.DaemonSets(p.Namespace).Get(metav1.GetControllerOfNoCopy(p).Name); err == nil &&
			ds.Spec.MinReadySeconds > 0 && !pods.IsReady(o) && pods.IsReady(p) {
			c.queue.AddAfter(key, time.Duration(ds.Spec.MinReadySeconds)*time.Second)
		}
		return
	}
	if metav1.GetControllerOfNoCopy(p) == nil && !reflect.DeepEqual(o.Labels, p.Labels) {
		c.enqueueMatching(p)
	}
}

func (c *Controller) deletePod(obj any) {
	p, ok := controller.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	if key, ok := c.owner(p); ok {
		c.expect.DeletionObserved(key, podKey(p))
		c.queue.Add(key)
	}
}

// enqueueMatching queues the DaemonSets whose selector matches an orphan.
func (c *Controller) enqueueMatching(p *corev1.Pod) {
	sets, err := c.daemonSets.GetPodDaemonSets(p)
	if err != nil {
		return
	}
	for _, ds := range sets {
		c.queue.Add(ds.Namespace + "/" + ds.Name)
	}
}

func podKey(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }
