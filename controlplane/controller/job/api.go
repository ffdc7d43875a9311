package job

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// api is what the controller reads and writes of Jobs through the API
// server (not the cache).
type api interface {
	get(ctx context.Context, ns, name string) (*batchv1.Job, error)
	updateStatus(ctx context.Context, j *batchv1.Job) (*batchv1.Job, error)
	// delete deletes the Job and, in the foreground, its pods; only the
	// Job of that uid.
	delete(ctx context.Context, j *batchv1.Job) error
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

func (a clientAPI) get(ctx context.Context, ns, name string) (*batchv1.Job, error) {
	return a.client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
}

func (a clientAPI) updateStatus(ctx context.Context, j *batchv1.Job) (*batchv1.Job, error) {
	return a.client.BatchV1().Jobs(j.Namespace).UpdateStatus(ctx, j, metav1.UpdateOptions{})
}

func (a clientAPI) delete(ctx context.Context, j *batchv1.Job) error {
	fg := metav1.DeletePropagationForeground
	return a.client.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{
		PropagationPolicy: &fg, Preconditions: &metav1.Preconditions{UID: &j.UID},
	})
}
