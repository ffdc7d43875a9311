// Package namespace is the namespace controller: it empties a deleted
// namespace, then lets it go, as upstream's.
//
// A namespace being deleted is Terminating while its spec.finalizers
// hold "kubernetes". The controller deletes the objects of every
// namespaced kind the API serves (through discovery; deletecollection,
// background propagation, so that the garbage collector and the node
// agents finish what they own), counts what is left, and writes the
// upstream conditions to the namespace's status:
// NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
// NamespaceDeletionContentFailure, NamespaceContentRemaining
// ("Some resources are remaining: pods. has 2 resource instances") and
// NamespaceFinalizersRemaining; each False with its "all done" reason
// when all is well. While objects remain (pods in their grace period,
// objects held by finalizers) it looks again shortly; once nothing is
// left it removes "kubernetes" through namespaces/<name>/finalize, and
// the API server deletes the namespace.
//
// It replaces a goroutine inside the API server that did the same
// through the stores: as a client of the API it runs once per cluster
// (under the controllers' Lease, not in every server), deletes through
// the API's own rules (propagation, grace periods, authorization), and
// reports its progress where kubectl describe namespace shows it.
package namespace
