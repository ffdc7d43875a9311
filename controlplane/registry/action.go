package registry

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// An Action is a subresource that takes a POST of a request object and
// acts on its parent: a Pod's binding and eviction.
type Action struct {
	// Kind of the request body (v1 Binding, policy/v1 Eviction).
	Kind schema.GroupVersionKind
	// Do carries the request out on ns/name through the parent's store.
	Do func(ctx context.Context, parent *Store, ns, name string, req runtime.Object, opts WriteOptions) error
}

// ActionKind returns the request kind of action subresource sub.
func (s *Store) ActionKind(sub string) (schema.GroupVersionKind, error) {
	a, ok := s.kind.Actions[sub]
	if !ok {
		return schema.GroupVersionKind{}, s.noSubresource(sub)
	}
	return a.Kind, nil
}

// Act runs action subresource sub of ns/name with request req.
func (s *Store) Act(ctx context.Context, ns, name, sub string, req runtime.Object, opts WriteOptions) error {
	a, ok := s.kind.Actions[sub]
	if !ok {
		return s.noSubresource(sub)
	}
	if err := s.checkIdentity(req, ns, name); err != nil {
		return err
	}
	if s.admission != nil {
		cur, err := s.Get(ctx, ns, name)
		if err != nil {
			return err
		}
		if err := s.admitWrite(ctx, OpCreate, sub, req, cur); err != nil {
			return err
		}
	}
	return a.Do(ctx, s, ns, name, req, opts)
}

// Mutate changes ns/name through subresource sub ("" or "status") with
// fn, by the same path as every update; actions use it.
func (s *Store) Mutate(ctx context.Context, ns, name, sub string, opts WriteOptions, fn func(obj runtime.Object) error) (runtime.Object, error) {
	return s.update(ctx, ns, name, sub, opts, false, func(cur runtime.Object) (runtime.Object, error) {
		accessor(cur).SetResourceVersion("")
		return cur, fn(cur)
	})
}

func (s *Store) noSubresource(sub string) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: s.kind.Group, Resource: s.kind.Resource + "/" + sub}, "")
}
