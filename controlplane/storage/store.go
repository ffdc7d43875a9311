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
	return s.CreateWith(ctx, key, obj, Claims{})
}

// CreateWith is Create with claims changed in the same transaction: a
// taken key that is held gives a *ClaimError (ErrClaimed).
func (s *Store) CreateWith(ctx context.Context, key string, obj runtime.Object, c Claims) error {
	k := s.prefix + key
	put, err := s.put(ctx, k, obj)
	if err != nil {
		return err
	}
	cmps, ops := s.claimOps(c)
	resp, err := s.client.Txn(ctx).
		If(append([]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k), "=", 0)}, cmps...)...).
		Then(append([]clientv3.Op{put}, ops...)...).
		Else(append([]clientv3.Op{clientv3.OpGet(k, clientv3.WithKeysOnly())}, s.takenReads(c)...)...).
		Commit()
	if err != nil {
		return fmt.Errorf("create %s: %w", key, err)
	}
	if !resp.Succeeded {
		if len(resp.Responses[0].GetResponseRange().Kvs) > 0 {
			return fmt.Errorf("create %s: %w", key, ErrExists)
		}
		return fmt.Errorf("create %s: %w", key, s.heldClaim(c, resp.Responses[1:]))
	}
	return setRevision(obj, resp.Header.Revision)
}

// Update replaces the object at key if its revision is still rev, and sets
// obj's resourceVersion to the write's revision. A changed revision gives
// ErrConflict, a missing key ErrNotFound.
func (s *Store) Update(ctx context.Context, key string, obj runtime.Object, rev int64) error {
	return s.UpdateWith(ctx, key, obj, rev, Claims{})
}

// UpdateWith is Update with claims changed in the same transaction: a
// taken key that is held gives a *ClaimError (ErrClaimed).
func (s *Store) UpdateWith(ctx context.Context, key string, obj runtime.Object, rev int64, c Claims) error {
	k := s.prefix + key
	put, err := s.put(ctx, k, obj)
	if err != nil {
		return err
	}
	cmps, ops := s.claimOps(c)
	resp, err := s.client.Txn(ctx).
		If(append([]clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(k), "=", rev)}, cmps...)...).
		Then(append([]clientv3.Op{put}, ops...)...).
		Else(append([]clientv3.Op{clientv3.OpGet(k, clientv3.WithKeysOnly())}, s.takenReads(c)...)...).
		Commit()
	if err != nil {
		return fmt.Errorf("update %s: %w", key, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("update %s: %w", key, s.whyFailed(resp, rev, c))
	}
	return setRevision(obj, resp.Header.Revision)
}

// Delete removes the object at key if its revision is still rev. It
// returns the deleted object, whose resourceVersion is the deletion's
// revision, as a watcher sees it.
func (s *Store) Delete(ctx context.Context, key string, rev int64) (runtime.Object, error) {
	return s.DeleteWith(ctx, key, rev, Claims{})
}

// DeleteWith is Delete that also frees c.Release in the same
// transaction.
func (s *Store) DeleteWith(ctx context.Context, key string, rev int64, c Claims) (runtime.Object, error) {
	k := s.prefix + key
	_, ops := s.claimOps(Claims{Release: c.Release, Owner: c.Owner})
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", rev)).
		Then(append([]clientv3.Op{clientv3.OpDelete(k, clientv3.WithPrevKV())}, ops...)...).
		Else(clientv3.OpGet(k, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return nil, fmt.Errorf("delete %s: %w", key, err)
	}
	if !resp.Succeeded {
		return nil, fmt.Errorf("delete %s: %w", key, s.whyFailed(resp, rev, Claims{}))
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

// whyFailed tells why a write conditioned on the key's revision rev
// failed, from its Else branch: a keys-only read of the key, then the
// reads of the keys c takes.
func (s *Store) whyFailed(resp *clientv3.TxnResponse, rev int64, c Claims) error {
	kvs := resp.Responses[0].GetResponseRange().Kvs
	switch {
	case len(kvs) == 0:
		return ErrNotFound
	case kvs[0].ModRevision != rev:
		return ErrConflict
	}
	if err := s.heldClaim(c, resp.Responses[1:]); err != nil {
		return err
	}
	return ErrConflict
}
