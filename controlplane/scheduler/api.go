package scheduler

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// writer is what the scheduler changes through the API server.
type writer interface {
	// bind assigns the pod to the node (the pods/binding subresource).
	bind(ctx context.Context, pod *corev1.Pod, node string) error
	// setScheduledCondition sets the PodScheduled condition of a pod that
	// is still unbound; a pod bound meanwhile is left alone.
	setScheduledCondition(ctx context.Context, pod *corev1.Pod, cond corev1.PodCondition) error
}

// apiWriter is the writer over client-go.
type apiWriter struct{ client kubernetes.Interface }

func (w apiWriter) bind(ctx context.Context, pod *corev1.Pod, node string) error {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}
	return w.client.CoreV1().Pods(pod.Namespace).Bind(ctx, b, metav1.CreateOptions{})
}

// setScheduledCondition reads the pod and writes its status back with the
// condition, conditioned on the version read, so that it never lands on a
// pod bound in between.
func (w apiWriter) setScheduledCondition(ctx context.Context, pod *corev1.Pod, cond corev1.PodCondition) error {
	pods := w.client.CoreV1().Pods(pod.Namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != pod.UID || cur.Spec.NodeName != "" || !setCondition(&cur.Status, cond) {
			return nil
		}
		_, err = pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

// setCondition puts c into st, keeping the transition time when the
// status does not change; it tells whether anything changed.
func setCondition(st *corev1.PodStatus, c corev1.PodCondition) bool {
	for i := range st.Conditions {
		old := &st.Conditions[i]
		if old.Type != c.Type {
			continue
		}
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return false
		}
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		*old = c
		return true
	}
	st.Conditions = append(st.Conditions, c)
	return true
}
