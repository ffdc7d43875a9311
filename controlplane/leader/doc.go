// Package leader runs a part of the control plane (the scheduler, the
// controllers) in one server at a time: the server that holds a
// coordination.k8s.io Lease, as kube-scheduler and
// kube-controller-manager do with client-go's leader election.
package leader
