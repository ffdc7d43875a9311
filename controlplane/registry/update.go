package registry

import (
	"context"
	"errors"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// maxRetries bounds the optimistic-concurrency retries of an update that
// lost a race with another writer.
const maxRetries = 20

// Update replaces the object ns/name, or what subresource sub shows of it,
// with obj. A resourceVersion in obj is a precondition (409 when stale);
// without one the update applies to the newest version.
func (s *Store) Update(ctx context.Context, ns, name, sub string, obj runtime.Object, opts WriteOptions) (runtime.Object, error) {
	return s.update(ctx, ns, name, sub, opts, false, func(runtime.Object) (runtime.Object, error) {
		return obj.DeepCopyObject(), nil
	})
}

// mutateFunc returns the new state of what a subresource shows, from its
// current state (a copy the function may change).
type mutateFunc func(cur runtime.Object) (runtime.Object, error)

// update is the one path of every change to an existing object: read,
// mutate, carry server fields over, default, managedFields, validate,
// write conditionally; retried when another writer got there first and
// the client gave no resourceVersion. applied is true when mutate already
// recorded managedFields (server-side apply).
func (s *Store) update(ctx context.Context, ns, name, sub string, opts WriteOptions, applied bool, mutate mutateFunc) (runtime.Object, error) {
	v, err := s.view(sub)
	if err != nil {
		return nil, err
	}
	key := s.key(ns, name)
	for attempt := 0; ; attempt++ {
		cur, err := s.storage.Get(ctx, key)
		if err != nil {
			return nil, s.apiError(err, name)
		}
		s.typed(cur)
		// Another writer got between the read and the write: read again
		// and mutate again (a patch applies to the new version; an object
		// the client sent with the old resourceVersion then fails its
		// precondition, 409). A claim taken meanwhile by another API
		// server is admitted again the same way.
		out, err := s.updateOnce(ctx, key, cur, v, sub, opts, applied, mutate)
		if (errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrClaimed)) && attempt < maxRetries {
			continue
		}
		if err != nil {
			return nil, s.apiError(err, name)
		}
		return out, nil
	}
}

// updateOnce tries the update against cur; a storage.ErrConflict means
// cur is no longer the newest version.
func (s *Store) updateOnce(ctx context.Context, key string, cur runtime.Object, v view, sub string, opts WriteOptions, applied bool, mutate mutateFunc) (runtime.Object, error) {
	cm := accessor(cur)
	in, err := mutate(v.get(cur.DeepCopyObject()))
	if err != nil {
		return nil, err
	}
	im := accessor(in)
	rv := im.GetResourceVersion()
	if rv != "" && rv != cm.GetResourceVersion() {
		return nil, apierrors.NewConflict(s.kind.GroupResource(), cm.GetName(), errors.New(msgModified))
	}
	if err := s.checkIdentity(in, cm.GetNamespace(), cm.GetName()); err != nil {
		return nil, err
	}
	obj, err := v.put(cur.DeepCopyObject(), in)
	if err != nil {
		return nil, err
	}
	accessor(obj).SetResourceVersion(cm.GetResourceVersion())
	s.beforeUpdate(obj, cur, sub)
	if !applied {
		obj = s.managers[sub].UpdateNoErrors(cur, obj, opts.FieldManager)
	}
	if err := s.validateUpdate(obj, cur); err != nil {
		return nil, err
	}
	if sub == "" {
		if err := s.admit(ctx, obj, cur); err != nil {
			return nil, err
		}
	}
	if err := s.admitWrite(ctx, OpUpdate, sub, obj, cur); err != nil {
		return nil, err
	}
	if apiequality.Semantic.DeepEqual(obj, cur) {
		return v.get(cur), nil
	}
	if opts.DryRun {
		return v.get(s.typed(obj)), nil
	}
	m := accessor(obj)
	if g := cm.GetDeletionGracePeriodSeconds(); m.GetDeletionTimestamp() != nil && len(m.GetFinalizers()) == 0 && !s.finalizing(obj) && g != nil && *g == 0 {
		// The last finalizer of a deleted object is gone: delete it. An
		// object in its grace period (a pod its node is stopping) stays
		// until deleted with grace 0, as upstream.
		gone, err := s.storage.DeleteWith(ctx, key, rev(cm), s.claims(nil, cur))
		if err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
		return v.get(s.typed(gone)), nil
	}
	if err := s.storage.UpdateWith(ctx, key, obj, rev(cm), s.claims(obj, cur)); err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	return v.get(s.typed(obj)), nil
}

// checkIdentity refuses a body naming another object than the URL, and
// fills in the name and namespace a body may leave out.
func (s *Store) checkIdentity(in runtime.Object, ns, name string) error {
	m := accessor(in)
	if m.GetName() == "" {
		m.SetName(name)
	}
	if m.GetNamespace() == "" {
		m.SetNamespace(ns)
	}
	if m.GetName() != "" && m.GetName() != name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), name))
	}
	if s.kind.Namespaced && m.GetNamespace() != "" && m.GetNamespace() != ns {
		return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	return nil
}

// rev returns the etcd revision of a stored object.
func rev(m interface{ GetResourceVersion() string }) int64 {
	r, _ := storage.ParseRevision(m.GetResourceVersion())
	return r
}
