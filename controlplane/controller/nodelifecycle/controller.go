package nodelifecycle

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	coordlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/skiffrt/skiff/controlplane/controller"
)

// Name is the controller's name, and the source of its events.
const Name = "node-controller"

// DefaultGracePeriod is how long a node may go without a heartbeat
// before it is unreachable (kube-controller-manager's
// --node-monitor-grace-period).
const DefaultGracePeriod = 40 * time.Second

// LeaseNamespace holds the nodes' heartbeat Leases.
const LeaseNamespace = "kube-node-lease"

// byNode indexes pods by spec.nodeName.
const byNode = "nodeName"

// Config configures the controller.
type Config struct {
	// GracePeriod: see DefaultGracePeriod (0 takes it).
	GracePeriod time.Duration
}

// Controller is the node lifecycle controller; see the package
// documentation.
type Controller struct {
	grace    time.Duration
	nodes    corelisters.NodeLister
	leases   coordlisters.LeaseLister
	pods     cache.Indexer // by byNode
	api      api
	recorder record.EventRecorder
	queue    *controller.Queue[string] // node names
	synced   []cache.InformerSynced
	now      func() time.Time
}

// New returns the controller, reading nodes, Leases and pods from d's
// informers.
func New(d *controller.Deps, cfg Config) (*Controller, error) {
	nodes, pods := d.Informers.Core().V1().Nodes(), d.Informers.Core().V1().Pods()
	leases := d.Informers.Coordination().V1().Leases()
	if err := pods.Informer().AddIndexers(cache.Indexers{byNode: podNode}); err != nil {
		return nil, err
	}
	c := newController(cfg, nodes.Lister(), leases.Lister(), pods.Informer().GetIndexer(), clientAPI{d.Client}, d.Recorder(Name))
	c.synced = []cache.InformerSynced{nodes.Informer().HasSynced, leases.Informer().HasSynced, pods.Informer().HasSynced}
	add := func(inf cache.SharedIndexInformer, key func(any) string) error {
		h := func(obj any) {
			if k := key(obj); k != "" {
				c.queue.Add(k)
			}
		}
		_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: h, UpdateFunc: func(_, cur any) { h(cur) }, DeleteFunc: h})
		return err
	}
	if err := add(nodes.Informer(), func(obj any) string {
		n, _ := controller.Unwrap[*corev1.Node](obj)
		return nameOf(n)
	}); err != nil {
		return nil, err
	}
	if err := add(leases.Informer(), func(obj any) string {
		if l, ok := controller.Unwrap[*coordinationv1.Lease](obj); ok && l.Namespace == LeaseNamespace {
			return l.Name
		}
		return ""
	}); err != nil {
		return nil, err
	}
	return c, add(pods.Informer(), func(obj any) string {
		if p, ok := obj.(*corev1.Pod); ok {
			return p.Spec.NodeName
		}
		return ""
	})
}

func nameOf(n *corev1.Node) string {
	if n == nil {
		return ""
	}
	return n.Name
}

func podNode(obj any) ([]string, error) {
	if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName != "" {
		return []string{p.Spec.NodeName}, nil
	}
	return nil, nil
}

func newController(cfg Config, nodes corelisters.NodeLister, leases coordlisters.LeaseLister, pods cache.Indexer, a api, rec record.EventRecorder) *Controller {
	if cfg.GracePeriod <= 0 {
		cfg.GracePeriod = DefaultGracePeriod
	}
	c := &Controller{grace: cfg.GracePeriod, nodes: nodes, leases: leases, pods: pods, api: a, recorder: rec, now: time.Now}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run watches the nodes with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }
