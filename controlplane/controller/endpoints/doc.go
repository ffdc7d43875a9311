// Package endpoints is the Endpoints controller: for every Service with
// a selector it keeps a core/v1 Endpoints of the same name listing the
// selected pods, for clients older than EndpointSlices, as upstream's
// does.
//
//   - Subsets group the pods by the ports they expose (the Service's
//     target ports, named ones resolved per pod); ready pods are
//     addresses, others notReadyAddresses. Terminating pods are left
//     out, unless publishNotReadyAddresses, which also makes every pod
//     ready. One IP per pod, of the Service's first family. Addresses
//     carry nodeName, the pod's targetRef, and its hostname when its
//     subdomain is the Service.
//   - Labels are the Service's, plus service.kubernetes.io/headless for
//     clusterIP None; endpoints.kubernetes.io/last-change-trigger-time is
//     the newest readiness change among the pods (or the Service's
//     creation). Past 1000 addresses the rest are cut, ready ones kept
//     first, and endpoints.kubernetes.io/over-capacity says "truncated".
//   - Services without a selector (the kubernetes Service among them,
//     whose Endpoints controlplane/apiendpoints keeps) and ExternalName
//     Services are left alone. When a Service is deleted, its Endpoints
//     are deleted too; Endpoints edited or deleted by someone else are
//     put back.
//
// Failed writes are FailedToCreateEndpoint / FailedToUpdateEndpoint
// warnings on the Service, from "endpoint-controller".
package endpoints
