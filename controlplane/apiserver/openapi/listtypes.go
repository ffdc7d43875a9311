package openapi

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/kube-openapi/pkg/validation/spec"
	smd "sigs.k8s.io/structured-merge-diff/v6/schema"
)

// Vendor extensions of the Kubernetes OpenAPI documents.
const (
	extGVK           = "x-kubernetes-group-version-kind"
	extAction        = "x-kubernetes-action"
	extPatchStrategy = "x-kubernetes-patch-strategy"
	extPatchMergeKey = "x-kubernetes-patch-merge-key"
	extListType      = "x-kubernetes-list-type"
	extListMapKeys   = "x-kubernetes-list-map-keys"
	extMapType       = "x-kubernetes-map-type"
)

// listTypes answers how the fields of the built-in types merge: the
// +listType, +listMapKey and +mapType markers of their Go sources, which
// reflection cannot see. client-go carries them, compiled into the
// structured-merge-diff schema it embeds for server-side apply, under the
// same definition names as OpenAPI. A zero listTypes knows no type.
type listTypes struct {
	schema *smd.Schema
}

// loadListTypes reaches client-go's merge schema through its public type
// converter: the schema of any built-in object is the whole schema.
func loadListTypes() (listTypes, error) {
	gvk := corev1.SchemeGroupVersion.WithKind("Namespace")
	scheme := runtime.NewScheme()
	scheme.AddKnownTypeWithName(gvk, &corev1.Namespace{})
	obj := &corev1.Namespace{}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	tv, err := applyconfigurations.NewTypeConverter(scheme).ObjectToTyped(obj)
	if err != nil {
		return listTypes{}, fmt.Errorf("read client-go's merge schema: %w", err)
	}
	return listTypes{schema: tv.Schema()}, nil
}

func (l listTypes) structOf(name string) *smd.Map {
	if l.schema == nil {
		return nil
	}
	td, ok := l.schema.FindNamedType(name)
	if !ok {
		return nil
	}
	return td.Map
}

// structMapType is x-kubernetes-map-type of the definition name, if any.
func (l listTypes) structMapType(name string) string {
	if m := l.structOf(name); m != nil {
		return mapType(m.ElementRelationship)
	}
	return ""
}

// fieldExtensions adds to ext the list or map semantics of field of the
// definition owner.
func (l listTypes) fieldExtensions(owner, field string, ext spec.Extensions) {
	m := l.structOf(owner)
	if m == nil {
		return
	}
	f, ok := m.FindField(field)
	if !ok {
		return
	}
	if f.Type.ElementRelationship != nil {
		// A named type whose semantics the field overrides.
		if mt := mapType(*f.Type.ElementRelationship); mt != "" {
			ext.Add(extMapType, mt)
		}
		return
	}
	switch atom := f.Type.Inlined; {
	case atom.List != nil:
		addListType(atom.List, ext)
	case atom.Map != nil:
		if mt := mapType(atom.Map.ElementRelationship); mt != "" {
			ext.Add(extMapType, mt)
		}
	}
}

func addListType(list *smd.List, ext spec.Extensions) {
	switch {
	case list.ElementRelationship == smd.Atomic:
		ext.Add(extListType, "atomic")
	case list.ElementRelationship == smd.Associative && len(list.Keys) > 0:
		ext.Add(extListType, "map")
		ext.Add(extListMapKeys, list.Keys)
	case list.ElementRelationship == smd.Associative:
		ext.Add(extListType, "set")
	}
}

// mapType names a map's relationship as OpenAPI does; the merge schema
// writes "separable" only where a type asked for granular explicitly.
func mapType(r smd.ElementRelationship) string {
	switch r {
	case smd.Atomic:
		return "atomic"
	case smd.Separable:
		return "granular"
	}
	return ""
}
