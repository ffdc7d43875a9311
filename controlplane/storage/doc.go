// Package storage keeps API objects in etcd, the only state of the control
// plane.
//
// Layout and semantics, as kube-apiserver's etcd3 storage:
//   - one key per object: <prefix>/<group>/<resource>/<namespace>/<name>
//     (cluster-scoped objects have no namespace segment); Key builds them;
//   - the value is the object's JSON with apiVersion and kind, without
//     resourceVersion;
//   - an object's resourceVersion is its key's etcd ModRevision, and a
//     list's is the etcd revision it was read at;
//   - every write is a Txn conditioned on the key's ModRevision (or on its
//     absence for Create), so two writers never overwrite each other:
//     the loser gets ErrConflict;
//   - Watch streams changes after a revision with the previous value, so
//     callers can tell ADDED/MODIFIED/DELETED under a filter; a revision
//     that etcd has compacted away gives ErrGone;
//   - Compactor compacts old revisions periodically;
//   - WithTTL gives a view whose writes expire (events), through shared
//     etcd leases.
//
// The Store takes an etcd client, so embedded and external etcd differ only
// in wiring. It knows nothing about kinds, validation or HTTP: callers map
// its sentinel errors (ErrNotFound, ErrExists, ErrConflict, ErrGone) to API
// statuses. A Store is safe for concurrent use.
package storage
