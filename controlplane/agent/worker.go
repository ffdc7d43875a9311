package agent

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// worker owns one pod: one goroutine syncs it, woken by poke.
type worker struct {
	uid  types.UID
	wake chan struct{}

	mu     sync.Mutex // guards the fields below
	pod    *corev1.Pod
	gone   bool // the pod left its source
	static bool
}

func newWorker(pod *corev1.Pod, static bool) *worker {
	return &worker{uid: pod.UID, wake: make(chan struct{}, 1), pod: pod, static: static}
}

// update hands the worker a newer version of its pod.
func (w *worker) update(pod *corev1.Pod) {
	w.mu.Lock()
	w.pod = pod
	w.mu.Unlock()
	w.poke()
}

// remove tells the worker its pod is gone: it terminates it.
func (w *worker) remove() {
	w.mu.Lock()
	w.gone = true
	w.mu.Unlock()
	w.poke()
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) snapshot() (*corev1.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.gone
}

// run syncs the pod until it is terminated or ctx ends.
func (a *Agent) run(ctx context.Context, w *worker) {
	defer a.forget(w)
	errDelay := time.Duration(0)
	for {
		pod, gone := w.snapshot()
		if gone || pod.DeletionTimestamp != nil {
			if err := a.terminate(ctx, pod, gone, w.static); err != nil {
				if ctx.Err() != nil {
					return
				}
				slog.WarnContext(ctx, "terminate pod", "pod", podName(pod), "error", err)
				errDelay = nextDelay(errDelay)
				if !a.wait(ctx, w, errDelay) {
					return
				}
				continue
			}
			return
		}
		next, err := a.syncPod(ctx, pod, w.static)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			slog.WarnContext(ctx, "sync pod", "pod", podName(pod), "error", err)
			errDelay = nextDelay(errDelay)
			next = errDelay
		} else {
			errDelay = 0
		}
		if next <= 0 || next > a.cfg.SyncEvery {
			next = jitter(a.cfg.SyncEvery)
		}
		if !a.wait(ctx, w, next) {
			return
		}
	}
}

// wait waits for a poke or d; false when ctx ended.
func (a *Agent) wait(ctx context.Context, w *worker, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.wake:
	case <-t.C:
	case <-ctx.Done():
		return false
	}
	return true
}

// nextDelay doubles the retry delay of a failing sync, 1 s to 1 min.
func nextDelay(d time.Duration) time.Duration {
	return min(max(2*d, time.Second), time.Minute)
}

// jitter spreads periodic syncs over [d, 1.25d).
func jitter(d time.Duration) time.Duration {
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

func podName(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }
