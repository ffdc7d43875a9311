package volumebinder

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// Name is the controller's name, and the source of its events.
const Name = "persistentvolume-controller"

// claimIndex indexes pods by the claims they use ("<ns>/<claim>").
const claimIndex = "skiff-claims"

// Controller binds claims to local volumes; see the package
// documentation. Its queue holds claim keys (namespace/name).
type Controller struct {
	claims  corelisters.PersistentVolumeClaimLister
	volumes corelisters.PersistentVolumeLister
	nodes   corelisters.NodeLister
	pods    cache.Indexer // with claimIndex
	api     api
	events  pods.Recorder
	queue   *controller.Queue[string]
	synced  []cache.InformerSynced
}

// New returns the controller, reading claims, volumes, nodes and pods
// from d's informers.
func New(d *controller.Deps) (*Controller, error) {
	core := d.Informers.Core().V1()
	claims, volumes, nodes, podInf := core.PersistentVolumeClaims(), core.PersistentVolumes(), core.Nodes(), core.Pods()
	if _, ok := podInf.Informer().GetIndexer().GetIndexers()[claimIndex]; !ok {
		if err := podInf.Informer().AddIndexers(cache.Indexers{claimIndex: indexClaims}); err != nil {
			return nil, err
		}
	}
	c := newController(claims.Lister(), volumes.Lister(), nodes.Lister(), podInf.Informer().GetIndexer(),
		clientAPI{d.Client}, d.Recorder(Name))
	c.synced = []cache.InformerSynced{claims.Informer().HasSynced, volumes.Informer().HasSynced,
		nodes.Informer().HasSynced, podInf.Informer().HasSynced}
	if _, err := claims.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueue, UpdateFunc: func(_, cur any) { c.enqueue(cur) }, DeleteFunc: c.enqueue,
	}); err != nil {
		return nil, err
	}
	if _, err := volumes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueueClaimOf, UpdateFunc: func(_, cur any) { c.enqueueClaimOf(cur) }, DeleteFunc: c.enqueueClaimOf,
	}); err != nil {
		return nil, err
	}
	_, err := podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueueClaimsOf, UpdateFunc: func(_, cur any) { c.enqueueClaimsOf(cur) },
	})
	return c, err
}

func newController(claims corelisters.PersistentVolumeClaimLister, volumes corelisters.PersistentVolumeLister,
	nodes corelisters.NodeLister, podIndexer cache.Indexer, a api, events pods.Recorder) *Controller {
	c := &Controller{claims: claims, volumes: volumes, nodes: nodes, pods: podIndexer, api: a, events: events}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run binds claims with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

func (c *Controller) enqueue(obj any) {
	if key, ok := controller.Key(obj); ok {
		c.queue.Add(key)
	}
}

// enqueueClaimOf queues the claim a volume is bound to.
func (c *Controller) enqueueClaimOf(obj any) {
	if v, ok := controller.Unwrap[*corev1.PersistentVolume](obj); ok && v.Spec.ClaimRef != nil {
		c.queue.Add(v.Spec.ClaimRef.Namespace + "/" + v.Spec.ClaimRef.Name)
	}
}

// enqueueClaimsOf queues the claims of a pod bound to a node: their
// first consumer may have arrived.
func (c *Controller) enqueueClaimsOf(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.Spec.NodeName == "" {
		return
	}
	keys, _ := indexClaims(p)
	for _, k := range keys {
		c.queue.Add(k)
	}
}

// indexClaims returns the keys of the claims a pod uses.
func indexClaims(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	var keys []string
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			keys = append(keys, p.Namespace+"/"+v.PersistentVolumeClaim.ClaimName)
		}
	}
	return keys, nil
}

var everything = labels.Everything()
