package node

import (
	"context"
	"fmt"
	"slices"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
)

// LeaseNamespace holds the nodes' heartbeat Leases.
const LeaseNamespace = "kube-node-lease"

var (
	readAll   = []string{"get", "list", "watch"}
	writeEvts = []string{"create", "patch", "update"}
)

// staticRules are what every node may do regardless of its pods
// (upstream's system:node role, for the resources skiff serves). Writes
// to pods are narrowed to the node's own pods by NodeRestriction.
var staticRules = []auth.Rule{
	{Verbs: append([]string{"create", "delete"}, readAll...), APIGroups: []string{""}, Resources: []string{"pods"}},
	{Verbs: []string{"get", "patch", "update"}, APIGroups: []string{""}, Resources: []string{"pods/status"}},
	{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/eviction"}},
	{Verbs: writeEvts, APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}},
	{Verbs: readAll, APIGroups: []string{""}, Resources: []string{"services", "endpoints"}},
	{Verbs: readAll, APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}},
	// The volume a claim of a pod is bound to (upstream narrows this to
	// the volumes of the node's claims).
	{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"persistentvolumes"}},
}

// Authorizer is the Node authorizer: it decides for node users and has
// no opinion on others. A refusal is NoOpinion with a reason, so that no
// other authorizer of a node can widen it.
type Authorizer struct {
	Graph *Graph
}

func (z *Authorizer) Authorize(_ context.Context, a auth.Attributes) (auth.Decision, string, error) {
	node, ok := auth.NodeName(a.User)
	if !ok || !a.ResourceRequest {
		return auth.NoOpinion, "", nil
	}
	if node == "" {
		return auth.NoOpinion, fmt.Sprintf("unknown node for user %q", a.User.Name), nil
	}
	switch {
	case a.APIGroup == "" && a.Resource == "nodes":
		return ownNode(node, a)
	case a.APIGroup == "coordination.k8s.io" && a.Resource == "leases":
		return ownLease(node, a)
	case a.APIGroup == "" && referenced[a.Resource] != nil:
		return z.referenced(node, a)
	}
	for _, r := range staticRules {
		if r.Allows(a) {
			return auth.Allow, "", nil
		}
	}
	return auth.NoOpinion, "", nil
}

// ownNode: a node reads every Node (its proxy and routes need the
// others'), creates one (NodeRestriction checks it is its own), and
// changes only its own and its own status.
func ownNode(node string, a auth.Attributes) (auth.Decision, string, error) {
	switch {
	case a.Subresource == "" && (a.Verb == "create" || slices.Contains(readAll, a.Verb)):
		return auth.Allow, "", nil
	case (a.Subresource == "" || a.Subresource == "status") && slices.Contains([]string{"get", "update", "patch"}, a.Verb):
		if a.Name == node {
			return auth.Allow, "", nil
		}
		return auth.NoOpinion, fmt.Sprintf("node %q may only modify its own Node, not %q", node, a.Name), nil
	}
	return auth.NoOpinion, "", nil
}

// ownLease: only the node's own Lease in kube-node-lease.
func ownLease(node string, a auth.Attributes) (auth.Decision, string, error) {
	if a.Namespace != LeaseNamespace {
		return auth.NoOpinion, fmt.Sprintf("node %q may only use leases in the %q namespace", node, LeaseNamespace), nil
	}
	switch {
	case a.Verb == "create" && a.Subresource == "":
		return auth.Allow, "", nil // NodeRestriction checks the name
	case slices.Contains([]string{"get", "update", "patch", "delete"}, a.Verb) && a.Subresource == "" && a.Name == node:
		return auth.Allow, "", nil
	}
	return auth.NoOpinion, fmt.Sprintf("node %q may only use its own lease", node), nil
}

// referenced are the resources a node reads through its pods, with the
// verbs allowed on a referenced object (list and watch only of a single
// object, through a metadata.name field selector), by subresource.
var referenced = map[string]map[string][]string{
	"secrets":                {"": readAll},
	"configmaps":             {"": readAll},
	"persistentvolumeclaims": {"": {"get"}},
	"serviceaccounts":        {"": {"get"}, "token": {"create"}},
}

func (z *Authorizer) referenced(node string, a auth.Attributes) (auth.Decision, string, error) {
	if !slices.Contains(referenced[a.Resource][a.Subresource], a.Verb) {
		return auth.NoOpinion, fmt.Sprintf("node %q may not %s %s", node, a.Verb, a.Resource), nil
	}
	if a.Name == "" || a.Namespace == "" {
		return auth.NoOpinion, fmt.Sprintf("node %q may only read single %s referenced by its pods", node, a.Resource), nil
	}
	if !z.Graph.Synced() {
		return auth.NoOpinion, "node authorizer: pods not read yet", nil
	}
	if z.Graph.Has(node, Ref{Resource: a.Resource, Namespace: a.Namespace, Name: a.Name}) {
		return auth.Allow, "", nil
	}
	return auth.NoOpinion, fmt.Sprintf("no relationship found between node %q and this object", node), nil
}
