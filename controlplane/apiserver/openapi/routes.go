package openapi

import (
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// route is one URL path of the API with its operations: the description
// both OpenAPI versions render.
type route struct {
	path   string
	params []param // path parameters
	ops    []operation
}

// operation is one HTTP method of a route.
type operation struct {
	method  string // get, put, post, patch or delete
	action  string // x-kubernetes-action
	id      string
	summary string
	gvk     schema.GroupVersionKind // the kind it acts on; zero for none
	query   []param
	body    reflect.Type // nil: no request body
	result  reflect.Type // nil: plain text or a stream
	codes   []int        // success status codes
}

// Media types of bodies and answers.
const (
	mediaJSON       = "application/json"
	mediaWatch      = "application/json;stream=watch"
	mediaText       = "text/plain"
	mediaAny        = "*/*"
	mediaStrategic  = "application/strategic-merge-patch+json"
	mediaApplyPatch = "application/apply-patch+yaml"
)

// patchMedia are the patch types skiff's API server accepts. kubectl
// builds a strategic merge patch only where the operation lists it.
var patchMedia = []string{"application/json-patch+json", "application/merge-patch+json", mediaStrategic, mediaApplyPatch}

var (
	statusType        = reflect.TypeFor[metav1.Status]()
	patchType         = reflect.TypeFor[metav1.Patch]()
	deleteOptionsType = reflect.TypeFor[metav1.DeleteOptions]()
	watchEventType    = reflect.TypeFor[metav1.WatchEvent]()
	resourceListType  = reflect.TypeFor[metav1.APIResourceList]()
)

// gvPath is where a group version is served and named in the v3 index:
// "api/v1" or "apis/apps/v1".
func gvPath(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "api/" + gv.Version
	}
	return "apis/" + gv.Group + "/" + gv.Version
}

// routeSet collects the routes of one group version by path, in the order
// they are first added.
type routeSet struct {
	gv     schema.GroupVersion
	byPath map[string]*route
	order  []*route
}

func newRouteSet(gv schema.GroupVersion) *routeSet {
	s := &routeSet{gv: gv, byPath: map[string]*route{}}
	s.add("/"+gvPath(gv)+"/", nil, groupRoot(gv))
	return s
}

func (s *routeSet) add(path string, params []param, ops ...operation) {
	r, ok := s.byPath[path]
	if !ok {
		r = &route{path: path, params: params}
		s.byPath[path] = r
		s.order = append(s.order, r)
	}
	r.ops = append(r.ops, ops...)
}

// groupRoot is the discovery path of a group version.
func groupRoot(gv schema.GroupVersion) operation {
	return operation{
		method:  "get",
		id:      "get" + gvID(gv) + "APIResources",
		summary: "the resources of " + gv.String(),
		result:  resourceListType,
		codes:   []int{200},
	}
}

// kindPaths are the URL paths of one kind.
type kindPaths struct {
	k          Kind
	collection string  // its objects in one namespace, or all of a cluster-scoped kind
	scope      []param // path parameters of the collection
}

func pathsOf(k Kind) kindPaths {
	base := "/" + gvPath(k.GVK.GroupVersion())
	if !k.Namespaced {
		return kindPaths{k: k, collection: base + "/" + k.Resource}
	}
	return kindPaths{
		k:          k,
		collection: base + "/namespaces/{namespace}/" + k.Resource,
		scope:      []param{namespaceParam},
	}
}

func (p kindPaths) itemPath() string { return p.collection + "/{name}" }
func (p kindPaths) itemParams() []param {
	return append(p.scope[:len(p.scope):len(p.scope)], nameParam)
}

// target is what an operation reads or writes: the Go type of its body
// and answer (nil: plain text or a stream), and its kind.
type target struct {
	typ reflect.Type
	gvk schema.GroupVersionKind
}

// addKind adds the routes of kind k.
func (s *routeSet) addKind(k Kind) {
	p := pathsOf(k)
	object := target{reflect.TypeOf(k.Object), k.GVK}
	for _, verb := range k.Verbs {
		switch verb {
		case "get":
			s.add(p.itemPath(), p.itemParams(), p.read(object, ""))
		case "list":
			s.addList(p)
		case "create":
			s.add(p.collection, p.scope, p.write("post", "create", object, ""))
		case "update":
			s.add(p.itemPath(), p.itemParams(), p.write("put", "replace", object, ""))
		case "patch":
			s.add(p.itemPath(), p.itemParams(), p.patch(object, ""))
		case "delete":
			s.add(p.itemPath(), p.itemParams(), p.delete())
		case "deletecollection":
			s.add(p.collection, p.scope, p.deleteCollection())
		}
	}
	for _, name := range k.Subresources {
		s.addSubresource(p, name, subresources[name])
	}
}

// addList adds the list (and watch) operation of a kind, and for a
// namespaced kind the same across all namespaces.
func (s *routeSet) addList(p kindPaths) {
	s.add(p.collection, p.scope, p.list(false))
	if p.k.Namespaced {
		all := "/" + gvPath(p.k.GVK.GroupVersion()) + "/" + p.k.Resource
		s.add(all, nil, p.list(true))
	}
}

func (s *routeSet) addSubresource(p kindPaths, name string, sub subresource) {
	path := p.itemPath() + "/" + name
	t := target{reflect.TypeOf(p.k.Object), p.k.GVK}
	switch {
	case sub.object != nil:
		t = target{reflect.TypeOf(sub.object), sub.gvk}
	case sub.text:
		t.typ = nil
	}
	for _, verb := range sub.verbs {
		switch verb {
		case "get":
			op := p.read(t, name)
			op.query = sub.query
			s.add(path, p.itemParams(), op)
		case "create":
			s.add(path, p.itemParams(), p.write("post", "create", t, name))
		case "update":
			s.add(path, p.itemParams(), p.write("put", "replace", t, name))
		case "patch":
			s.add(path, p.itemParams(), p.patch(t, name))
		case "connect":
			s.add(path, p.itemParams(), p.connect("get", name, sub), p.connect("post", name, sub))
		}
	}
}
