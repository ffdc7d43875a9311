package algorithm

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func expr(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

// required gives the pod a required node affinity of terms.
func required(terms ...corev1.NodeSelectorTerm) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms},
		}}
	}
}

func TestNodeAffinity(t *testing.T) {
	n := node("node-1", "1", "1Gi", 10, withLabels("zone", "a", "disk", "ssd", "gen", "5"))
	selector := func(kv ...string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.NodeSelector = map[string]string{}
			for i := 0; i+1 < len(kv); i += 2 {
				p.Spec.NodeSelector[kv[i]] = kv[i+1]
			}
		}
	}
	term := func(exprs ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: exprs}
	}
	fields := func(exprs ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchFields: exprs}
	}
	tests := []struct {
		name string
		mod  func(*corev1.Pod)
		fits bool
	}{
		{"nothing asked", func(*corev1.Pod) {}, true},
		{"nodeSelector matches", selector("zone", "a", "disk", "ssd"), true},
		{"nodeSelector misses a value", selector("zone", "b"), false},
		{"nodeSelector misses a label", selector("gpu", "yes"), false},
		{"In", required(term(expr("zone", "In", "b", "a"))), true},
		{"In, no value matches", required(term(expr("zone", "In", "b", "c"))), false},
		{"NotIn", required(term(expr("zone", "NotIn", "b"))), true},
		{"NotIn its value", required(term(expr("zone", "NotIn", "a"))), false},
		{"NotIn a missing label", required(term(expr("gpu", "NotIn", "x"))), true},
		{"Exists", required(term(expr("disk", "Exists"))), true},
		{"Exists, missing", required(term(expr("gpu", "Exists"))), false},
		{"DoesNotExist", required(term(expr("gpu", "DoesNotExist"))), true},
		{"DoesNotExist, present", required(term(expr("zone", "DoesNotExist"))), false},
		{"Gt", required(term(expr("gen", "Gt", "4"))), true},
		{"Gt, equal", required(term(expr("gen", "Gt", "5"))), false},
		{"Lt", required(term(expr("gen", "Lt", "6"))), true},
		{"Gt, not a number", required(term(expr("gen", "Gt", "x"))), false},
		{"Gt on a non-numeric label", required(term(expr("zone", "Gt", "1"))), false},
		{"unknown operator", required(term(expr("zone", "Like", "a"))), false},
		{"expressions of a term are ANDed", required(term(expr("zone", "In", "a"), expr("disk", "In", "hdd"))), false},
		{"terms are ORed", required(term(expr("zone", "In", "b")), term(expr("disk", "In", "ssd"))), true},
		{"an empty term matches nothing", required(corev1.NodeSelectorTerm{}), false},
		{"no terms match nothing", required(), false},
		{"matchFields metadata.name In", required(fields(expr("metadata.name", "In", "node-1"))), true},
		{"matchFields metadata.name In another", required(fields(expr("metadata.name", "In", "node-2"))), false},
		{"matchFields metadata.name NotIn", required(fields(expr("metadata.name", "NotIn", "node-2"))), true},
		{"matchFields on another field", required(fields(expr("spec.unschedulable", "In", "false"))), false},
		{"matchFields with Exists", required(fields(expr("metadata.name", "Exists"))), false},
		{"fields and labels of a term are ANDed", required(corev1.NodeSelectorTerm{
			MatchExpressions: []corev1.NodeSelectorRequirement{expr("zone", "In", "a")},
			MatchFields:      []corev1.NodeSelectorRequirement{expr("metadata.name", "In", "node-2")},
		}), false},
		{"nodeSelector and affinity must both match", func(p *corev1.Pod) {
			selector("zone", "b")(p)
			required(term(expr("zone", "In", "a")))(p)
		}, false},
	}
	for _, tc := range tests {
		got := nodeAffinity(pod("p", "", "", tc.mod), NewNodeInfo(n))
		if fits := len(got) == 0; fits != tc.fits {
			t.Errorf("%s: %q, want fits=%v", tc.name, got, tc.fits)
		} else if !fits && got[0] != reasonAffinity {
			t.Errorf("%s: reason %q", tc.name, got[0])
		}
	}
}

func TestPreferredAffinity(t *testing.T) {
	prefer := func(terms ...corev1.PreferredSchedulingTerm) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: terms}}
		}
	}
	weighted := func(w int32, e corev1.NodeSelectorRequirement) corev1.PreferredSchedulingTerm {
		return corev1.PreferredSchedulingTerm{Weight: w, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{e}}}
	}
	n := NewNodeInfo(node("n", "1", "1Gi", 10, withLabels("zone", "a", "disk", "ssd")))
	tests := []struct {
		name string
		mod  func(*corev1.Pod)
		want int64
	}{
		{"no affinity", func(*corev1.Pod) {}, 0},
		{"required only", required(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{expr("zone", "In", "a")}}), 0},
		{"matching terms add up", prefer(weighted(10, expr("zone", "In", "a")), weighted(5, expr("disk", "Exists")), weighted(50, expr("zone", "In", "b"))), 15},
		{"an empty preference matches nothing", prefer(corev1.PreferredSchedulingTerm{Weight: 7}), 0},
	}
	for _, tc := range tests {
		if got := preferredAffinity(pod("p", "", "", tc.mod), n); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
