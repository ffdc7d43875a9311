package daemonset

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/scheduler/algorithm"
)

// templateGenerationLabel is the deprecated label upstream still puts on
// daemon pods: the DaemonSet's generation when the pod was made.
const templateGenerationLabel = "pod-template-generation"

// defaultTolerations are what every daemon pod tolerates, as upstream's:
// it stays on nodes that are not ready or unreachable, and goes on nodes
// under pressure or cordoned.
var defaultTolerations = []corev1.Toleration{
	{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
}

// hostNetworkToleration is added for pods on the host network.
var hostNetworkToleration = corev1.Toleration{Key: corev1.TaintNodeNetworkUnavailable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}

// tolerations are the template's tolerations and the defaults it lacks.
func tolerations(spec *corev1.PodSpec) []corev1.Toleration {
	out := append([]corev1.Toleration(nil), spec.Tolerations...)
	defaults := defaultTolerations
	if spec.HostNetwork {
		defaults = append(defaults[:len(defaults):len(defaults)], hostNetworkToleration)
	}
	for _, d := range defaults {
		have := false
		for _, t := range out {
			if t.Key == d.Key && t.Effect == d.Effect && t.Operator == d.Operator {
				have = true
			}
		}
		if !have {
			out = append(out, d)
		}
	}
	return out
}

// placement tells whether ds wants a pod on node (run), and whether a pod
// already there may stay (keep): a NoSchedule taint it does not tolerate
// keeps new pods off, a NoExecute one sends running pods away.
func placement(ds *appsv1.DaemonSet, node *corev1.Node) (run, keep bool) {
	pod := &corev1.Pod{Spec: *ds.Spec.Template.Spec.DeepCopy()}
	pod.Spec.Tolerations = tolerations(&pod.Spec)
	if !algorithm.NodeMatches(pod, node) {
		return false, false
	}
	run, keep = true, true
	for i := range node.Spec.Taints {
		t := &node.Spec.Taints[i]
		if algorithm.Tolerates(pod.Spec.Tolerations, t) {
			continue
		}
		switch t.Effect {
		case corev1.TaintEffectNoSchedule:
			run = false
		case corev1.TaintEffectNoExecute:
			return false, false
		}
	}
	return run, keep
}

// nodeOf is the node a daemon pod is on, or is bound to by its node
// affinity while not scheduled yet.
func nodeOf(p *corev1.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, f := range t.MatchFields {
			if f.Key == metadataName && f.Operator == corev1.NodeSelectorOpIn && len(f.Values) == 1 {
				return f.Values[0]
			}
		}
	}
	return ""
}

const metadataName = "metadata.name"

// podTemplate is the template of ds's pod on node: the revision's hash
// and the generation as labels, the default tolerations, and a required
// node affinity naming the node alone (what the controller checked of
// the template's own affinity is done).
func podTemplate(ds *appsv1.DaemonSet, node, hash string) *corev1.PodTemplateSpec {
	t := ds.Spec.Template.DeepCopy()
	t.Labels = maps.Clone(t.Labels)
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	t.Labels[history.HashLabel] = hash
	t.Labels[templateGenerationLabel] = itoa(ds.Generation)
	t.Spec.Tolerations = tolerations(&t.Spec)
	if t.Spec.Affinity == nil {
		t.Spec.Affinity = &corev1.Affinity{}
	}
	if t.Spec.Affinity.NodeAffinity == nil {
		t.Spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	t.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{
			{Key: metadataName, Operator: corev1.NodeSelectorOpIn, Values: []string{node}},
		}}},
	}
	return t
}
