package registry

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// StoredAs keeps a kind's objects as objects of another kind, under that
// kind's keys: events.k8s.io/v1 Events are stored as v1 Events, so both
// APIs read and write the same objects, as in kube-apiserver.
type StoredAs struct {
	// Resource whose keys hold the objects (v1 events).
	Resource schema.GroupResource
	// ToStorage and FromStorage convert between the served and the
	// stored type; metadata (resourceVersion included) carries over.
	ToStorage, FromStorage func(obj runtime.Object) runtime.Object
}

// objectStore is what a Store needs of storage: the etcd Store itself, or
// a converting view of it for a kind StoredAs another.
type objectStore interface {
	Get(ctx context.Context, key string) (runtime.Object, error)
	CreateWith(ctx context.Context, key string, obj runtime.Object, c storage.Claims) error
	UpdateWith(ctx context.Context, key string, obj runtime.Object, rev int64, c storage.Claims) error
	DeleteWith(ctx context.Context, key string, rev int64, c storage.Claims) (runtime.Object, error)
	List(ctx context.Context, prefix string, opts storage.ListOptions) (*storage.ListResult, error)
	Watch(ctx context.Context, prefix string, rev int64) <-chan storage.Event
}

// converting is an objectStore that converts on the way in and out.
type converting struct {
	s  *storage.Store
	as *StoredAs
}

func (c converting) Get(ctx context.Context, key string) (runtime.Object, error) {
	obj, err := c.s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return c.as.FromStorage(obj), nil
}

func (c converting) CreateWith(ctx context.Context, key string, obj runtime.Object, claims storage.Claims) error {
	stored := c.as.ToStorage(obj)
	if err := c.s.CreateWith(ctx, key, stored, claims); err != nil {
		return err
	}
	accessor(obj).SetResourceVersion(accessor(stored).GetResourceVersion())
	return nil
}

func (c converting) UpdateWith(ctx context.Context, key string, obj runtime.Object, rev int64, claims storage.Claims) error {
	stored := c.as.ToStorage(obj)
	if err := c.s.UpdateWith(ctx, key, stored, rev, claims); err != nil {
		return err
	}
	accessor(obj).SetResourceVersion(accessor(stored).GetResourceVersion())
	return nil
}

func (c converting) DeleteWith(ctx context.Context, key string, rev int64, claims storage.Claims) (runtime.Object, error) {
	obj, err := c.s.DeleteWith(ctx, key, rev, claims)
	if err != nil {
		return nil, err
	}
	return c.as.FromStorage(obj), nil
}

func (c converting) List(ctx context.Context, prefix string, opts storage.ListOptions) (*storage.ListResult, error) {
	if match := opts.Match; match != nil {
		opts.Match = func(o runtime.Object) bool { return match(c.as.FromStorage(o)) }
	}
	res, err := c.s.List(ctx, prefix, opts)
	if err != nil {
		return nil, err
	}
	for i, it := range res.Items {
		res.Items[i] = c.as.FromStorage(it)
	}
	return res, nil
}

func (c converting) Watch(ctx context.Context, prefix string, rev int64) <-chan storage.Event {
	in := c.s.Watch(ctx, prefix, rev)
	out := make(chan storage.Event)
	go func() {
		defer close(out)
		for ev := range in {
			if ev.Object != nil {
				ev.Object = c.as.FromStorage(ev.Object)
			}
			if ev.Prev != nil {
				ev.Prev = c.as.FromStorage(ev.Prev)
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
