package pods

import (
	"context"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Event reasons of a controller's pod writes, as upstream's.
const (
	SuccessfulCreate = "SuccessfulCreate"
	FailedCreate     = "FailedCreate"
	SuccessfulDelete = "SuccessfulDelete"
	FailedDelete     = "FailedDelete"
)

// Recorder records an event about an object (client-go's
// record.EventRecorder).
type Recorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

// Owner is the object a controller's pods belong to.
type Owner interface {
	metav1.Object
	runtime.Object
}

// Control writes a controller's pods through the API and records an
// event on the controller for each write.
type Control struct {
	Client   kubernetes.Interface
	Recorder Recorder
}

// Create creates a pod from template for owner, controlled by ref, named
// after the owner by the API server (generateName "<owner>-").
func (c Control) Create(ctx context.Context, template *corev1.PodTemplateSpec, owner Owner, ref metav1.OwnerReference) (*corev1.Pod, error) {
	pod := FromTemplate(template, owner, ref)
	created, err := c.Client.CoreV1().Pods(owner.GetNamespace()).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			c.Recorder.Eventf(owner, corev1.EventTypeWarning, FailedCreate, "Error creating: %v", err)
		}
		return nil, err
	}
	c.Recorder.Eventf(owner, corev1.EventTypeNormal, SuccessfulCreate, "Created pod: %v", created.Name)
	return created, nil
}

// Delete deletes the pod ns/name of owner; a pod already gone is an
// IsNotFound error and no event.
func (c Control) Delete(ctx context.Context, owner Owner, name string) error {
	err := c.Client.CoreV1().Pods(owner.GetNamespace()).Delete(ctx, name, metav1.DeleteOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return err
	case err != nil:
		c.Recorder.Eventf(owner, corev1.EventTypeWarning, FailedDelete, "Error deleting: %v", err)
		return err
	}
	c.Recorder.Eventf(owner, corev1.EventTypeNormal, SuccessfulDelete, "Deleted pod: %v", name)
	return nil
}

// Patch applies a strategic merge patch to the pod ns/name (adoption,
// release).
func (c Control) Patch(ctx context.Context, ns, name string, patch []byte) error {
	_, err := c.Client.CoreV1().Pods(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

// FromTemplate is the pod a controller creates from template: its
// labels, annotations, finalizers and spec, the controllerRef, and the
// name prefix "<owner>-" (the owner's name alone when that prefix is not
// a valid pod name).
func FromTemplate(template *corev1.PodTemplateSpec, owner metav1.Object, ref metav1.OwnerReference) *corev1.Pod {
	prefix := owner.GetName() + "-"
	if len(validation.NameIsDNSSubdomain(prefix, true)) != 0 {
		prefix = owner.GetName()
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    prefix,
			Namespace:       owner.GetNamespace(),
			Labels:          maps.Clone(template.Labels),
			Annotations:     maps.Clone(template.Annotations),
			Finalizers:      slices.Clone(template.Finalizers),
			OwnerReferences: []metav1.OwnerReference{ref},
		},
		Spec: *template.Spec.DeepCopy(),
	}
}
