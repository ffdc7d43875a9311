// Package nodeproxy serves the pods' stream subresources for the API
// server, as kube-apiserver's pod REST connectors and kubelet client:
//
//	pods/log          → GET  https://<node>:<port>/containerLogs/<ns>/<pod>/<container>
//	pods/exec         → https://<node>:<port>/exec/<ns>/<pod>/<container>
//	pods/attach       → https://<node>:<port>/attach/<ns>/<pod>/<container>
//	pods/portforward  → https://<node>:<port>/portForward/<ns>/<pod>
//
// The node's address is its InternalIP (else its Hostname) and the port
// its status.daemonEndpoints.kubeletEndpoint. Requests go with the API
// server's client certificate for agents; the agents' serving
// certificates are self-signed and not verified (kube-apiserver's
// default without --kubelet-certificate-authority).
//
// kubectl ≥ 1.30 speaks WebSocket v5 for exec and attach, which the
// runtime's streaming server does not: those requests are translated to
// SPDY here (k8s.io/apiserver's StreamTranslatorHandler). Port-forward
// over WebSocket tunnels SPDY (TunnelingHandler). Other upgrades (SPDY,
// older WebSocket protocols) are proxied as they come.
package nodeproxy
