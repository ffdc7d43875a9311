package storage

import (
	"context"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Compactor compacts etcd every interval, keeping the revisions written
// during the last interval (as kube-apiserver does every 5 minutes), so
// watchers a little behind can still catch up. It returns when ctx ends.
//
// With several API servers on one etcd, each compacts; that is harmless,
// etcd answers a compaction of an already-compacted revision with an error
// that is ignored.
func (s *Store) Compactor(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rev, err := s.Revision(ctx)
		if err != nil {
			slog.WarnContext(ctx, "compaction: reading revision", "error", err)
			continue
		}
		if last > 0 {
			if _, err := s.client.Compact(ctx, last); err != nil {
				slog.DebugContext(ctx, "compaction", "revision", last, "error", err)
			} else {
				slog.DebugContext(ctx, "compacted", "revision", last)
			}
		}
		last = rev
	}
}

// Compact compacts away the revisions before rev (tests use it to
// provoke ErrGone).
func (s *Store) Compact(ctx context.Context, rev int64) error {
	_, err := s.client.Compact(ctx, rev, clientv3.WithCompactPhysical())
	return err
}
