package registry

import (
	"math/rand/v2"
	"reflect"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var metadataPath = field.NewPath("metadata")

// beforeCreate sets the server-owned fields of a new object in namespace
// ns, then runs the kind's PrepareForCreate and Default.
func (s *Store) beforeCreate(obj runtime.Object, ns string) {
	m := accessor(obj)
	if m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(generateName(m.GetGenerateName()))
	}
	if !s.kind.Namespaced {
		ns = ""
	}
	m.SetNamespace(ns)
	m.SetUID(uuid.NewUUID())
	m.SetCreationTimestamp(metav1.Now())
	m.SetResourceVersion("")
	m.SetSelfLink("")
	m.SetDeletionTimestamp(nil)
	m.SetDeletionGracePeriodSeconds(nil)
	m.SetGeneration(0)
	if specOf(obj).IsValid() {
		m.SetGeneration(1)
	}
	if st := statusOf(obj); s.kind.Status && !s.kind.StatusOnCreate && st.IsValid() {
		st.SetZero()
	}
	s.kind.Strategy.PrepareForCreate(obj)
	s.kind.Strategy.Default(obj)
}

// validateCreate validates ObjectMeta and then the kind's rules.
func (s *Store) validateCreate(obj runtime.Object) error {
	m := accessor(obj)
	nameFn := validation.NameIsDNSSubdomain
	if s.kind.ValidName != nil {
		nameFn = s.kind.ValidName
	}
	errs := validation.ValidateObjectMetaAccessor(m, s.kind.Namespaced, nameFn, metadataPath)
	errs = append(errs, s.kind.Strategy.Validate(obj)...)
	if len(errs) > 0 {
		return s.invalid(m.GetName(), errs)
	}
	return nil
}

// beforeUpdate carries the server-owned fields of old into obj, which
// arrived through subresource sub (""/status/scale), runs the kind's
// PrepareForUpdate (main resource only) and Default, and moves the
// generation on when the spec changed.
func (s *Store) beforeUpdate(obj, old runtime.Object, sub string) {
	m, om := accessor(obj), accessor(old)
	if m.GetUID() == "" {
		m.SetUID(om.GetUID())
	}
	m.SetCreationTimestamp(om.GetCreationTimestamp())
	m.SetDeletionTimestamp(om.GetDeletionTimestamp())
	m.SetDeletionGracePeriodSeconds(om.GetDeletionGracePeriodSeconds())
	m.SetSelfLink("")
	if st := statusOf(obj); sub == "" && s.kind.Status && st.IsValid() {
		st.Set(statusOf(old))
	}
	if sub == "" {
		s.kind.Strategy.PrepareForUpdate(obj, old)
	}
	s.kind.Strategy.Default(obj)
	m.SetGeneration(om.GetGeneration())
	if spec := specOf(obj); spec.IsValid() && !apiequality.Semantic.DeepEqual(spec.Interface(), specOf(old).Interface()) {
		m.SetGeneration(om.GetGeneration() + 1)
	}
}

// validateUpdate validates the ObjectMeta update, the new object, and the
// kind's update rules (immutable fields).
func (s *Store) validateUpdate(obj, old runtime.Object) error {
	m := accessor(obj)
	errs := validation.ValidateObjectMetaAccessorUpdate(m, accessor(old), metadataPath)
	errs = append(errs, s.kind.Strategy.Validate(obj)...)
	errs = append(errs, s.kind.Strategy.ValidateUpdate(obj, old)...)
	if len(errs) > 0 {
		return s.invalid(m.GetName(), errs)
	}
	return nil
}

// specOf and statusOf return the Spec and Status fields of a kind's
// struct, or an invalid Value when it has none (ConfigMap).
func specOf(obj runtime.Object) reflect.Value   { return structField(obj, "Spec") }
func statusOf(obj runtime.Object) reflect.Value { return structField(obj, "Status") }

func structField(obj runtime.Object, name string) reflect.Value {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.Elem().FieldByName(name)
}

// generateName appends five random characters to prefix, from the
// alphabet kube-apiserver uses (no vowels, no look-alikes).
func generateName(prefix string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	const maxPrefix = 63 - 5
	if len(prefix) > maxPrefix {
		prefix = prefix[:maxPrefix]
	}
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return prefix + string(b)
}
