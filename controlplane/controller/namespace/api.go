package namespace

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/skiffrt/skiff/controlplane/controller"
)

// api is what the controller asks of the API server.
type api interface {
	// resources are the namespaced kinds to empty.
	resources() ([]controller.Resource, error)
	deleteCollection(ctx context.Context, r controller.Resource, ns string) error
	list(ctx context.Context, r controller.Resource, ns string) ([]metav1.PartialObjectMetadata, error)
	updateStatus(ctx context.Context, ns *corev1.Namespace) (*corev1.Namespace, error)
	finalize(ctx context.Context, ns *corev1.Namespace) (*corev1.Namespace, error)
}

type clientAPI struct {
	client kubernetes.Interface
	md     metadata.Interface
}

func (a clientAPI) resources() ([]controller.Resource, error) {
	all, err := controller.Resources(a.client.Discovery(), "list", "deletecollection")
	var out []controller.Resource
	for _, r := range all {
		if r.Namespaced {
			out = append(out, r)
		}
	}
	return out, err
}

func (a clientAPI) deleteCollection(ctx context.Context, r controller.Resource, ns string) error {
	background := metav1.DeletePropagationBackground
	return a.md.Resource(r.GroupVersionResource).Namespace(ns).DeleteCollection(ctx,
		metav1.DeleteOptions{PropagationPolicy: &background}, metav1.ListOptions{})
}

func (a clientAPI) list(ctx context.Context, r controller.Resource, ns string) ([]metav1.PartialObjectMetadata, error) {
	l, err := a.md.Resource(r.GroupVersionResource).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (a clientAPI) updateStatus(ctx context.Context, ns *corev1.Namespace) (*corev1.Namespace, error) {
	return a.client.CoreV1().Namespaces().UpdateStatus(ctx, ns, metav1.UpdateOptions{})
}

func (a clientAPI) finalize(ctx context.Context, ns *corev1.Namespace) (*corev1.Namespace, error) {
	return a.client.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
}
