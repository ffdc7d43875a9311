package cronjob

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// api is what the controller writes, and reads past the cache.
type api interface {
	updateStatus(ctx context.Context, cj *batchv1.CronJob) (*batchv1.CronJob, error)
	getCronJob(ctx context.Context, ns, name string) (*batchv1.CronJob, error)
	createJob(ctx context.Context, j *batchv1.Job) (*batchv1.Job, error)
	getJob(ctx context.Context, ns, name string) (*batchv1.Job, error)
	// deleteJob deletes a Job and, in the background, its pods.
	deleteJob(ctx context.Context, ns, name string) error
}

type recorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

type clientAPI struct{ client kubernetes.Interface }

func (a clientAPI) updateStatus(ctx context.Context, cj *batchv1.CronJob) (*batchv1.CronJob, error) {
	return a.client.BatchV1().CronJobs(cj.Namespace).UpdateStatus(ctx, cj, metav1.UpdateOptions{})
}

func (a clientAPI) getCronJob(ctx context.Context, ns, name string) (*batchv1.CronJob, error) {
	return a.client.BatchV1().CronJobs(ns).Get(ctx, name, metav1.GetOptions{})
}

func (a clientAPI) createJob(ctx context.Context, j *batchv1.Job) (*batchv1.Job, error) {
	return a.client.BatchV1().Jobs(j.Namespace).Create(ctx, j, metav1.CreateOptions{})
}

func (a clientAPI) getJob(ctx context.Context, ns, name string) (*batchv1.Job, error) {
	return a.client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
}

func (a clientAPI) deleteJob(ctx context.Context, ns, name string) error {
	bg := metav1.DeletePropagationBackground
	return a.client.BatchV1().Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
}
