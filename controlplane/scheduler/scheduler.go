package scheduler

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiffrt/skiff/internal/log"
)

// Name is the scheduler's name: the schedulerName of the pods it
// schedules and the reporting controller of its events.
const Name = corev1.DefaultSchedulerName

// Back-off of a pod that comes back to the queue after a failure, and
// how long an unschedulable pod waits at most for a cluster change.
const (
	initialBackoff       = time.Second
	maxBackoff           = 10 * time.Second
	maxUnschedulableWait = 5 * time.Minute
)

// Scheduler binds pending pods to nodes; see the package documentation.
// Create it with New, then start the informer factory and call Run.
type Scheduler struct {
	pods    corelisters.PodLister
	nodes   corelisters.NodeLister
	synced  []cache.InformerSynced
	api     writer
	events  recorder
	queue   workqueue.TypedRateLimitingInterface[string] // pod keys, ns/name
	assumed *assumedPods
	rnd     *rand.Rand // used by the one worker only
	volumes volumeListers

	// mu guards the fields below.
	mu sync.Mutex
	// unschedulable are the pods that fit nowhere at their last try and
	// wait for a cluster change.
	unschedulable map[string]bool
	// changes counts the cluster changes so far, so that a change seen
	// while a pod was being tried sends it back at once.
	changes uint64
}

// New returns a scheduler that reads pods and nodes from factory's
// informers (start the factory after New), binds through client and
// reports with recorder.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory, recorder events.EventRecorder) (*Scheduler, error) {
	pods, nodes := factory.Core().V1().Pods(), factory.Core().V1().Nodes()
	claims, volumes := factory.Core().V1().PersistentVolumeClaims(), factory.Core().V1().PersistentVolumes()
	s := newScheduler(pods.Lister(), nodes.Lister(), apiWriter{client}, recorder)
	s.volumes = volumeListers{claims: claims.Lister(), volumes: volumes.Lister()}
	s.synced = []cache.InformerSynced{pods.Informer().HasSynced, nodes.Informer().HasSynced,
		claims.Informer().HasSynced, volumes.Informer().HasSynced}
	// A claim made or bound may let a waiting pod in.
	for _, inf := range []cache.SharedIndexInformer{claims.Informer(), volumes.Informer()} {
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(any) { s.clusterChanged() }, UpdateFunc: func(_, _ any) { s.clusterChanged() },
		}); err != nil {
			return nil, err
		}
	}
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: s.onPodAdd, UpdateFunc: s.onPodUpdate, DeleteFunc: s.onPodDelete,
	}); err != nil {
		return nil, err
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { s.clusterChanged() }, UpdateFunc: s.onNodeUpdate,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// recorder records events (client-go's events.EventRecorder).
type recorder interface {
	Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

func newScheduler(pods corelisters.PodLister, nodes corelisters.NodeLister, api writer, events recorder) *Scheduler {
	return &Scheduler{
		pods: pods, nodes: nodes, api: api, events: events,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](initialBackoff, maxBackoff),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "scheduler"}),
		assumed:       newAssumedPods(),
		rnd:           rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		unschedulable: map[string]bool{},
	}
}

// Run schedules pods until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	defer s.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), s.synced...) {
		return
	}
	log.G(ctx).Info("scheduler started")
	go func() {
		<-ctx.Done()
		s.queue.ShutDown()
	}()
	for s.next(ctx) {
	}
}

// next schedules the next pod of the queue; false once the queue is shut
// down.
func (s *Scheduler) next(ctx context.Context) bool {
	key, quit := s.queue.Get()
	if quit {
		return false
	}
	defer s.queue.Done(key)
	s.scheduleOne(ctx, key)
	return true
}

// parkUnschedulable keeps a pod that fits nowhere until the cluster
// changes; a change seen since the try started (changes moved past
// seen) sends it back to the queue at once.
func (s *Scheduler) parkUnschedulable(key string, seen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changes != seen {
		s.queue.AddRateLimited(key)
		return
	}
	s.unschedulable[key] = true
	s.queue.AddAfter(key, maxUnschedulableWait)
}

// clusterChanged sends the unschedulable pods back to the queue, each
// after its back-off.
func (s *Scheduler) clusterChanged() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	for key := range s.unschedulable {
		s.queue.AddRateLimited(key)
	}
	clear(s.unschedulable)
}

// startTry takes the pod out of the unschedulable ones and returns the
// count of changes at the start of its try.
func (s *Scheduler) startTry(key string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.unschedulable, key)
	return s.changes
}
