package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/skiffrt/skiff/internal/log"
)

// statusUnknown is what the conditions of a silent node say.
const (
	reasonUnknown  = "NodeStatusUnknown"
	messageUnknown = "Kubelet stopped posting node status."
)

// sync looks at node name: marks it unreachable when its heartbeat is
// late, sets its taints from its Ready condition, and evicts the pods
// its NoExecute taints no longer allow.
func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	now := c.now()
	if late := now.Sub(c.heartbeat(node)); late > c.grace {
		if node, err = c.markUnknown(ctx, node, now); err != nil {
			return err
		}
	} else {
		c.queue.AddAfter(name, c.grace-late+time.Second)
	}
	if ready := readyStatus(node); ready != corev1.ConditionTrue {
		if err := c.markPodsNotReady(ctx, name); err != nil {
			return err
		}
	}
	if node, err = c.setTaints(ctx, node, now); err != nil {
		return err
	}
	return c.evict(ctx, node, now)
}

// heartbeat is when the node last said it was alive: its Lease's renew
// time, its Ready condition's heartbeat, or else its creation.
func (c *Controller) heartbeat(n *corev1.Node) time.Time {
	t := n.CreationTimestamp.Time
	if cond := condition(n, corev1.NodeReady); cond != nil && cond.LastHeartbeatTime.After(t) {
		t = cond.LastHeartbeatTime.Time
	}
	if l, err := c.leases.Leases(LeaseNamespace).Get(n.Name); err == nil && l.Spec.RenewTime != nil && l.Spec.RenewTime.After(t) {
		t = l.Spec.RenewTime.Time
	}
	return t
}

// markUnknown sets the node's conditions to Unknown, once.
func (c *Controller) markUnknown(ctx context.Context, node *corev1.Node, now time.Time) (*corev1.Node, error) {
	n := node.DeepCopy()
	changed := false
	types := []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure}
	for _, t := range types {
		cond := condition(n, t)
		if cond == nil {
			n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: t})
			cond = &n.Status.Conditions[len(n.Status.Conditions)-1]
		}
		if cond.Status == corev1.ConditionUnknown {
			continue
		}
		cond.Status, cond.Reason, cond.Message = corev1.ConditionUnknown, reasonUnknown, messageUnknown
		cond.LastTransitionTime = metav1.NewTime(now)
		changed = true
	}
	if !changed {
		return node, nil
	}
	out, err := c.api.updateNodeStatus(ctx, n)
	if err != nil {
		return nil, err
	}
	attrs := []any{"node", node.Name, "grace_period", c.grace}
	if l, err := c.leases.Leases(LeaseNamespace).Get(node.Name); err == nil {
		if hint := heartbeatHint(l, c.grace); hint != "" {
			attrs = append(attrs, "hint", hint)
		}
	}
	log.G(ctx).Warn("node stopped posting its status", attrs...)
	c.recorder.Eventf(node, corev1.EventTypeNormal, "NodeNotReady", "Node %s status is now: NodeNotReady", node.Name)
	return out, nil
}

// markPodsNotReady sets the Ready condition of the node's pods to False.
func (c *Controller) markPodsNotReady(ctx context.Context, name string) error {
	objs, err := c.pods.ByIndex(byNode, name)
	if err != nil {
		return err
	}
	var errs []error
	for _, obj := range objs {
		p := obj.(*corev1.Pod)
		i := podCondition(p, corev1.PodReady)
		if i < 0 || p.Status.Conditions[i].Status != corev1.ConditionTrue {
			continue
		}
		p = p.DeepCopy()
		cond := &p.Status.Conditions[i]
		cond.Status, cond.Reason, cond.Message = corev1.ConditionFalse, "NodeNotReady", "the pod's node is not ready"
		cond.LastTransitionTime = metav1.NewTime(c.now())
		if err := c.api.updatePodStatus(ctx, p); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// lifecycleTaints are the taints this controller owns, by Ready status.
var lifecycleTaints = map[corev1.ConditionStatus]string{
	corev1.ConditionUnknown: corev1.TaintNodeUnreachable,
	corev1.ConditionFalse:   corev1.TaintNodeNotReady,
}

// setTaints makes the node's not-ready and unreachable taints match its
// Ready condition (a node without one is left alone).
func (c *Controller) setTaints(ctx context.Context, node *corev1.Node, now time.Time) (*corev1.Node, error) {
	if condition(node, corev1.NodeReady) == nil {
		return node, nil
	}
	want := lifecycleTaints[readyStatus(node)]
	var taints []corev1.Taint
	have := map[corev1.TaintEffect]bool{}
	changed := false
	for _, t := range node.Spec.Taints {
		owned := t.Key == corev1.TaintNodeUnreachable || t.Key == corev1.TaintNodeNotReady
		switch {
		case !owned:
			taints = append(taints, t)
		case t.Key == want && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == corev1.TaintEffectNoSchedule) && !have[t.Effect]:
			have[t.Effect] = true
			taints = append(taints, t)
		default:
			changed = true
		}
	}
	if want != "" {
		for _, e := range []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectNoExecute} {
			if !have[e] {
				taints = append(taints, corev1.Taint{Key: want, Effect: e, TimeAdded: &metav1.Time{Time: now.Truncate(time.Second)}})
				changed = true
			}
		}
	}
	if !changed {
		return node, nil
	}
	n := node.DeepCopy()
	n.Spec.Taints = taints
	out, err := c.api.updateNode(ctx, n)
	if err != nil {
		return nil, err
	}
	log.G(ctx).Info("node taints set", "node", n.Name, "taints", taintKeys(taints))
	return out, nil
}

// evict deletes the pods of node its NoExecute taints no longer allow,
// and comes back when the next one's toleration runs out.
func (c *Controller) evict(ctx context.Context, node *corev1.Node, now time.Time) error {
	var noExecute []corev1.Taint
	for _, t := range node.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			noExecute = append(noExecute, t)
		}
	}
	if len(noExecute) == 0 {
		return nil
	}
	objs, err := c.pods.ByIndex(byNode, node.Name)
	if err != nil {
		return err
	}
	var errs []error
	var next time.Duration
	for _, obj := range objs {
		p := obj.(*corev1.Pod)
		if p.DeletionTimestamp != nil {
			continue
		}
		at, ok := evictionTime(p, noExecute)
		if !ok {
			continue
		}
		if wait := at.Sub(now); wait > 0 {
			if next == 0 || wait < next {
				next = wait
			}
			continue
		}
		if err := c.api.deletePod(ctx, p); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			errs = append(errs, err)
			continue
		}
		log.G(ctx).Info("pod evicted from its node", "node", node.Name, "pod", p.Namespace+"/"+p.Name)
		c.recorder.Eventf(p, corev1.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s/%s", p.Namespace, p.Name)
	}
	if next > 0 {
		c.queue.AddAfter(node.Name, next)
	}
	return errors.Join(errs...)
}

// evictionTime is when pod must leave a node with taints (all
// NoExecute): now if it does not tolerate one of them, else when its
// shortest bounded toleration runs out, counted from its taint's
// timeAdded; false if it may stay for good.
func evictionTime(p *corev1.Pod, taints []corev1.Taint) (time.Time, bool) {
	var at time.Time
	bounded := false
	for _, taint := range taints {
		tolerated := false
		for _, tl := range p.Spec.Tolerations {
			if !tl.ToleratesTaint(klog.Background(), &taint, false) {
				continue
			}
			tolerated = true
			if tl.TolerationSeconds == nil {
				continue
			}
			start := time.Time{}
			if taint.TimeAdded != nil {
				start = taint.TimeAdded.Time
			}
			secs := max(*tl.TolerationSeconds, 0)
			if t := start.Add(time.Duration(secs) * time.Second); !bounded || t.Before(at) {
				at, bounded = t, true
			}
		}
		if !tolerated {
			return time.Time{}, true
		}
	}
	return at, bounded
}

func condition(n *corev1.Node, t corev1.NodeConditionType) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == t {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

func readyStatus(n *corev1.Node) corev1.ConditionStatus {
	if c := condition(n, corev1.NodeReady); c != nil {
		return c.Status
	}
	return corev1.ConditionUnknown
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) int {
	for i, c := range p.Status.Conditions {
		if c.Type == t {
			return i
		}
	}
	return -1
}

func taintKeys(ts []corev1.Taint) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Key+":"+string(t.Effect))
	}
	return out
}

// heartbeatHint explains a node marked unreachable whose agent renews
// its Lease (every quarter of the Lease's duration, as kubelet) less
// than twice per grace period: a heartbeat only a little late then
// marks a live node, and it flaps. "" when the heartbeat is frequent
// enough or unknown.
func heartbeatHint(l *coordinationv1.Lease, grace time.Duration) string {
	if l.Spec.LeaseDurationSeconds == nil {
		return ""
	}
	every := time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second / 4
	if every <= 0 || 2*every <= grace {
		return ""
	}
	return fmt.Sprintf("the node renews its Lease every %s, too rarely for a grace period of %s: "+
		"lower its agent's --node-lease-duration or raise --node-monitor-grace-period", every, grace)
}
