package controller

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiffrt/skiff/internal/log"
)

// Queue is a controller's rate-limited work queue of keys and the
// workers that take them: each key is handed to sync by one worker at a
// time, however often it was added meanwhile. A sync that fails comes
// back after a per-key exponential back-off (5 ms doubling up to 1000 s,
// and 10 retries a second overall, as upstream's controllers); one that
// succeeds resets the key's back-off.
//
// Informer handlers only Add keys; all the work happens in sync.
type Queue[K comparable] struct {
	name  string
	sync  func(context.Context, K) error
	queue workqueue.TypedRateLimitingInterface[K]
}

// NewQueue returns a queue named name (the controller's name, in logs)
// whose workers call sync.
func NewQueue[K comparable](name string, sync func(ctx context.Context, key K) error) *Queue[K] {
	return &Queue[K]{
		name: name,
		sync: sync,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[K](),
			workqueue.TypedRateLimitingQueueConfig[K]{Name: name}),
	}
}

// Add queues key now.
func (q *Queue[K]) Add(key K) { q.queue.Add(key) }

// AddAfter queues key once d has passed.
func (q *Queue[K]) AddAfter(key K, d time.Duration) { q.queue.AddAfter(key, d) }

// AddRateLimited queues key after its back-off.
func (q *Queue[K]) AddRateLimited(key K) { q.queue.AddRateLimited(key) }

// Len is the number of keys waiting (not those being synced).
func (q *Queue[K]) Len() int { return q.queue.Len() }

// Run waits for the informers to sync, then runs workers workers until
// ctx ends; it returns once they are all done.
func (q *Queue[K]) Run(ctx context.Context, workers int, synced ...cache.InformerSynced) {
	ctx = log.WithAttrs(ctx, "controller", q.name)
	defer q.queue.ShutDown()
	go func() {
		<-ctx.Done()
		q.queue.ShutDown()
	}()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return
	}
	log.G(ctx).Info("controller started", "workers", workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for q.next(ctx) {
			}
		})
	}
	wg.Wait()
}

// next syncs the next key; false once the queue is shut down.
func (q *Queue[K]) next(ctx context.Context) bool {
	key, quit := q.queue.Get()
	if quit {
		return false
	}
	defer q.queue.Done(key)
	err := q.sync(ctx, key)
	switch {
	case err == nil, apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// A namespace being deleted refuses new objects: nothing to retry.
		q.queue.Forget(key)
	case ctx.Err() != nil:
	default:
		level := log.G(ctx).Warn
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			// A stale cache: the next sync sees the change.
			level = log.G(ctx).Debug
		}
		level("sync failed", "key", key, log.KeyError, err)
		q.queue.AddRateLimited(key)
	}
	return true
}
