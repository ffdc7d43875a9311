// Package nodeipam is the node IPAM controller: it gives every Node a
// pod CIDR (spec.podCIDR and spec.podCIDRs) out of the cluster CIDR,
// as kube-controller-manager's range allocator does with
// --allocate-node-cidrs.
//
// The cluster CIDR (skiff server --cluster-cidr, 10.244.0.0/16 by
// default; an IPv4 and an IPv6 CIDR for dual stack) is cut into node
// CIDRs of a fixed size (/24 and /64 by default). A node gets one from
// each family, the IPv4 one first. The node agent hands its node's pod
// CIDR to the runtime (CRI UpdateRuntimeConfig) and routes the other
// nodes' pod CIDRs to them.
//
// The allocation lives only in the Node objects. The controller keeps a
// bitmap of the node CIDRs in use (CIDRSet) as a cache: when it starts
// it waits for the node informer and marks the CIDR of every node before
// its workers assign any, so a restart, or another server taking over,
// never hands out a CIDR twice. Only the server holding the controllers'
// Lease runs controllers, so two allocators never run side by side; and
// an assignment is an update with the node's resourceVersion, which
// fails rather than overwrite a CIDR another writer set first (the API
// server also refuses to change a podCIDR once set). A node's CIDR
// returns to the pool when the node is deleted.
//
// When the cluster CIDR is used up the node stays without one, with a
// CIDRNotAvailable event, and is looked at again whenever a node goes.
package nodeipam
