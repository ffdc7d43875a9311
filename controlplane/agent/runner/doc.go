// Package runner applies a pod's actions (package actions) over CRI, as
// kubelet's kuberuntime SyncPod: kill what must go (preStop hook, then
// StopContainer with the grace period), create the sandbox with its
// config, then start the next init container or the containers: pull the
// image by its pull policy (with a back-off on failures), resolve the
// environment, prepare the mounts, create, start, run the postStart hook.
//
// Every failure to start a container becomes a waiting reason the pod's
// status shows, with kubelet's names: ErrImagePull, ImagePullBackOff,
// ErrImageNeverPull, CreateContainerConfigError, CreateContainerError,
// RunContainerError, PostStartHookError.
//
// It also kills whole pods (containers in parallel, then the sandboxes),
// removes what a deleted pod leaves (containers, sandboxes, logs, pod
// cgroup) and garbage-collects old dead containers of live pods.
package runner
