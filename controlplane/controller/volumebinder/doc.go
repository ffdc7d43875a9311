// Package volumebinder is skiff's minimal volume controller: a dynamic
// provisioner of local volumes with upstream's WaitForFirstConsumer
// binding (package localstorage names the pieces).
//
// A claim skiff handles (class skiff-local, or none) stays Pending until
// a pod using it is bound to a node. The binder then creates the
// PersistentVolume "pvc-<claim uid>": a hostPath in that node's volume
// directory, with the claim's size and access modes, a claimRef to the
// claim, node affinity to the node (so that the scheduler keeps later
// pods of the claim there) and reclaim policy Delete. It marks the volume
// Bound, writes the volume's name into the claim (with upstream's
// bind-completed, bound-by-controller and selected-node annotations), and
// marks the claim Bound with the volume's capacity and access modes. The
// node agent makes the directory when a pod mounts it.
//
// When the claim is gone (or replaced by one of the same name), the
// volumes provisioned for it are deleted; their directories stay on the
// node.
//
// Events on the claim, as upstream's: ProvisioningSucceeded, and
// ProvisioningFailed when the volume cannot be created.
package volumebinder
