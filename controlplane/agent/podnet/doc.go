// Package podnet joins the node to the pod network of the cluster, as
// kubelet and a host-gw network plugin (flannel's host-gw backend) do
// together:
//
//   - the node's pod CIDR (spec.podCIDR(s), given by the node IPAM
//     controller) goes to the runtime through CRI UpdateRuntimeConfig,
//     so its default network allocates pod IPs from it;
//   - every other node's pod CIDRs are routed through that node's
//     InternalIP (host-gw: one route per node CIDR, no encapsulation and
//     no NAT), and a node that goes away takes its routes with it.
//
// host-gw needs the nodes on one L2 segment: a node whose address is
// not on a directly connected network gets no route, and a warning
// that says so (the kernel would refuse the route, or send it to the
// default gateway, which knows nothing of pod CIDRs).
//
// The routes skiff installs carry their own routing protocol number
// (RouteProtocol), so that a sync removes exactly those that are no
// longer wanted and never touches anyone else's. The decision
// (Desired) is a pure function of the nodes, table-tested; RouteTable
// is the kernel, faked in tests.
package podnet
