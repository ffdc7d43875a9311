package storage

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Claims are keys an object holds beside its own (a Service's cluster IP
// and node ports), changed in the same transaction as the object: a
// write that takes a key another object holds fails as a whole, and a
// key is freed with the write that stops holding it, so no crash can
// leak one or give it twice.
type Claims struct {
	// Take are the keys the write claims; each must be free. They are
	// written with Owner as their value.
	Take []string
	// Release are the keys the write frees, each only if Owner holds it.
	Release []string
	// Owner names the holder: the value of the keys taken, and the
	// condition of the keys released.
	Owner []byte
}

// ErrClaimed: a key a write claims is held already.
var ErrClaimed = errors.New("already claimed")

// ClaimError says which key a write could not take, and who holds it.
type ClaimError struct {
	Key    string
	Holder []byte
}

func (e *ClaimError) Error() string { return fmt.Sprintf("%s: %v by %s", e.Key, ErrClaimed, e.Holder) }

func (e *ClaimError) Unwrap() error { return ErrClaimed }

// Claim is one held key, as ListClaims returns it.
type Claim struct {
	Key   string
	Owner []byte
	// ModRevision is the revision of the claim's last write, the
	// condition of SetClaim and DropClaim.
	ModRevision int64
}

// claimOps returns the conditions and the operations of c's changes.
func (s *Store) claimOps(c Claims) ([]clientv3.Cmp, []clientv3.Op) {
	var cmps []clientv3.Cmp
	var ops []clientv3.Op
	for _, k := range c.Take {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(s.prefix+k), "=", 0))
		ops = append(ops, clientv3.OpPut(s.prefix+k, string(c.Owner)))
	}
	for _, k := range c.Release {
		held := clientv3.Compare(clientv3.Value(s.prefix+k), "=", string(c.Owner))
		ops = append(ops, clientv3.OpTxn([]clientv3.Cmp{held}, []clientv3.Op{clientv3.OpDelete(s.prefix + k)}, nil))
	}
	return cmps, ops
}

// takenReads are the reads, in a failed transaction's Else, that tell
// which of the keys it took was held.
func (s *Store) takenReads(c Claims) []clientv3.Op {
	ops := make([]clientv3.Op, 0, len(c.Take))
	for _, k := range c.Take {
		ops = append(ops, clientv3.OpGet(s.prefix+k))
	}
	return ops
}

// heldClaim returns the ClaimError of the first taken key a failed
// transaction found held, from the responses of takenReads.
func (s *Store) heldClaim(c Claims, resps []*etcdserverpb.ResponseOp) error {
	for i, r := range resps {
		if kvs := r.GetResponseRange().Kvs; len(kvs) > 0 {
			return &ClaimError{Key: c.Take[i], Holder: kvs[0].Value}
		}
	}
	return nil
}

// ListClaims returns the claims under prefix (relative to the Store's)
// and the revision they were read at.
func (s *Store) ListClaims(ctx context.Context, prefix string) ([]Claim, int64, error) {
	resp, err := s.client.Get(ctx, s.prefix+prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("list claims %s: %w", prefix, err)
	}
	out := make([]Claim, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out = append(out, Claim{Key: string(kv.Key[len(s.prefix):]), Owner: kv.Value, ModRevision: kv.ModRevision})
	}
	return out, resp.Header.Revision, nil
}

// SetClaim gives key to owner, if key is still at revision rev (0: it is
// free) and the object at holder (the owner's own key) still at
// holderRev: what a repair decided from a consistent read stays true
// when it writes. ErrConflict when something moved.
func (s *Store) SetClaim(ctx context.Context, key string, rev int64, owner []byte, holder string, holderRev int64) error {
	k := s.prefix + key
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", rev),
			clientv3.Compare(clientv3.ModRevision(s.prefix+holder), "=", holderRev)).
		Then(clientv3.OpPut(k, string(owner))).
		Commit()
	if err != nil {
		return fmt.Errorf("claim %s: %w", key, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("claim %s: %w", key, ErrConflict)
	}
	return nil
}

// DropClaim frees key if it is still at revision rev; ErrConflict when
// it moved.
func (s *Store) DropClaim(ctx context.Context, key string, rev int64) error {
	k := s.prefix + key
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(k), "=", rev)).
		Then(clientv3.OpDelete(k)).
		Commit()
	if err != nil {
		return fmt.Errorf("drop claim %s: %w", key, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("drop claim %s: %w", key, ErrConflict)
	}
	return nil
}
