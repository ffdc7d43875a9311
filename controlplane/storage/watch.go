package storage

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Event is one change seen by Watch.
type Event struct {
	// Type is Added, Modified, Deleted, Bookmark (etcd's progress
	// notification: nothing changed up to Revision) or Error.
	Type watch.EventType
	// Object is the new state; for Deleted, the last state. Its
	// resourceVersion is Revision.
	Object runtime.Object
	// Prev is the state before the change (nil for Added).
	Prev runtime.Object
	// Revision is the etcd revision of the change.
	Revision int64
	// Err is set on Error events (ErrGone after a compaction).
	Err error
}

// Watch streams the changes under prefix made after revision rev, until
// ctx ends or an Error event, after which the channel is closed. etcd's
// periodic progress notifications come as Bookmark events.
func (s *Store) Watch(ctx context.Context, prefix string, rev int64) <-chan Event {
	out := make(chan Event)
	wch := s.client.Watch(clientv3.WithRequireLeader(ctx), s.prefix+prefix,
		clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithPrevKV(), clientv3.WithProgressNotify())
	go func() {
		defer close(out)
		for resp := range wch {
			for _, ev := range s.events(resp) {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
				if ev.Type == watch.Error {
					return
				}
			}
		}
	}()
	return out
}

// events turns one etcd watch response into Events.
func (s *Store) events(resp clientv3.WatchResponse) []Event {
	if resp.CompactRevision != 0 {
		return []Event{{Type: watch.Error, Err: fmt.Errorf("watch: %w: compacted at %d", ErrGone, resp.CompactRevision)}}
	}
	if err := resp.Err(); err != nil {
		return []Event{{Type: watch.Error, Err: fmt.Errorf("watch: %w", etcdError(err))}}
	}
	if resp.IsProgressNotify() {
		return []Event{{Type: watch.Bookmark, Revision: resp.Header.Revision}}
	}
	evs := make([]Event, 0, len(resp.Events))
	for _, e := range resp.Events {
		ev, err := s.event(e)
		if err != nil {
			return append(evs, Event{Type: watch.Error, Err: err})
		}
		evs = append(evs, ev)
	}
	return evs
}

func (s *Store) event(e *clientv3.Event) (Event, error) {
	ev := Event{Revision: e.Kv.ModRevision}
	var err error
	if e.PrevKv != nil {
		if ev.Prev, err = s.codec.Decode(e.PrevKv.Value, e.PrevKv.ModRevision); err != nil {
			return ev, err
		}
	}
	switch {
	case e.Type == clientv3.EventTypeDelete:
		if e.PrevKv == nil {
			return ev, fmt.Errorf("watch: delete of %s without its previous value", e.Kv.Key)
		}
		ev.Type = watch.Deleted
		ev.Object, err = s.codec.Decode(e.PrevKv.Value, e.Kv.ModRevision)
	case e.IsCreate():
		ev.Type = watch.Added
		ev.Object, err = s.codec.Decode(e.Kv.Value, e.Kv.ModRevision)
	default:
		ev.Type = watch.Modified
		ev.Object, err = s.codec.Decode(e.Kv.Value, e.Kv.ModRevision)
	}
	return ev, err
}
