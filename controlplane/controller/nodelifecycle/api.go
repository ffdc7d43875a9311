package nodelifecycle

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// api is what the controller writes through the API server.
type api interface {
	updateNodeStatus(ctx context.Context, n *corev1.Node) (*corev1.Node, error)
	updateNode(ctx context.Context, n *corev1.Node) (*corev1.Node, error)
	updatePodStatus(ctx context.Context, p *corev1.Pod) error
	deletePod(ctx context.Context, p *corev1.Pod) error
}

type clientAPI struct{ client kubernetes.Interface }

func (a clientAPI) updateNodeStatus(ctx context.Context, n *corev1.Node) (*corev1.Node, error) {
	return a.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
}

func (a clientAPI) updateNode(ctx context.Context, n *corev1.Node) (*corev1.Node, error) {
	return a.client.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
}

func (a clientAPI) updatePodStatus(ctx context.Context, p *corev1.Pod) error {
	_, err := a.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// deletePod deletes p as it is (its UID as precondition, so that a pod
// created again under the name is left alone).
func (a clientAPI) deletePod(ctx context.Context, p *corev1.Pod) error {
	return a.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(p.UID))})
}
