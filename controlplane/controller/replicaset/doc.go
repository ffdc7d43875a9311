// Package replicaset is the ReplicaSet controller: it keeps
// spec.replicas active pods matching each ReplicaSet's selector, as
// upstream's does.
//
//   - Ownership: pods carry the ReplicaSet's controllerRef. Matching
//     orphans are adopted, owned pods whose labels no longer match are
//     released.
//   - Too few: pods are created from the template in slow-start batches
//     (1, 2, 4, …), at most 500 per sync; a failed create stops the
//     batches and the ReplicaFailure condition (FailedCreate) says why.
//   - Too many: the pods to delete are chosen in upstream's order
//     (unscheduled, pending, not ready, low pod-deletion-cost, on crowded
//     nodes, recently ready, restarted, newer first).
//   - Expectations: after creating or deleting, the controller waits until
//     its informer has seen the pods come and go (or five minutes) before
//     it counts again.
//   - Status (through /status): replicas (active pods),
//     fullyLabeledReplicas (pods carrying all the template's labels),
//     readyReplicas, availableReplicas (ready for minReadySeconds),
//     terminatingReplicas, observedGeneration, and the ReplicaFailure
//     condition. A ReplicaSet with minReadySeconds is looked at again
//     when its next pod becomes available.
//
// Every pod write is an event on the ReplicaSet (SuccessfulCreate,
// SuccessfulDelete, FailedCreate, FailedDelete) from
// "replicaset-controller".
package replicaset
