package scheduler

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/skiffrt/skiff/controlplane/scheduler/algorithm"
)

// snapshot is the state one decision sees: every node that is not being
// deleted, sorted by name, with the pods that hold a place on it: bound
// and not terminated in the informer's cache, plus the assumed pods the
// cache does not show bound yet.
func snapshot(nodes corelisters.NodeLister, pods corelisters.PodLister, assumed []*corev1.Pod) ([]*algorithm.NodeInfo, error) {
	nodeList, err := nodes.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	podList, err := pods.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	byNode := map[string][]*corev1.Pod{}
	counted := map[types.UID]bool{}
	for _, p := range podList {
		if p.Spec.NodeName != "" && !algorithm.Terminated(p) {
			byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p)
			counted[p.UID] = true
		}
	}
	for _, p := range assumed {
		if !counted[p.UID] {
			byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p)
		}
	}
	slices.SortFunc(nodeList, func(a, b *corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	out := make([]*algorithm.NodeInfo, 0, len(nodeList))
	for _, n := range nodeList {
		if n.DeletionTimestamp == nil {
			out = append(out, algorithm.NewNodeInfo(n, byNode[n.Name]...))
		}
	}
	return out, nil
}
