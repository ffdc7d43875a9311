package openapi

import (
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The operations of a kind's paths, shaped and named as kube-apiserver's.

func (p kindPaths) read(t target, sub string) operation {
	return operation{
		method:  "get",
		action:  "get",
		id:      p.id("read", "", sub, false),
		summary: p.summary(sub, "read"),
		gvk:     t.gvk,
		result:  t.typ,
		codes:   []int{200},
	}
}

func (p kindPaths) list(allNamespaces bool) operation {
	op := operation{
		method:  "get",
		action:  "list",
		id:      p.id("list", "", "", allNamespaces),
		summary: p.summary("", "list"),
		gvk:     p.k.GVK,
		query:   listParams,
		result:  reflect.TypeOf(p.k.List),
		codes:   []int{200},
	}
	if p.k.can("watch") {
		op.summary = p.summary("", "list or watch")
		op.query = append(listParams[:len(listParams):len(listParams)], watchParams...)
	}
	return op
}

// write is a create (POST) or a replace (PUT).
func (p kindPaths) write(method, verb string, t target, sub string) operation {
	codes := []int{200, 201}
	if method == "post" {
		codes = append(codes, 202)
	}
	return operation{
		method:  method,
		action:  method,
		id:      p.id(verb, "", sub, false),
		summary: p.summary(sub, verb),
		gvk:     t.gvk,
		query:   writeParams,
		body:    t.typ,
		result:  t.typ,
		codes:   codes,
	}
}

func (p kindPaths) patch(t target, sub string) operation {
	return operation{
		method:  "patch",
		action:  "patch",
		id:      p.id("patch", "", sub, false),
		summary: p.summary(sub, "patch"),
		gvk:     t.gvk,
		query:   patchParams,
		body:    patchType,
		result:  t.typ,
		codes:   []int{200, 201},
	}
}

func (p kindPaths) delete() operation {
	return operation{
		method:  "delete",
		action:  "delete",
		id:      p.id("delete", "", "", false),
		summary: p.summary("", "delete"),
		gvk:     p.k.GVK,
		query:   deleteParams,
		body:    deleteOptionsType,
		result:  statusType,
		codes:   []int{200, 202},
	}
}

func (p kindPaths) deleteCollection() operation {
	op := p.delete()
	op.action = "deletecollection"
	op.id = p.id("delete", "Collection", "", false)
	op.summary = p.summary("", "delete a collection of")
	op.query = append(deleteParams[:len(deleteParams):len(deleteParams)], listParams...)
	op.codes = []int{200}
	return op
}

func (p kindPaths) connect(method, sub string, s subresource) operation {
	return operation{
		method:  method,
		action:  "connect",
		id:      p.id("connect", upperFirst(method), sub, false),
		summary: p.summary(sub, "connect to"),
		gvk:     s.gvk,
		query:   s.query,
		codes:   []int{200},
	}
}

// id is the operationId, spelled as kube-apiserver does, such as
// listAppsV1NamespacedDeployment or connectCoreV1PostNamespacedPodExec.
func (p kindPaths) id(verb, extra, sub string, allNamespaces bool) string {
	scope := ""
	if p.k.Namespaced && !allNamespaces {
		scope = "Namespaced"
	}
	suffix := ""
	if allNamespaces {
		suffix = "ForAllNamespaces"
	}
	return verb + gvID(p.k.GVK.GroupVersion()) + extra + scope + p.k.GVK.Kind + upperFirst(sub) + suffix
}

func (p kindPaths) summary(sub, verb string) string {
	if sub == "" {
		return p.k.GVK.Kind + ": " + verb
	}
	return p.k.GVK.Kind + " " + sub + ": " + verb
}

// gvID is a group version in operation IDs: CoreV1, AppsV1, DiscoveryV1,
// RbacAuthorizationV1.
func gvID(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "Core" + upperFirst(gv.Version)
	}
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimSuffix(gv.Group, ".k8s.io"), ".") {
		b.WriteString(upperFirst(part))
	}
	return b.String() + upperFirst(gv.Version)
}

// tag is an operation's tag: core_v1, apps_v1, rbacAuthorization_v1.
func tag(gv schema.GroupVersion) string {
	id := gvID(gv)
	group := strings.TrimSuffix(id, upperFirst(gv.Version))
	return strings.ToLower(group[:1]) + group[1:] + "_" + gv.Version
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
