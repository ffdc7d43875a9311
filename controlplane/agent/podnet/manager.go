package podnet

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/log"
)

// resync is how often the manager syncs without an event: the runtime
// forgets the pod CIDR when it restarts, and routes can be removed by
// hand.
const resync = 10 * time.Second

// retry is how soon a failed sync is tried again.
const retry = 2 * time.Second

// Runtime is the CRI call the manager makes.
type Runtime interface {
	UpdateRuntimeConfig(ctx context.Context, in *runtimeapi.UpdateRuntimeConfigRequest, opts ...grpc.CallOption) (*runtimeapi.UpdateRuntimeConfigResponse, error)
}

// Manager keeps the runtime's pod CIDR and the host-gw routes in line
// with the Nodes. Build it with NewManager, add Handler to a Node
// informer, then Run.
type Manager struct {
	self    string
	runtime Runtime
	table   RouteTable // nil: no routes
	nat     NAT        // nil: masquerading left as the runtime has it
	kick    chan struct{}
	warned  map[Route]bool // used by the Run goroutine only

	mu      sync.Mutex // guards the fields below
	applied string     // the pod CIDRs the runtime has, comma-separated
	ready   chan struct{}
}

// NewManager returns the manager of node self; table nil leaves routes
// alone, nat nil masquerading.
func NewManager(self string, runtime Runtime, table RouteTable, nat NAT) *Manager {
	return &Manager{self: self, runtime: runtime, table: table, nat: nat, kick: make(chan struct{}, 1),
		warned: map[Route]bool{}, ready: make(chan struct{})}
}

// Handler wakes the manager on every Node event.
func (m *Manager) Handler() cache.ResourceEventHandler {
	kick := func(any) { m.Kick() }
	return cache.ResourceEventHandlerFuncs{AddFunc: kick, UpdateFunc: func(_, cur any) { kick(cur) }, DeleteFunc: kick}
}

// Kick asks for a sync.
func (m *Manager) Kick() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// PodCIDRApplied is closed once the runtime has the node's pod CIDR.
func (m *Manager) PodCIDRApplied() <-chan struct{} { return m.ready }

// PodCIDR is the pod CIDR the runtime was last given ("" before).
func (m *Manager) PodCIDR() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.applied
}

// Run syncs on every kick, and every resync, until ctx ends; the nodes
// come from lister once synced.
func (m *Manager) Run(ctx context.Context, nodes corelisters.NodeLister, synced cache.InformerSynced) {
	if !cache.WaitForCacheSync(ctx.Done(), synced) {
		return
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		case <-timer.C:
		}
		next := resync
		if err := m.Sync(ctx, nodes); err != nil {
			log.G(ctx).Warn("pod network sync", log.KeyError, err)
			next = retry
		}
		timer.Reset(next)
	}
}

// Sync gives the runtime the node's pod CIDR and reconciles the routes.
func (m *Manager) Sync(ctx context.Context, lister corelisters.NodeLister) error {
	nodes, err := lister.List(labels.Everything())
	if err != nil {
		return err
	}
	own, routes := Desired(m.self, nodes)
	if err := m.applyPodCIDR(ctx, strings.Join(own, ",")); err != nil {
		return err
	}
	if m.table == nil {
		return nil
	}
	err = Reconcile(ctx, m.table, routes, m.warned)
	if m.nat != nil && len(own) > 0 {
		var mine, remote []netip.Prefix
		for _, c := range own {
			if p, perr := netip.ParsePrefix(c); perr == nil {
				mine = append(mine, p.Masked())
			}
		}
		for _, r := range routes {
			remote = append(remote, r.Dst)
		}
		err = errors.Join(err, m.nat.Exempt(mine, remote))
	}
	return err
}

// applyPodCIDR hands cidrs to the runtime, every sync (a restarted
// runtime has forgotten them), logging only a change.
func (m *Manager) applyPodCIDR(ctx context.Context, cidrs string) error {
	if cidrs == "" {
		return nil
	}
	_, err := m.runtime.UpdateRuntimeConfig(ctx, &runtimeapi.UpdateRuntimeConfigRequest{
		RuntimeConfig: &runtimeapi.RuntimeConfig{NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: cidrs}}})
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.applied != cidrs {
		log.G(ctx).Info("pod CIDR given to the runtime", "pod_cidr", cidrs)
		if m.applied == "" {
			close(m.ready)
		}
		m.applied = cidrs
	}
	return nil
}
