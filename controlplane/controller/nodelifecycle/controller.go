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
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: nodes.Informer(), Handler: c.queue.Handler(nodeKey)},
		controller.Watch{Informer: leases.Informer(), Handler: c.queue.Handler(leaseKey)},
		controller.Watch{Informer: pods.Informer(), Handler: c.queue.Handler(podKey)},
	)
	return c, err
}

// nodeKey, leaseKey and podKey return the name of the node an object
// concerns: the node itself, its heartbeat Lease, a pod bound to it.
func nodeKey(obj any) (string, bool) {
	n, ok := controller.Unwrap[*corev1.Node](obj)
	if !ok || n.Name == "" {
		return "", false
	}
	return n.Name, true
}

func leaseKey(obj any) (string, bool) {
	l, ok := controller.Unwrap[*coordinationv1.Lease](obj)
	if !ok || l.Namespace != LeaseNamespace || l.Name == "" {
		return "", false
	}
	return l.Name, true
}

func podKey(obj any) (string, bool) {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.Spec.NodeName == "" {
		return "", false
	}
	return p.Spec.NodeName, true
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
