package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// PatchOptions are the parameters of a PATCH.
type PatchOptions struct {
	WriteOptions
	// Force takes over conflicting fields in a server-side apply.
	Force bool
	// FieldValidation is Strict, Warn or Ignore, for unknown fields.
	FieldValidation string
}

// Patch changes the object ns/name (or what subresource sub shows of it)
// by a JSON patch, merge patch, strategic merge patch or server-side
// apply. An apply of a missing object creates it.
func (s *Store) Patch(ctx context.Context, ns, name, sub string, pt types.PatchType, body []byte, dec *Decoder, opts PatchOptions) (runtime.Object, error) {
	if pt == types.ApplyYAMLPatchType || pt == types.ApplyCBORPatchType {
		return s.apply(ctx, ns, name, sub, body, opts)
	}
	v, err := s.view(sub)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, ns, name, sub, opts.WriteOptions, false, func(cur runtime.Object) (runtime.Object, error) {
		patched, err := patchJSON(cur, pt, body)
		if err != nil {
			return nil, err
		}
		return dec.Decode(ctx, patched, v.gvk, opts.FieldValidation)
	})
}

// patchJSON applies a non-apply patch to cur's JSON.
func patchJSON(cur runtime.Object, pt types.PatchType, body []byte) ([]byte, error) {
	orig, err := json.Marshal(cur)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	var out []byte
	switch pt {
	case types.JSONPatchType:
		var p jsonpatch.Patch
		if p, err = jsonpatch.DecodePatch(body); err == nil {
			out, err = p.Apply(orig)
		}
	case types.MergePatchType:
		out, err = jsonpatch.MergePatch(orig, body)
	case types.StrategicMergePatchType:
		out, err = strategicpatch.StrategicMergePatch(orig, body, cur)
	default:
		return nil, apierrors.NewBadRequest(fmt.Sprintf("unsupported patch type %q", pt))
	}
	if err != nil {
		return nil, patchError(pt, body, err)
	}
	return out, nil
}

// patchError is kube-apiserver's answer to a patch that does not apply:
// 422 when the patch is well-formed but does not fit, 400 otherwise.
func patchError(pt types.PatchType, body []byte, err error) error {
	if errors.Is(err, jsonpatch.ErrTestFailed) || errors.Is(err, jsonpatch.ErrMissing) {
		return apierrors.NewInvalid(schema.GroupKind{}, "", field.ErrorList{
			field.Invalid(field.NewPath("patch"), string(body), err.Error())})
	}
	return apierrors.NewBadRequest(fmt.Sprintf("the %s patch could not be applied: %v", pt, err))
}

// apply is server-side apply: the field manager merges the applied
// configuration into the live object and reports conflicts (409).
func (s *Store) apply(ctx context.Context, ns, name, sub string, body []byte, opts PatchOptions) (runtime.Object, error) {
	if sub == "scale" {
		return nil, apierrors.NewBadRequest("server-side apply is not supported on the scale subresource")
	}
	if opts.FieldManager == "" {
		return nil, apierrors.NewBadRequest("PATCH with apply requires the fieldManager parameter")
	}
	patch := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(body, &patch.Object); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err))
	}
	if patch.GroupVersionKind() != s.kind.GroupVersionKind {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the apply configuration is a %s, not a %s",
			patch.GroupVersionKind(), s.kind.GroupVersionKind))
	}
	if err := s.checkIdentity(patch, ns, name); err != nil {
		return nil, err
	}
	fm := s.managers[sub]
	obj, err := s.update(ctx, ns, name, sub, opts.WriteOptions, true, func(cur runtime.Object) (runtime.Object, error) {
		return fm.Apply(cur, patch, opts.FieldManager, opts.Force)
	})
	if !apierrors.IsNotFound(err) || sub != "" {
		return obj, err
	}
	return s.applyCreate(ctx, ns, name, patch, opts)
}

// applyCreate creates the object of an apply to a missing name.
func (s *Store) applyCreate(ctx context.Context, ns, name string, patch *unstructured.Unstructured, opts PatchOptions) (runtime.Object, error) {
	empty, err := s.newObject()
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	accessor(empty).SetName(name)
	accessor(empty).SetNamespace(ns)
	obj, err := s.managers[""].Apply(empty, patch, opts.FieldManager, opts.Force)
	if err != nil {
		return nil, err
	}
	s.beforeCreate(obj, ns)
	return s.create(ctx, obj, opts.WriteOptions)
}
