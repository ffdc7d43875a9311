// Package daemonset is the DaemonSet controller: one pod of each
// DaemonSet on every node that wants it, as upstream's.
//
//   - Which nodes: those whose labels match the template's nodeSelector
//     and required node affinity, and whose NoSchedule and NoExecute
//     taints the template tolerates together with the tolerations every
//     daemon pod gets (not-ready and unreachable NoExecute; disk-,
//     memory- and pid-pressure and unschedulable NoSchedule;
//     network-unavailable with hostNetwork). A pod stays on a node whose
//     new NoSchedule taint it does not tolerate, not on one whose
//     NoExecute taint it does not.
//   - Pods are bound to their node by required node affinity on
//     matchFields metadata.name, so that the scheduler places them;
//     extra pods on a node and failed pods are deleted.
//   - Revisions: every template is a ControllerRevision (package
//     history) whose data is the strategic merge patch
//     {"spec":{"template":…,"$patch":"replace"}}, numbered; pods carry
//     its controller-revision-hash. Going back to an older template
//     (kubectl rollout undo) renumbers its revision as the newest.
//     Revisions beyond revisionHistoryLimit that no pod uses are deleted.
//   - Updates: RollingUpdate replaces old pods while at most
//     maxUnavailable nodes lack an available pod, or, with maxSurge,
//     starts the new pod beside the old one and deletes the old one once
//     the new one is available; OnDelete only replaces pods deleted by
//     someone else.
//   - Status (through /status): desiredNumberScheduled,
//     currentNumberScheduled, numberMisscheduled, numberReady,
//     numberAvailable, numberUnavailable, updatedNumberScheduled,
//     observedGeneration, collisionCount.
//
// Events from "daemonset-controller": SuccessfulCreate, FailedCreate,
// SuccessfulDelete, FailedDelete, FailedDaemonPod.
package daemonset
