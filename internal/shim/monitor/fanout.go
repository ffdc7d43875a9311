package monitor

import (
	"sync"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// subscriberQueue is how many chunks of output an attached client may
// fall behind before it is cut off: the container's output never waits
// for a client.
const subscriberQueue = 64

// chunk is a piece of the container's output.
type chunk struct {
	kind api.StreamKind
	data []byte // shared by all subscribers: read only
}

// fanout hands the container's output to the attached clients. publish
// never blocks: a client whose queue is full is dropped. With nobody
// attached it costs nothing. It is safe for concurrent use.
type fanout struct {
	mu     sync.Mutex // guards the fields below
	subs   map[*subscriber]struct{}
	closed bool // the output has ended; no new subscribers
}

// subscriber is one attached client: the kinds of output it takes and
// its queue, closed when the output ends, when it falls behind (then
// dropped is set) or when it leaves.
type subscriber struct {
	kinds   [api.StreamStderr + 1]bool
	queue   chan chunk
	dropped bool // written under fanout.mu before queue is closed
}

// subscribe adds a subscriber for the given kinds of output. It returns
// nil once the output has ended.
func (f *fanout) subscribe(kinds ...api.StreamKind) *subscriber {
	s := &subscriber{queue: make(chan chunk, subscriberQueue)}
	for _, k := range kinds {
		s.kinds[k] = true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	if f.subs == nil {
		f.subs = map[*subscriber]struct{}{}
	}
	f.subs[s] = struct{}{}
	return s
}

// unsubscribe removes s and closes its queue, if it is still there.
func (f *fanout) unsubscribe(s *subscriber) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removeLocked(s)
}

func (f *fanout) removeLocked(s *subscriber) {
	if _, ok := f.subs[s]; ok {
		delete(f.subs, s)
		close(s.queue)
	}
}

// publish hands a copy of data to every subscriber of kind.
func (f *fanout) publish(kind api.StreamKind, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var shared []byte
	for s := range f.subs {
		if !s.kinds[kind] {
			continue
		}
		if shared == nil {
			shared = append([]byte(nil), data...)
		}
		select {
		case s.queue <- chunk{kind: kind, data: shared}:
		default:
			s.dropped = true
			f.removeLocked(s)
		}
	}
}

// close ends the output: every queue is closed after what it holds.
func (f *fanout) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for s := range f.subs {
		f.removeLocked(s)
	}
}
