package registry

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Operation is the kind of a write, for an Admission.
type Operation string

// The operations an Admission sees (an action subresource, such as a
// Pod's eviction, is a Create of its request).
const (
	OpCreate Operation = "CREATE"
	OpUpdate Operation = "UPDATE"
	OpDelete Operation = "DELETE"
)

// AdmissionAttributes describe one write to an Admission.
type AdmissionAttributes struct {
	Operation   Operation
	Resource    schema.GroupResource
	Subresource string
	Namespace   string
	Name        string
	// Object is what will be stored (the whole object, also through a
	// subresource), or the request of an action; nil on a delete.
	Object runtime.Object
	// Old is the stored object; nil on a create.
	Old runtime.Object
}

// Admission checks every write after the kind's own validation and
// before storage, as kube-apiserver's validating admission plugins
// (NodeRestriction); it refuses with an API error. The requesting user
// travels in ctx. Dry runs are checked too.
type Admission interface {
	Admit(ctx context.Context, a AdmissionAttributes) error
}

// admitWrite runs the server's Admission, if any.
func (s *Store) admitWrite(ctx context.Context, op Operation, sub string, obj, old runtime.Object) error {
	if s.admission == nil {
		return nil
	}
	a := AdmissionAttributes{Operation: op, Resource: s.kind.GroupResource(), Subresource: sub, Object: obj, Old: old}
	for _, o := range []runtime.Object{old, obj} {
		if o != nil && a.Name == "" {
			if m, ok := o.(interface {
				GetNamespace() string
				GetName() string
			}); ok {
				a.Namespace, a.Name = m.GetNamespace(), m.GetName()
			}
		}
	}
	return s.admission.Admit(ctx, a)
}
