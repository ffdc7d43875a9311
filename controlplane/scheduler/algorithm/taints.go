package algorithm

import (
	"fmt"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
)

// Reasons the taint filters give, as upstream words them.
const (
	reasonUnschedulable = "node(s) were unschedulable"
	reasonTaint         = "node(s) had untolerated taint {%s: %s}"
)

// nodeUnschedulable refuses a cordoned node (spec.unschedulable) unless
// the pod tolerates the node.kubernetes.io/unschedulable taint, as
// DaemonSet pods do.
func nodeUnschedulable(pod *corev1.Pod, n *NodeInfo) []string {
	if !n.Node.Spec.Unschedulable {
		return nil
	}
	taint := corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}
	if tolerated(pod.Spec.Tolerations, &taint) {
		return nil
	}
	return []string{reasonUnschedulable}
}

// taintToleration refuses a node with a NoSchedule or NoExecute taint the
// pod does not tolerate, naming the first such taint. A node that is not
// Ready counts as tainted (conditionTaints).
func taintToleration(pod *corev1.Pod, n *NodeInfo) []string {
	for _, t := range taints(n.Node) {
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if !tolerated(pod.Spec.Tolerations, &t) {
			return []string{fmt.Sprintf(reasonTaint, t.Key, t.Value)}
		}
	}
	return nil
}

// taints are the node's taints with its condition taints.
func taints(node *corev1.Node) []corev1.Taint {
	out := node.Spec.Taints
	for _, c := range conditionTaints(node) {
		if !hasTaint(out, c) {
			out = append(out[:len(out):len(out)], c)
		}
	}
	return out
}

// conditionTaints are the taints upstream's node lifecycle controller
// puts on a node that is not Ready: node.kubernetes.io/not-ready when
// Ready is False or missing, node.kubernetes.io/unreachable when it is
// Unknown. Deriving them here keeps pods off such nodes (and lets the
// pods that tolerate them, DaemonSet pods, on) while no controller
// writes them.
func conditionTaints(node *corev1.Node) []corev1.Taint {
	key := corev1.TaintNodeNotReady
	for _, c := range node.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		switch c.Status {
		case corev1.ConditionTrue:
			return nil
		case corev1.ConditionUnknown:
			key = corev1.TaintNodeUnreachable
		}
	}
	return []corev1.Taint{{Key: key, Effect: corev1.TaintEffectNoSchedule}}
}

func hasTaint(ts []corev1.Taint, t corev1.Taint) bool {
	for _, have := range ts {
		if have.Key == t.Key && have.Effect == t.Effect {
			return true
		}
	}
	return false
}

// tolerated tells whether one of tols tolerates taint. The numeric
// operators (Gt, Lt) are an alpha feature upstream, off by default, so
// they tolerate nothing here either.
func tolerated(tols []corev1.Toleration, taint *corev1.Taint) bool {
	for i := range tols {
		if tols[i].ToleratesTaint(logr.Discard(), taint, false) {
			return true
		}
	}
	return false
}

// preferNoSchedule counts the node's PreferNoSchedule taints the pod
// does not tolerate; fewer is better.
func preferNoSchedule(pod *corev1.Pod, n *NodeInfo) int64 {
	var count int64
	for _, t := range n.Node.Spec.Taints {
		if t.Effect == corev1.TaintEffectPreferNoSchedule && !tolerated(pod.Spec.Tolerations, &t) {
			count++
		}
	}
	return count
}
