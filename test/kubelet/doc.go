// Package kubelet runs a real kubelet (bin/kubelet, built from
// k8s.io/kubernetes by tools/kubelet) on a skiffd, and checks what a node
// needs from its runtime through kubelet's own HTTP API: probes, logs,
// exec, stats, restarts with back-off, static pod updates and deletion, and
// a kill -9 of skiffd under a running kubelet.
//
// The kubelet runs standalone: no API server; its pods are static pods
// from a manifest directory. skiffd, the test registry and the kubelet run
// in temp dirs with their own ports, and the test removes everything it
// made. The tests carry the kubelet build tag and run as root:
//
//	make test-kubelet
//
// How the kubelet is configured, and why, is in kubeletConfig.
package kubelet
