package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// Ref is an object a pod references, by resource ("secrets",
// "configmaps", "persistentvolumeclaims", "serviceaccounts"), namespace
// and name.
type Ref struct {
	Resource, Namespace, Name string
}

// podEntry is what the graph remembers of a bound pod.
type podEntry struct {
	node string
	refs []Ref
}

// state is one consistent view: pods by namespace/name, and per node the
// count of its pods referencing each object.
type state struct {
	pods map[string]podEntry
	refs map[string]map[Ref]int
}

func newState() *state {
	return &state{pods: map[string]podEntry{}, refs: map[string]map[Ref]int{}}
}

// set records pod, replacing what was known of it; a pod without a node
// is forgotten.
func (s *state) set(pod *corev1.Pod) {
	key := pod.Namespace + "/" + pod.Name
	s.remove(key)
	if pod.Spec.NodeName == "" {
		return
	}
	e := podEntry{node: pod.Spec.NodeName, refs: PodRefs(pod)}
	s.pods[key] = e
	m := s.refs[e.node]
	if m == nil {
		m = map[Ref]int{}
		s.refs[e.node] = m
	}
	for _, r := range e.refs {
		m[r]++
	}
}

// remove forgets the pod at key.
func (s *state) remove(key string) {
	e, ok := s.pods[key]
	if !ok {
		return
	}
	delete(s.pods, key)
	m := s.refs[e.node]
	for _, r := range e.refs {
		if m[r]--; m[r] <= 0 {
			delete(m, r)
		}
	}
	if len(m) == 0 {
		delete(s.refs, e.node)
	}
}

// Graph knows, for every node, the objects its pods reference. It is
// safe for concurrent use; Run keeps it current.
type Graph struct {
	mu    sync.RWMutex // guards cur.
	cur   *state       // nil until the first full read of the pods.
	retry time.Duration
}

// NewGraph returns an empty Graph; it answers no until Run has read the
// pods once.
func NewGraph() *Graph { return &Graph{retry: time.Second} }

// Has reports whether a pod bound to node references r.
func (g *Graph) Has(node string, r Ref) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.cur != nil && g.cur.refs[node][r] > 0
}

// Synced reports whether the graph has read the pods once.
func (g *Graph) Synced() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.cur != nil
}

// PodWatcher watches pods (the pods' registry Store).
type PodWatcher interface {
	Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (<-chan watch.Event, error)
}

// Run follows every pod until ctx ends: a watch-list builds a new state,
// which replaces the current one at its initial-events-end bookmark;
// changes apply after that. A watch that ends (compaction, etcd gone) is
// started again.
func (g *Graph) Run(ctx context.Context, pods PodWatcher) {
	for ctx.Err() == nil {
		if err := g.follow(ctx, pods); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "node authorizer: pod watch ended", "error", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(g.retry):
		}
	}
}

func (g *Graph) follow(ctx context.Context, pods PodWatcher) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	yes := true
	events, err := pods.Watch(ctx, "", &metav1.ListOptions{SendInitialEvents: &yes, AllowWatchBookmarks: true,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan})
	if err != nil {
		return err
	}
	next := newState()
	for ev := range events {
		if err := g.apply(&next, ev); err != nil {
			return err
		}
	}
	return nil
}

// apply applies one event to the state being built (next, until the
// initial-events-end bookmark) or to the current one.
func (g *Graph) apply(next **state, ev watch.Event) error {
	switch ev.Type {
	case watch.Error:
		return errorOf(ev.Object)
	case watch.Bookmark:
		if *next != nil && isInitialEnd(ev.Object) {
			g.mu.Lock()
			g.cur, *next = *next, nil
			g.mu.Unlock()
		}
		return nil
	}
	pod, ok := ev.Object.(*corev1.Pod)
	if !ok {
		return nil
	}
	if *next != nil {
		(*next).set(pod)
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if ev.Type == watch.Deleted {
		g.cur.remove(pod.Namespace + "/" + pod.Name)
	} else {
		g.cur.set(pod)
	}
	return nil
}

func isInitialEnd(obj any) bool {
	m, ok := obj.(metav1.Object)
	return ok && m.GetAnnotations()[metav1.InitialEventsAnnotationKey] == "true"
}

// statusError is an ERROR event's Status as an error.
type statusError struct{ s *metav1.Status }

func (e statusError) Error() string { return e.s.Message }

func errorOf(obj any) error {
	if s, ok := obj.(*metav1.Status); ok {
		return statusError{s}
	}
	return statusError{&metav1.Status{Message: "watch error"}}
}
