// Package streaming is skiffd's streaming server (DESIGN §2): the HTTP
// server whose URLs the CRI Exec, Attach and PortForward calls hand out,
// on k8s.io/cri-streaming/pkg/streaming, the library kubelet's runtimes
// use.
//
// The library gives the protocols — SPDY (remotecommand v1–v4,
// portforward.k8s.io) and its WebSocket channel protocols
// (channel.k8s.io, base64.channel.k8s.io and their v4 forms) — and the
// request cache: each URL carries a random token for one request, used
// once and expiring a minute after it was made, at most 1000 of them
// outstanding. kubectl ≥ 1.30 speaks WebSocket v5.channel.k8s.io, which
// the library does not: an API server in front translates it.
//
// This package listens (Config: an address, loopback with a kernel-chosen
// port by default; TLS from a certificate and key when given), builds
// the URLs from the address it got, and runs the streams: exec and
// attach through the container's shim (Containers), port forwarding to a
// socket that skiffd opens in the pod's network namespace (Pods).
//
// The library hands a WebSocket session every stream, asked for or not
// (reading one not asked for gives EOF at once, which an attachment would
// take for the end of the client's input). So the server remembers, by
// token, which streams each request asked for (options) and gives the
// runtime only those.
package streaming
