package job

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// backoffs are the failures of each Job since its last success, which
// delay its new pods. They are kept in memory, as upstream's: a
// restarted controller starts without delay. Safe for concurrent use.
type backoffs struct {
	base, max time.Duration

	mu      sync.Mutex
	records map[string]backoffRecord // by Job key; guarded by mu
}

type backoffRecord struct {
	failures    int       // since the last success
	lastFailure time.Time // when the last of them finished
}

func newBackoffs(base, max time.Duration) *backoffs {
	return &backoffs{base: base, max: max, records: map[string]backoffRecord{}}
}

// observe records pods of the Job key that have just been seen finished.
func (b *backoffs) observe(key string, finished []*corev1.Pod, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.records[key]
	for _, p := range finished {
		at := finishTime(p, now)
		if p.Status.Phase == corev1.PodSucceeded {
			if !at.Before(r.lastFailure) {
				r.failures = 0
			}
			continue
		}
		r.failures++
		if at.After(r.lastFailure) {
			r.lastFailure = at
		}
	}
	b.records[key] = r
}

// delay returns how long new pods of the Job key must still wait at now.
func (b *backoffs) delay(key string, now time.Time) time.Duration {
	b.mu.Lock()
	r := b.records[key]
	b.mu.Unlock()
	if r.failures == 0 {
		return 0
	}
	d := b.base
	for i := 1; i < r.failures && d < b.max; i++ {
		d *= 2
	}
	return max(min(d, b.max)-now.Sub(r.lastFailure), 0)
}

func (b *backoffs) forget(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.records, key)
}

// finishTime is when a finished pod's last container ended, or now when
// it does not say.
func finishTime(p *corev1.Pod, now time.Time) time.Time {
	var at time.Time
	for _, s := range p.Status.ContainerStatuses {
		if t := s.State.Terminated; t != nil && t.FinishedAt.After(at) {
			at = t.FinishedAt.Time
		}
	}
	if at.IsZero() {
		return now
	}
	return at
}

// uidSet is a set of pod uids. Safe for concurrent use.
type uidSet struct {
	mu   sync.Mutex
	uids map[types.UID]bool // guarded by mu
}

func newUIDSet() *uidSet { return &uidSet{uids: map[types.UID]bool{}} }

func (s *uidSet) add(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uids[uid] = true
}

func (s *uidSet) remove(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.uids, uid)
}

func (s *uidSet) has(uid types.UID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uids[uid]
}
