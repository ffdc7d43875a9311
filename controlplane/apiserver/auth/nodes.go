package auth

import (
	"context"
	"slices"
	"strings"
)

// NodesGroup is the group of node agents' credentials, whose user is
// system:node:<name>.
const NodesGroup = "system:nodes"

// NodeUserPrefix starts a node agent's user name.
const NodeUserPrefix = "system:node:"

// nodeRules are what a node agent needs, by resource (and subresource):
// its pods and their status, its Node and Lease, events, and what its
// pods' volumes and environments read. It is the seam a node authorizer
// narrows to the node's own objects; today any node may act on any of
// these.
var nodeRules = map[string][]string{
	"pods":                     {"get", "list", "watch", "create", "delete", "patch", "update"},
	"pods/status":              {"get", "patch", "update"},
	"nodes":                    {"get", "list", "watch", "create", "patch", "update"},
	"nodes/status":             {"get", "patch", "update"},
	"leases":                   {"get", "list", "watch", "create", "update", "patch"},
	"events":                   {"create", "patch", "update"},
	"configmaps":               {"get", "list", "watch"},
	"secrets":                  {"get", "list", "watch"},
	"serviceaccounts":          {"get"},
	"serviceaccounts/token":    {"create"},
	"services":                 {"get", "list", "watch"},
	"endpoints":                {"get", "list", "watch"},
	"endpointslices":           {"get", "list", "watch"},
	"selfsubjectreviews":       {"create"},
	"selfsubjectaccessreviews": {"create"},
}

// Nodes allows members of system:nodes what a node agent does, and has
// no opinion otherwise.
type Nodes struct{}

func (Nodes) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if a.User == nil || !slices.Contains(a.User.Groups, NodesGroup) || !strings.HasPrefix(a.User.Name, NodeUserPrefix) {
		return NoOpinion, "", nil
	}
	if !a.ResourceRequest {
		if a.Verb == "get" {
			return Allow, "", nil // discovery, version, openapi
		}
		return NoOpinion, "", nil
	}
	res := a.Resource
	if a.Subresource != "" {
		res += "/" + a.Subresource
	}
	if slices.Contains(nodeRules[res], a.Verb) {
		return Allow, "", nil
	}
	return NoOpinion, "", nil
}
