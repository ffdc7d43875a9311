// Package expectations remembers the creations and deletions a
// controller has asked the API for and not yet seen in its informer, so
// that a sync reading a cache that lags behind its own writes does not
// create or delete a second time (upstream's ControllerExpectations).
//
// A controller sets expectations before it writes (ExpectCreations with
// the count, ExpectDeletions with the keys of the objects), its informer
// handlers lower them as the objects show up or go (CreationObserved,
// DeletionObserved), and its sync acts only when Satisfied. A write that
// fails is observed at once by the controller, since no event will come.
// Expectations not met within Timeout are dropped, so that a lost event
// delays a controller, never stops it.
package expectations

import (
	"sync"
	"time"
)

// Timeout is how long expectations hold at most (upstream's five minutes).
const Timeout = 5 * time.Minute

// Expectations are the pending writes of one controller, by the key of
// the object that made them (its namespace/name). Safe for concurrent use.
type Expectations struct {
	now func() time.Time

	mu      sync.Mutex
	pending map[string]*pending // guarded by mu
}

type pending struct {
	creations int
	deletions map[string]bool // keys of the objects being deleted
	since     time.Time
}

// New returns empty expectations.
func New() *Expectations { return newWithClock(time.Now) }

func newWithClock(now func() time.Time) *Expectations {
	return &Expectations{now: now, pending: map[string]*pending{}}
}

// Satisfied tells whether the controller of key may act: nothing is
// pending, or what was pending expired.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.pending[key]
	if !ok {
		return true
	}
	if (p.creations <= 0 && len(p.deletions) == 0) || e.now().Sub(p.since) > Timeout {
		delete(e.pending, key)
		return true
	}
	return false
}

// ExpectCreations records that n objects are being created for key,
// replacing what was pending.
func (e *Expectations) ExpectCreations(key string, n int) {
	e.set(key, &pending{creations: n})
}

// ExpectDeletions records that the objects named by objs are being
// deleted for key, replacing what was pending.
func (e *Expectations) ExpectDeletions(key string, objs []string) {
	p := &pending{deletions: make(map[string]bool, len(objs))}
	for _, o := range objs {
		p.deletions[o] = true
	}
	e.set(key, p)
}

func (e *Expectations) set(key string, p *pending) {
	p.since = e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending[key] = p
}

// CreationObserved lowers the creations pending for key by one: an
// object showed up, or a create failed.
func (e *Expectations) CreationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.pending[key]; ok {
		p.creations--
	}
}

// DeletionObserved tells that obj, deleted for key, is gone (or being
// deleted, or its delete failed). An object counts once, however many
// events say so.
func (e *Expectations) DeletionObserved(key, obj string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.pending[key]; ok {
		delete(p.deletions, obj)
	}
}

// Forget drops what is pending for key (its object is gone).
func (e *Expectations) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.pending, key)
}
