// Package nodelifecycle is the node lifecycle controller: it notices
// nodes that stopped reporting, and moves their pods away, as upstream's
// node lifecycle controller and its taint-based eviction do.
//
//   - A node whose Lease in kube-node-lease (the agent's heartbeat, every
//     10 s) and Ready condition have not been renewed within the grace
//     period (40 s by default) gets its Ready, MemoryPressure,
//     DiskPressure and PIDPressure conditions set to Unknown, reason
//     NodeStatusUnknown ("Kubelet stopped posting node status."), and the
//     Ready condition of its pods set to False.
//   - A node's taints follow its Ready condition: Unknown gives
//     node.kubernetes.io/unreachable, False node.kubernetes.io/not-ready,
//     each as NoSchedule and NoExecute (their timeAdded kept while they
//     stay); True removes them, so a node that comes back (its agent
//     posts Ready again) is schedulable again.
//   - On a node with NoExecute taints, a pod that does not tolerate one
//     of them is evicted (deleted) at once; one that tolerates them all
//     is evicted once the shortest tolerationSeconds has passed since
//     the taint was added, and never if no toleration bounds it. The API
//     server gives new pods 300 s tolerations of not-ready and
//     unreachable (skiff server --default-*-toleration-seconds, as
//     upstream's DefaultTolerationSeconds admission). The pods' own
//     controllers (ReplicaSet …) then create replacements, which the
//     scheduler places on other nodes.
//
// Heartbeats are compared with the controller's clock, so the nodes'
// clocks should agree within a fraction of the grace period.
package nodelifecycle
