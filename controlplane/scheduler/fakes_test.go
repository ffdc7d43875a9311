package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// fakeWriter records the scheduler's writes; bindErr fails the bindings.
type fakeWriter struct {
	mu         sync.Mutex
	bindErr    error
	bound      map[string]string              // pod name → node
	conditions map[string]corev1.PodCondition // pod name → last PodScheduled
}

func (w *fakeWriter) bind(_ context.Context, pod *corev1.Pod, node string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.bindErr != nil {
		return w.bindErr
	}
	w.bound[pod.Name] = node
	return nil
}

func (w *fakeWriter) setScheduledCondition(_ context.Context, pod *corev1.Pod, c corev1.PodCondition) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conditions[pod.Name] = c
	return nil
}

// fakeRecorder keeps events as "type reason note".
type fakeRecorder struct {
	mu     sync.Mutex
	events []string
}

func (r *fakeRecorder) Eventf(regarding, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("%s %s %s", eventtype, reason, fmt.Sprintf(note, args...)))
}

// fixture is a scheduler over in-memory listers and the fakes.
type fixture struct {
	*Scheduler
	podStore, nodeStore cache.Indexer
	writer              *fakeWriter
	recorder            *fakeRecorder
}

func newFixture(t *testing.T, objs ...runtime.Object) *fixture {
	f := &fixture{
		podStore:  cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}),
		nodeStore: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}),
		writer:    &fakeWriter{bound: map[string]string{}, conditions: map[string]corev1.PodCondition{}},
		recorder:  &fakeRecorder{},
	}
	for _, o := range objs {
		f.add(o)
	}
	f.Scheduler = newScheduler(corelisters.NewPodLister(f.podStore), corelisters.NewNodeLister(f.nodeStore), f.writer, f.recorder)
	f.rnd = rand.New(rand.NewPCG(1, 2))
	t.Cleanup(f.queue.ShutDown)
	return f
}

func (f *fixture) add(o runtime.Object) {
	switch o := o.(type) {
	case *corev1.Pod:
		f.podStore.Add(o)
	case *corev1.Node:
		f.nodeStore.Add(o)
	}
}

// node is a Ready node with cpu and room for 110 pods.
func node(name, cpu string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{
			Allocatable: corev1.ResourceList{"cpu": resource.MustParse(cpu), "pods": resource.MustParse("110")},
			Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		},
	}
}

// pod is a pending pod of the default scheduler requesting cpu.
func pod(name, cpu string, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{
			SchedulerName: Name,
			Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{"cpu": resource.MustParse(cpu)},
			}}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func boundTo(node string) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Spec.NodeName = node } }
