package namespace

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
)

// Name is the controller's name in logs.
const Name = "namespace-controller"

// recheck is how long the controller waits before looking again at a
// namespace whose contents are still going.
const recheck = 2 * time.Second

// Controller is the namespace controller; see the package documentation.
type Controller struct {
	namespaces corelisters.NamespaceLister
	api        api
	queue      *controller.Queue[string] // namespace names
	synced     []cache.InformerSynced
	now        func() time.Time
}

// New returns the controller, reading namespaces from d's informers and
// their contents through the API.
func New(d *controller.Deps) (*Controller, error) {
	informer := d.Informers.Core().V1().Namespaces()
	c := newController(informer.Lister(), clientAPI{client: d.Client, md: d.Metadata})
	var err error
	c.synced, err = controller.Register(controller.Watch{Informer: informer.Informer(), Handler: cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, cur any) { c.enqueue(cur) },
	}})
	return c, err
}

func newController(l corelisters.NamespaceLister, a api) *Controller {
	c := &Controller{namespaces: l, api: a, now: time.Now}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run empties deleted namespaces with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

// enqueue queues namespaces being deleted.
func (c *Controller) enqueue(obj any) {
	if ns, ok := obj.(*corev1.Namespace); ok && ns.DeletionTimestamp != nil {
		c.queue.Add(ns.Name)
	}
}
