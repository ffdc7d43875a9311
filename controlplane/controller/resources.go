package controller

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// Resource is a resource the API serves, as discovery describes it.
type Resource struct {
	schema.GroupVersionResource
	Kind       string
	Namespaced bool
}

// GroupVersionKind is the kind of the resource's objects.
func (r Resource) GroupVersionKind() schema.GroupVersionKind {
	return r.GroupVersion().WithKind(r.Kind)
}

// Resources returns the preferred version of every resource (not
// subresource) the API serves that supports all of verbs, as discovery
// lists them: for the controllers that handle every kind (the garbage
// collector, the namespace controller).
func Resources(d discovery.DiscoveryInterface, verbs ...string) ([]Resource, error) {
	lists, err := discovery.ServerPreferredResources(d)
	if err != nil {
		return nil, err
	}
	var out []Resource
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range list.APIResources {
			if slices.ContainsFunc(verbs, func(v string) bool { return !slices.Contains(r.Verbs, v) }) {
				continue
			}
			out = append(out, Resource{GroupVersionResource: gv.WithResource(r.Name), Kind: r.Kind, Namespaced: r.Namespaced})
		}
	}
	return out, nil
}
