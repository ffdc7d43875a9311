package daemonset

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiffrt/skiff/controlplane/controller/history"
)

// counts are desired, current, misscheduled, ready, available, updated.
type counts [6]int32

func countsOf(s appsv1.DaemonSetStatus) counts {
	return counts{s.DesiredNumberScheduled, s.CurrentNumberScheduled, s.NumberMisscheduled, s.NumberReady, s.NumberAvailable, s.UpdatedNumberScheduled}
}

func TestSync(t *testing.T) {
	v1, v2 := ds(), ds(image("agent:2"))
	h1, h2 := hashOf(v1), hashOf(v2)
	edge := func(n *corev1.Node) { n.Labels["role"] = "edge" }
	onEdge := func(d *appsv1.DaemonSet) { d.Spec.Template.Spec.NodeSelector = map[string]string{"role": "edge"} }
	surge := func(d *appsv1.DaemonSet) {
		d.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: new(intstr.FromInt32(0)), MaxSurge: new(intstr.FromInt32(1))}
	}
	tests := []struct {
		name       string
		objs       []any
		pending    bool
		created    []string // nodes
		deleted    []string // pods
		revCreated int
		revUpdated []string
		status     counts
		events     []string
	}{
		{name: "a pod on every node, a first revision",
			objs:    []any{v1, node("n1"), node("n2")},
			created: []string{"n1", "n2"}, revCreated: 1, status: counts{2, 0, 0, 0, 0, 0}},
		{name: "nodeSelector",
			objs:    []any{ds(onEdge), node("n1", edge), node("n2")},
			created: []string{"n1"}, revCreated: 1, status: counts{1, 0, 0, 0, 0, 0}},
		{name: "required node affinity",
			objs: []any{ds(func(d *appsv1.DaemonSet) {
				d.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
					NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "role", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"edge"}}}}},
				}}}
			}), node("n1", edge), node("n2")},
			created: []string{"n2"}, revCreated: 1, status: counts{1, 0, 0, 0, 0, 0}},
		{name: "an untolerated NoSchedule taint keeps new pods off, the running one stays",
			objs:       []any{v1, revision(v1, 1), node("n1", taint("dedicated", corev1.TaintEffectNoSchedule)), node("n2", taint("dedicated", corev1.TaintEffectNoSchedule)), pod("p1", "n1", h1)},
			revCreated: 0, status: counts{0, 0, 1, 0, 0, 0}},
		{name: "an untolerated NoExecute taint sends the pod away",
			objs:    []any{v1, revision(v1, 1), node("n1", taint("dedicated", corev1.TaintEffectNoExecute)), pod("p1", "n1", h1)},
			deleted: []string{"p1"}, status: counts{0, 0, 1, 0, 0, 0}},
		{name: "default tolerations: not-ready, unreachable, unschedulable, pressure",
			objs: []any{v1, revision(v1, 1), node("n1", taint(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute)),
				node("n2", taint(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)),
				node("n3", taint(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule), taint(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule))},
			created: []string{"n1", "n2", "n3"}, status: counts{3, 0, 0, 0, 0, 0}},
		{name: "a node that no longer matches loses its pod",
			objs:    []any{ds(onEdge), revision(ds(onEdge), 1), node("n1"), pod("p1", "n1", hashOf(ds(onEdge)))},
			deleted: []string{"p1"}, status: counts{0, 0, 1, 0, 0, 0}},
		{name: "a failed pod is deleted (and replaced next time)",
			objs:    []any{v1, revision(v1, 1), node("n1"), pod("p1", "n1", h1, func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed })},
			deleted: []string{"p1"}, status: counts{1, 0, 0, 0, 0, 0}, events: []string{"FailedDaemonPod"}},
		{name: "two pods on a node: the newer goes",
			objs: []any{v1, revision(v1, 1), node("n1"), pod("old", "n1", h1),
				pod("young", "n1", h1, func(p *corev1.Pod) { p.CreationTimestamp.Time = now })},
			deleted: []string{"young"}, status: counts{1, 1, 0, 1, 1, 1}},
		{name: "up to date: nothing to do",
			objs:   []any{v1, revision(v1, 1), node("n1"), node("n2"), pod("p1", "n1", h1), pod("p2", "n2", h1, notReady)},
			status: counts{2, 2, 0, 1, 1, 2}},
		{name: "rolling update: one old pod at a time (maxUnavailable 1)",
			objs:    []any{v2, revision(v1, 1), node("n1"), node("n2"), node("n3"), pod("p1", "n1", h1), pod("p2", "n2", h1), pod("p3", "n3", h1)},
			deleted: []string{"p1"}, revCreated: 1, status: counts{3, 3, 0, 3, 3, 0}},
		{name: "rolling update: an unavailable old pod goes first, without budget for more",
			objs:    []any{v2, revision(v1, 1), revision(v2, 2), node("n1"), node("n2"), node("n3"), pod("p1", "n1", h1), pod("p2", "n2", h1, notReady), pod("p3", "n3", h1)},
			deleted: []string{"p2"}, status: counts{3, 3, 0, 2, 2, 0}},
		{name: "rolling update: a node without a pod uses the budget",
			objs:    []any{v2, revision(v1, 1), revision(v2, 2), node("n1"), node("n2"), pod("p2", "n2", h1)},
			created: []string{"n1"}, status: counts{2, 1, 0, 1, 1, 0}},
		{name: "rolling update with maxSurge: the new pod starts beside the old one",
			objs:    []any{ds(image("agent:2"), surge), revision(v1, 1), node("n1"), node("n2"), pod("p1", "n1", h1), pod("p2", "n2", h1)},
			created: []string{"n1"}, revCreated: 1, status: counts{2, 2, 0, 2, 2, 0}},
		{name: "rolling update with maxSurge: the old pod goes once the new one is available",
			objs: []any{ds(image("agent:2"), surge), revision(v1, 1), revision(ds(image("agent:2"), surge), 2), node("n1"), node("n2"),
				pod("p1", "n1", h1), pod("new1", "n1", hashOf(ds(image("agent:2"), surge))), pod("p2", "n2", h1)},
			deleted: []string{"p1"}, status: counts{2, 2, 0, 2, 2, 1}},
		{name: "OnDelete: old pods stay",
			objs: []any{ds(image("agent:2"), func(d *appsv1.DaemonSet) {
				d.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
			}),
				revision(v1, 1), node("n1"), pod("p1", "n1", h1)},
			revCreated: 1, status: counts{1, 1, 0, 1, 1, 0}},
		{name: "rollout undo: the older template's revision becomes the newest",
			objs:    []any{v1, revision(v1, 1), revision(v2, 2), node("n1"), pod("p1", "n1", h2)},
			deleted: []string{"p1"}, revUpdated: []string{revision(v1, 1).Name}, status: counts{1, 1, 0, 1, 1, 0}},
		{name: "creations in flight: waits for the informer",
			objs:    []any{v1, revision(v1, 1), node("n1")},
			pending: true, status: counts{1, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testController(t, tt.objs...)
			if tt.pending {
				f.c.expect.ExpectCreations("ns/agent", 1)
			}
			if err := f.c.sync(t.Context(), "ns/agent"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			if !slices.Equal(f.pods.created, tt.created) || !slices.Equal(f.pods.deleted, tt.deleted) ||
				len(f.history.Created) != tt.revCreated || !slices.Equal(f.history.Updated, tt.revUpdated) ||
				!slices.Equal(f.events.Reasons(), tt.events) {
				t.Fatalf("created on %v, deleted %v, revisions created %v updated %v, events %v; want %v, %v, %d, %v, %v",
					f.pods.created, f.pods.deleted, f.history.Created, f.history.Updated, f.events.Reasons(),
					tt.created, tt.deleted, tt.revCreated, tt.revUpdated, tt.events)
			}
			if len(f.api.statuses) != 1 {
				t.Fatalf("%d status writes", len(f.api.statuses))
			}
			st := f.api.statuses[0]
			if got := countsOf(st); got != tt.status || st.ObservedGeneration != 1 || st.NumberUnavailable != st.DesiredNumberScheduled-st.NumberAvailable {
				t.Fatalf("status %v (generation %d), want %v", got, st.ObservedGeneration, tt.status)
			}
			for _, p := range f.pods.pods {
				if p.Labels[history.HashLabel] == "" || p.Labels[templateGenerationLabel] != "1" || len(p.Spec.Tolerations) < len(defaultTolerations) ||
					p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields[0].Key != "metadata.name" {
					t.Fatalf("created pod %+v", p)
				}
			}
		})
	}
}

// TestRevisionData: a revision holds the patch kubectl rollout undo
// applies.
func TestRevisionData(t *testing.T) {
	data, err := revisionData(ds())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"image":"agent:1","name":"c","resources":{}}]}}}}`
	if string(data) != want {
		t.Fatalf("data %s", data)
	}
}

// TestRevisionCleanup: unused revisions beyond the limit go, oldest first.
func TestRevisionCleanup(t *testing.T) {
	limited := func(d *appsv1.DaemonSet) { d.Spec.RevisionHistoryLimit = new(int32(1)) }
	cur := ds(image("agent:4"), limited)
	objs := []any{cur, node("n1")}
	for i, img := range []string{"agent:1", "agent:2", "agent:3", "agent:4"} {
		objs = append(objs, revision(ds(image(img), limited), int64(i+1)))
	}
	objs = append(objs, pod("p1", "n1", hashOf(ds(image("agent:1"), limited))), pod("p2", "n1", hashOf(cur), func(p *corev1.Pod) { p.CreationTimestamp.Time = now }))
	f := testController(t, objs...)
	if err := f.c.sync(t.Context(), "ns/agent"); err != nil {
		t.Fatal(err)
	}
	if want := []string{revision(ds(image("agent:2"), limited), 2).Name}; !slices.Equal(f.history.Deleted, want) {
		t.Fatalf("deleted revisions %v, want %v", f.history.Deleted, want)
	}
}
