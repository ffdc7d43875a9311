// Package apiendpoints keeps the endpoints of the default/kubernetes
// Service: the addresses of the live API servers, as kube-apiserver's
// lease endpoint reconciler does. Every `skiff server` writes its
// advertised address under apiserverleases/ in etcd with a 15 s lease,
// renewed every 10 s, and sets the Endpoints and EndpointSlices of the
// kubernetes service to the addresses found there; a server that stops
// removes its own, one that dies drops out when its lease expires.
//
// The Endpoints carry endpointslice.kubernetes.io/skip-mirror, and the
// EndpointSlices kubernetes.io/service-name=kubernetes without the
// EndpointSlice controller's managed-by label: the controllers leave both
// alone (the service has no selector).
//
// The same reconciler keeps the endpoints of other services served by
// every `skiff server` (Reconciler.Service): kube-system/kube-dns lists
// the servers' DNS listeners.
package apiendpoints
