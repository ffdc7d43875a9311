package nodeipam

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// api is what the controller writes through the API server.
type api interface {
	// update writes node, with its resourceVersion as precondition.
	update(ctx context.Context, node *corev1.Node) (*corev1.Node, error)
}

type clientAPI struct{ client kubernetes.Interface }

func (a clientAPI) update(ctx context.Context, node *corev1.Node) (*corev1.Node, error) {
	return a.client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{})
}
