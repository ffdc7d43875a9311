// Package dns is the cluster DNS that `skiff server` runs: the names of
// Services, their endpoints and pods under the cluster domain
// (cluster.local), answered from informer caches, and every other name
// forwarded to the host's resolvers.
//
// The names follow the Kubernetes DNS specification:
//
//	<svc>.<ns>.svc.<domain>                  A/AAAA: the cluster IPs; for a headless
//	                                         service the ready endpoints' addresses;
//	                                         CNAME for an ExternalName service
//	<ep>.<svc>.<ns>.svc.<domain>             A/AAAA of a headless service's endpoint,
//	                                         <ep> its hostname or its dashed address
//	_<port>._<proto>.<svc>.<ns>.svc.<domain> SRV of a named port
//	a-b-c-d.<ns>.pod.<domain>                A of a pod with that address
//	d.c.b.a.in-addr.arpa (and ip6.arpa)      PTR of a cluster IP
//
// A name under the domain that names nothing is NXDOMAIN; a name that
// exists without records of the asked type is NODATA; both carry the
// zone's SOA in the authority section. Zone answers the questions
// (a pure function of a Catalog); Server speaks DNS over UDP and TCP,
// chases CNAMEs and forwards through a Forwarder.
package dns
