package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// Delete deletes the object ns/name. It returns the object and whether it
// is gone: an object with finalizers, or a grace period (pods), only gets
// its deletionTimestamp and stays until the finalizers are removed or
// its owner (the node agent) deletes it with grace 0.
//
// propagationPolicy Foreground and Orphan add the foregroundDeletion and
// orphan finalizers, which the garbage collector clears; Background (the
// default) adds none.
func (s *Store) Delete(ctx context.Context, ns, name string, opts *metav1.DeleteOptions) (runtime.Object, bool, error) {
	key := s.key(ns, name)
	for attempt := 0; ; attempt++ {
		cur, err := s.storage.Get(ctx, key)
		if err != nil {
			return nil, false, s.apiError(err, name)
		}
		out, gone, err := s.deleteOnce(ctx, key, s.typed(cur), opts)
		if errors.Is(err, storage.ErrConflict) && attempt < maxRetries {
			continue
		}
		if err != nil {
			return nil, false, s.apiError(err, name)
		}
		return out, gone, nil
	}
}

func (s *Store) deleteOnce(ctx context.Context, key string, cur runtime.Object, opts *metav1.DeleteOptions) (runtime.Object, bool, error) {
	cm := accessor(cur)
	if err := s.checkPreconditions(cm, opts.Preconditions); err != nil {
		return nil, false, err
	}
	if err := s.admitWrite(ctx, OpDelete, "", nil, cur); err != nil {
		return nil, false, err
	}
	var grace int64
	if s.kind.GracePeriod != nil {
		grace = s.kind.GracePeriod(cur)
	}
	if opts.GracePeriodSeconds != nil {
		grace = max(*opts.GracePeriodSeconds, 0)
	}
	obj := cur.DeepCopyObject()
	m := accessor(obj)
	changed := propagationFinalizers(m, opts)
	dryRun := len(opts.DryRun) > 0
	if len(m.GetFinalizers()) == 0 && grace == 0 && !s.finalizing(obj) {
		if dryRun {
			return cur, true, nil
		}
		gone, err := s.storage.DeleteWith(ctx, key, rev(cm), s.claims(nil, cur))
		if err != nil {
			return nil, false, fmt.Errorf("delete: %w", err)
		}
		return s.typed(gone), true, nil
	}
	if old := m.GetDeletionGracePeriodSeconds(); m.GetDeletionTimestamp() == nil || (old != nil && *old > grace) {
		ts := metav1.NewTime(time.Now().Add(time.Duration(grace) * time.Second))
		m.SetDeletionTimestamp(&ts)
		m.SetDeletionGracePeriodSeconds(&grace)
		changed = true
	}
	if !changed || dryRun {
		return obj, false, nil
	}
	if err := s.storage.UpdateWith(ctx, key, obj, rev(cm), storage.Claims{}); err != nil {
		return nil, false, fmt.Errorf("delete: %w", err)
	}
	return s.typed(obj), false, nil
}

func (s *Store) checkPreconditions(m metav1.Object, p *metav1.Preconditions) error {
	if p == nil {
		return nil
	}
	if p.UID != nil && *p.UID != m.GetUID() {
		return apierrors.NewConflict(s.kind.GroupResource(), m.GetName(),
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, m.GetUID()))
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != m.GetResourceVersion() {
		return apierrors.NewConflict(s.kind.GroupResource(), m.GetName(),
			fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v",
				*p.ResourceVersion, m.GetResourceVersion()))
	}
	return nil
}

// propagationFinalizers adds the finalizer the propagation policy asks
// for and reports whether the finalizers changed.
func propagationFinalizers(m metav1.Object, opts *metav1.DeleteOptions) bool {
	policy := metav1.DeletePropagationBackground
	switch {
	case opts.PropagationPolicy != nil:
		policy = *opts.PropagationPolicy
	case opts.OrphanDependents != nil && *opts.OrphanDependents:
		policy = metav1.DeletePropagationOrphan
	}
	want := map[metav1.DeletionPropagation]string{
		metav1.DeletePropagationForeground: metav1.FinalizerDeleteDependents,
		metav1.DeletePropagationOrphan:     metav1.FinalizerOrphanDependents,
	}[policy]
	if want == "" || slices.Contains(m.GetFinalizers(), want) {
		return false
	}
	m.SetFinalizers(append(m.GetFinalizers(), want))
	return true
}

// DeleteCollection deletes every object of namespace ns (all namespaces
// when "") that the list options select, and returns them as a list.
func (s *Store) DeleteCollection(ctx context.Context, ns string, lopts *metav1.ListOptions, dopts *metav1.DeleteOptions) (runtime.Object, error) {
	list, err := s.List(ctx, ns, lopts)
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	deleted := make([]runtime.Object, 0, len(items))
	for _, it := range items {
		m := accessor(it)
		obj, _, err := s.Delete(ctx, m.GetNamespace(), m.GetName(), dopts)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		deleted = append(deleted, obj)
	}
	if err := meta.SetList(list, deleted); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return list, nil
}

// finalizing reports whether the kind keeps obj for its own finalization.
func (s *Store) finalizing(obj runtime.Object) bool {
	return s.kind.Finalizing != nil && s.kind.Finalizing(obj)
}
