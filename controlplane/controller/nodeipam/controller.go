package nodeipam

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/internal/log"
)

// Name is the controller's name, and the source of its events.
const Name = "node-ipam-controller"

// Defaults of Config.
const (
	DefaultNodeMaskIPv4 = 24
	DefaultNodeMaskIPv6 = 64
)

// DefaultClusterCIDR is the cluster CIDR of skiff server by default.
var DefaultClusterCIDR = netip.MustParsePrefix("10.244.0.0/16")

// Config is the cluster CIDR and how it is cut.
type Config struct {
	// ClusterCIDRs are one CIDR, or an IPv4 and an IPv6 CIDR for dual
	// stack (the first one is the node's spec.podCIDR).
	ClusterCIDRs []netip.Prefix
	// NodeMaskIPv4 and NodeMaskIPv6 are the prefix lengths of a node's
	// CIDRs (0: 24 and 64).
	NodeMaskIPv4, NodeMaskIPv6 int
}

// Validate says what is wrong with cfg.
func (cfg Config) Validate() error {
	_, err := cfg.sets()
	return err
}

// sets validates cfg and returns a CIDRSet per cluster CIDR.
func (cfg Config) sets() ([]*CIDRSet, error) {
	if len(cfg.ClusterCIDRs) == 0 || len(cfg.ClusterCIDRs) > 2 {
		return nil, fmt.Errorf("cluster CIDR: want one CIDR or one per IP family, got %d", len(cfg.ClusterCIDRs))
	}
	if len(cfg.ClusterCIDRs) == 2 && cfg.ClusterCIDRs[0].Addr().Is4() == cfg.ClusterCIDRs[1].Addr().Is4() {
		return nil, fmt.Errorf("cluster CIDRs %s and %s: dual stack needs one of each IP family", cfg.ClusterCIDRs[0], cfg.ClusterCIDRs[1])
	}
	var sets []*CIDRSet
	for _, p := range cfg.ClusterCIDRs {
		mask := cfg.NodeMaskIPv4
		if mask == 0 {
			mask = DefaultNodeMaskIPv4
		}
		if p.Addr().Is6() {
			if mask = cfg.NodeMaskIPv6; mask == 0 {
				mask = DefaultNodeMaskIPv6
			}
		}
		s, err := NewCIDRSet(p, mask)
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	return sets, nil
}

// Controller is the node IPAM controller; see the package documentation.
type Controller struct {
	nodes    corelisters.NodeLister
	api      api
	recorder record.EventRecorder
	queue    *controller.Queue[string] // node names
	synced   []cache.InformerSynced

	mu    sync.Mutex // guards the fields below
	sets  []*CIDRSet // one per cluster CIDR, in Config order
	owned map[string][]netip.Prefix
	full  bool // an allocation failed for want of CIDRs
}

// New returns the controller, reading nodes from d's informers.
func New(d *controller.Deps, cfg Config) (*Controller, error) {
	informer := d.Informers.Core().V1().Nodes()
	c, err := newController(cfg, informer.Lister(), clientAPI{d.Client}, d.Recorder(Name))
	if err != nil {
		return nil, err
	}
	// Every node is queued: one that lacks a CIDR, one holding a CIDR the
	// bitmap may not know yet, and one deleted, whose CIDRs sync frees.
	c.synced, err = controller.Register(controller.Watch{Informer: informer.Informer(), Handler: c.queue.Handler(nodeName)})
	return c, err
}

func newController(cfg Config, nodes corelisters.NodeLister, a api, rec record.EventRecorder) (*Controller, error) {
	sets, err := cfg.sets()
	if err != nil {
		return nil, err
	}
	c := &Controller{nodes: nodes, api: a, recorder: rec, sets: sets, owned: map[string][]netip.Prefix{}}
	c.queue = controller.NewQueue(Name, c.sync)
	return c, nil
}

// Run waits for the node informer, marks the CIDRs the nodes hold, then
// assigns CIDRs with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	if err := c.rebuild(); err != nil {
		log.G(ctx).Error("node IPAM: list nodes", log.KeyError, err)
		return
	}
	c.queue.Run(ctx, workers)
}

// rebuild marks the CIDRs of every node in the cache, before any
// assignment.
func (c *Controller) rebuild() error {
	nodes, err := c.nodes.List(everything)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		c.occupy(context.Background(), n)
	}
	return nil
}

// nodeName is the key of a node: its name.
func nodeName(obj any) (string, bool) {
	n, ok := controller.Unwrap[*corev1.Node](obj)
	if !ok {
		return "", false
	}
	return n.Name, true
}
