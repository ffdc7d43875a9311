package registry

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A view is what a subresource shows of an object and how a write to it
// changes the object: the main resource and status show the whole object;
// scale shows an autoscaling/v1 Scale; finalize shows the whole object
// and takes what the kind's Finalize copies.
type view struct {
	gvk schema.GroupVersionKind
	// get returns what the subresource serves of obj (obj itself, or a
	// new object).
	get func(obj runtime.Object) runtime.Object
	// put returns cur changed by what was written to the subresource.
	put func(cur, in runtime.Object) (runtime.Object, error)
}

var scaleGVK = autoscalingv1.SchemeGroupVersion.WithKind("Scale")

// view returns the view of subresource sub, or a 404 when the kind does
// not have it.
func (s *Store) view(sub string) (view, error) {
	identity := func(obj runtime.Object) runtime.Object { return obj }
	switch {
	case sub == "":
		return view{gvk: s.kind.GroupVersionKind, get: identity,
			put: func(_, in runtime.Object) (runtime.Object, error) { return in, nil }}, nil
	case sub == "status" && s.kind.Status:
		return view{gvk: s.kind.GroupVersionKind, get: identity, put: putStatus}, nil
	case sub == "scale" && s.kind.Scale != nil:
		return view{gvk: scaleGVK, get: s.getScale, put: s.putScale}, nil
	case sub == "finalize" && s.kind.Finalize != nil:
		return view{gvk: s.kind.GroupVersionKind, get: identity, put: func(cur, in runtime.Object) (runtime.Object, error) {
			s.kind.Finalize(cur, in)
			return cur, nil
		}}, nil
	}
	return view{}, s.noSubresource(sub)
}

// putStatus returns cur with in's status, labels and annotations, as
// upstream's status strategies, which keep only the spec and the owner
// references (the Deployment controller writes a Deployment's revision
// annotation with its status); nothing else of in is kept.
func putStatus(cur, in runtime.Object) (runtime.Object, error) {
	st := statusOf(in)
	if !st.IsValid() || st.Type() != statusOf(cur).Type() {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%T is not the object of this resource", in))
	}
	statusOf(cur).Set(st)
	m, im := accessor(cur), accessor(in)
	m.SetLabels(im.GetLabels())
	m.SetAnnotations(im.GetAnnotations())
	return cur, nil
}

func (s *Store) getScale(obj runtime.Object) runtime.Object {
	m := accessor(obj)
	spec, status, selector := s.kind.Scale.Get(obj)
	return &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{APIVersion: scaleGVK.GroupVersion().String(), Kind: scaleGVK.Kind},
		ObjectMeta: metav1.ObjectMeta{
			Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp(),
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: spec},
		Status: autoscalingv1.ScaleStatus{Replicas: status, Selector: selector},
	}
}

func (s *Store) putScale(cur, in runtime.Object) (runtime.Object, error) {
	sc, ok := in.(*autoscalingv1.Scale)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected an autoscaling/v1 Scale, got %T", in))
	}
	if m := accessor(cur); sc.UID != "" && sc.UID != m.GetUID() {
		return nil, apierrors.NewConflict(s.kind.GroupResource(), m.GetName(),
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", sc.UID, m.GetUID()))
	}
	s.kind.Scale.Set(cur, sc.Spec.Replicas)
	return cur, nil
}

// GetSubresource returns what subresource sub of ns/name shows.
func (s *Store) GetSubresource(ctx context.Context, ns, name, sub string) (runtime.Object, error) {
	v, err := s.view(sub)
	if err != nil {
		return nil, err
	}
	obj, err := s.Get(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	return v.get(obj), nil
}

// SubresourceKind is the kind a write to subresource sub carries.
func (s *Store) SubresourceKind(sub string) (schema.GroupVersionKind, error) {
	v, err := s.view(sub)
	return v.gvk, err
}
