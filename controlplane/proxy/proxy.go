package proxy

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/knftables"

	"github.com/skiffrt/skiff/internal/log"
)

// ServiceLister lists Services (a client-go lister fits).
type ServiceLister interface {
	List(selector labels.Selector) ([]*corev1.Service, error)
}

// SliceLister lists EndpointSlices (a client-go lister fits).
type SliceLister interface {
	List(selector labels.Selector) ([]*discoveryv1.EndpointSlice, error)
}

// Config configures a Proxier.
type Config struct {
	// NodeName is this node: its endpoints are the local ones.
	NodeName string
	// ClusterCIDRs are the pods' address ranges, one per family; traffic
	// to a service from outside them is masqueraded. None of a family:
	// only its NodePort, external and hairpin traffic is.
	ClusterCIDRs []netip.Prefix
	// NodePortAddresses restrict NodePorts to the local addresses within
	// them; empty: all local addresses but loopback.
	NodePortAddresses []netip.Prefix
}

// Proxier keeps the skiff-proxy table in line with the services.
// Sync may be called from one goroutine at a time; Run does so.
type Proxier struct {
	nft      knftables.Interface
	ct       Conntrack
	services ServiceLister
	slices   SliceLister
	node     string
	rules    ruleConfig

	// mu guards the fields below and serialises syncs.
	mu sync.Mutex
	// objs are the chains and sets the table holds; nil when unknown
	// (before the first sync, after a failed one).
	objs *objects
	// udp is what the last sync sent UDP traffic to; nil before the first.
	udp udpState
}

// New returns a Proxier that writes through nft, deletes stale UDP flows
// through ct, and reads services and slices from the listers.
func New(nft knftables.Interface, ct Conntrack, services ServiceLister, slices SliceLister, cfg Config) *Proxier {
	return &Proxier{
		nft: nft, ct: ct, services: services, slices: slices, node: cfg.NodeName,
		rules: ruleConfig{clusterCIDRs: cfg.ClusterCIDRs, nodePortAddresses: cfg.NodePortAddresses},
	}
}

// NewNFTables returns the nftables interface for the proxy's table, or an
// error naming what this host lacks.
func NewNFTables() (knftables.Interface, error) {
	nft, err := knftables.New(knftables.InetFamily, TableName)
	if err != nil {
		return nil, fmt.Errorf("nftables not available (the proxy needs the nft binary >= 1.0.1 and a kernel with nf_tables, nft_nat, nft_numgen, nft_fib and nft_reject): %w", err)
	}
	return nft, nil
}

// SyncResult tells what a sync did.
type SyncResult struct {
	ServicePorts int
	Operations   int
	Duration     time.Duration // the whole sync
	NFT          time.Duration // of which running the transaction
}

// Sync brings the table in line with the current services in one
// transaction, writing the chains and maps that changed since the last
// sync (all of them after ResyncAll, a failed sync, or at the first),
// then deletes UDP conntrack entries of removed endpoints.
func (p *Proxier) Sync(ctx context.Context) (SyncResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	svcs, err := p.services.List(labels.Everything())
	if err != nil {
		return SyncResult{}, fmt.Errorf("list services: %w", err)
	}
	eps, err := p.slices.List(labels.Everything())
	if err != nil {
		return SyncResult{}, fmt.Errorf("list endpoint slices: %w", err)
	}
	ports := buildModel(svcs, eps, p.node)
	old, err := p.currentObjects(ctx)
	if err != nil {
		return SyncResult{}, err
	}
	tx := p.nft.NewTransaction()
	want := writeRuleset(tx, ports, p.rules, old)
	nftStart := time.Now()
	if err := p.nft.Run(ctx, tx); err != nil {
		p.objs = nil
		return SyncResult{}, fmt.Errorf("write table %s: %w", TableName, err)
	}
	nftTime := time.Since(nftStart)
	p.objs = &want
	udp := udpStateOf(ports)
	if p.udp != nil {
		if flows := staleFlows(p.udp, udp); len(flows) > 0 {
			if err := p.ct.DeleteUDP(flows); err != nil {
				log.G(ctx).Warn("proxy: deleting stale UDP conntrack entries", log.KeyError, err)
			}
		}
	}
	p.udp = udp
	return SyncResult{ServicePorts: len(ports), Operations: tx.NumOperations(), Duration: time.Since(start), NFT: nftTime}, nil
}

// currentObjects returns what the table holds, asking nftables for the
// names when the last sync did not leave them known.
func (p *Proxier) currentObjects(ctx context.Context) (objects, error) {
	if p.objs != nil {
		return *p.objs, nil
	}
	o := newObjects()
	for _, kind := range []string{"chain", "map", "set"} {
		names, err := p.nft.List(ctx, kind)
		if err != nil && !knftables.IsNotFound(err) {
			return o, fmt.Errorf("list %ss of table %s: %w", kind, TableName, err)
		}
		for _, n := range names {
			switch kind {
			case "chain":
				o.chains[n] = ""
			case "map":
				o.maps[n] = ""
			default:
				o.sets[n] = true
			}
		}
	}
	return o, nil
}

// ResyncAll makes the next sync rewrite every chain and map, not only
// those that changed: it repairs a table someone else changed.
func (p *Proxier) ResyncAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.objs != nil {
		o := p.objs.forgetContent()
		p.objs = &o
	}
}

// Cleanup deletes the proxy's table, if there is one.
func Cleanup(ctx context.Context, nft knftables.Interface) error {
	tx := nft.NewTransaction()
	tx.Add(&knftables.Table{})
	tx.Delete(&knftables.Table{})
	if err := nft.Run(ctx, tx); err != nil {
		return fmt.Errorf("delete table %s: %w", TableName, err)
	}
	return nil
}
