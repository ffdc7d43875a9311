package keylock

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// maxReaders bounds the readers of one key; a writer takes them all.
const maxReaders = 1 << 20

// Map holds the locks of all keys. The zero value is ready; a Map is safe
// for concurrent use.
type Map struct {
	mu    sync.Mutex // guards locks
	locks map[string]*entry
}

// entry is one key's lock; refs counts its holders and waiters.
type entry struct {
	sem  *semaphore.Weighted
	refs int
}

// Lock takes key's lock exclusively and returns the function that
// releases it. When ctx ends first the error is of class
// errdefs.ErrDeadlineExceeded or ErrCanceled.
func (m *Map) Lock(ctx context.Context, key string) (unlock func(), err error) {
	return m.acquire(ctx, key, maxReaders)
}

// RLock takes key's lock shared with other readers, as Lock does.
func (m *Map) RLock(ctx context.Context, key string) (unlock func(), err error) {
	return m.acquire(ctx, key, 1)
}

func (m *Map) acquire(ctx context.Context, key string, n int64) (func(), error) {
	m.mu.Lock()
	if m.locks == nil {
		m.locks = map[string]*entry{}
	}
	e := m.locks[key]
	if e == nil {
		e = &entry{sem: semaphore.NewWeighted(maxReaders)}
		m.locks[key] = e
	}
	e.refs++
	m.mu.Unlock()

	if err := e.sem.Acquire(ctx, n); err != nil {
		m.drop(key, e)
		return nil, fmt.Errorf("waiting for %s: %w: %w", key, class(ctx), err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			e.sem.Release(n)
			m.drop(key, e)
		})
	}, nil
}

// drop forgets e once nobody holds or waits for it.
func (m *Map) drop(key string, e *entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(m.locks, key)
	}
}

// Len returns how many keys are held or waited for.
func (m *Map) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}

func class(ctx context.Context) error {
	if ctx.Err() == context.DeadlineExceeded {
		return errdefs.ErrDeadlineExceeded
	}
	return errdefs.ErrCanceled
}

// Hold looks an object up by id, which may be a prefix of its ID, takes
// the lock of its full ID (fullID of what get found) and looks it up
// again, since it may have changed or gone meanwhile. It returns the
// object as it is under the lock, and the unlock function; on error
// nothing is held.
func Hold[R any](ctx context.Context, m *Map, id string, get func(string) (R, error), fullID func(R) string) (R, func(), error) {
	r, err := get(id)
	if err != nil {
		return r, nil, err
	}
	key := fullID(r)
	unlock, err := m.Lock(ctx, key)
	if err != nil {
		return r, nil, err
	}
	if r, err = get(key); err != nil {
		unlock()
		return r, nil, err
	}
	return r, unlock, nil
}
