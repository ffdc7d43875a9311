package endpoints

import (
	"context"
	"sync"

	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/servicepods"
)

// Name is the controller's name, and the source of its events.
const Name = "endpoint-controller"

// Controller is the Endpoints controller; see the package documentation.
type Controller struct {
	services  corelisters.ServiceLister
	pods      corelisters.PodLister
	endpoints corelisters.EndpointsLister
	api       api
	recorder  record.EventRecorder
	queue     *controller.Queue[string]
	synced    []cache.InformerSynced

	mu      sync.Mutex
	deleted map[string]bool // keys of Services deleted, not synced since; guarded by mu
}

// New returns the controller, reading Services, pods and Endpoints from
// d's informers.
func New(d *controller.Deps) (*Controller, error) {
	core := d.Informers.Core().V1()
	svcInf, podInf, epInf := core.Services(), core.Pods(), core.Endpoints()
	c := newController(svcInf.Lister(), podInf.Lister(), epInf.Lister(), clientAPI{d.Client}, d.Recorder(Name))
	h := &servicepods.Handlers{Services: c.services, Enqueue: c.queue.Add, Deleted: c.serviceDeleted}
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: svcInf.Informer(), Handler: h.ServiceHandler()},
		controller.Watch{Informer: podInf.Informer(), Handler: h.PodHandler()},
		// Endpoints edited or deleted by someone else are looked at again
		// (those of Services without a selector are left alone by sync).
		controller.Watch{Informer: epInf.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			UpdateFunc: func(_, cur any) { c.enqueue(cur) },
			DeleteFunc: c.enqueue,
		}},
	)
	return c, err
}

func newController(svcs corelisters.ServiceLister, pods corelisters.PodLister, eps corelisters.EndpointsLister, a api, rec record.EventRecorder) *Controller {
	c := &Controller{services: svcs, pods: pods, endpoints: eps, api: a, recorder: rec, deleted: map[string]bool{}}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run syncs Services with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

func (c *Controller) enqueue(obj any) {
	if key, ok := controller.Key(obj); ok {
		c.queue.Add(key)
	}
}

// serviceDeleted remembers that the Service key was deleted, so that its
// sync deletes its Endpoints.
func (c *Controller) serviceDeleted(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deleted[key] = true
}

// forgetDeleted tells whether the Service key was deleted, and forgets it.
func (c *Controller) forgetDeleted(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.deleted[key]
	delete(c.deleted, key)
	return d
}
