package namespace

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// retry is how long the Finalizer waits before looking again at a
// namespace whose contents are still going (pods in their grace period,
// objects with finalizers), or after an error.
const retry = 2 * time.Second

// Finalizer empties deleted namespaces: it deletes every object in them,
// waits until they are gone, then removes the "kubernetes" finalizer,
// which lets the namespace go. It plays kube-controller-manager's
// namespace controller inside the API server, through the Stores.
type Finalizer struct {
	// Namespaces is the namespaces' Store; Contents the Stores of every
	// namespaced kind.
	Namespaces *registry.Store
	Contents   []*registry.Store

	mu      sync.Mutex
	running map[string]bool // namespaces being finalized
}

var writer = registry.WriteOptions{FieldManager: "skiff-namespace-finalizer"}

// Run watches namespaces until ctx ends, finalizing each deleted one
// (those deleted before a restart too).
func (f *Finalizer) Run(ctx context.Context) {
	f.running = map[string]bool{}
	for ctx.Err() == nil {
		events, err := f.Namespaces.Watch(ctx, "", &metav1.ListOptions{})
		if err != nil {
			slog.ErrorContext(ctx, "namespace finalizer: watch", "error", err)
		}
		for ev := range events {
			if ns, ok := ev.Object.(*corev1.Namespace); ok && ev.Type != watch.Deleted && ns.DeletionTimestamp != nil &&
				slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
				f.start(ctx, ns.Name)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}

// start finalizes ns in its own goroutine, once at a time.
func (f *Finalizer) start(ctx context.Context, ns string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running[ns] {
		return
	}
	f.running[ns] = true
	go func() {
		defer func() {
			f.mu.Lock()
			delete(f.running, ns)
			f.mu.Unlock()
		}()
		for ctx.Err() == nil {
			done, err := f.finalize(ctx, ns)
			if err != nil {
				slog.WarnContext(ctx, "namespace finalizer", "namespace", ns, "error", err)
			}
			if done {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(retry):
			}
		}
	}()
}

// finalize deletes what is in ns and, once nothing is left, removes the
// namespace's finalizer. done is false while objects remain.
func (f *Finalizer) finalize(ctx context.Context, ns string) (done bool, err error) {
	_, err = f.Namespaces.Mutate(ctx, "", ns, "status", writer, func(obj runtime.Object) error {
		obj.(*corev1.Namespace).Status.Phase = corev1.NamespaceTerminating
		return nil
	})
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	left := 0
	for _, st := range f.Contents {
		if _, err := st.DeleteCollection(ctx, ns, &metav1.ListOptions{}, &metav1.DeleteOptions{}); err != nil {
			return false, err
		}
		rest, err := st.List(ctx, ns, &metav1.ListOptions{Limit: 1})
		if err != nil {
			return false, err
		}
		left += len(registry.ListItems(rest))
	}
	if left > 0 {
		return false, nil
	}
	_, err = f.Namespaces.Mutate(ctx, "", ns, "", writer, func(obj runtime.Object) error {
		n := obj.(*corev1.Namespace)
		n.Spec.Finalizers = slices.DeleteFunc(n.Spec.Finalizers, func(s corev1.FinalizerName) bool { return s == corev1.FinalizerKubernetes })
		return nil
	})
	if apierrors.IsNotFound(err) {
		err = nil
	}
	return err == nil, err
}
