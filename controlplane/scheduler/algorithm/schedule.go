package algorithm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// A filter tells why a pod cannot go to a node: nil when it can, else
// one reason or more, which FitError counts over the nodes.
type filter func(pod *corev1.Pod, n *NodeInfo) []string

// filters run in upstream's order; the first that refuses a node gives
// its reasons.
var filters = []filter{nodeUnschedulable, taintToleration, nodeAffinity, nodePorts, resourcesFit}

// maxScore is the best normalized score of a node.
const maxScore = 100

// A scorer rates a node for a pod; normalize (when set) then maps the raw
// scores of all feasible nodes, in place, to 0..maxScore. The weighted
// sum of the scorers picks the node.
type scorer struct {
	weight    int64
	score     func(pod *corev1.Pod, n *NodeInfo) int64
	normalize func(scores []int64)
}

// scorers, weighted as upstream's default plugins they stand for.
var scorers = []scorer{
	{3, preferNoSchedule, normalizeReverse}, // TaintToleration
	{2, preferredAffinity, normalize},       // NodeAffinity
	{2, siblings, normalizeReverse},         // PodTopologySpread's default spreading
	{1, leastAllocated, nil},                // NodeResourcesFit, LeastAllocated
}

// ErrNoNodes: there is no node at all.
var ErrNoNodes = errors.New("no nodes available to schedule pods")

// FitError is a pod that fits on none of the nodes: how many nodes gave
// each reason.
type FitError struct {
	NumNodes int
	Reasons  map[string]int
}

// Error reads as upstream's: "0/3 nodes are available: 1 Insufficient
// cpu, 2 node(s) didn't match Pod's node affinity/selector."
func (e *FitError) Error() string {
	counts := make([]string, 0, len(e.Reasons))
	for reason, n := range e.Reasons {
		counts = append(counts, fmt.Sprintf("%d %s", n, reason))
	}
	slices.Sort(counts)
	return fmt.Sprintf("0/%d nodes are available: %s.", e.NumNodes, strings.Join(counts, ", "))
}

// Schedule picks the node for pod among nodes: those that pass every
// filter, the best by weighted score, ties broken at random with rnd.
// It fails with ErrNoNodes or a *FitError.
func Schedule(pod *corev1.Pod, nodes []*NodeInfo, rnd *rand.Rand) (string, error) {
	if len(nodes) == 0 {
		return "", ErrNoNodes
	}
	feasible, fitErr := feasibleNodes(pod, nodes)
	if len(feasible) == 0 {
		return "", fitErr
	}
	if len(feasible) == 1 {
		return feasible[0].Node.Name, nil
	}
	return pick(feasible, score(pod, feasible), rnd), nil
}

// feasibleNodes returns the nodes that fit, and what kept the others out.
func feasibleNodes(pod *corev1.Pod, nodes []*NodeInfo) ([]*NodeInfo, *FitError) {
	var feasible []*NodeInfo
	fitErr := &FitError{NumNodes: len(nodes), Reasons: map[string]int{}}
	for _, n := range nodes {
		reasons := refusals(pod, n)
		if len(reasons) == 0 {
			feasible = append(feasible, n)
		}
		for _, r := range reasons {
			fitErr.Reasons[r]++
		}
	}
	return feasible, fitErr
}

// refusals are the reasons of the first filter that refuses the node.
func refusals(pod *corev1.Pod, n *NodeInfo) []string {
	for _, f := range filters {
		if reasons := f(pod, n); len(reasons) > 0 {
			return reasons
		}
	}
	return nil
}

// score returns the weighted sum of the scorers for each node.
func score(pod *corev1.Pod, nodes []*NodeInfo) []int64 {
	total := make([]int64, len(nodes))
	raw := make([]int64, len(nodes))
	for _, s := range scorers {
		for i, n := range nodes {
			raw[i] = s.score(pod, n)
		}
		if s.normalize != nil {
			s.normalize(raw)
		}
		for i := range total {
			total[i] += s.weight * raw[i]
		}
	}
	return total
}

// pick returns one of the nodes with the highest score, each with the
// same chance (reservoir sampling).
func pick(nodes []*NodeInfo, scores []int64, rnd *rand.Rand) string {
	best, ties := 0, 1
	for i := 1; i < len(nodes); i++ {
		switch {
		case scores[i] > scores[best]:
			best, ties = i, 1
		case scores[i] == scores[best]:
			ties++
			if rnd.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return nodes[best].Node.Name
}

// normalize scales scores so that the highest is maxScore.
func normalize(scores []int64) {
	highest := slices.Max(scores)
	for i := range scores {
		if highest > 0 {
			scores[i] = scores[i] * maxScore / highest
		}
	}
}

// normalizeReverse scales scores so that the lowest raw score gets
// maxScore and the highest 0 (all maxScore when all are 0).
func normalizeReverse(scores []int64) {
	highest := slices.Max(scores)
	for i := range scores {
		if highest > 0 {
			scores[i] = maxScore - scores[i]*maxScore/highest
		} else {
			scores[i] = maxScore
		}
	}
}
