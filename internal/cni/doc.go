// Package cni attaches pod sandboxes to the pod network through CNI, with
// libcni (github.com/containernetworking/cni/libcni) and the standard
// plugins, the way cri-o and containerd's CRI plugin do.
//
// # Configuration
//
// The network is the first file of ConfDir in lexical order whose name
// ends in .conflist, .conf or .json and that parses (files that do not are
// skipped with a warning, as kubelet's and cri-o's loaders do); a .conf or
// .json file holding a single plugin is wrapped into a list. The directory
// is read again on every Setup and Status, so an edited, added or removed
// file takes effect on the next call without a restart or a watcher.
//
// With no usable file, skiff uses its own default network, built in memory
// (nothing is written to ConfDir): a bridge (DefaultBridge, "skiff0") that
// is the pods' gateway, masquerades their traffic and has hairpin mode on,
// host-local IPAM on DefaultSubnet ("10.88.0.0/16", the range podman's and
// containerd's examples use) or on the pod CIDR given by SetPodCIDR, a
// default route, portmap for host ports (with SNAT, so 127.0.0.1 and
// hairpin mappings work), and firewall, which accepts pod traffic in
// FORWARD on hosts whose policy is DROP. It needs IPv4 forwarding for pod
// traffic that leaves the node and for host ports reached from other
// machines: skiffd calls EnsureForwarding when UsesDefault says so.
//
// # Teardown after a restart
//
// libcni caches each ADD (the network config, CNI args and capability
// args used) under CacheDir; Teardown replays DEL from that cache, so a
// pod is removed from the network it was added to even if ConfDir changed
// in between or skiffd restarted. Without a cache entry (a crash in the
// middle of ADD, or a second Teardown) DEL runs with the current config,
// which plugins accept for attachments they do not know, and with the
// addresses still on the pod's interface as its prevResult, by which the
// firewall plugin finds the rules it added (see prevresult.go). When the
// pod's namespace is already gone, networks with masquerading get a
// stand-in namespace for DEL (see stubns.go), because the bridge plugin
// Debian ships would otherwise leave the pod's masquerade rules behind.
//
// # Concurrency
//
// A *Network is safe for concurrent use. Calls for different pods run in
// parallel (libcni and the plugins allow it; host-local locks its store);
// Setup and Teardown of the same pod ID are serialised.
package cni
