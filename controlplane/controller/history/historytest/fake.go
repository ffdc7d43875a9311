// Package historytest is a fake of history.API for the tests of the
// controllers that keep revisions.
package historytest

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// API keeps revisions by name, as copies, and notes the names created,
// updated and deleted. It is not safe for concurrent use.
type API struct {
	Revs                      map[string]*appsv1.ControllerRevision
	Created, Updated, Deleted []string
}

// New is an API without revisions.
func New() *API { return &API{Revs: map[string]*appsv1.ControllerRevision{}} }

func (f *API) Create(_ context.Context, r *appsv1.ControllerRevision) (*appsv1.ControllerRevision, error) {
	if _, ok := f.Revs[r.Name]; ok {
		return nil, apierrors.NewAlreadyExists(appsv1.Resource("controllerrevisions"), r.Name)
	}
	f.Revs[r.Name] = r.DeepCopy()
	f.Created = append(f.Created, r.Name)
	return r, nil
}

func (f *API) Get(_ context.Context, _, name string) (*appsv1.ControllerRevision, error) {
	r, ok := f.Revs[name]
	if !ok {
		return nil, apierrors.NewNotFound(appsv1.Resource("controllerrevisions"), name)
	}
	return r.DeepCopy(), nil
}

func (f *API) Update(_ context.Context, r *appsv1.ControllerRevision) (*appsv1.ControllerRevision, error) {
	f.Revs[r.Name] = r.DeepCopy()
	f.Updated = append(f.Updated, r.Name)
	return r, nil
}

func (f *API) Delete(_ context.Context, _, name string) error {
	delete(f.Revs, name)
	f.Deleted = append(f.Deleted, name)
	return nil
}
