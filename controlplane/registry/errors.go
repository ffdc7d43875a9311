package registry

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/storage"
)

var namespaceResource = schema.GroupResource{Resource: "namespaces"}

// msgModified is kube-apiserver's text for an optimistic-concurrency loss.
const msgModified = "the object has been modified; please apply your changes to the latest version and try again"

// apiError turns an error from storage (or anything below the Store) into
// the API Status error a client sees. It is the one place where storage's
// sentinels become HTTP codes; an error that is already a Status passes.
func (s *Store) apiError(err error, name string, gr ...schema.GroupResource) error {
	res := s.kind.GroupResource()
	if len(gr) > 0 {
		res = gr[0]
	}
	var status apierrors.APIStatus
	switch {
	case errors.As(err, &status):
		return err
	case errors.Is(err, storage.ErrNotFound):
		return apierrors.NewNotFound(res, name)
	case errors.Is(err, storage.ErrExists):
		return apierrors.NewAlreadyExists(res, name)
	case errors.Is(err, storage.ErrConflict):
		return apierrors.NewConflict(res, name, errors.New(msgModified))
	case errors.Is(err, storage.ErrClaimed):
		return apierrors.NewConflict(res, name, err)
	case errors.Is(err, storage.ErrGone):
		return apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %v", err))
	case errors.Is(err, storage.ErrBadContinue):
		return apierrors.NewBadRequest(fmt.Sprintf("invalid continue parameter: %v", err))
	case errors.Is(err, context.DeadlineExceeded):
		return apierrors.NewTimeoutError(err.Error(), 1)
	}
	return apierrors.NewInternalError(err)
}

// invalid is the 422 for a failed validation.
func (s *Store) invalid(name string, errs field.ErrorList) error {
	return apierrors.NewInvalid(s.kind.GroupVersionKind.GroupKind(), name, errs)
}

func forbiddenTerminating(k *Kind, ns string) error {
	return apierrors.NewForbidden(k.GroupResource(), "",
		fmt.Errorf("unable to create new content in namespace %s because it is being terminated", ns))
}

func nameRequired() field.ErrorList {
	return field.ErrorList{field.Required(metadataPath.Child("name"), "name or generateName is required")}
}
