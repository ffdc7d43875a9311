package endpoints

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// api writes Endpoints through the API server.
type api interface {
	create(ctx context.Context, e *corev1.Endpoints) error
	update(ctx context.Context, e *corev1.Endpoints) error
	delete(ctx context.Context, ns, name string) error
}

type clientAPI struct{ client kubernetes.Interface }

func (a clientAPI) create(ctx context.Context, e *corev1.Endpoints) error {
	_, err := a.client.CoreV1().Endpoints(e.Namespace).Create(ctx, e, metav1.CreateOptions{})
	return err
}

func (a clientAPI) update(ctx context.Context, e *corev1.Endpoints) error {
	_, err := a.client.CoreV1().Endpoints(e.Namespace).Update(ctx, e, metav1.UpdateOptions{})
	return err
}

func (a clientAPI) delete(ctx context.Context, ns, name string) error {
	return a.client.CoreV1().Endpoints(ns).Delete(ctx, name, metav1.DeleteOptions{})
}
