package daemonset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
	"github.com/skiffrt/skiff/internal/log"
)

// burstPods bounds the pods created in one sync.
const burstPods = 250

// nodeState is one node as a DaemonSet sees it.
type nodeState struct {
	node      *corev1.Node
	run, keep bool
	live      []*corev1.Pod // the DaemonSet's pods there, not failed nor being deleted, oldest first
	failed    []*corev1.Pod
}

// plan is what a sync writes: the nodes that get a pod, the pods to go.
type plan struct {
	create []string
	delete []*corev1.Pod
}

// sync brings the DaemonSet key (namespace/name) to one current pod on
// every node that wants it and writes its status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	ds, err := c.daemonSets.DaemonSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expect.Forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil || selector.Empty() {
		log.G(ctx).Warn("invalid selector", "daemonset", key, log.KeyError, err)
		return nil
	}
	settled := c.expect.Satisfied(key)
	revs, err := ownerref.Owned[*appsv1.ControllerRevision](c.revisions, ns, ds.UID, false)
	if err != nil {
		return err
	}
	history.Sort(revs)
	cur, collisions, err := c.currentRevision(ctx, ds, revs)
	if err != nil {
		return fmt.Errorf("revision: %w", err)
	}
	hash := cur.Labels[history.HashLabel]
	all, err := ownerref.Owned[*corev1.Pod](c.pods, ns, ds.UID, true)
	if err != nil {
		return err
	}
	owned, err := c.claim(ctx, ds, selector, all)
	if err != nil {
		return err
	}
	nodes, err := c.nodeStates(ds, owned)
	if err != nil {
		return err
	}
	now := c.now()
	var manageErr error
	if settled && ds.DeletionTimestamp == nil {
		p := c.plan(ds, nodes, hash, now)
		manageErr = c.apply(ctx, key, ds, hash, p)
	}
	if ds.DeletionTimestamp == nil {
		manageErr = errors.Join(manageErr, c.cleanupRevisions(ctx, ds, revs, cur, owned))
	}
	st := status(ds, nodes, hash, collisions, now)
	if err := c.writeStatus(ctx, ds, st); err != nil {
		return err
	}
	if m := ds.Spec.MinReadySeconds; m > 0 && st.NumberReady != st.NumberAvailable {
		var live []*corev1.Pod
		for _, n := range nodes {
			live = append(live, n.live...)
		}
		if next, ok := pods.NextAvailable(live, m, now); ok {
			c.queue.AddAfter(key, next)
		}
	}
	return manageErr
}

// claim adopts the matching orphans and releases owned pods that no
// longer match; it returns the DaemonSet's pods.
func (c *Controller) claim(ctx context.Context, ds *appsv1.DaemonSet, selector labels.Selector, all []*corev1.Pod) ([]*corev1.Pod, error) {
	claimer := &ownerref.Claimer{
		Owner: ds, Kind: kind, Patch: c.podAPI.Patch,
		CanAdopt: ownerref.FreshOwner(ds, func(ctx context.Context) (metav1.Object, error) {
			return c.api.get(ctx, ds.Namespace, ds.Name)
		}),
	}
	return ownerref.Claim(ctx, claimer, all, func(p *corev1.Pod) bool { return selector.Matches(labels.Set(p.Labels)) })
}

// nodeStates returns every node with ds's pods on it, by name.
func (c *Controller) nodeStates(ds *appsv1.DaemonSet, owned []*corev1.Pod) ([]*nodeState, error) {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	byName := map[string]*nodeState{}
	out := make([]*nodeState, 0, len(nodes))
	for _, n := range nodes {
		s := &nodeState{node: n}
		s.run, s.keep = placement(ds, n)
		byName[n.Name] = s
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].node.Name < out[j].node.Name })
	owned = slices.Clone(owned)
	slices.SortStableFunc(owned, func(a, b *corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	for _, p := range owned {
		s := byName[nodeOf(p)]
		switch {
		case s == nil || p.DeletionTimestamp != nil:
		case p.Status.Phase == corev1.PodFailed:
			s.failed = append(s.failed, p)
		case p.Status.Phase != corev1.PodSucceeded:
			s.live = append(s.live, p)
		}
	}
	return out, nil
}

// plan decides the pods to create and delete: a pod for each node that
// wants one and has none, none where it may not stay, no failed or
// duplicate pods, and the rolling update.
func (c *Controller) plan(ds *appsv1.DaemonSet, nodes []*nodeState, hash string, now time.Time) plan {
	var p plan
	for _, n := range nodes {
		for _, f := range n.failed {
			c.events.Eventf(ds, corev1.EventTypeWarning, "FailedDaemonPod", "Found failed daemon pod %s/%s on node %s, will try to kill it", f.Namespace, f.Name, n.node.Name)
		}
		p.delete = append(p.delete, n.failed...)
		switch {
		case !n.keep:
			p.delete = append(p.delete, n.live...)
		case len(n.live) == 0 && n.run:
			p.create = append(p.create, n.node.Name)
		default:
			p.delete = append(p.delete, duplicates(n.live, hash)...)
		}
	}
	if ds.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		c.rollingUpdate(ds, nodes, hash, now, &p)
	}
	return p
}

// duplicates are the pods of a node beyond the oldest current one and
// the oldest old one.
func duplicates(live []*corev1.Pod, hash string) []*corev1.Pod {
	var out []*corev1.Pod
	seenNew, seenOld := false, false
	for _, p := range live {
		seen := &seenOld
		if p.Labels[history.HashLabel] == hash {
			seen = &seenNew
		}
		if *seen {
			out = append(out, p)
		}
		*seen = true
	}
	return out
}

// apply writes p: deletions first, all at once; then, once the
// informer has seen them go, the creations in slow-start batches (a node
// whose old pod goes gets its new pod in the next sync).
func (c *Controller) apply(ctx context.Context, key string, ds *appsv1.DaemonSet, hash string, p plan) error {
	if len(p.delete) > 0 {
		return c.deleteAll(ctx, key, ds, p.delete)
	}
	create := p.create[:min(len(p.create), burstPods)]
	c.expect.ExpectCreations(key, len(create))
	var next atomic.Int32
	ref := ownerref.NewControllerRef(ds, kind)
	created, err := pods.SlowStart(len(create), func() error {
		node := create[next.Add(1)-1]
		_, err := c.podAPI.Create(ctx, podTemplate(ds, node, hash), ds, ref)
		return err
	})
	for range len(create) - created {
		c.expect.CreationObserved(key) // none will show up
	}
	return err
}

func (c *Controller) deleteAll(ctx context.Context, key string, ds *appsv1.DaemonSet, victims []*corev1.Pod) error {
	names := make([]string, len(victims))
	for i, pod := range victims {
		names[i] = podKey(pod)
	}
	c.expect.ExpectDeletions(key, names)
	errs := make([]error, len(victims))
	var wg sync.WaitGroup
	for i, pod := range victims {
		wg.Go(func() {
			err := c.podAPI.Delete(ctx, ds, pod.Name)
			if err != nil {
				c.expect.DeletionObserved(key, podKey(pod))
			}
			if !apierrors.IsNotFound(err) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writeStatus writes st to ds through /status unless nothing changed;
// one conflict is retried on a fresh read.
func (c *Controller) writeStatus(ctx context.Context, ds *appsv1.DaemonSet, st appsv1.DaemonSetStatus) error {
	if apiequality.Semantic.DeepEqual(ds.Status, st) {
		return nil
	}
	_, err := controller.UpdateStatus(ctx, ds, func(ds *appsv1.DaemonSet) { ds.Status = st }, c.api.updateStatus, c.api.get)
	if errors.Is(err, controller.ErrReplaced) {
		return nil
	}
	return err
}
