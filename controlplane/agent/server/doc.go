// Package server is the agent's HTTPS endpoint, kubelet's :10250 for the
// API server: it serves
//
//	GET      /containerLogs/<namespace>/<pod>/<container>  the CRI log, with PodLogOptions
//	GET|POST /exec/<namespace>/<pod>/<container>           CRI Exec, then proxied to the runtime's streaming server
//	GET|POST /attach/<namespace>/<pod>/<container>         CRI Attach, the same way
//	GET|POST /portForward/<namespace>/<pod>                CRI PortForward, the same way
//	GET      /healthz
//
// Only the API server may call it: every path but /healthz needs a
// client certificate signed by the cluster CA whose common name is one
// of the allowed ones. The serving certificate is self-signed (as
// kubelet's default), kept in the agent's directory.
//
// Streams (SPDY, or WebSocket up to v4) are proxied as they come; the
// API server translates kubectl's WebSocket v5 before they get here.
package server
