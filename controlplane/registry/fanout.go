package registry

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// feedCapacity is how many recent events a feed keeps: a watcher that
// starts further back, or falls further behind, gets a watch of its own.
const feedCapacity = 1024

// feedLinger is how long a feed without readers goes on.
var feedLinger = time.Minute

// fanout shares one storage watch of a kind among its watchers: every
// change is read from etcd and decoded once into a feed, a ring of
// recent events, and each watcher reads the ring at its own pace through
// its own filters. A watcher that asks for a revision the ring no longer
// holds, or that falls behind by more than the ring, continues on a
// storage watch of its own from where it was, so no watcher misses an
// event and a slow one never holds the others up.
//
// A feed's storage watch starts with the first watcher and stops a
// minute after its last reader left (watchers come back: client-go's
// reflectors watch again every few minutes); the next watcher then starts
// a new feed. Objects in the ring are
// shared: they are typed before they are kept, and readers must not
// change them.
type fanout struct {
	s *Store

	mu  sync.Mutex // guards cur.
	cur *feed
}

// join returns a cursor reading the changes after revision rev, or false
// when no feed can serve rev (the caller then watches storage itself).
func (f *fanout) join(rev int64) (*cursor, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		if c, ok, live := f.cur.join(rev); live {
			return c, ok
		}
	}
	fd, err := startFeed(f.s)
	if err != nil {
		return nil, false
	}
	f.cur = fd
	c, ok, _ := fd.join(rev)
	if !ok {
		fd.mu.Lock()
		fd.idle() // no reader yet, but the next watcher may be one
		fd.mu.Unlock()
	}
	return c, ok
}

// feed is one storage watch and the ring of its recent events.
type feed struct {
	stop context.CancelFunc

	mu      sync.Mutex // guards the fields below.
	ring    [feedCapacity]storage.Event
	next    int64         // sequence number of the next event; ring[seq%feedCapacity] holds seq
	oldest  int64         // every change after this revision is in the ring
	notify  chan struct{} // closed and replaced when an event arrives or the feed ends
	readers int
	ended   bool
	idleGen int // counts idle periods, so a stale timer does nothing
}

// startFeed watches s's kind from the current revision.
func startFeed(s *Store) (*feed, error) {
	ctx, cancel := context.WithCancel(context.Background())
	rev, err := s.raw.Revision(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	fd := &feed{stop: cancel, oldest: rev, notify: make(chan struct{})}
	go fd.run(s, s.storage.Watch(ctx, s.key("", ""), rev))
	return fd, nil
}

// run keeps the storage watch's events, typed, until it ends or fails;
// after a failure the readers go on by themselves, and meet the failure
// there if it lasts.
func (fd *feed) run(s *Store, events <-chan storage.Event) {
	for ev := range events {
		if ev.Type == watch.Error {
			break
		}
		if ev.Object != nil {
			s.typed(ev.Object)
		}
		if ev.Prev != nil {
			s.typed(ev.Prev)
		}
		fd.append(ev)
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	fd.end()
}

// end marks the feed over and wakes its readers; fd.mu held.
func (fd *feed) end() {
	if !fd.ended {
		fd.ended = true
		fd.stop()
		close(fd.notify)
		fd.ring = [feedCapacity]storage.Event{}
	}
}

func (fd *feed) append(ev storage.Event) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.ended {
		return
	}
	if fd.next >= feedCapacity {
		fd.oldest = max(fd.oldest, fd.ring[fd.next%feedCapacity].Revision)
	}
	fd.ring[fd.next%feedCapacity] = ev
	fd.next++
	close(fd.notify)
	fd.notify = make(chan struct{})
}

// join adds a reader of the changes after rev. live is false when the
// feed has ended; ok is false when the ring no longer holds rev.
func (fd *feed) join(rev int64) (c *cursor, ok, live bool) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.ended {
		return nil, false, false
	}
	if rev < fd.oldest {
		return nil, false, true
	}
	seq := max(fd.next-feedCapacity, 0)
	for seq < fd.next && fd.ring[seq%feedCapacity].Revision <= rev {
		seq++
	}
	fd.readers++
	fd.idleGen++
	return &cursor{fd: fd, seq: seq}, true, true
}

// cursor is a reader's position in a feed.
type cursor struct {
	fd  *feed
	seq int64
}

// read returns the next event, waiting for one. ok is false when the
// reader must go on by itself (it fell behind the ring, or the feed
// ended) or ctx ended.
func (c *cursor) read(ctx context.Context) (ev storage.Event, ok bool) {
	fd := c.fd
	for {
		fd.mu.Lock()
		if fd.ended || c.seq < fd.next-feedCapacity {
			fd.mu.Unlock()
			return storage.Event{}, false
		}
		if c.seq < fd.next {
			ev = fd.ring[c.seq%feedCapacity]
			c.seq++
			fd.mu.Unlock()
			return ev, true
		}
		wait := fd.notify
		fd.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return storage.Event{}, false
		}
	}
}

// leave ends the reader; the feed ends a while after the last one.
func (c *cursor) leave() {
	fd := c.fd
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.readers--; fd.readers == 0 {
		fd.idle()
	}
}

// idle ends the feed after feedLinger unless a reader joins meanwhile;
// fd.mu held.
func (fd *feed) idle() {
	fd.idleGen++
	gen := fd.idleGen
	time.AfterFunc(feedLinger, func() {
		fd.mu.Lock()
		defer fd.mu.Unlock()
		if fd.readers == 0 && fd.idleGen == gen {
			fd.end()
		}
	})
}
