// Package garbagecollector deletes the objects whose owners are gone,
// and carries out the foreground and orphan deletions the API server
// asks for with finalizers, as upstream's garbage collector does.
//
// It watches the metadata of every kind the API serves that can be
// listed, watched and deleted (found through discovery; events are
// left out), indexed by UID and by the UIDs of their owners: those
// indexes are the ownership graph, so no separate graph is kept.
//
// An object with ownerReferences is looked at whenever it appears, its
// owners change, or an owner goes. Each owner is, checked against the
// cache and, when the cache does not have it, against the API:
//
//   - solid: it exists and is not waiting for its dependents;
//   - dangling: it is gone (or was replaced: another UID under its name);
//   - waiting: it is being deleted in the foreground (foregroundDeletion
//     finalizer).
//
// With a solid owner, the object stays, and loses its references to
// dangling and waiting owners. With no solid owner, it is deleted: in
// the foreground when an owner waits and it has dependents of its own
// (so that the wait covers them too), else as its own finalizers ask
// (orphan, foregroundDeletion), in the background by default. Deletes
// carry the UID (and resourceVersion) read, so a replaced or changed
// object is left for the next look.
//
// Foreground (kubectl delete --cascade=foreground): the owner keeps its
// foregroundDeletion finalizer while it has dependents that block it
// (blockOwnerDeletion), which are deleted meanwhile; the finalizer goes
// with the last of them. Orphan (--cascade=orphan): the dependents lose
// their references to the owner, then the owner its orphan finalizer.
// Background (the default): the owner goes at once, and its dependents
// follow as dangling.
package garbagecollector
