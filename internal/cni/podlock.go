package cni

import "sync"

// podLocks serialises calls for one pod ID and lets others run.
type podLocks struct {
	// mu guards m.
	mu sync.Mutex
	m  map[string]*podLock
}

type podLock struct {
	mu   sync.Mutex
	refs int // guarded by podLocks.mu
}

// lock locks id and returns its unlock.
func (l *podLocks) lock(id string) func() {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*podLock{}
	}
	pl := l.m[id]
	if pl == nil {
		pl = &podLock{}
		l.m[id] = pl
	}
	pl.refs++
	l.mu.Unlock()

	pl.mu.Lock()
	return func() {
		pl.mu.Unlock()
		l.mu.Lock()
		if pl.refs--; pl.refs == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
}
