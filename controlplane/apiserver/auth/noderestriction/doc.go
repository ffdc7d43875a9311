// Package noderestriction is kube-apiserver's NodeRestriction admission
// for skiff: it narrows what the node authorizer lets a node agent write
// to the node's own objects, looking at the objects themselves.
//
//   - pods: a node creates only mirror pods of its static pods (bound to
//     itself, owned by its Node, referencing no secret, configmap, claim
//     or service account), deletes, evicts and updates the status of
//     only the pods bound to it, and never changes labels through status;
//   - nodes: only its own Node, without changing its taints or setting
//     labels outside the kubelet's set (kubernetes.io/hostname, os, arch,
//     instance type, zone and region, and the kubelet.kubernetes.io and
//     node.kubernetes.io prefixes); no node-restriction.kubernetes.io
//     label ever;
//   - leases: only its own, in kube-node-lease.
//
// It implements registry.Admission; writes of other users pass.
package noderestriction
