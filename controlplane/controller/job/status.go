package job

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Event reasons and messages, as upstream's.
const (
	reasonCompleted     = "Completed"
	reasonBackoffLimit  = "BackoffLimitExceeded"
	reasonDeadline      = "DeadlineExceeded"
	reasonSuspended     = "Suspended"
	reasonResumed       = "Resumed"
	messageCompleted    = "Job completed"
	messageBackoffLimit = "Job has reached the specified backoff limit"
	messageDeadline     = "Job was active longer than specified deadline"
)

func condition(st *batchv1.JobStatus, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

func isTrue(st *batchv1.JobStatus, t batchv1.JobConditionType) bool {
	c := condition(st, t)
	return c != nil && c.Status == corev1.ConditionTrue
}

// setCondition sets the condition t of st; it reports whether its status
// changed.
func setCondition(st *batchv1.JobStatus, t batchv1.JobConditionType, status corev1.ConditionStatus, reason, message string, now time.Time) bool {
	at := metav1.NewTime(now)
	c := condition(st, t)
	if c == nil {
		st.Conditions = append(st.Conditions, batchv1.JobCondition{Type: t, Status: status, Reason: reason, Message: message,
			LastProbeTime: at, LastTransitionTime: at})
		return true
	}
	changed := c.Status != status
	if changed {
		c.LastTransitionTime = at
	}
	c.Status, c.Reason, c.Message, c.LastProbeTime = status, reason, message, at
	return changed
}

func finishedStatus(st *batchv1.JobStatus) bool {
	return isTrue(st, batchv1.JobComplete) || isTrue(st, batchv1.JobFailed)
}

// finishedJob: the Job is Complete or Failed.
func finishedJob(j *batchv1.Job) bool { return finishedStatus(&j.Status) }

// finishTimeOf is when the Job finished: its completionTime, or when it
// became Failed.
func finishTimeOf(j *batchv1.Job) time.Time {
	if j.Status.CompletionTime != nil {
		return j.Status.CompletionTime.Time
	}
	for _, t := range []batchv1.JobConditionType{batchv1.JobComplete, batchv1.JobFailed} {
		if c := condition(&j.Status, t); c != nil && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return j.CreationTimestamp.Time
}
