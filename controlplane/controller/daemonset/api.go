package daemonset

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// api is what the controller reads and writes of DaemonSets through the
// API server (not the cache).
type api interface {
	get(ctx context.Context, ns, name string) (*appsv1.DaemonSet, error)
	updateStatus(ctx context.Context, ds *appsv1.DaemonSet) (*appsv1.DaemonSet, error)
}

// podAPI writes pods (pods.Control).
type podAPI interface {
	Create(ctx context.Context, template *corev1.PodTemplateSpec, owner pods.Owner, ref metav1.OwnerReference) (*corev1.Pod, error)
	Delete(ctx context.Context, owner pods.Owner, name string) error
	Patch(ctx context.Context, ns, name string, patch []byte) error
}

type recorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

type clientAPI struct{ client kubernetes.Interface }

func (a clientAPI) get(ctx context.Context, ns, name string) (*appsv1.DaemonSet, error) {
	return a.client.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
}

func (a clientAPI) updateStatus(ctx context.Context, ds *appsv1.DaemonSet) (*appsv1.DaemonSet, error) {
	return a.client.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, ds, metav1.UpdateOptions{})
}
