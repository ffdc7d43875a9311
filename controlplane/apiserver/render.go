package apiserver

import (
	"net/url"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// respond writes obj (an object or a list) in the representation the
// client accepts: the object, a Table, or partial metadata.
func (h *resourceHandler) respond(code int, obj runtime.Object) {
	a := negotiate(h.r.Header.Get("Accept"))
	switch {
	case a.out == outTable && h.info.Subresource == "":
		opts := tableOptions(h.r.URL.Query())
		t := h.st.Table(itemsOf(obj), opts.IncludeObject, opts.NoHeaders)
		t.APIVersion = "meta.k8s.io/" + a.version
		if l, err := meta.ListAccessor(obj); err == nil && meta.IsListType(obj) {
			t.ResourceVersion, t.Continue = l.GetResourceVersion(), l.GetContinue()
		}
		writeJSON(h.w, code, t)
	case a.out == outPartial && h.info.Subresource == "":
		writeJSON(h.w, code, partial(obj, a.version))
	default:
		writeJSON(h.w, code, obj)
	}
}

// itemsOf returns the items of a list, or the object alone.
func itemsOf(obj runtime.Object) []runtime.Object {
	if meta.IsListType(obj) {
		return registry.ListItems(obj)
	}
	return []runtime.Object{obj}
}

// partial is the PartialObjectMetadata(List) form of obj.
func partial(obj runtime.Object, version string) runtime.Object {
	if !meta.IsListType(obj) {
		p := registry.PartialMetadata(obj)
		p.APIVersion = "meta.k8s.io/" + version
		return p
	}
	out := &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/" + version, Kind: "PartialObjectMetadataList"}}
	if l, err := meta.ListAccessor(obj); err == nil {
		out.ResourceVersion, out.Continue = l.GetResourceVersion(), l.GetContinue()
	}
	for _, it := range registry.ListItems(obj) {
		p := registry.PartialMetadata(it)
		p.TypeMeta = metav1.TypeMeta{}
		out.Items = append(out.Items, *p)
	}
	return out
}

// tableOptions reads includeObject and noHeaders (meta.k8s.io
// TableOptions) from the query.
func tableOptions(q url.Values) metav1.TableOptions {
	opts := metav1.TableOptions{IncludeObject: metav1.IncludeObjectPolicy(q.Get("includeObject"))}
	opts.NoHeaders = q.Get("noHeaders") == "true"
	return opts
}
