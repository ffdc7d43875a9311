// Package controller is what skiff's controllers share, and the recipe to
// write one. A controller is a client of the API server only: it reads
// through shared informers (one watch and one cache per resource for all
// controllers), decides in one sync per key, writes through the API, and
// records core/v1 Events as kube-controller-manager does. `skiff server`
// runs the controllers while it holds the kube-system/
// kube-controller-manager Lease (cmd/skiff/controllers.go), so that of
// several servers on one etcd exactly one runs them.
//
// The pieces:
//
//   - Deps: the clients, the shared typed and metadata-only informer
//     factories, and Recorder(component) for events. Run starts the
//     informers and the event sink, runs the controllers, and stops it
//     all when the context ends.
//   - Queue: a rate-limited work queue of keys (usually "namespace/name")
//     with N workers; a key is synced by one worker at a time, a failed
//     sync comes back after a per-key back-off.
//   - Register, Watch, Queue.Handler: the informers a controller reads,
//     the handlers of their events, and the HasSynced its queue waits
//     for; Handler queues the key of every object added, updated or
//     deleted.
//   - Key, Unwrap: an informer object's key and the object itself, through
//     the tombstone of a deletion the watch missed.
//   - UpdateStatus: a status write through /status, one conflict retried
//     on a fresh read.
//   - expectations: the creations and deletions in flight, so that a
//     sync on a cache that lags behind its own writes does not act twice.
//   - ownerref: controllerRefs (controller=true, blockOwnerDeletion=true),
//     resolving an object's controller through a lister, and claiming
//     (adopt matching orphans, release what no longer matches).
//   - pods: pod states as upstream counts them (active, ready, available
//     after minReadySeconds), the scale-down order, and Control, which
//     creates and deletes pods with the SuccessfulCreate/SuccessfulDelete
//     (FailedCreate/FailedDelete) events.
//
// # Adding a controller
//
// A controller lives in controlplane/controller/<name>/ (the ReplicaSet
// controller, controlplane/controller/replicaset, is the model):
//
//   - controller.go, the wiring. New(d *controller.Deps) takes the listers
//     it reads from d.Informers (ask for them in New: the factory starts
//     only the informers asked for before Run), registers event handlers
//     that only compute keys and Add them to its Queue (the key of the
//     object itself, queue.Handler(controller.Key), or of its controller
//     found by ownerref.ResolveKey), and keeps the HasSynced that Register
//     returns. Its Run(ctx, workers) is queue.Run(ctx, workers, synced...).
//   - sync.go, the decision: sync(ctx, key) reads the object and what it
//     owns from the listers (never the API), compares desired with
//     current, writes the difference through small interfaces declared
//     in the package (so tests can fake them), and the status last
//     through the /status subresource, with status.observedGeneration =
//     metadata.generation. A sync must be idempotent: it runs again after
//     any error, and again whenever anything it watches changes. An
//     object gone from the lister is not an error (forget its
//     expectations). To look again later (minReadySeconds, a deadline),
//     queue.AddAfter.
//   - sync_test.go: table tests of sync over listers filled by hand
//     (cache.NewIndexer + the typed lister) and a fake of the writes, one
//     row per decision.
//   - Events: d.Recorder("<name>-controller"), with upstream's reasons and
//     messages (kubectl describe shows them).
//
// Then list it in runControllers (cmd/skiff/controllers.go) with its
// number of workers. Objects a controller creates carry its controllerRef,
// so the garbage collector deletes them with it (or orphans them, as the
// delete asks).
package controller
