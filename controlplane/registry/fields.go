package registry

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// predicate is a parsed label and field selector.
type predicate struct {
	store  *Store
	labels labels.Selector
	fields fields.Selector
}

// predicate parses the selectors of opts; a field the kind cannot select
// on is a 400, as upstream ("field label not supported").
func (s *Store) predicate(opts *metav1.ListOptions) (predicate, error) {
	p := predicate{store: s, labels: labels.Everything(), fields: fields.Everything()}
	var err error
	if opts.LabelSelector != "" {
		if p.labels, err = labels.Parse(opts.LabelSelector); err != nil {
			return p, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
	}
	if opts.FieldSelector != "" {
		if p.fields, err = fields.ParseSelector(opts.FieldSelector); err != nil {
			return p, apierrors.NewBadRequest(fmt.Sprintf("invalid field selector: %v", err))
		}
	}
	empty, err := s.newObject()
	if err != nil {
		return p, apierrors.NewInternalError(err)
	}
	known := s.fieldSet(empty)
	for _, r := range p.fields.Requirements() {
		if _, ok := known[r.Field]; !ok {
			return p, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", r.Field))
		}
	}
	return p, nil
}

// fieldSet is the kind's selectable fields plus the metadata ones.
func (s *Store) fieldSet(obj runtime.Object) fields.Set {
	m := accessor(obj)
	set := fields.Set{"metadata.name": m.GetName()}
	if s.kind.Namespaced {
		set["metadata.namespace"] = m.GetNamespace()
	}
	for k, v := range s.kind.Strategy.SelectableFields(obj) {
		set[k] = v
	}
	return set
}

// matches reports whether obj passes both selectors.
func (p predicate) matches(obj runtime.Object) bool {
	if !p.labels.Empty() && !p.labels.Matches(labels.Set(accessor(obj).GetLabels())) {
		return false
	}
	return p.fields.Empty() || p.fields.Matches(p.store.fieldSet(obj))
}
