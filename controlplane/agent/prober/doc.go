// Package prober runs the liveness, readiness and startup probes of the
// node's containers, as kubelet's prober: one worker goroutine per
// container and probe kind, first after initialDelaySeconds, then every
// periodSeconds, each attempt bounded by timeoutSeconds; a result flips
// after failureThreshold consecutive failures or successThreshold
// consecutive successes. Until a startup probe succeeds, the container's
// liveness and readiness probes wait.
//
// Probe actions: exec through CRI ExecSync, httpGet and tcpSocket from
// the host to the pod's IP, and grpc health checks. The same actions run
// lifecycle hooks (package runner).
//
// The Manager holds the results by container ID: readiness starts false,
// liveness true, startup false. It tells the agent when a result changes
// so that the pod is synced again (a failed liveness probe restarts the
// container; readiness shows in the pod's status).
package prober
