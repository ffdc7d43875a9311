package volumebinder

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// api is what the binder writes, through the API server.
type api interface {
	createVolume(ctx context.Context, v *corev1.PersistentVolume) (*corev1.PersistentVolume, error)
	getVolume(ctx context.Context, name string) (*corev1.PersistentVolume, error)
	updateVolumeStatus(ctx context.Context, v *corev1.PersistentVolume) (*corev1.PersistentVolume, error)
	deleteVolume(ctx context.Context, v *corev1.PersistentVolume) error
	updateClaim(ctx context.Context, c *corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, error)
	updateClaimStatus(ctx context.Context, c *corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, error)
}

type clientAPI struct{ client kubernetes.Interface }

func (a clientAPI) createVolume(ctx context.Context, v *corev1.PersistentVolume) (*corev1.PersistentVolume, error) {
	return a.client.CoreV1().PersistentVolumes().Create(ctx, v, metav1.CreateOptions{})
}

func (a clientAPI) getVolume(ctx context.Context, name string) (*corev1.PersistentVolume, error) {
	return a.client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
}

func (a clientAPI) updateVolumeStatus(ctx context.Context, v *corev1.PersistentVolume) (*corev1.PersistentVolume, error) {
	return a.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, v, metav1.UpdateOptions{})
}

func (a clientAPI) deleteVolume(ctx context.Context, v *corev1.PersistentVolume) error {
	return a.client.CoreV1().PersistentVolumes().Delete(ctx, v.Name,
		metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &v.UID}})
}

func (a clientAPI) updateClaim(ctx context.Context, c *corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, error) {
	return a.client.CoreV1().PersistentVolumeClaims(c.Namespace).Update(ctx, c, metav1.UpdateOptions{})
}

func (a clientAPI) updateClaimStatus(ctx context.Context, c *corev1.PersistentVolumeClaim) (*corev1.PersistentVolumeClaim, error) {
	return a.client.CoreV1().PersistentVolumeClaims(c.Namespace).UpdateStatus(ctx, c, metav1.UpdateOptions{})
}
