package job

import (
	"context"
	"reflect"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/expectations"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// Name is the controller's name, and the source of its events.
const Name = "job-controller"

// podKeyPrefix marks the queue keys of pods whose tracking finalizer
// may have to go because their Job is gone ("pod:<ns>/<name>").
const podKeyPrefix = "pod:"

var kind = batchv1.SchemeGroupVersion.WithKind("Job")

// Options tune the controller; the zero value is upstream's behaviour.
type Options struct {
	// BackoffBase is the delay of new pods after the first failure (10 s),
	// doubled with every further failure up to BackoffMax (6 min).
	BackoffBase, BackoffMax time.Duration
}

// Controller is the Job controller; see the package documentation.
type Controller struct {
	jobs    batchlisters.JobLister
	pods    cache.Indexer // with ownerref.Index
	api     api
	podAPI  podAPI
	events  recorder
	expect  *expectations.Expectations
	backoff *backoffs
	// uncounting holds the pods whose finalizer was removed after they
	// were counted, until the informer sees that: a stale cache must not
	// count them again.
	uncounting *uidSet
	queue      *controller.Queue[string]
	synced     []cache.InformerSynced
	now        func() time.Time
}

// New returns the controller, reading Jobs and pods from d's informers.
func New(d *controller.Deps, opts Options) (*Controller, error) {
	jobInformer, podInformer := d.Informers.Batch().V1().Jobs(), d.Informers.Core().V1().Pods()
	if err := ownerref.AddIndex(podInformer.Informer()); err != nil {
		return nil, err
	}
	rec := d.Recorder(Name)
	c := newController(jobInformer.Lister(), podInformer.Informer().GetIndexer(), clientAPI{d.Client},
		pods.Control{Client: d.Client, Recorder: rec}, rec, opts)
	var err error
	c.synced, err = controller.Register(
		controller.Watch{Informer: jobInformer.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueue, UpdateFunc: c.updateJob, DeleteFunc: c.deleteJob,
		}},
		controller.Watch{Informer: podInformer.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.addPod, UpdateFunc: c.updatePod, DeleteFunc: c.deletePod,
		}},
	)
	return c, err
}

func newController(jobs batchlisters.JobLister, podIndexer cache.Indexer, a api, p podAPI, r recorder, opts Options) *Controller {
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = 10 * time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 6 * time.Minute
	}
	c := &Controller{jobs: jobs, pods: podIndexer, api: a, podAPI: p, events: r,
		expect: expectations.New(), backoff: newBackoffs(opts.BackoffBase, opts.BackoffMax),
		uncounting: newUIDSet(), now: time.Now}
	c.queue = controller.NewQueue(Name, c.sync)
	return c
}

// Run syncs Jobs with workers workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) { c.queue.Run(ctx, workers, c.synced...) }

func (c *Controller) enqueue(obj any) {
	if key, ok := controller.Key(obj); ok {
		c.queue.Add(key)
	}
}

func (c *Controller) updateJob(old, cur any) {
	o, j := old.(*batchv1.Job), cur.(*batchv1.Job)
	if o.UID != j.UID {
		c.deleteJob(o)
	}
	c.enqueue(cur)
}

func (c *Controller) deleteJob(obj any) {
	if key, ok := controller.Key(obj); ok {
		c.expect.Forget(key)
		c.backoff.forget(key)
		c.queue.Add(key)
	}
}

// jobOf returns the key of the Job that controls p, if it exists.
func (c *Controller) jobOf(p *corev1.Pod) (string, bool) {
	return ownerref.ResolveKey(metav1.GetControllerOfNoCopy(p), kind.Kind, c.jobs.Jobs(p.Namespace).Get)
}

func (c *Controller) addPod(obj any) {
	p := obj.(*corev1.Pod)
	if p.DeletionTimestamp != nil {
		c.deletePod(p)
		return
	}
	key, ok := c.jobOf(p)
	switch {
	case ok:
		c.expect.CreationObserved(key)
		c.queue.Add(key)
	case metav1.GetControllerOfNoCopy(p) == nil:
		c.enqueueMatching(p)
	default:
		c.orphaned(p)
	}
}

func (c *Controller) updatePod(old, cur any) {
	o, p := old.(*corev1.Pod), cur.(*corev1.Pod)
	if o.ResourceVersion == p.ResourceVersion {
		return
	}
	if !hasFinalizer(p) {
		c.uncounting.remove(p.UID)
	}
	if p.DeletionTimestamp != nil && o.DeletionTimestamp == nil {
		if key, ok := c.jobOf(p); ok {
			c.expect.DeletionObserved(key, podKey(p))
		}
	}
	if oldRef, ref := metav1.GetControllerOfNoCopy(o), metav1.GetControllerOfNoCopy(p); !reflect.DeepEqual(oldRef, ref) && oldRef != nil {
		if key, ok := c.jobOf(o); ok {
			c.queue.Add(key)
		}
	}
	key, ok := c.jobOf(p)
	switch {
	case ok:
		c.queue.Add(key)
	case metav1.GetControllerOfNoCopy(p) == nil:
		if !reflect.DeepEqual(o.Labels, p.Labels) {
			c.enqueueMatching(p)
		}
		c.orphaned(p)
	default:
		c.orphaned(p)
	}
}

func (c *Controller) deletePod(obj any) {
	p, ok := controller.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	if _, gone := obj.(cache.DeletedFinalStateUnknown); gone || p.DeletionTimestamp == nil || !hasFinalizer(p) {
		c.uncounting.remove(p.UID)
	}
	if key, ok := c.jobOf(p); ok {
		c.expect.DeletionObserved(key, podKey(p))
		c.queue.Add(key)
	}
}

// orphaned queues a pod that still carries the tracking finalizer but
// whose Job is gone: nobody else will remove it.
func (c *Controller) orphaned(p *corev1.Pod) {
	if hasFinalizer(p) {
		c.queue.Add(podKeyPrefix + podKey(p))
	}
}

// enqueueMatching queues the Jobs whose selector matches an orphan.
func (c *Controller) enqueueMatching(p *corev1.Pod) {
	jobs, err := c.jobs.GetPodJobs(p)
	if err != nil {
		return
	}
	for _, j := range jobs {
		c.queue.Add(j.Namespace + "/" + j.Name)
	}
}

func podKey(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

func hasFinalizer(p *corev1.Pod) bool {
	return slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer)
}
