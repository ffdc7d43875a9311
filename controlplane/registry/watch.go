package registry

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// InitialEventsEnd is the annotation of the bookmark that ends the
// initial events of a watch-list (sendInitialEvents=true).
const InitialEventsEnd = metav1.InitialEventsAnnotationKey

// Watch streams the changes of the objects of namespace ns that opts
// select, until ctx ends or an ERROR event (410 after compaction).
//
// resourceVersion "" or "0" first sends every selected object as ADDED
// (as kube-apiserver does), then the changes. A non-zero resourceVersion
// sends the changes after it. sendInitialEvents=true sends the objects as
// ADDED and then a BOOKMARK annotated k8s.io/initial-events-end, which
// kubectl 1.37's watch-list waits for. With allowWatchBookmarks, etcd's
// progress notifications come as BOOKMARK events.
func (s *Store) Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (<-chan watch.Event, error) {
	p, rv, err := s.parseListOptions(opts)
	if err != nil {
		return nil, err
	}
	watchList := opts.SendInitialEvents != nil && *opts.SendInitialEvents
	initial := watchList || (rv == 0 && opts.SendInitialEvents == nil)
	out := make(chan watch.Event)
	go func() {
		defer close(out)
		w := watcher{s: s, p: p, out: out, bookmarks: opts.AllowWatchBookmarks}
		start := rv
		if initial {
			var ok bool
			if start, ok = w.initial(ctx, ns, watchList); !ok {
				return
			}
		}
		w.follow(ctx, ns, start)
	}()
	return out, nil
}

// watcher turns storage events into API watch events for one client.
type watcher struct {
	s         *Store
	p         predicate
	out       chan<- watch.Event
	bookmarks bool
}

// initial sends the current objects as ADDED (and the initial-events-end
// bookmark for a watch-list) and returns the revision they were read at.
func (w watcher) initial(ctx context.Context, ns string, watchList bool) (int64, bool) {
	res, err := w.s.storage.List(ctx, w.s.key(ns, ""), storage.ListOptions{Match: w.p.matches})
	if err != nil {
		w.send(ctx, w.errorEvent(err))
		return 0, false
	}
	for _, obj := range res.Items {
		if !w.send(ctx, watch.Event{Type: watch.Added, Object: w.s.typed(obj)}) {
			return 0, false
		}
	}
	if watchList {
		b := w.bookmark(res.Revision)
		accessor(b).SetAnnotations(map[string]string{InitialEventsEnd: "true"})
		if !w.send(ctx, watch.Event{Type: watch.Bookmark, Object: b}) {
			return 0, false
		}
	}
	return res.Revision, true
}

// follow relays the changes of namespace ns (all when "") after
// revision rev until ctx ends or an error: from the kind's shared feed
// while it can, then from a storage watch of its own.
func (w watcher) follow(ctx context.Context, ns string, rev int64) {
	if c, ok := w.s.fanout.join(rev); ok {
		var more bool
		rev, more = w.followFeed(ctx, c, ns, rev)
		c.leave()
		if !more {
			return
		}
	}
	for ev := range w.s.storage.Watch(ctx, w.s.key(ns, ""), rev) {
		if ev.Object != nil {
			w.s.typed(ev.Object)
		}
		if !w.relay(ctx, ev) {
			return
		}
	}
}

// followFeed relays the feed's events of namespace ns. It returns the
// revision reached, and whether to go on by other means (the feed could
// not keep up).
func (w watcher) followFeed(ctx context.Context, c *cursor, ns string, rev int64) (int64, bool) {
	for {
		ev, ok := c.read(ctx)
		if !ok {
			return rev, ctx.Err() == nil
		}
		rev = ev.Revision
		if ns != "" && ev.Object != nil && accessor(ev.Object).GetNamespace() != ns {
			continue
		}
		if !w.relay(ctx, ev) {
			return rev, false
		}
	}
}

// relay sends ev through the selectors; false ends the watch.
func (w watcher) relay(ctx context.Context, ev storage.Event) bool {
	e, ok := w.convert(ev)
	if !ok {
		return true
	}
	return w.send(ctx, e) && e.Type != watch.Error
}

// convert maps a storage event, whose objects are typed and shared,
// through the selectors: an object that starts to match is ADDED, one
// that stops matching is DELETED.
func (w watcher) convert(ev storage.Event) (watch.Event, bool) {
	switch ev.Type {
	case watch.Error:
		return w.errorEvent(ev.Err), true
	case watch.Bookmark:
		return watch.Event{Type: watch.Bookmark, Object: w.bookmark(ev.Revision)}, w.bookmarks
	}
	cur := w.p.matches(ev.Object)
	prev := ev.Prev != nil && w.p.matches(ev.Prev)
	switch {
	case ev.Type == watch.Deleted && prev:
		return watch.Event{Type: watch.Deleted, Object: ev.Object}, true
	case ev.Type == watch.Deleted:
		return watch.Event{}, false
	case cur && prev:
		return watch.Event{Type: watch.Modified, Object: ev.Object}, true
	case cur:
		return watch.Event{Type: watch.Added, Object: ev.Object}, true
	case prev:
		// The object as it was, at the revision it stopped matching (a
		// copy: events may be shared between watchers).
		gone := ev.Prev.DeepCopyObject()
		accessor(gone).SetResourceVersion(fmt.Sprint(ev.Revision))
		return watch.Event{Type: watch.Deleted, Object: w.s.typed(gone)}, true
	}
	return watch.Event{}, false
}

// bookmark is an empty object of the kind carrying only a revision.
func (w watcher) bookmark(rev int64) runtime.Object {
	obj, _ := w.s.newObject()
	accessor(obj).SetResourceVersion(fmt.Sprint(rev))
	return w.s.typed(obj)
}

func (w watcher) errorEvent(err error) watch.Event {
	st := w.s.apiError(err, "").(interface{ Status() metav1.Status }).Status()
	return watch.Event{Type: watch.Error, Object: &st}
}

func (w watcher) send(ctx context.Context, e watch.Event) bool {
	select {
	case w.out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}
