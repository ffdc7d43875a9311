package controller

import (
	"k8s.io/client-go/tools/cache"
)

// Watch is an informer a controller reads, and what its events queue.
type Watch struct {
	Informer cache.SharedIndexInformer
	// Handler queues keys for the informer's events; nil for an
	// informer the controller only reads from.
	Handler cache.ResourceEventHandler
}

// Register adds each watch's handler to its informer, and returns the
// informers' HasSynced, for Queue.Run to wait for.
func Register(watches ...Watch) ([]cache.InformerSynced, error) {
	var synced []cache.InformerSynced
	for _, w := range watches {
		if w.Handler != nil {
			if _, err := w.Informer.AddEventHandler(w.Handler); err != nil {
				return nil, err
			}
		}
		synced = append(synced, w.Informer.HasSynced)
	}
	return synced, nil
}

// Handler returns informer handlers that queue keyOf(obj) for every
// object added, updated (its new state) or deleted; keyOf's false
// queues nothing. keyOf sees the tombstones of deletions the watch
// missed: Key and Unwrap look through them.
func (q *Queue[K]) Handler(keyOf func(obj any) (K, bool)) cache.ResourceEventHandlerFuncs {
	add := func(obj any) {
		if key, ok := keyOf(obj); ok {
			q.Add(key)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    add,
		UpdateFunc: func(_, cur any) { add(cur) },
		DeleteFunc: add,
	}
}
