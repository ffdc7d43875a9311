package apiserver

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// discovery serves /api, /apis and the per group and version documents,
// legacy and aggregated (v2), built once from the served kinds.
type discovery struct {
	groups    []string // non-core groups, in the order first served
	versions  map[string][]string
	resources map[schema.GroupVersion][]metav1.APIResource
	// aggregated documents of /api and /apis.
	core, apis *apidiscoveryv2.APIGroupDiscoveryList
}

func newDiscovery(stores []*registry.Store, extra map[schema.GroupVersion][]metav1.APIResource) *discovery {
	d := &discovery{versions: map[string][]string{}, resources: map[schema.GroupVersion][]metav1.APIResource{}}
	for _, st := range stores {
		d.add(st.Kind().GroupVersion(), apiResources(st.Kind()))
	}
	gvs := slices.SortedFunc(maps.Keys(extra), func(a, b schema.GroupVersion) int { return strings.Compare(a.String(), b.String()) })
	for _, gv := range gvs {
		d.add(gv, extra[gv])
	}
	d.core = d.aggregated([]string{""})
	d.apis = d.aggregated(d.groups)
	return d
}

func (d *discovery) add(gv schema.GroupVersion, rs []metav1.APIResource) {
	if !slices.Contains(d.versions[gv.Group], gv.Version) {
		d.versions[gv.Group] = append(d.versions[gv.Group], gv.Version)
		if gv.Group != "" && !slices.Contains(d.groups, gv.Group) {
			d.groups = append(d.groups, gv.Group)
		}
	}
	d.resources[gv] = append(d.resources[gv], rs...)
}

// apiResources is the legacy discovery of a kind and its subresources.
func apiResources(k *registry.Kind) []metav1.APIResource {
	main := metav1.APIResource{
		Name: k.Resource, SingularName: k.Singular, Namespaced: k.Namespaced, Kind: k.Kind,
		Verbs:      metav1.Verbs(registry.Verbs),
		ShortNames: k.ShortNames, Categories: k.Categories,
	}
	out := []metav1.APIResource{main}
	readWrite := metav1.Verbs{"get", "patch", "update"}
	if k.Status {
		out = append(out, metav1.APIResource{Name: k.Resource + "/status", Namespaced: k.Namespaced, Kind: k.Kind, Verbs: readWrite})
	}
	if k.Scale != nil {
		out = append(out, metav1.APIResource{Name: k.Resource + "/scale", Namespaced: k.Namespaced,
			Group: "autoscaling", Version: "v1", Kind: "Scale", Verbs: readWrite})
	}
	if k.Finalize != nil {
		out = append(out, metav1.APIResource{Name: k.Resource + "/finalize", Namespaced: k.Namespaced, Kind: k.Kind, Verbs: metav1.Verbs{"update"}})
	}
	for _, name := range k.Subresources() {
		if a, ok := k.Actions[name]; ok {
			out = append(out, metav1.APIResource{Name: k.Resource + "/" + name, Namespaced: k.Namespaced,
				Group: a.Kind.Group, Version: a.Kind.Version, Kind: a.Kind.Kind, Verbs: metav1.Verbs{"create"}})
		}
		if st, ok := k.Streams[name]; ok {
			out = append(out, metav1.APIResource{Name: k.Resource + "/" + name, Namespaced: k.Namespaced,
				Kind: st.Kind, Verbs: metav1.Verbs(st.Verbs)})
		}
	}
	return out
}

func (d *discovery) aggregated(groups []string) *apidiscoveryv2.APIGroupDiscoveryList {
	list := &apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{APIVersion: "apidiscovery.k8s.io/v2", Kind: "APIGroupDiscoveryList"}}
	for _, g := range groups {
		gd := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: g}}
		for _, v := range d.versions[g] {
			vd := apidiscoveryv2.APIVersionDiscovery{Version: v, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
			vd.Resources = aggregatedResources(d.resources[schema.GroupVersion{Group: g, Version: v}], g, v)
			gd.Versions = append(gd.Versions, vd)
		}
		list.Items = append(list.Items, gd)
	}
	return list
}

// aggregatedResources folds the legacy list (subresources as
// "name/sub") into v2's nested form.
func aggregatedResources(rs []metav1.APIResource, g, v string) []apidiscoveryv2.APIResourceDiscovery {
	var out []apidiscoveryv2.APIResourceDiscovery
	for _, r := range rs {
		name, sub, isSub := strings.Cut(r.Name, "/")
		if isSub {
			kind := &metav1.GroupVersionKind{Group: g, Version: v, Kind: r.Kind}
			if r.Group != "" || r.Version != "" {
				kind = &metav1.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
			}
			for i := range out {
				if out[i].Resource == name {
					out[i].Subresources = append(out[i].Subresources, apidiscoveryv2.APISubresourceDiscovery{
						Subresource: sub, ResponseKind: kind, Verbs: r.Verbs})
				}
			}
			continue
		}
		scope := apidiscoveryv2.ScopeCluster
		if r.Namespaced {
			scope = apidiscoveryv2.ScopeNamespace
		}
		out = append(out, apidiscoveryv2.APIResourceDiscovery{
			Resource: r.Name, SingularResource: r.SingularName, Scope: scope, Verbs: r.Verbs,
			ResponseKind: &metav1.GroupVersionKind{Group: g, Version: v, Kind: r.Kind},
			ShortNames:   r.ShortNames, Categories: r.Categories,
		})
	}
	return out
}

func (d *discovery) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	w.Header().Set("Vary", "Accept")
	switch {
	case len(parts) == 1 && parts[0] == "api":
		if d.serveAggregated(w, r, d.core) {
			return
		}
		writeJSON(w, http.StatusOK, &metav1.APIVersions{
			TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: d.versions[""],
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}},
		})
	case len(parts) == 1:
		if d.serveAggregated(w, r, d.apis) {
			return
		}
		list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "APIGroupList"}}
		for _, g := range d.groups {
			list.Groups = append(list.Groups, d.group(g))
		}
		writeJSON(w, http.StatusOK, list)
	case len(parts) == 2 && parts[0] == "api":
		d.serveResources(w, r, schema.GroupVersion{Version: parts[1]})
	case len(parts) == 2 && slices.Contains(d.groups, parts[1]):
		writeJSON(w, http.StatusOK, ptr(d.group(parts[1])))
	case len(parts) == 3:
		d.serveResources(w, r, schema.GroupVersion{Group: parts[1], Version: parts[2]})
	default:
		writeError(w, r, notFound())
	}
}

func (d *discovery) group(g string) metav1.APIGroup {
	grp := metav1.APIGroup{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "APIGroup"}, Name: g}
	for _, v := range d.versions[g] {
		grp.Versions = append(grp.Versions, metav1.GroupVersionForDiscovery{GroupVersion: g + "/" + v, Version: v})
	}
	grp.PreferredVersion = grp.Versions[0]
	return grp
}

func (d *discovery) serveResources(w http.ResponseWriter, r *http.Request, gv schema.GroupVersion) {
	rs, ok := d.resources[gv]
	if !ok {
		writeError(w, r, notFound())
		return
	}
	writeJSON(w, http.StatusOK, &metav1.APIResourceList{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "APIResourceList"}, GroupVersion: gv.String(), APIResources: rs,
	})
}

// serveAggregated answers with the v2 document when Accept asks for it;
// the content type tells client-go which form it got.
func (d *discovery) serveAggregated(w http.ResponseWriter, r *http.Request, list *apidiscoveryv2.APIGroupDiscoveryList) bool {
	a := negotiate(r.Header.Get("Accept"))
	if a.out != outDiscoveryList {
		return false
	}
	out := *list
	out.APIVersion = "apidiscovery.k8s.io/" + a.version
	writeJSONAs(w, http.StatusOK, "application/json;g=apidiscovery.k8s.io;v="+a.version+";as=APIGroupDiscoveryList", &out)
	return true
}

func ptr[T any](v T) *T { return &v }
