// Package pod is the strategy of v1 Pods, and the pod-spec defaults and
// validation that the workload kinds (Deployment, ReplicaSet, Job …)
// share for their templates.
package pod
