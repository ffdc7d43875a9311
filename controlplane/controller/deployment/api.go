package deployment

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// api is what the controller writes (and reads fresh) through the API
// server.
type api interface {
	getDeployment(ctx context.Context, ns, name string) (*appsv1.Deployment, error)
	updateDeploymentStatus(ctx context.Context, d *appsv1.Deployment) (*appsv1.Deployment, error)
	createReplicaSet(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error)
	updateReplicaSet(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error)
	patchReplicaSet(ctx context.Context, ns, name string, patch []byte) error
	deleteReplicaSet(ctx context.Context, rs *appsv1.ReplicaSet) error
}

// recorder records events (client-go's record.EventRecorder).
type recorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

type clientAPI struct{ client kubernetes.Interface }

func (a clientAPI) getDeployment(ctx context.Context, ns, name string) (*appsv1.Deployment, error) {
	return a.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
}

func (a clientAPI) updateDeploymentStatus(ctx context.Context, d *appsv1.Deployment) (*appsv1.Deployment, error) {
	return a.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
}

func (a clientAPI) createReplicaSet(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	return a.client.AppsV1().ReplicaSets(rs.Namespace).Create(ctx, rs, metav1.CreateOptions{})
}

func (a clientAPI) updateReplicaSet(ctx context.Context, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	return a.client.AppsV1().ReplicaSets(rs.Namespace).Update(ctx, rs, metav1.UpdateOptions{})
}

func (a clientAPI) patchReplicaSet(ctx context.Context, ns, name string, patch []byte) error {
	_, err := a.client.AppsV1().ReplicaSets(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	return err
}

// deleteReplicaSet deletes rs if it is still the one read (uid and
// version), so that a ReplicaSet scaled up meanwhile stays.
func (a clientAPI) deleteReplicaSet(ctx context.Context, rs *appsv1.ReplicaSet) error {
	return a.client.AppsV1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &rs.UID, ResourceVersion: &rs.ResourceVersion},
	})
}
