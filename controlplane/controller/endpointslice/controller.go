package endpointslice

import (
	"context"

	discoveryv1 "k8s.io/api/discovery/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/expectations"
	"github.com/skiffrt/skiff/controlplane/controller/servicepods"
)

// Name is the controller's name in logs; events come from
// "endpoint-slice-controller", as upstream's.
const Name = "endpointslice-controller"

// Controller is the EndpointSlice controller; see the package
// documentation.
type Controller struct {
	services corelisters.ServiceLister
	pods     corelisters.PodLister
	nodes    corelisters.NodeLister
	slices   discoverylisters.EndpointSliceLister
	api      api
	recorder record.EventRecorder
	expect   *expectations.Expectations
	queue    *controller.Queue[string]
	synced   []cache.InformerSynced
}

// New returns the controller, reading Services, pods, nodes and
// EndpointSlices from d's informers.
func New(d *controller.Deps) (*Controller, error) {
	core := d.Informers.Core().V1()
	svcInf, podInf, nodeInf := core.Services(), core.Pods(), core.Nodes()
	sliceInf := d.Informers.Discovery().V1().EndpointSlices()
	c := newController(svcInf.Lister(), podInf.Lister(), nodeInf.Lister(), sliceInf.Lister(),
		clientAPI{d.Client}, d.Recorder("endpoint-slice-controller"))
	h := &servicepods.Handlers{Services: c.services, Enqueue: c.queue.Add, Deleted: c.expect.Forget}
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: svcInf.Informer(), Handler: h.ServiceHandler()},
		controller.Watch{Informer: podInf.Informer(), Handler: h.PodHandler()},
		controller.Watch{Informer: nodeInf.Informer()},
		controller.Watch{Informer: sliceInf.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.addSlice,
			UpdateFunc: func(old, cur any) {
				c.sliceChanged(old)
				c.sliceChanged(cur)
			},
			DeleteFunc: c.sliceChanged,
		}},
	)
	return c, err
}

func newController(svcs corelisters.ServiceLister, pods corelisters.PodLister, nodes corelisters.NodeLister,
	slices discoverylisters.EndpointSliceLister, a api, rec record.EventRecorder) *Controller {
	c := &Controller{services: svcs, pods: pods, nodes: nodes, slices: slices, api: a, recorder: rec,
		expect: expectations.New()}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run syncs Services with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

// serviceOf returns the key of the Service whose slice obj is, if this
// controller manages it.
func serviceOf(obj any) (string, bool) {
	s, ok := controller.Unwrap[*discoveryv1.EndpointSlice](obj)
	if !ok || s.Labels[discoveryv1.LabelManagedBy] != ManagedBy {
		return "", false
	}
	name := s.Labels[discoveryv1.LabelServiceName]
	return s.Namespace + "/" + name, name != ""
}

// addSlice: a slice this controller created showed up (or one was made
// by someone else, to be checked).
func (c *Controller) addSlice(obj any) {
	if key, ok := serviceOf(obj); ok {
		c.expect.CreationObserved(key)
		c.queue.Add(key)
	}
}

// sliceChanged: a slice was edited or deleted; its Service looks again,
// to put it back if that was not this controller.
func (c *Controller) sliceChanged(obj any) {
	if key, ok := serviceOf(obj); ok {
		c.queue.Add(key)
	}
}
