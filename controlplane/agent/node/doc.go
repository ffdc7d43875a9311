// Package node keeps the agent's Node object and its heartbeat:
//
//   - Register creates the Node (or updates an existing one) with its
//     labels, addresses, capacity and allocatable, node info and
//     conditions;
//   - Run posts the status when it changes, and at least every
//     ReportEvery, and renews the node's Lease in kube-node-lease every
//     RenewEvery (kubelet's heartbeat, which the node lifecycle
//     controller watches).
//
// The status itself is a pure function (Status) of what the host and the
// runtime report, table-tested; Host reads the host.
package node
