package statefulset

import (
	"context"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// setAPI reads and writes StatefulSets through the API server (not the
// cache).
type setAPI interface {
	get(ctx context.Context, ns, name string) (*appsv1.StatefulSet, error)
	updateStatus(ctx context.Context, set *appsv1.StatefulSet) (*appsv1.StatefulSet, error)
}

// podAPI writes a set's pods and claims, recording an event on the set
// for each create and delete, as upstream's.
type podAPI interface {
	createPod(ctx context.Context, set *appsv1.StatefulSet, p *corev1.Pod) error
	deletePod(ctx context.Context, set *appsv1.StatefulSet, p *corev1.Pod) error
	// patchPod applies a strategic merge patch (adoption, release,
	// identity labels).
	patchPod(ctx context.Context, ns, name string, patch []byte) error
	createClaim(ctx context.Context, set *appsv1.StatefulSet, p *corev1.Pod, c *corev1.PersistentVolumeClaim) error
	patchClaim(ctx context.Context, ns, name string, patch []byte) error
}

type clientSets struct{ client kubernetes.Interface }

func (a clientSets) get(ctx context.Context, ns, name string) (*appsv1.StatefulSet, error) {
	return a.client.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
}

func (a clientSets) updateStatus(ctx context.Context, set *appsv1.StatefulSet) (*appsv1.StatefulSet, error) {
	return a.client.AppsV1().StatefulSets(set.Namespace).UpdateStatus(ctx, set, metav1.UpdateOptions{})
}

type clientPods struct {
	client   kubernetes.Interface
	recorder pods.Recorder
}

func (a clientPods) createPod(ctx context.Context, set *appsv1.StatefulSet, p *corev1.Pod) error {
	_, err := a.client.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		a.event(set, "create", "Pod "+p.Name, err)
	}
	return err
}

func (a clientPods) deletePod(ctx context.Context, set *appsv1.StatefulSet, p *corev1.Pod) error {
	err := a.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name,
		metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
	if !apierrors.IsNotFound(err) {
		a.event(set, "delete", "Pod "+p.Name, err)
	}
	return err
}

func (a clientPods) patchPod(ctx context.Context, ns, name string, patch []byte) error {
	_, err := a.client.CoreV1().Pods(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

func (a clientPods) createClaim(ctx context.Context, set *appsv1.StatefulSet, p *corev1.Pod, c *corev1.PersistentVolumeClaim) error {
	_, err := a.client.CoreV1().PersistentVolumeClaims(c.Namespace).Create(ctx, c, metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
	case err != nil:
		a.recorder.Eventf(set, corev1.EventTypeWarning, pods.FailedCreate,
			"create Claim %s for Pod %s in StatefulSet %s failed error: %s", c.Name, p.Name, set.Name, err)
	default:
		a.recorder.Eventf(set, corev1.EventTypeNormal, pods.SuccessfulCreate,
			"create Claim %s Pod %s in StatefulSet %s success", c.Name, p.Name, set.Name)
	}
	return err
}

func (a clientPods) patchClaim(ctx context.Context, ns, name string, patch []byte) error {
	_, err := a.client.CoreV1().PersistentVolumeClaims(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

// event records upstream's event for a pod write: "create Pod web-0 in
// StatefulSet web successful", or a warning with the error.
func (a clientPods) event(set *appsv1.StatefulSet, verb, what string, err error) {
	reason := "Successful" + strings.ToUpper(verb[:1]) + verb[1:]
	if err != nil {
		reason = "Failed" + strings.ToUpper(verb[:1]) + verb[1:]
		a.recorder.Eventf(set, corev1.EventTypeWarning, reason, "%s %s in StatefulSet %s failed error: %s", verb, what, set.Name, err)
		return
	}
	a.recorder.Eventf(set, corev1.EventTypeNormal, reason, "%s %s in StatefulSet %s successful", verb, what, set.Name)
}
