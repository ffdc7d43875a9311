package apiserver

import (
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/sets"
)

// requestInfo is what a resource URL names, as kube-apiserver parses it.
type requestInfo struct {
	// Resource is false for non-resource paths (/healthz, /api …).
	Resource    bool
	Verb        string // get list watch create update patch delete deletecollection
	Group       string
	Version     string
	Namespace   string
	Kind        string // resource name: "deployments"
	Name        string
	Subresource string
}

// namespaceSubresources are the subresources of a namespace itself
// (/api/v1/namespaces/NAME/status), not resources inside it.
var namespaceSubresources = sets.New("status", "finalize")

// parseRequest parses /api/v1/... and /apis/GROUP/VERSION/... paths.
func parseRequest(r *http.Request) requestInfo {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var info requestInfo
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		info.Version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		info.Group, info.Version, parts = parts[1], parts[2], parts[3:]
	default:
		return info
	}
	info.Resource = true
	if parts[0] == "namespaces" && len(parts) > 1 {
		info.Namespace = parts[1]
		if len(parts) > 2 && !namespaceSubresources.Has(parts[2]) {
			parts = parts[2:]
		}
	}
	info.Kind = parts[0]
	if len(parts) > 1 {
		info.Name = parts[1]
	}
	if len(parts) > 2 {
		info.Subresource = parts[2]
	}
	if info.Kind == "namespaces" {
		info.Namespace = ""
	}
	info.Verb = verb(r.Method, info.Name != "", r.URL.Query().Get("watch"))
	if len(parts) > 3 {
		info.Verb = "" // deeper paths are not served
	}
	if (info.Verb == "list" || info.Verb == "watch") && info.Name == "" {
		info.Name = selectedName(r.URL.Query().Get("fieldSelector"))
	}
	return info
}

// selectedName is the name a list or watch is limited to by a
// metadata.name field selector, as kube-apiserver's request info has it,
// so that authorizers may allow a list of one object they would allow a
// get of.
func selectedName(selector string) string {
	if selector == "" {
		return ""
	}
	sel, err := fields.ParseSelector(selector)
	if err != nil {
		return ""
	}
	name, _ := sel.RequiresExactMatch("metadata.name")
	return name
}

func verb(method string, named bool, watch string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case watch == "true" || watch == "1":
			return "watch"
		case named:
			return "get"
		}
		return "list"
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		if named {
			return "delete"
		}
		return "deletecollection"
	}
	return ""
}
