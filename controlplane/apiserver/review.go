package apiserver

import (
	"net/http"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
)

// Reviews are the resources that are asked, not stored: a user's own
// access (kubectl auth can-i) and identity (kubectl auth whoami). Every
// authenticated user may create them, as upstream's system:basic-user.
var (
	accessReviews = authorizationv1.SchemeGroupVersion.WithResource("selfsubjectaccessreviews")
	selfReviews   = authenticationv1.SchemeGroupVersion.WithResource("selfsubjectreviews")
)

// reviewResources lists the review resources in discovery.
func reviewResources() map[schema.GroupVersion][]metav1.APIResource {
	return map[schema.GroupVersion][]metav1.APIResource{
		accessReviews.GroupVersion(): {{Name: accessReviews.Resource, Kind: "SelfSubjectAccessReview", Verbs: metav1.Verbs{"create"}}},
		selfReviews.GroupVersion():   {{Name: selfReviews.Resource, Kind: "SelfSubjectReview", Verbs: metav1.Verbs{"create"}}},
	}
}

// isReview reports whether info is the creation of a review.
func isReview(info requestInfo) bool {
	gvr := schema.GroupVersionResource{Group: info.Group, Version: info.Version, Resource: info.Kind}
	return info.Verb == "create" && info.Name == "" && (gvr == accessReviews || gvr == selfReviews)
}

// serveReview answers a review with the Authorizer's decision or the
// user's identity.
func (s *Server) serveReview(w http.ResponseWriter, r *http.Request, user *auth.User, info requestInfo) {
	gvk := schema.GroupVersionKind{Group: info.Group, Version: info.Version, Kind: "SelfSubjectAccessReview"}
	if info.Kind == selfReviews.Resource {
		gvk.Kind = "SelfSubjectReview"
	}
	h := resourceHandler{s: s, info: info, w: w, r: r}
	obj, ok := h.decodeAs(gvk, metav1.FieldValidationStrict)
	if !ok {
		return
	}
	switch review := obj.(type) {
	case *authenticationv1.SelfSubjectReview:
		review.Status.UserInfo = authenticationv1.UserInfo{Username: user.Name, Groups: user.Groups}
	case *authorizationv1.SelfSubjectAccessReview:
		if err := s.reviewAccess(r, user, review); err != nil {
			h.fail(err)
			return
		}
	}
	setKind(obj, gvk)
	writeJSON(w, http.StatusCreated, obj)
}

// reviewAccess asks the Authorizer what the review describes.
func (s *Server) reviewAccess(r *http.Request, user *auth.User, review *authorizationv1.SelfSubjectAccessReview) error {
	a := auth.Attributes{User: user}
	switch spec := review.Spec; {
	case spec.ResourceAttributes != nil:
		ra := spec.ResourceAttributes
		a.ResourceRequest, a.Verb, a.APIGroup, a.APIVersion = true, ra.Verb, ra.Group, ra.Version
		a.Namespace, a.Resource, a.Subresource, a.Name = ra.Namespace, ra.Resource, ra.Subresource, ra.Name
	case spec.NonResourceAttributes != nil:
		a.Verb, a.Path = spec.NonResourceAttributes.Verb, spec.NonResourceAttributes.Path
	default:
		return apierrors.NewBadRequest("exactly one of nonResourceAttributes or resourceAttributes must be specified")
	}
	d, reason, err := s.cfg.Authorizer.Authorize(r.Context(), a)
	if err != nil {
		review.Status.EvaluationError = err.Error()
	}
	review.Status.Allowed, review.Status.Denied, review.Status.Reason = d == auth.Allow, d == auth.Deny, reason
	return nil
}

func setKind(obj runtime.Object, gvk schema.GroupVersionKind) {
	obj.GetObjectKind().SetGroupVersionKind(gvk)
}
