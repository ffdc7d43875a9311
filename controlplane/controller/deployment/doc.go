// Package deployment is the Deployment controller: it rolls a
// Deployment's pod template out through ReplicaSets, as upstream's, so
// that kubectl rollout status, history, undo, pause, resume and restart
// work unchanged.
//
//   - One ReplicaSet per template, named <deployment>-<pod-template-hash>;
//     the hash is upstream's (FNV over the template and
//     status.collisionCount), and the template and selector of the
//     ReplicaSet carry it as the pod-template-hash label. The ReplicaSet
//     whose template is the Deployment's is the new one, the others old.
//   - Revisions: the new ReplicaSet gets deployment.kubernetes.io/revision
//     = highest old revision + 1 (an old template brought back by
//     kubectl rollout undo becomes the newest revision, its earlier ones
//     listed in revision-history), and the Deployment the same annotation.
//     desired-replicas and max-replicas record the sizes each ReplicaSet
//     was scaled for.
//   - RollingUpdate: the new ReplicaSet grows while all pods stay within
//     replicas+maxSurge; old ones shrink (unavailable pods first) while
//     available pods stay at least replicas-maxUnavailable. Percentages
//     round up for maxSurge, down for maxUnavailable; both zero means
//     maxUnavailable 1. Recreate: old ReplicaSets go to zero, and the new
//     one starts once their pods are gone.
//   - Scaling during a rollout spreads the change over the active
//     ReplicaSets in proportion to their sizes. A paused Deployment is
//     scaled but not rolled out.
//   - Status (through /status): observedGeneration, replicas,
//     updatedReplicas, readyReplicas, availableReplicas,
//     unavailableReplicas, terminatingReplicas, collisionCount; the
//     Available condition (MinimumReplicasAvailable) and Progressing
//     (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated,
//     NewReplicaSetAvailable, DeploymentPaused, DeploymentResumed, False
//     with ProgressDeadlineExceeded when nothing moved for
//     progressDeadlineSeconds).
//   - Old ReplicaSets beyond revisionHistoryLimit are deleted once scaled
//     to zero.
//
// Events: ScalingReplicaSet ("Scaled up replica set web-5d4f from 0 to
// 2"), ReplicaSetCreateError, SelectingAll, from "deployment-controller".
// The deprecated rollback annotation (extensions/v1beta1 rollbackTo) is
// not served: kubectl undoes a rollout by patching the template.
package deployment
