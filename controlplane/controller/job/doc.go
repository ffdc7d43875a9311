// Package job is the Job controller: it runs a Job's pods until enough
// of them succeed, or the Job fails, as upstream's does.
//
//   - Pods: created from the template (generateName "<job>-") with the
//     Job's controllerRef and the batch.kubernetes.io/job-tracking
//     finalizer, up to parallelism at once and no more than the
//     completions still missing. Matching orphans are adopted.
//   - Indexed Jobs (completionMode Indexed): each pod has an index below
//     completions (annotation and label
//     batch.kubernetes.io/job-completion-index, $JOB_COMPLETION_INDEX,
//     hostname "<job>-<index>"); the lowest indexes neither succeeded nor
//     running get pods; status.completedIndexes lists the succeeded ones,
//     and the Job is Complete once all are.
//   - Counting: a finished pod (Succeeded, Failed, or deleted before it
//     finished) is first written to status.uncountedTerminatedPods, then
//     its finalizer is removed, then it moves to status.succeeded or
//     status.failed. So a pod is counted exactly once, even when it is
//     deleted right after it finished or the controller dies in between.
//   - Back-off: after a failure new pods wait 10 s, doubling with each
//     failure since the last success, at most 6 min.
//   - The end: Complete once completions pods succeeded (with no
//     completions: once one succeeded and none is running); Failed with
//     BackoffLimitExceeded once more pods failed than backoffLimit (or,
//     with restartPolicy OnFailure, its containers restarted that often),
//     or DeadlineExceeded once it ran activeDeadlineSeconds. A failed Job's
//     running pods are deleted.
//   - suspend deletes the running pods and sets the Suspended condition;
//     resuming restarts the clock of activeDeadlineSeconds.
//   - ttlSecondsAfterFinished: a finished Job is deleted (with its pods,
//     foreground) that long after it finished.
//   - Status (through /status): active, ready, succeeded, failed,
//     uncountedTerminatedPods, startTime, completionTime, conditions.
//
// Events from "job-controller": SuccessfulCreate, SuccessfulDelete,
// FailedCreate, FailedDelete, Completed, BackoffLimitExceeded,
// DeadlineExceeded, Suspended, Resumed.
package job
