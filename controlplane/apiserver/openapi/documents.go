package openapi

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiffrt/skiff/internal/memtrim"
)

// Kind is one resource kind the API server serves.
type Kind struct {
	GVK        schema.GroupVersionKind
	Resource   string // plural, lower case: "deployments"
	Namespaced bool
	// Verbs as discovery lists them: get, list, watch, create, update,
	// patch, delete, deletecollection.
	Verbs []string
	// Subresources served: status, scale, binding, eviction, log, exec,
	// attach, portforward.
	Subresources []string
	Object       runtime.Object // a zero object of the kind: &appsv1.Deployment{}
	List         runtime.Object // its list, required with the list verb: &appsv1.DeploymentList{}
}

func (k Kind) can(verb string) bool { return slices.Contains(k.Verbs, verb) }

var knownVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

func (k Kind) validate() error {
	var errs []error
	if k.GVK.Version == "" || k.GVK.Kind == "" || k.Resource == "" {
		errs = append(errs, errors.New("version, kind and resource are required"))
	}
	if !isStructPointer(k.Object) {
		errs = append(errs, errors.New("Object must point to a struct"))
	}
	if k.can("list") && !isStructPointer(k.List) {
		errs = append(errs, errors.New("List must point to a struct when the kind can be listed"))
	}
	for _, verb := range k.Verbs {
		if !slices.Contains(knownVerbs, verb) {
			errs = append(errs, fmt.Errorf("unknown verb %q", verb))
		}
	}
	for _, name := range k.Subresources {
		if _, ok := subresources[name]; !ok {
			errs = append(errs, fmt.Errorf("unknown subresource %q", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kind %s %q: %w", k.GVK, k.Resource, err)
	}
	return nil
}

func isStructPointer(o runtime.Object) bool {
	t := reflect.TypeOf(o)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct
}

// Documents generates and serves the OpenAPI documents of a set of kinds:
// Swagger 2.0 at /openapi/v2, and OpenAPI 3.0 per group version under
// /openapi/v3. Each is generated on its first request, once, and kept only
// as compressed bytes. Safe for concurrent use.
type Documents struct {
	groups []*routeSet // by group version path
	kinds  kindsByName // the kinds' Go types
	v3     func() (*v3Documents, error)
	v2     func() (*document, error)
}

// v3Documents are the index at /openapi/v3 and the document of each group
// version, by its path ("apis/apps/v1").
type v3Documents struct {
	index  *document
	groups map[string]*document
}

// New describes kinds. It fails on a kind it cannot describe; generating
// the documents themselves waits for the first request.
func New(kinds []Kind) (*Documents, error) {
	byGV := map[schema.GroupVersion]*routeSet{}
	for _, k := range kinds {
		if err := k.validate(); err != nil {
			return nil, err
		}
		gv := k.GVK.GroupVersion()
		if byGV[gv] == nil {
			byGV[gv] = newRouteSet(gv)
		}
		byGV[gv].addKind(k)
	}
	d := &Documents{kinds: stampsOf(kinds)}
	for _, routes := range byGV {
		d.groups = append(d.groups, routes)
	}
	slices.SortFunc(d.groups, func(a, b *routeSet) int { return strings.Compare(gvPath(a.gv), gvPath(b.gv)) })
	d.v3 = sync.OnceValues(d.generateV3)
	d.v2 = sync.OnceValues(d.generateV2)
	return d, nil
}

func (d *Documents) generateV3() (*v3Documents, error) {
	lists, err := loadListTypes()
	if err != nil {
		return nil, err
	}
	out := &v3Documents{groups: make(map[string]*document, len(d.groups))}
	index := indexV3{Paths: map[string]indexEntry{}}
	for _, routes := range d.groups {
		key := gvPath(routes.gv)
		doc, err := newDocument(v3Document(routes, lists, d.kinds), protoV3)
		if err != nil {
			return nil, fmt.Errorf("openapi v3 %s: %w", key, err)
		}
		out.groups[key] = doc
		index.Paths[key] = indexEntry{ServerRelativeURL: v3URL(key, doc.etag)}
	}
	if out.index, err = newDocument(index, nil); err != nil {
		return nil, fmt.Errorf("openapi v3 index: %w", err)
	}
	returnMemory()
	return out, nil
}

func (d *Documents) generateV2() (*document, error) {
	lists, err := loadListTypes()
	if err != nil {
		return nil, err
	}
	doc, err := newDocument(v2Document(d.groups, lists, d.kinds), protoV2)
	if err != nil {
		return nil, fmt.Errorf("openapi v2: %w", err)
	}
	returnMemory()
	return doc, nil
}

// returnMemory hands the garbage of a generation back to the system at
// once. Generating allocates tens of MB that are garbage right after;
// left to the runtime's pace they kept skiff server's resident size 7 MB
// higher for minutes. Walking every type also touches some 15 MB of the
// executable that nothing else uses; those pages go too (memtrim). It
// runs once per document and form, per process.
func returnMemory() { _, _ = memtrim.Trim() }

// stampsOf names the kinds of the kinds' Go types. Every document stamps
// them on the definitions it holds, as kube-apiserver does.
func stampsOf(kinds []Kind) kindsByName {
	out := kindsByName{}
	add := func(o runtime.Object, gvk schema.GroupVersionKind) {
		out.add(modelName(reflect.TypeOf(o).Elem()), gvk)
	}
	for _, k := range kinds {
		add(k.Object, k.GVK)
		if k.List != nil {
			add(k.List, k.GVK.GroupVersion().WithKind(k.GVK.Kind+"List"))
		}
		for _, name := range k.Subresources {
			if sub := subresources[name]; sub.object != nil {
				add(sub.object, sub.gvk)
			}
		}
	}
	return out
}

// indexV3 is the document at /openapi/v3, as client-go reads it
// (k8s.io/kube-openapi/pkg/handler3.OpenAPIV3Discovery).
type indexV3 struct {
	Paths map[string]indexEntry `json:"paths"`
}

type indexEntry struct {
	ServerRelativeURL string `json:"serverRelativeURL"`
}
