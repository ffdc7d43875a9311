// Package state is what the container runtime shows of the node's pods:
// for one pod UID its sandboxes and containers, newest first, read over
// CRI and interpreted through the labels and annotations the agent put on
// them (package podspec). It is the input of the pure action and status
// computations, the agent's counterpart of kubelet's kubecontainer.PodStatus.
//
// Read also fills in a terminated container's termination message, as
// kubelet does: from the file mounted at its terminationMessagePath, or,
// with FallbackToLogsOnError and a failure, from the end of its log.
package state
