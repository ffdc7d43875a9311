package algorithm

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

const reasonAffinity = "node(s) didn't match Pod's node affinity/selector"

// nodeAffinity refuses a node whose labels miss one of the pod's
// nodeSelector, or that matches none of the terms of its required node
// affinity.
func nodeAffinity(pod *corev1.Pod, n *NodeInfo) []string {
	if !labels.SelectorFromSet(pod.Spec.NodeSelector).Matches(labels.Set(n.Node.Labels)) {
		return []string{reasonAffinity}
	}
	if req := requiredAffinity(pod); req != nil && !matchesAnyTerm(req.NodeSelectorTerms, n.Node) {
		return []string{reasonAffinity}
	}
	return nil
}

func requiredAffinity(pod *corev1.Pod) *corev1.NodeSelector {
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil {
		return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	}
	return nil
}

// preferredAffinity sums the weights of the pod's preferred node affinity
// terms that the node matches; more is better.
func preferredAffinity(pod *corev1.Pod, n *NodeInfo) int64 {
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil {
		return 0
	}
	var sum int64
	for _, t := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		if matchesTerm(t.Preference, n.Node) {
			sum += int64(t.Weight)
		}
	}
	return sum
}

// matchesAnyTerm: node selector terms are ORed.
func matchesAnyTerm(terms []corev1.NodeSelectorTerm, node *corev1.Node) bool {
	for _, t := range terms {
		if matchesTerm(t, node) {
			return true
		}
	}
	return false
}

// matchesTerm: the requirements of a term are ANDed; an empty term
// matches nothing, and so does a term with an invalid requirement.
// matchFields knows only metadata.name, as upstream.
func matchesTerm(t corev1.NodeSelectorTerm, node *corev1.Node) bool {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return false
	}
	nodeLabels := labels.Set(node.Labels)
	for _, r := range t.MatchExpressions {
		if !matchesRequirement(r, nodeLabels) {
			return false
		}
	}
	for _, r := range t.MatchFields {
		if !matchesName(r, node.Name) {
			return false
		}
	}
	return true
}

// matchesName checks a matchFields requirement, which may only be In or
// NotIn on metadata.name (node names may be longer than label values).
func matchesName(r corev1.NodeSelectorRequirement, name string) bool {
	if r.Key != "metadata.name" {
		return false
	}
	switch r.Operator {
	case corev1.NodeSelectorOpIn:
		return slices.Contains(r.Values, name)
	case corev1.NodeSelectorOpNotIn:
		return !slices.Contains(r.Values, name)
	}
	return false
}

// operators maps node selector operators to label selector ones.
var operators = map[corev1.NodeSelectorOperator]selection.Operator{
	corev1.NodeSelectorOpIn:           selection.In,
	corev1.NodeSelectorOpNotIn:        selection.NotIn,
	corev1.NodeSelectorOpExists:       selection.Exists,
	corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
	corev1.NodeSelectorOpGt:           selection.GreaterThan,
	corev1.NodeSelectorOpLt:           selection.LessThan,
}

func matchesRequirement(r corev1.NodeSelectorRequirement, set labels.Set) bool {
	op, ok := operators[r.Operator]
	if !ok {
		return false
	}
	req, err := labels.NewRequirement(r.Key, op, r.Values)
	if err != nil {
		return false
	}
	return req.Matches(set)
}

// MatchesNodeSelector: node matches sel (a volume's node affinity, say),
// with the rules of required node affinity.
func MatchesNodeSelector(sel *corev1.NodeSelector, node *corev1.Node) bool {
	return sel == nil || matchesAnyTerm(sel.NodeSelectorTerms, node)
}
