// Package node authorizes node agents (system:node:<name> in
// system:nodes) as kube-apiserver's Node authorizer does for kubelets: a
// node reads only the secrets, configmaps, persistent volume claims and
// service accounts that pods bound to it reference, changes only its own
// Node and Lease, and otherwise gets the static rules of upstream's
// system:node role (read pods, services, endpoint slices and nodes;
// write events; create and delete pods, and write pods' status, which
// controlplane/apiserver/auth/noderestriction narrows to its own pods).
//
// Which objects a node's pods reference is kept by a Graph, fed by a
// watch of every pod bound to a node (Graph.Run). The graph follows etcd
// a little behind: a node asking for a secret of a pod bound a moment
// ago may be refused once and succeed when it retries, as upstream.
package node
