package cronjob

import (
	"context"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

// Name is the controller's name, and the source of its events.
const Name = "cronjob-controller"

var kind = batchv1.SchemeGroupVersion.WithKind("CronJob")

// Controller is the CronJob controller; see the package documentation.
type Controller struct {
	cronJobs batchlisters.CronJobLister
	jobs     cache.Indexer // with ownerref.Index
	api      api
	events   recorder
	queue    *controller.Queue[string]
	synced   []cache.InformerSynced
	now      func() time.Time
}

// New returns the controller, reading CronJobs and Jobs from d's
// informers.
func New(d *controller.Deps) (*Controller, error) {
	cjInformer, jobInformer := d.Informers.Batch().V1().CronJobs(), d.Informers.Batch().V1().Jobs()
	if err := ownerref.AddIndex(jobInformer.Informer()); err != nil {
		return nil, err
	}
	c := newController(cjInformer.Lister(), jobInformer.Informer().GetIndexer(), clientAPI{d.Client}, d.Recorder(Name))
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: cjInformer.Informer(), Handler: c.queue.Handler(controller.Key)},
		controller.Watch{Informer: jobInformer.Informer(), Handler: c.queue.Handler(c.cronJobOf)},
	)
	return c, err
}

func newController(cronJobs batchlisters.CronJobLister, jobs cache.Indexer, a api, r recorder) *Controller {
	c := &Controller{cronJobs: cronJobs, jobs: jobs, api: a, events: r, now: time.Now}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run syncs CronJobs with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

// cronJobOf returns the key of the CronJob of a Job that came, changed
// or went, if it exists.
func (c *Controller) cronJobOf(obj any) (string, bool) {
	j, ok := controller.Unwrap[*batchv1.Job](obj)
	if !ok {
		return "", false
	}
	return ownerref.ResolveKey(metav1.GetControllerOfNoCopy(j), kind.Kind, c.cronJobs.CronJobs(j.Namespace).Get)
}
