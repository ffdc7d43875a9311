package apiserver

import (
	"fmt"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// serveResource routes a resource request to its Store: one call per
// verb, after decoding the parameters and the body.
func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, info requestInfo) {
	st := s.stores[schema.GroupVersionResource{Group: info.Group, Version: info.Version, Resource: info.Kind}]
	if st == nil || info.Verb == "" || !scopeFits(st.Kind(), info) {
		writeError(w, r, notFound())
		return
	}
	if _, ok := st.Kind().Streams[info.Subresource]; ok && info.Subresource != "" {
		s.serveStream(w, r, info)
		return
	}
	ctx, warnings := registry.WithWarnings(r.Context())
	r = r.WithContext(ctx)
	h := resourceHandler{s: s, st: st, info: info, w: &warningWriter{ResponseWriter: w, warnings: warnings}, r: r}
	switch info.Verb {
	case "get":
		h.get()
	case "list":
		h.list()
	case "watch":
		h.watch()
	case "create":
		switch {
		case info.Subresource != "":
			h.act()
		case info.Name != "":
			h.fail(apierrors.NewMethodNotSupported(st.Kind().GroupResource(), "create"))
		default:
			h.create()
		}
	case "update":
		h.update()
	case "patch":
		h.patch()
	case "delete":
		h.delete()
	case "deletecollection":
		h.deleteCollection()
	}
}

// scopeFits: namespaced kinds are read across namespaces only by list and
// watch; cluster-scoped kinds have no namespace; subresources need a name.
func scopeFits(k *registry.Kind, info requestInfo) bool {
	switch {
	case !k.Namespaced && info.Namespace != "":
		return false
	case info.Subresource != "" && (info.Name == "" || !subresourceVerbs.Has(info.Verb)):
		return false
	case k.Namespaced && info.Namespace == "":
		return info.Verb == "list" || info.Verb == "watch"
	}
	return true
}

// subresourceVerbs are the verbs a subresource path takes: get, update
// and patch (status, scale) or create (binding, eviction).
var subresourceVerbs = sets.New("get", "update", "patch", "create")

// resourceHandler serves one request.
type resourceHandler struct {
	s    *Server
	st   *registry.Store
	info requestInfo
	w    http.ResponseWriter
	r    *http.Request
}

func (h *resourceHandler) fail(err error) { writeError(h.w, h.r, err) }

func (h *resourceHandler) get() {
	var opts metav1.GetOptions
	if !h.params(&opts) {
		return
	}
	obj, err := h.st.Get(h.r.Context(), h.info.Namespace, h.info.Name)
	if err == nil && h.info.Subresource != "" {
		obj, err = h.st.GetSubresource(h.r.Context(), h.info.Namespace, h.info.Name, h.info.Subresource)
	}
	if err != nil {
		h.fail(err)
		return
	}
	h.respond(http.StatusOK, obj)
}

func (h *resourceHandler) list() {
	var opts metav1.ListOptions
	if !h.params(&opts) {
		return
	}
	list, err := h.st.List(h.r.Context(), h.info.Namespace, &opts)
	if err != nil {
		h.fail(err)
		return
	}
	h.respond(http.StatusOK, list)
}

func (h *resourceHandler) create() {
	var opts metav1.CreateOptions
	if !h.params(&opts) {
		return
	}
	obj, ok := h.decodeBody(opts.FieldValidation)
	if !ok {
		return
	}
	out, err := h.st.Create(h.r.Context(), h.info.Namespace, obj, h.writeOptions(opts.DryRun, opts.FieldManager))
	if err != nil {
		h.fail(err)
		return
	}
	h.respond(http.StatusCreated, out)
}

// act serves a POST to an action subresource (pods/binding,
// pods/eviction): 201 and a Success Status.
func (h *resourceHandler) act() {
	var opts metav1.CreateOptions
	if !h.params(&opts) {
		return
	}
	gvk, err := h.st.ActionKind(h.info.Subresource)
	if err != nil {
		h.fail(err)
		return
	}
	req, ok := h.decodeAs(gvk, opts.FieldValidation)
	if !ok {
		return
	}
	if err := h.st.Act(h.r.Context(), h.info.Namespace, h.info.Name, h.info.Subresource, req,
		h.writeOptions(opts.DryRun, opts.FieldManager)); err != nil {
		h.fail(err)
		return
	}
	writeJSON(h.w, http.StatusCreated, &metav1.Status{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}, Status: metav1.StatusSuccess})
}

func (h *resourceHandler) update() {
	var opts metav1.UpdateOptions
	if !h.params(&opts) {
		return
	}
	obj, ok := h.decodeBody(opts.FieldValidation)
	if !ok {
		return
	}
	out, err := h.st.Update(h.r.Context(), h.info.Namespace, h.info.Name, h.info.Subresource, obj,
		h.writeOptions(opts.DryRun, opts.FieldManager))
	if err != nil {
		h.fail(err)
		return
	}
	h.respond(http.StatusOK, out)
}

// patchTypes are the PATCH content types served.
var patchTypes = map[string]types.PatchType{
	string(types.JSONPatchType):           types.JSONPatchType,
	string(types.MergePatchType):          types.MergePatchType,
	string(types.StrategicMergePatchType): types.StrategicMergePatchType,
	string(types.ApplyYAMLPatchType):      types.ApplyYAMLPatchType,
}

func (h *resourceHandler) patch() {
	var opts metav1.PatchOptions
	if !h.params(&opts) {
		return
	}
	ctype, _, _ := strings.Cut(h.r.Header.Get("Content-Type"), ";")
	pt, ok := patchTypes[strings.TrimSpace(ctype)]
	if !ok {
		h.fail(unsupportedMediaType(ctype))
		return
	}
	body, err := readBody(h.w, h.r)
	if err != nil {
		h.fail(err)
		return
	}
	po := registry.PatchOptions{WriteOptions: h.writeOptions(opts.DryRun, opts.FieldManager), FieldValidation: opts.FieldValidation}
	po.Force = opts.Force != nil && *opts.Force
	if pt == types.ApplyYAMLPatchType {
		po.FieldManager = opts.FieldManager // apply names its manager itself
	}
	out, err := h.st.Patch(h.r.Context(), h.info.Namespace, h.info.Name, h.info.Subresource, pt, body, h.s.cfg.Decoder, po)
	if err != nil {
		h.fail(err)
		return
	}
	h.respond(http.StatusOK, out)
}

func (h *resourceHandler) delete() {
	opts, ok := h.deleteOptions()
	if !ok {
		return
	}
	obj, gone, err := h.st.Delete(h.r.Context(), h.info.Namespace, h.info.Name, opts)
	if err != nil {
		h.fail(err)
		return
	}
	if !gone {
		h.respond(http.StatusOK, obj)
		return
	}
	k := h.st.Kind()
	writeJSON(h.w, http.StatusOK, successStatus(k.Resource, k.Group, h.info.Name, obj))
}

func (h *resourceHandler) deleteCollection() {
	var lopts metav1.ListOptions
	if !h.params(&lopts) {
		return
	}
	dopts, ok := h.deleteOptions()
	if !ok {
		return
	}
	list, err := h.st.DeleteCollection(h.r.Context(), h.info.Namespace, &lopts, dopts)
	if err != nil {
		h.fail(err)
		return
	}
	h.respond(http.StatusOK, list)
}

// deleteOptions come from the body (kubectl) or the query.
func (h *resourceHandler) deleteOptions() (*metav1.DeleteOptions, bool) {
	opts := &metav1.DeleteOptions{}
	if !h.params(opts) {
		return nil, false
	}
	body, err := h.s.readJSONBody(h.w, h.r, true)
	if err != nil {
		h.fail(err)
		return nil, false
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := jsonUnmarshalStrict(body, opts); err != nil {
			h.fail(apierrors.NewBadRequest(fmt.Sprintf("invalid DeleteOptions: %v", err)))
			return nil, false
		}
	}
	return opts, true
}

// params decodes the query into opts (ListOptions, CreateOptions …).
func (h *resourceHandler) params(opts runtime.Object) bool {
	q := h.r.URL.Query()
	delete(q, "watch") // the verb, not an option of every request
	if err := h.s.params.DecodeParameters(q, corev1.SchemeGroupVersion, opts); err != nil {
		h.fail(apierrors.NewBadRequest(fmt.Sprintf("invalid query parameters: %v", err)))
		return false
	}
	return true
}

func (h *resourceHandler) writeOptions(dryRun []string, manager string) registry.WriteOptions {
	if manager == "" {
		manager = managerFromUserAgent(h.r.UserAgent())
	}
	return registry.WriteOptions{DryRun: len(dryRun) > 0, FieldManager: manager}
}

// managerFromUserAgent is upstream's default field manager: the user
// agent up to its first "/" ("kubectl").
func managerFromUserAgent(ua string) string {
	name, _, _ := strings.Cut(ua, "/")
	if name == "" {
		return "unknown"
	}
	return name
}

// decodeBody reads and decodes a create or update body into the type the
// addressed (sub)resource serves.
func (h *resourceHandler) decodeBody(validation string) (runtime.Object, bool) {
	gvk, err := h.st.SubresourceKind(h.info.Subresource)
	if err != nil {
		h.fail(err)
		return nil, false
	}
	return h.decodeAs(gvk, validation)
}

// decodeAs reads and decodes a body of kind gvk.
func (h *resourceHandler) decodeAs(gvk schema.GroupVersionKind, validation string) (runtime.Object, bool) {
	data, err := h.s.readJSONBody(h.w, h.r, validation == metav1.FieldValidationStrict)
	if err != nil {
		h.fail(err)
		return nil, false
	}
	return h.decodeJSON(data, gvk, validation)
}

func (h *resourceHandler) decodeJSON(data []byte, gvk schema.GroupVersionKind, validation string) (runtime.Object, bool) {
	obj, err := h.s.cfg.Decoder.Decode(h.r.Context(), data, gvk, validation)
	if err != nil {
		h.fail(err)
		return nil, false
	}
	return obj, true
}
