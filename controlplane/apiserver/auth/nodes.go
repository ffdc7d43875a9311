package auth

import (
	"slices"
	"strings"
)

// NodesGroup is the group of node agents' credentials, whose user is
// system:node:<name>, as kubelets' credentials upstream.
const NodesGroup = "system:nodes"

// NodeUserPrefix starts a node agent's user name.
const NodeUserPrefix = "system:node:"

// NodeName returns the node a user speaks for: the <name> of
// system:node:<name> in the system:nodes group. ok is false for other
// users; name is "" for a node user without a name.
func NodeName(u *User) (name string, ok bool) {
	if u == nil || !slices.Contains(u.Groups, NodesGroup) {
		return "", false
	}
	name, ok = strings.CutPrefix(u.Name, NodeUserPrefix)
	return name, ok
}
