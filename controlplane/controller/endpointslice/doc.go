// Package endpointslice is the EndpointSlice controller: for every
// Service with a selector it keeps discovery.k8s.io/v1 EndpointSlices
// listing the selected pods, as upstream's does, so that service proxies
// and cluster DNS written for Kubernetes read them unchanged.
//
//   - Slices carry kubernetes.io/service-name, endpointslice.kubernetes.io/
//     managed-by=endpointslice-controller.k8s.io, the Service's own labels
//     (and service.kubernetes.io/headless for clusterIP None), and the
//     Service's controllerRef, so the garbage collector removes them with
//     it. Slices of other managers are left alone, and so are Services
//     without a selector (their endpoints are user-managed) and
//     ExternalName Services.
//   - One set of slices per address type of the Service (ipFamilies;
//     both for a headless Service without families), named by
//     generateName <service>-. An endpoint per pod with an IP of that
//     family that has not finished: conditions ready (ready and not
//     terminating), serving (ready), terminating (deletionTimestamp);
//     publishNotReadyAddresses makes every one ready and serving.
//     nodeName, the pod's targetRef, the node's topology zone, and the
//     pod's hostname when its subdomain is the Service.
//   - Ports: the Service's ports with the target port resolved per pod (a
//     named port looked up in the pod's containers), so pods with
//     different numbers for one name land in different slices; a pod
//     lacking the name is listed without that port.
//   - At most 100 endpoints per slice. Little churn: endpoints are
//     updated in place, new ones fill slices being updated anyway, then
//     one slice with room for all of them, then new slices; a slice no
//     longer needed is reused for a new one before any is deleted. A
//     Service without endpoints keeps one empty placeholder slice.
//   - A slice edited or deleted by someone else is put back on the next
//     sync (slice events queue their Service). Creations are expected,
//     so that a cache lagging behind never makes a slice twice.
//
// Failed writes are a FailedToUpdateEndpointSlices warning on the
// Service, from "endpoint-slice-controller".
package endpointslice
