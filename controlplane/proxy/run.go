package proxy

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/knftables"

	"github.com/skiffrt/skiff/internal/log"
)

// Timing of syncs: at most one per MinSyncInterval, however many changes
// arrive, and a full one (every chain and map rewritten) every SyncPeriod
// in any case: it repairs a table that someone else changed.
const (
	MinSyncInterval = time.Second
	SyncPeriod      = 30 * time.Second
	retryInterval   = 5 * time.Second
)

// Run watches Services and EndpointSlices through client and keeps the
// table in line with them until ctx ends. The rules stay when it returns.
func Run(ctx context.Context, client kubernetes.Interface, nft knftables.Interface, ct Conntrack, cfg Config) error {
	f := informers.NewSharedInformerFactory(client, 0)
	svcInf := f.Core().V1().Services()
	sliceInf := f.Discovery().V1().EndpointSlices()
	kick := make(chan struct{}, 1)
	trigger := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { trigger() },
		UpdateFunc: func(any, any) { trigger() },
		DeleteFunc: func(any) { trigger() },
	}
	for _, inf := range []cache.SharedIndexInformer{svcInf.Informer(), sliceInf.Informer()} {
		if _, err := inf.AddEventHandler(h); err != nil {
			return err
		}
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), svcInf.Informer().HasSynced, sliceInf.Informer().HasSynced) {
		return fmt.Errorf("proxy: caches not synced: %w", context.Cause(ctx))
	}
	p := New(nft, ct, svcInf.Lister(), sliceInf.Lister(), cfg)
	return p.loop(ctx, kick)
}

// loop syncs on every kick, rate-limited, and periodically.
func (p *Proxier) loop(ctx context.Context, kick <-chan struct{}) error {
	period := time.NewTicker(SyncPeriod)
	defer period.Stop()
	retry := time.NewTimer(0) // the first sync
	defer retry.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
		case <-period.C:
			p.ResyncAll()
		case <-retry.C:
		}
		if wait := MinSyncInterval - time.Since(last); wait > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
		}
		// Changes that arrived while waiting are in this sync.
		select {
		case <-kick:
		default:
		}
		last = time.Now()
		r, err := p.Sync(ctx)
		if err != nil {
			log.G(ctx).Error("proxy: sync failed; retrying", log.KeyError, err, "retry_in", retryInterval)
			retry.Reset(retryInterval)
			continue
		}
		log.G(ctx).Debug("proxy: table synced", "service_ports", r.ServicePorts, "operations", r.Operations, "duration", r.Duration)
	}
}
