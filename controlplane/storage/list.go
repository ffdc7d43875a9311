package storage

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
)

// ListOptions selects what List returns.
type ListOptions struct {
	// Revision reads at that etcd revision; 0 reads the newest.
	Revision int64
	// Limit caps the number of items; 0 means no cap.
	Limit int64
	// Continue resumes after the page that returned this token; it also
	// fixes the revision to the first page's.
	Continue string
	// Match keeps the objects for which it returns true; nil keeps all.
	Match func(runtime.Object) bool
}

// ListResult is one page of a List.
type ListResult struct {
	Items []runtime.Object
	// Revision is the etcd revision the page was read at.
	Revision int64
	// Continue is set when more items may follow.
	Continue string
}

// continueToken is the opaque continue parameter handed to clients.
type continueToken struct {
	APIVersion string `json:"v"`
	Revision   int64  `json:"rv"`
	Start      string `json:"start"`
}

// List returns the objects whose keys start with prefix, in key order.
// Filtered pages are filled up to Limit by reading on, as kube-apiserver
// does. A revision that etcd compacted gives ErrGone.
func (s *Store) List(ctx context.Context, prefix string, opts ListOptions) (*ListResult, error) {
	start, rev := s.prefix+prefix, opts.Revision
	if opts.Continue != "" {
		key, crev, err := decodeContinue(opts.Continue, prefix)
		if err != nil {
			return nil, err
		}
		start, rev = s.prefix+key, crev
	}
	end := clientv3.GetPrefixRangeEnd(s.prefix + prefix)
	res := &ListResult{}
	for {
		ops := []clientv3.OpOption{clientv3.WithRange(end)}
		if rev > 0 {
			ops = append(ops, clientv3.WithRev(rev))
		}
		if opts.Limit > 0 {
			ops = append(ops, clientv3.WithLimit(opts.Limit))
		}
		resp, err := s.client.Get(ctx, start, ops...)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, etcdError(err))
		}
		if rev == 0 {
			// The first read fixes the revision of every later page.
			rev = resp.Header.Revision
		}
		for i, kv := range resp.Kvs {
			obj, err := s.codec.Decode(kv.Value, kv.ModRevision)
			if err != nil {
				return nil, fmt.Errorf("list %s: %s: %w", prefix, kv.Key, err)
			}
			if opts.Match != nil && !opts.Match(obj) {
				continue
			}
			res.Items = append(res.Items, obj)
			if opts.Limit > 0 && int64(len(res.Items)) == opts.Limit {
				if resp.More || i < len(resp.Kvs)-1 {
					res.Continue = encodeContinue(strings.TrimPrefix(string(kv.Key), s.prefix)+"\x00", rev)
				}
				res.Revision = rev
				return res, nil
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			res.Revision = rev
			return res, nil
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

func encodeContinue(key string, rev int64) string {
	data, _ := json.Marshal(continueToken{APIVersion: "meta.k8s.io/v1", Revision: rev, Start: key})
	return base64.RawURLEncoding.EncodeToString(data)
}

// decodeContinue returns the key to resume at and the revision to read.
func decodeContinue(token, prefix string) (string, int64, error) {
	data, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", ErrBadContinue, err)
	}
	var t continueToken
	if err := json.Unmarshal(data, &t); err != nil {
		return "", 0, fmt.Errorf("%w: %v", ErrBadContinue, err)
	}
	if t.APIVersion != "meta.k8s.io/v1" || t.Revision <= 0 || !strings.HasPrefix(t.Start, prefix) {
		return "", 0, ErrBadContinue
	}
	return t.Start, t.Revision, nil
}

// etcdError maps etcd's compaction error to ErrGone.
func etcdError(err error) error {
	if errors.Is(err, rpctypes.ErrCompacted) || errors.Is(err, rpctypes.ErrGRPCCompacted) {
		return fmt.Errorf("%w: %v", ErrGone, err)
	}
	return err
}
