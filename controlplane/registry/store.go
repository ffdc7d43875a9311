package registry

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// Deps are what every Store shares.
type Deps struct {
	Storage *storage.Store
	// Scheme knows every served kind and its list.
	Scheme *runtime.Scheme
	// TypeConverter knows the structured-merge-diff schema of every
	// served kind (client-go's applyconfigurations.NewTypeConverter).
	TypeConverter managedfields.TypeConverter
	// Admission, when set, checks every write (see Admission).
	Admission Admission
}

// Store serves one kind: the REST verbs over storage, with the kind's
// Strategy applied on the way in and out. It is safe for concurrent use.
type Store struct {
	kind *Kind
	// storage holds the kind's objects; raw is the etcd Store under it
	// (for reading namespaces).
	storage  objectStore
	raw      *storage.Store
	scheme   *runtime.Scheme
	managers map[string]*managedfields.FieldManager // by subresource
	// admission checks every write; nil admits all.
	admission Admission
	// fanout shares one storage watch among the kind's watchers.
	fanout *fanout
}

// NewStore returns the Store of kind.
func NewStore(kind Kind, deps Deps) (*Store, error) {
	st := deps.Storage
	if kind.TTL > 0 {
		st = st.WithTTL(kind.TTL)
	}
	s := &Store{kind: &kind, storage: st, raw: deps.Storage, scheme: deps.Scheme, admission: deps.Admission}
	s.fanout = &fanout{s: s}
	if kind.StoredAs != nil {
		s.storage = converting{s: st, as: kind.StoredAs}
	}
	if _, err := s.newObject(); err != nil {
		return nil, err
	}
	managers, err := newFieldManagers(&kind, deps)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind.Resource, err)
	}
	s.managers = managers
	return s, nil
}

// Kind returns the descriptor the Store serves.
func (s *Store) Kind() *Kind { return s.kind }

func (s *Store) newObject() (runtime.Object, error) {
	return s.scheme.New(s.kind.GroupVersionKind)
}

func (s *Store) newList() (runtime.Object, error) {
	gvk := s.kind.GroupVersionKind
	gvk.Kind += "List"
	return s.scheme.New(gvk)
}

// key is the storage key of an object; name "" gives the prefix of a
// namespace's (or of all) objects.
func (s *Store) key(ns, name string) string {
	if !s.kind.Namespaced {
		ns = ""
	}
	group, resource := s.kind.Group, s.kind.Resource
	if as := s.kind.StoredAs; as != nil {
		group, resource = as.Resource.Group, as.Resource.Resource
	}
	return storage.Key(group, resource, ns, name)
}

// Get returns one object.
func (s *Store) Get(ctx context.Context, ns, name string) (runtime.Object, error) {
	obj, err := s.storage.Get(ctx, s.key(ns, name))
	if err != nil {
		return nil, s.apiError(err, name)
	}
	return s.typed(obj), nil
}

// typed sets apiVersion and kind on an object read from storage (the
// scheme's decoder clears them).
func (s *Store) typed(obj runtime.Object) runtime.Object {
	obj.GetObjectKind().SetGroupVersionKind(s.kind.GroupVersionKind)
	return obj
}

// checkNamespace refuses writes into a namespace that does not exist or is
// being deleted, as kube-apiserver's NamespaceLifecycle admission.
func (s *Store) checkNamespace(ctx context.Context, ns string) error {
	if !s.kind.Namespaced {
		return nil
	}
	obj, err := s.raw.Get(ctx, storage.Key("", "namespaces", "", ns))
	if err != nil {
		return s.apiError(err, ns, namespaceResource)
	}
	nsObj, ok := obj.(*corev1.Namespace)
	if ok && (nsObj.DeletionTimestamp != nil || nsObj.Status.Phase == corev1.NamespaceTerminating) {
		return forbiddenTerminating(s.kind, ns)
	}
	return nil
}

// accessor returns obj's ObjectMeta; every served kind has one.
func accessor(obj runtime.Object) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		panic(fmt.Sprintf("registry: %T has no ObjectMeta: %v", obj, err))
	}
	return m
}
