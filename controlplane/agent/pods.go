package agent

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/agent/static"
)

// podHandler feeds the informer's pods to their workers; mirror pods are
// the API's view of static pods, not pods to run.
func (a *Agent) podHandler(ctx context.Context, wg *sync.WaitGroup) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			p, ok := obj.(*corev1.Pod)
			switch {
			case !ok:
			case static.IsMirror(p):
				// A new mirror pod waits for its static pod's status.
				a.poke(types.UID(p.Annotations[static.AnnotationMirror]))
			default:
				a.dispatch(ctx, wg, p, false)
			}
		},
		UpdateFunc: func(_, obj any) {
			if p, ok := obj.(*corev1.Pod); ok && !static.IsMirror(p) {
				a.dispatch(ctx, wg, p, false)
			}
		},
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok && !static.IsMirror(p) {
				a.removePod(p.UID)
			}
		},
	}
}

// dispatch hands a pod to its worker, starting one for a new pod. A pod
// that is finished and whose worker is gone needs none.
func (a *Agent) dispatch(ctx context.Context, wg *sync.WaitGroup, p *corev1.Pod, isStatic bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w, ok := a.workers[p.UID]; ok {
		w.update(p)
		return
	}
	w := newWorker(p, isStatic)
	a.workers[p.UID] = w
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.run(ctx, w)
	}()
}

// removePod tells a pod's worker that the pod is gone.
func (a *Agent) removePod(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w, ok := a.workers[uid]; ok {
		w.remove()
	}
}

// poke wakes a pod's worker (its containers changed, a probe flipped).
func (a *Agent) poke(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w, ok := a.workers[uid]; ok {
		w.poke()
	}
}

// forget drops a finished worker.
func (a *Agent) forget(w *worker) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.workers[w.uid] == w {
		delete(a.workers, w.uid)
	}
}

// known tells whether a pod UID has a worker.
func (a *Agent) known(uid types.UID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.workers[uid]
	return ok
}

// Lookup finds the pod the agent runs under a namespace and name: a
// static pod first (its mirror has the same name), then the API's.
func (a *Agent) Lookup(namespace, name string) (*corev1.Pod, bool) {
	a.mu.Lock()
	for _, p := range a.statics {
		if p.Namespace == namespace && p.Name == name {
			a.mu.Unlock()
			return p, true
		}
	}
	a.mu.Unlock()
	if a.pods == nil {
		return nil, false
	}
	obj, ok, _ := a.pods.GetByKey(namespace + "/" + name)
	if !ok {
		return nil, false
	}
	p := obj.(*corev1.Pod)
	return p, !static.IsMirror(p)
}

// mirror returns the mirror pod of a static pod from the cache.
func (a *Agent) mirror(p *corev1.Pod) *corev1.Pod {
	obj, ok, _ := a.pods.GetByKey(p.Namespace + "/" + p.Name)
	if !ok {
		return nil
	}
	mp := obj.(*corev1.Pod)
	if mp.Annotations[static.AnnotationMirror] != p.Annotations[static.AnnotationHash] {
		return nil
	}
	return mp
}

// mirrorPods are the mirror pods in the cache.
func (a *Agent) mirrorPods() []*corev1.Pod {
	var out []*corev1.Pod
	for _, obj := range a.pods.List() {
		if p := obj.(*corev1.Pod); static.IsMirror(p) {
			out = append(out, p)
		}
	}
	return out
}
