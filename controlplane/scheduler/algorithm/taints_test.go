package algorithm

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestNodeUnschedulable(t *testing.T) {
	cordoned := func(n *corev1.Node) { n.Spec.Unschedulable = true }
	tests := []struct {
		name string
		node *corev1.Node
		pod  *corev1.Pod
		want []string
	}{
		{"schedulable", node("n", "1", "1Gi", 10), pod("p", "", ""), nil},
		{"cordoned", node("n", "1", "1Gi", 10, cordoned), pod("p", "", ""), []string{reasonUnschedulable}},
		{"cordoned, tolerated", node("n", "1", "1Gi", 10, cordoned),
			pod("p", "", "", tolerate(corev1.Toleration{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})), nil},
		{"cordoned, tolerating everything", node("n", "1", "1Gi", 10, cordoned),
			pod("p", "", "", tolerate(corev1.Toleration{Operator: corev1.TolerationOpExists})), nil},
		{"cordoned, tolerating another key", node("n", "1", "1Gi", 10, cordoned),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "other", Operator: corev1.TolerationOpExists})), []string{reasonUnschedulable}},
	}
	for _, tc := range tests {
		if got := nodeUnschedulable(tc.pod, NewNodeInfo(tc.node)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTaintToleration(t *testing.T) {
	ready := func(s corev1.ConditionStatus) func(*corev1.Node) {
		return func(n *corev1.Node) { n.Status.Conditions[0].Status = s }
	}
	noConditions := func(n *corev1.Node) { n.Status.Conditions = nil }
	gpu := taint("dedicated", "gpu", corev1.TaintEffectNoSchedule)
	tests := []struct {
		name string
		node *corev1.Node
		pod  *corev1.Pod
		want []string
	}{
		{"no taints", node("n", "1", "1Gi", 10), pod("p", "", ""), nil},
		{"NoSchedule, not tolerated", node("n", "1", "1Gi", 10, gpu), pod("p", "", ""),
			[]string{"node(s) had untolerated taint {dedicated: gpu}"}},
		{"NoExecute, not tolerated", node("n", "1", "1Gi", 10, taint("k", "", corev1.TaintEffectNoExecute)), pod("p", "", ""),
			[]string{"node(s) had untolerated taint {k: }"}},
		{"PreferNoSchedule does not filter", node("n", "1", "1Gi", 10, taint("k", "v", corev1.TaintEffectPreferNoSchedule)), pod("p", "", ""), nil},
		{"Equal toleration", node("n", "1", "1Gi", 10, gpu),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule})), nil},
		{"empty operator is Equal", node("n", "1", "1Gi", 10, gpu),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "dedicated", Value: "gpu"})), nil},
		{"Equal toleration of another value", node("n", "1", "1Gi", 10, gpu),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "dedicated", Value: "cpu"})),
			[]string{"node(s) had untolerated taint {dedicated: gpu}"}},
		{"toleration of another effect", node("n", "1", "1Gi", 10, gpu),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute})),
			[]string{"node(s) had untolerated taint {dedicated: gpu}"}},
		{"Exists with no key tolerates all", node("n", "1", "1Gi", 10, gpu, taint("x", "y", corev1.TaintEffectNoExecute)),
			pod("p", "", "", tolerate(corev1.Toleration{Operator: corev1.TolerationOpExists})), nil},
		{"the first untolerated taint is named", node("n", "1", "1Gi", 10, gpu, taint("x", "y", corev1.TaintEffectNoExecute)),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpExists})),
			[]string{"node(s) had untolerated taint {x: y}"}},
		{"Gt is an alpha feature, off", node("n", "1", "1Gi", 10, taint("level", "5", corev1.TaintEffectNoSchedule)),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "level", Operator: "Gt", Value: "1"})),
			[]string{"node(s) had untolerated taint {level: 5}"}},
		{"Ready False", node("n", "1", "1Gi", 10, ready(corev1.ConditionFalse)), pod("p", "", ""),
			[]string{"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"}},
		{"Ready Unknown", node("n", "1", "1Gi", 10, ready(corev1.ConditionUnknown)), pod("p", "", ""),
			[]string{"node(s) had untolerated taint {node.kubernetes.io/unreachable: }"}},
		{"no Ready condition", node("n", "1", "1Gi", 10, noConditions), pod("p", "", ""),
			[]string{"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"}},
		{"not Ready, tolerated", node("n", "1", "1Gi", 10, ready(corev1.ConditionFalse)),
			pod("p", "", "", tolerate(corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})), nil},
		{"not Ready, NoExecute toleration only", node("n", "1", "1Gi", 10, ready(corev1.ConditionFalse)),
			pod("p", "", "", tolerate(corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute})),
			[]string{"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"}},
	}
	for _, tc := range tests {
		if got := taintToleration(tc.pod, NewNodeInfo(tc.node)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestConditionTaintsOnce: a node that already carries the not-ready
// taint (a lifecycle controller put it there) does not get it twice, and
// the node's own taints are not changed.
func TestConditionTaintsOnce(t *testing.T) {
	n := node("n", "1", "1Gi", 10, taint(corev1.TaintNodeNotReady, "", corev1.TaintEffectNoSchedule), func(n *corev1.Node) {
		n.Status.Conditions = nil
		n.Spec.Taints = append(make([]corev1.Taint, 0, 4), n.Spec.Taints...)
	})
	if got := taints(n); len(got) != 1 {
		t.Errorf("taints: %v", got)
	}
	n.Spec.Taints[0].Effect = corev1.TaintEffectNoExecute
	if got := taints(n); len(got) != 2 || len(n.Spec.Taints) != 1 || n.Spec.Taints[:2][1].Key != "" {
		t.Errorf("taints: %v, node's: %v", got, n.Spec.Taints)
	}
}

func TestPreferNoSchedule(t *testing.T) {
	soft := func(key string) func(*corev1.Node) { return taint(key, "", corev1.TaintEffectPreferNoSchedule) }
	tests := []struct {
		name string
		node *corev1.Node
		pod  *corev1.Pod
		want int64
	}{
		{"none", node("n", "1", "1Gi", 10, taint("hard", "", corev1.TaintEffectNoSchedule)), pod("p", "", ""), 0},
		{"two", node("n", "1", "1Gi", 10, soft("a"), soft("b")), pod("p", "", ""), 2},
		{"one tolerated", node("n", "1", "1Gi", 10, soft("a"), soft("b")),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "a", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectPreferNoSchedule})), 1},
		{"tolerated by an effect-less toleration", node("n", "1", "1Gi", 10, soft("a")),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "a", Operator: corev1.TolerationOpExists})), 0},
		{"a NoSchedule toleration does not count", node("n", "1", "1Gi", 10, soft("a")),
			pod("p", "", "", tolerate(corev1.Toleration{Key: "a", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})), 1},
	}
	for _, tc := range tests {
		if got := preferNoSchedule(tc.pod, NewNodeInfo(tc.node)); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
