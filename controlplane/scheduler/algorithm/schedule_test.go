package algorithm

import (
	"errors"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func infos(nodes ...*corev1.Node) []*NodeInfo {
	out := make([]*NodeInfo, len(nodes))
	for i, n := range nodes {
		out[i] = NewNodeInfo(n)
	}
	return out
}

func TestScheduleFails(t *testing.T) {
	cordoned := func(n *corev1.Node) { n.Spec.Unschedulable = true }
	tests := []struct {
		name  string
		nodes []*NodeInfo
		pod   *corev1.Pod
		want  string
	}{
		{"reasons are counted over the nodes and sorted",
			infos(node("a", "1", "1Gi", 10, withLabels("disk", "ssd")), node("b", "8", "8Gi", 10), node("c", "8", "8Gi", 10)),
			pod("p", "2", "", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }),
			"0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector."},
		{"one node may give several reasons",
			infos(node("a", "1", "1Gi", 10)), pod("p", "2", "2Gi"),
			"0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory."},
		{"the first filter that refuses a node speaks for it",
			infos(node("a", "1", "1Gi", 10, cordoned), node("b", "1", "1Gi", 10, taint("k", "v", corev1.TaintEffectNoSchedule))),
			pod("p", "2", "2Gi"),
			"0/2 nodes are available: 1 node(s) had untolerated taint {k: v}, 1 node(s) were unschedulable."},
		{"too big for every node",
			infos(node("a", "1", "1Gi", 10), node("b", "2", "1Gi", 10), node("c", "2", "64Gi", 10)),
			pod("p", "4", "2Gi"),
			"0/3 nodes are available: 2 Insufficient memory, 3 Insufficient cpu."},
	}
	for _, tc := range tests {
		_, err := Schedule(tc.pod, tc.nodes, rand.New(rand.NewPCG(1, 2)))
		var fit *FitError
		if !errors.As(err, &fit) || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, err, tc.want)
		}
	}
	if _, err := Schedule(pod("p", "", ""), nil, rand.New(rand.NewPCG(1, 2))); !errors.Is(err, ErrNoNodes) {
		t.Errorf("no nodes: %v", err)
	}
}

func TestSchedulePicks(t *testing.T) {
	soft := taint("k", "", corev1.TaintEffectPreferNoSchedule)
	prefer := func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
			{Weight: 1, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("disk", "In", "ssd")}}},
		}}}
	}
	tests := []struct {
		name  string
		nodes []*NodeInfo
		pod   *corev1.Pod
		want  string
	}{
		{"the only node that fits",
			infos(node("a", "1", "1Gi", 10), node("b", "4", "4Gi", 10), node("c", "1", "8Gi", 10)), pod("p", "2", "2Gi"), "b"},
		{"the least allocated",
			[]*NodeInfo{NewNodeInfo(node("a", "4", "4Gi", 10), pod("x", "3", "3Gi")), NewNodeInfo(node("b", "4", "4Gi", 10), pod("y", "1", "1Gi"))},
			pod("p", "1", "1Gi"), "b"},
		{"the one without a PreferNoSchedule taint, though more allocated",
			[]*NodeInfo{NewNodeInfo(node("a", "4", "4Gi", 10, soft)), NewNodeInfo(node("b", "4", "4Gi", 10), pod("y", "2", "2Gi"))},
			pod("p", "1", "1Gi"), "b"},
		{"the preferred node, though more allocated",
			[]*NodeInfo{NewNodeInfo(node("a", "4", "4Gi", 10)), NewNodeInfo(node("b", "4", "4Gi", 10, withLabels("disk", "ssd")), pod("y", "2", "2Gi"))},
			pod("p", "1", "1Gi", prefer), "b"},
		{"away from its siblings, though less allocated",
			[]*NodeInfo{NewNodeInfo(node("a", "8", "8Gi", 10), pod("s", "", "", ownedBy("rs"))), NewNodeInfo(node("b", "4", "4Gi", 10), pod("y", "1", "1Gi"))},
			pod("p", "", "", ownedBy("rs")), "b"},
	}
	for _, tc := range tests {
		got, err := Schedule(tc.pod, tc.nodes, rand.New(rand.NewPCG(1, 2)))
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestScheduleSpreadsAController places the pods of one controller one
// after the other, as the scheduler does: they end evenly spread,
// whatever the tie-breaks.
func TestScheduleSpreadsAController(t *testing.T) {
	for seed := range uint64(20) {
		rnd := rand.New(rand.NewPCG(seed, 0))
		nodes := infos(node("a", "4", "4Gi", 10), node("b", "4", "4Gi", 10), node("c", "4", "4Gi", 10))
		for range 6 {
			p := pod("p", "100m", "", ownedBy("rs"))
			name, err := Schedule(p, nodes, rnd)
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range nodes {
				if n.Node.Name == name {
					nodes[i] = NewNodeInfo(n.Node, append(n.Pods, p)...)
				}
			}
		}
		for _, n := range nodes {
			if len(n.Pods) != 2 {
				t.Fatalf("seed %d: node %s got %d pods, want 2", seed, n.Node.Name, len(n.Pods))
			}
		}
	}
}

// TestScheduleBreaksTiesAtRandom: equal nodes each get picked.
func TestScheduleBreaksTiesAtRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	nodes := infos(node("a", "4", "4Gi", 10), node("b", "4", "4Gi", 10), node("c", "4", "4Gi", 10))
	picked := map[string]int{}
	for range 300 {
		name, err := Schedule(pod("p", "1", "1Gi"), nodes, rnd)
		if err != nil {
			t.Fatal(err)
		}
		picked[name]++
	}
	for _, n := range []string{"a", "b", "c"} {
		if picked[n] < 60 {
			t.Errorf("node %s picked %d times of 300: %v", n, picked[n], picked)
		}
	}
}
