// Package podstatus computes a pod's API status from what the runtime has
// of it, as kubelet's generateAPIPodStatus does, as a pure function:
// phase, the conditions (PodReadyToStartContainers, Initialized,
// ContainersReady, Ready, PodScheduled), the init and regular container
// statuses (state, lastState, restartCount, image and image ID, ready,
// started), pod and host IPs, start time and QoS class.
//
// Inputs beyond the runtime state are the readiness and startup probes'
// results and the reasons the last sync left containers waiting
// (CrashLoopBackOff, ErrImagePull, CreateContainerConfigError …).
package podstatus
