package storage

import (
	"context"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// WithTTL returns a Store over the same etcd whose writes expire after
// ttl (kube-apiserver's --event-ttl, one hour for events): each write
// attaches an etcd lease. Writes within a short window share one lease,
// granted a little longer, as kube-apiserver's lease manager does, so a
// burst of events costs one lease.
func (s *Store) WithTTL(ttl time.Duration) *Store {
	c := *s
	c.leases = &leases{client: s.client, ttl: ttl, window: max(ttl/60, time.Second)}
	return &c
}

// leases hands out shared etcd leases.
type leases struct {
	client      *clientv3.Client
	ttl, window time.Duration

	mu      sync.Mutex // guards the fields below.
	id      clientv3.LeaseID
	granted time.Time
}

// putOptions returns the options of a Put: a lease when writes expire.
func (s *Store) putOptions(ctx context.Context) ([]clientv3.OpOption, error) {
	if s.leases == nil {
		return nil, nil
	}
	id, err := s.leases.get(ctx)
	if err != nil {
		return nil, err
	}
	return []clientv3.OpOption{clientv3.WithLease(id)}, nil
}

// get returns a lease that lives at least ttl from now.
func (l *leases) get(ctx context.Context) (clientv3.LeaseID, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.id != 0 && time.Since(l.granted) < l.window {
		return l.id, nil
	}
	resp, err := l.client.Grant(ctx, int64((l.ttl+l.window)/time.Second))
	if err != nil {
		return 0, fmt.Errorf("grant lease: %w", err)
	}
	l.id, l.granted = resp.ID, time.Now()
	return l.id, nil
}
