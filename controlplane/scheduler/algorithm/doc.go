// Package algorithm is the scheduler's decision, as pure functions over a
// snapshot of the cluster: a NodeInfo per node (the node and the pods
// that hold a place on it) in, a node name or the reasons why none fits
// out. Nothing here talks to the API server or keeps state.
//
// The decision follows upstream's default profile, reduced to what
// skiff's pods use:
//
//   - filters, in order, each refusing a node with upstream's reason:
//     nodeUnschedulable (spec.unschedulable), taintToleration (NoSchedule
//     and NoExecute taints, a not-Ready node counting as tainted),
//     nodeAffinity (nodeSelector and required node affinity), nodePorts
//     (host ports), resourcesFit (requests against allocatable less the
//     node's pods' requests, and the pod count);
//   - scorers, weighted as upstream: PreferNoSchedule taints (3),
//     preferred node affinity (2), spreading a controller's pods (2),
//     least allocated cpu and memory (1);
//   - the best node, ties broken at random.
//
// A pod with spec.nodeName never gets here: it is already bound.
package algorithm
