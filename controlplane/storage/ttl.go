package storage

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// PutTTL writes value at key (not an API object: a heartbeat, such as
// an API server's presence), to expire ttl later unless written again.
func (s *Store) PutTTL(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	lease, err := s.client.Grant(ctx, int64(max(ttl/time.Second, 1)))
	if err != nil {
		return fmt.Errorf("put %s: grant lease: %w", key, err)
	}
	if _, err := s.client.Put(ctx, s.prefix+key, string(value), clientv3.WithLease(lease.ID)); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// DeleteKey removes a key written by PutTTL.
func (s *Store) DeleteKey(ctx context.Context, key string) error {
	if _, err := s.client.Delete(ctx, s.prefix+key); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// Values returns the values of the keys under prefix, by key relative to
// prefix.
func (s *Store) Values(ctx context.Context, prefix string) (map[string][]byte, error) {
	resp, err := s.client.Get(ctx, s.prefix+prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	out := make(map[string][]byte, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out[string(kv.Key[len(s.prefix)+len(prefix):])] = kv.Value
	}
	return out, nil
}
