package registry

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// WriteOptions are the parameters every write takes.
type WriteOptions struct {
	// DryRun runs every step but the write to storage.
	DryRun bool
	// FieldManager names the writer in managedFields.
	FieldManager string
}

// Create stores a new object in namespace ns (ignored for cluster-scoped
// kinds) and returns it as stored.
func (s *Store) Create(ctx context.Context, ns string, obj runtime.Object, opts WriteOptions) (runtime.Object, error) {
	m := accessor(obj)
	if s.kind.Namespaced && m.GetNamespace() != "" && m.GetNamespace() != ns {
		return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	if m.GetName() == "" && m.GetGenerateName() == "" {
		return nil, s.invalid("", nameRequired())
	}
	s.beforeCreate(obj, ns)
	empty, err := s.newObject()
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	obj = s.managers[""].UpdateNoErrors(empty, obj, opts.FieldManager)
	return s.create(ctx, obj, opts)
}

// create validates and stores an object whose server-owned fields are set.
func (s *Store) create(ctx context.Context, obj runtime.Object, opts WriteOptions) (runtime.Object, error) {
	if err := s.validateCreate(obj); err != nil {
		return nil, err
	}
	m := accessor(obj)
	if err := s.checkNamespace(ctx, m.GetNamespace()); err != nil {
		return nil, err
	}
	if s.kind.Admit != nil {
		// The object being there is the error, not the addresses it holds.
		if _, err := s.storage.Get(ctx, s.key(m.GetNamespace(), m.GetName())); err == nil {
			return nil, apierrors.NewAlreadyExists(s.kind.GroupResource(), m.GetName())
		}
	}
	for attempt := 0; ; attempt++ {
		out, err := s.createOnce(ctx, obj.DeepCopyObject(), opts)
		// Another API server took a claim the Admit hook saw free: admit
		// a fresh copy again.
		if errors.Is(err, storage.ErrClaimed) && attempt < maxRetries {
			continue
		}
		if err != nil {
			return nil, s.apiError(err, m.GetName())
		}
		return out, nil
	}
}

// createOnce admits obj (allocations included) and stores it with its
// claims.
func (s *Store) createOnce(ctx context.Context, obj runtime.Object, opts WriteOptions) (runtime.Object, error) {
	if err := s.admit(ctx, obj, nil); err != nil {
		return nil, err
	}
	if err := s.admitWrite(ctx, OpCreate, "", obj, nil); err != nil {
		return nil, err
	}
	if opts.DryRun {
		return s.typed(obj), nil
	}
	m := accessor(obj)
	if err := s.storage.CreateWith(ctx, s.key(m.GetNamespace(), m.GetName()), obj, s.claims(obj, nil)); err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	return s.typed(obj), nil
}

// admit runs the kind's Admit hook, if any.
func (s *Store) admit(ctx context.Context, obj, old runtime.Object) error {
	if s.kind.Admit == nil {
		return nil
	}
	return s.kind.Admit(ctx, obj, old, s.claimed)
}
