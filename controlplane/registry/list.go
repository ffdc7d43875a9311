package registry

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/storage"
)

// List returns the objects of namespace ns (all when "") that opts
// select, as the kind's list type. resourceVersionMatch=Exact reads at
// that revision (410 when compacted); otherwise the newest state is read,
// which satisfies every NotOlderThan. limit and continue page through it.
func (s *Store) List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error) {
	p, rv, err := s.parseListOptions(opts)
	if err != nil {
		return nil, err
	}
	sopts := storage.ListOptions{Limit: opts.Limit, Continue: opts.Continue, Match: p.matches}
	if opts.ResourceVersionMatch == metav1.ResourceVersionMatchExact {
		sopts.Revision = rv
	}
	res, err := s.storage.List(ctx, s.key(ns, ""), sopts)
	if err != nil {
		return nil, s.apiError(err, "")
	}
	for _, it := range res.Items {
		s.typed(it)
	}
	list, err := s.newList()
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	if err := meta.SetList(list, res.Items); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	lm.SetResourceVersion(fmt.Sprint(res.Revision))
	lm.SetContinue(res.Continue)
	gvk := s.kind.GroupVersionKind
	gvk.Kind += "List"
	list.GetObjectKind().SetGroupVersionKind(gvk)
	return list, nil
}

// parseListOptions parses the selectors and the resourceVersion of a
// list or watch.
func (s *Store) parseListOptions(opts *metav1.ListOptions) (predicate, int64, error) {
	p, err := s.predicate(opts)
	if err != nil {
		return p, 0, err
	}
	rv, err := parseRV(opts.ResourceVersion)
	return p, rv, err
}

func parseRV(rv string) (int64, error) {
	r, err := storage.ParseRevision(rv)
	if err != nil || r < 0 {
		return 0, apierrors.NewBadRequest(fmt.Sprintf("invalid resource version %q", rv))
	}
	return r, nil
}
