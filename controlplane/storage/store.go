package storage

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
)

// Store reads and writes API objects in etcd.
type Store struct {
	client *clientv3.Client
	codec  *Codec
	prefix string
	// leases, when set, make writes expire (WithTTL).
	leases *leases
}

// New returns a Store over client, keeping every key under prefix
// (kube-apiserver uses "/registry").
func New(client *clientv3.Client, codec *Codec, prefix string) *Store {
	return &Store{client: client, codec: codec, prefix: prefix + "/"}
}

// Get returns the object at key, its resourceVersion set.
func (s *Store) Get(ctx context.Context, key string) (runtime.Object, error) {
	resp, err := s.client.Get(ctx, s.prefix+key)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	kv := resp.Kvs[0]
	return s.codec.Decode(kv.Value, kv.ModRevision)
}

// Create stores obj at key if the key is free, and sets obj's
// resourceVersion to the write's revision.
func (s *Store) Create(ctx context.Context, key string, obj runtime.Object) error {
	k := s.prefix + key
	put, err := s.put(ctx, k, obj)
	if err != nil {
		return err
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(put).
		Commit()
	if err != nil {
		return fmt.Errorf("create %s: %w", key, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("create %s: %w", key, ErrExists)
	}
	return setRevision(obj, resp.Header.Revision)
}

// Update replaces the object at key if its revision is still rev, and sets
// obj's resourceVersion to the write's revision. A changed revision gives
// ErrConflict, a missing key ErrNotFound.
func (s *Store) Update(ctx context.Context, key string, obj runtime.Object, rev int64) error {
	k := s.prefix + key
	put, err := s.put(ctx, k, obj)
	if err != nil {
		return err
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", rev)).
		Then(put).
		Else(clientv3.OpGet(k, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return fmt.Errorf("update %s: %w", key, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("update %s: %w", key, missingOrConflict(resp))
	}
	return setRevision(obj, resp.Header.Revision)
}

// Delete removes the object at key if its revision is still rev. It
// returns the deleted object, whose resourceVersion is the deletion's
// revision, as a watcher sees it.
func (s *Store) Delete(ctx context.Context, key string, rev int64) (runtime.Object, error) {
	k := s.prefix + key
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", rev)).
		Then(clientv3.OpDelete(k, clientv3.WithPrevKV())).
		Else(clientv3.OpGet(k, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("delete %s: %w", key, err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("delete %s: %w", key, missingOrConflict(resp))
	}
	del := resp.Responses[0].GetResponseDeleteRange()
	if len(del.PrevKvs) == 0 {
		return nil, fmt.Errorf("delete %s: %w", key, ErrNotFound)
	}
	return s.codec.Decode(del.PrevKvs[0].Value, resp.Header.Revision)
}

// put returns the Put of obj at k (with a lease when writes expire).
func (s *Store) put(ctx context.Context, k string, obj runtime.Object) (clientv3.Op, error) {
	data, err := s.codec.Encode(obj)
	if err != nil {
		return clientv3.Op{}, err
	}
	opts, err := s.putOptions(ctx)
	if err != nil {
		return clientv3.Op{}, err
	}
	return clientv3.OpPut(k, string(data), opts...), nil
}

// Revision returns etcd's current revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, s.prefix, clientv3.WithKeysOnly(), clientv3.WithLimit(1))
	if err != nil {
		return 0, fmt.Errorf("revision: %w", err)
	}
	return resp.Header.Revision, nil
}

// missingOrConflict tells why a conditional write's Txn failed, from the
// Else branch's keys-only read.
func missingOrConflict(resp *clientv3.TxnResponse) error {
	if len(resp.Responses) > 0 && len(resp.Responses[0].GetResponseRange().Kvs) == 0 {
		return ErrNotFound
	}
	return ErrConflict
}
