// Package servicepods is what the EndpointSlice and Endpoints controllers
// share about the pods behind a Service, with upstream's semantics:
//
//   - which pods a Service selects, and which Services select a pod;
//   - which pods are endpoints at all (an IP, not finished; terminating
//     ones only when asked);
//   - a service port's target port on one pod, named ports looked up in
//     that pod's containers;
//   - the pod IPs of one family;
//   - whether a pod changed in a way the endpoints show;
//   - the informer handlers both controllers use: a Service event queues
//     the Service, a pod event queues the Services selecting it before
//     and after the change.
package servicepods
