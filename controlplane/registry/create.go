package registry

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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
	if err := s.admit(ctx, obj, nil); err != nil {
		return nil, err
	}
	if err := s.admitWrite(ctx, OpCreate, "", obj, nil); err != nil {
		return nil, err
	}
	m := accessor(obj)
	if err := s.checkNamespace(ctx, m.GetNamespace()); err != nil {
		return nil, err
	}
	if opts.DryRun {
		return s.typed(obj), nil
	}
	if err := s.storage.Create(ctx, s.key(m.GetNamespace(), m.GetName()), obj); err != nil {
		return nil, s.apiError(fmt.Errorf("create: %w", err), m.GetName())
	}
	return s.typed(obj), nil
}

// admit runs the kind's Admit hook, if any.
func (s *Store) admit(ctx context.Context, obj, old runtime.Object) error {
	if s.kind.Admit == nil {
		return nil
	}
	return s.kind.Admit(ctx, obj, old, s.listAll)
}

// listAll lists every object of the kind.
func (s *Store) listAll(ctx context.Context) ([]runtime.Object, error) {
	list, err := s.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return ListItems(list), nil
}
