// Package statefulset is the StatefulSet controller: pods with stable
// names and storage, created, updated and removed in order, as
// upstream's.
//
//   - Identity: the pod of ordinal i (from spec.ordinals.start) is
//     "<set>-<i>", labelled statefulset.kubernetes.io/pod-name,
//     apps.kubernetes.io/pod-index and controller-revision-hash, with
//     hostname "<set>-<i>" and subdomain spec.serviceName, so that
//     "<pod>.<service>.<ns>.svc.cluster.local" names it.
//   - Storage: each volumeClaimTemplate gives the pod a claim
//     "<template>-<set>-<i>", created before the pod and kept when the
//     pod goes, so that the pod made again under the same name finds its
//     data. persistentVolumeClaimRetentionPolicy Delete hands the claims
//     to the garbage collector: owned by the set (whenDeleted) or by the
//     condemned pod (whenScaled).
//   - OrderedReady: pods are created one at a time in ascending order,
//     each once the ones before are Running and Ready (and available for
//     minReadySeconds), and removed one at a time in descending order.
//     Parallel creates and removes them all at once.
//   - Revisions: the pod template of every version is a ControllerRevision
//     (controller/history), so that kubectl rollout history and undo work.
//     status.currentRevision is what pods below the partition run,
//     status.updateRevision the newest; the rollout is complete, and the
//     update revision becomes current, once every pod runs it and is ready.
//   - RollingUpdate deletes the pods of ordinal >= partition that run an
//     older revision, highest first, at most maxUnavailable unavailable at
//     a time (1 by default); they come back at the update revision.
//     OnDelete leaves that to the user.
//
// The controller writes status (replicas, readyReplicas, currentReplicas,
// updatedReplicas, availableReplicas, currentRevision, updateRevision,
// collisionCount, observedGeneration) through /status, and records
// events as upstream's: SuccessfulCreate and SuccessfulDelete ("create Pod
// web-0 in StatefulSet web successful"), FailedCreate and FailedDelete,
// and SuccessfulCreate/FailedCreate for claims.
package statefulset
