// Package proxy is skiff's service proxy: it turns Services and the ready
// endpoints of their EndpointSlices into one nftables table, skiff-proxy
// (family inet), on every node.
//
// IPv4 and IPv6 share the table: a service port is programmed once per
// family of its ClusterIPs, with the EndpointSlices of that address type.
// The maps keyed on addresses exist per family (service-ips and
// service-ips-ipv6, …), as do NodePort maps (a NodePort reaches the
// endpoints of the packet's family); chains of IPv6 ports end in /ipv6.
//
// The ruleset follows the shape of kube-proxy's nftables mode, written
// anew:
//
//   - base chains nat-prerouting and nat-output jump to services, which
//     dispatches on ip daddr . l4proto . dport through the service-ips
//     verdict map, and on l4proto . dport for NodePorts (on the node's
//     addresses) through service-nodeports;
//   - each service port has a chain (svc-…) that marks off-cluster traffic
//     for masquerade, honours ClientIP affinity through one timed set per
//     endpoint, and picks an endpoint with numgen random;
//   - each endpoint has a chain (ep-…) that marks hairpin traffic and DNATs;
//   - internalTrafficPolicy Local sends the ClusterIP to local-…, which
//     picks among this node's endpoints only; without any here, the
//     ClusterIP is dropped (not rejected: the service has endpoints);
//   - a NodePort, an external IP (spec.externalIPs) and a LoadBalancer's
//     ingress IP (status.loadBalancer.ingress, but for ipMode Proxy; both
//     through service-ips) go through ext-… first: masquerade for
//     Cluster, only local endpoints and no SNAT for externalTrafficPolicy
//     Local;
//   - loadBalancerSourceRanges (or the older annotation) drop other
//     sources to the ingress IPs before DNAT (filter-*-pre-dnat, the
//     firewall-ips map, one fw-… chain per port); NodePorts are not
//     filtered, as upstream;
//   - a service port without ready endpoints is rejected in filter chains
//     (no-endpoint-services, no-endpoint-nodeports; filter-input checks
//     both, for external IPs that are this node's);
//   - nat-postrouting masquerades what was marked.
//
// Every sync rewrites the table in one transaction: chains and maps are
// flushed and filled again, objects no longer wanted are deleted in the
// same transaction, and affinity sets are kept (their entries are the
// affinity state). UDP conntrack entries that point at removed endpoints
// are deleted after the transaction.
//
// The rules stay in place when the proxy exits, so traffic keeps flowing;
// Cleanup removes the table.
package proxy
