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
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: claims.Informer(), Handler: c.queue.Handler(controller.Key)},
		controller.Watch{Informer: volumes.Informer(), Handler: c.queue.Handler(claimOf)},
		controller.Watch{Informer: podInf.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueueClaimsOf, UpdateFunc: func(_, cur any) { c.enqueueClaimsOf(cur) },
		}},
		controller.Watch{Informer: nodes.Informer()},
	)
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

// claimOf returns the key of the claim a volume is bound to.
func claimOf(obj any) (string, bool) {
	v, ok := controller.Unwrap[*corev1.PersistentVolume](obj)
	if !ok || v.Spec.ClaimRef == nil {
		return "", false
	}
	return v.Spec.ClaimRef.Namespace + "/" + v.Spec.ClaimRef.Name, true
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
