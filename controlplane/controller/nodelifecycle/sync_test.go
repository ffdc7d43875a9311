package nodelifecycle

import (
	"context"
	"slices"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordlisters "k8s.io/client-go/listers/coordination/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

// world is the API as the controller's listers see it; writes go
// straight back into the listers.
type world struct {
	nodes, leases, pods cache.Indexer
	deleted             []string
}

func newWorld() *world {
	return &world{
		nodes:  cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}),
		leases: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}),
		pods:   cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{byNode: podNode}),
	}
}

func (w *world) updateNodeStatus(_ context.Context, n *corev1.Node) (*corev1.Node, error) {
	return n, w.nodes.Update(n)
}

func (w *world) updateNode(_ context.Context, n *corev1.Node) (*corev1.Node, error) {
	return n, w.nodes.Update(n)
}

func (w *world) updatePodStatus(_ context.Context, p *corev1.Pod) error { return w.pods.Update(p) }

func (w *world) deletePod(_ context.Context, p *corev1.Pod) error {
	w.deleted = append(w.deleted, p.Name)
	p = p.DeepCopy()
	p.DeletionTimestamp = &metav1.Time{Time: t0}
	return w.pods.Update(p)
}

func (w *world) node(t *testing.T, name string) *corev1.Node {
	t.Helper()
	obj, ok, _ := w.nodes.GetByKey(name)
	if !ok {
		t.Fatalf("no node %s", name)
	}
	return obj.(*corev1.Node)
}

func (w *world) pod(t *testing.T, name string) *corev1.Pod {
	t.Helper()
	obj, ok, _ := w.pods.GetByKey("default/" + name)
	if !ok {
		t.Fatalf("no pod %s", name)
	}
	return obj.(*corev1.Pod)
}

func (w *world) renew(name string, at time.Time) {
	_ = w.leases.Add(&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: LeaseNamespace},
		Spec: coordinationv1.LeaseSpec{RenewTime: &metav1.MicroTime{Time: at}}})
}

func readyNode(name string, at time.Time) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(at.Add(-time.Hour))},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
			Reason: "KubeletReady", LastHeartbeatTime: metav1.NewTime(at)}}}}
}

func readyPod(name, node string, tolerations ...corev1.Toleration) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + "name"},
		Spec:   corev1.PodSpec{NodeName: node, Tolerations: tolerations},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
}

func tolerate(key string, secs *int64) corev1.Toleration {
	return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs}
}

func secs(n int64) *int64 { return &n }

func taintsOf(n *corev1.Node) []string { return taintKeys(n.Spec.Taints) }

func TestNodeLifecycle(t *testing.T) {
	w := newWorld()
	_ = w.nodes.Add(readyNode("n1", t0))
	w.renew("n1", t0)
	_ = w.pods.Add(readyPod("plain", "n1"))
	_ = w.pods.Add(readyPod("short", "n1", tolerate(corev1.TaintNodeUnreachable, secs(5))))
	_ = w.pods.Add(readyPod("forever", "n1", tolerate(corev1.TaintNodeUnreachable, nil)))
	_ = w.pods.Add(readyPod("other-node", "n2"))
	now := t0
	c := newController(Config{GracePeriod: 40 * time.Second}, corelisters.NewNodeLister(w.nodes),
		coordlisters.NewLeaseLister(w.leases), w.pods, w, record.NewFakeRecorder(100))
	c.now = func() time.Time { return now }
	sync := func() {
		t.Helper()
		if err := c.sync(context.Background(), "n1"); err != nil {
			t.Fatal(err)
		}
	}

	// Within the grace period (the Lease renewed late in it), nothing.
	now = t0.Add(35 * time.Second)
	w.renew("n1", t0.Add(30*time.Second))
	sync()
	if readyStatus(w.node(t, "n1")) != corev1.ConditionTrue || len(w.node(t, "n1").Spec.Taints) != 0 {
		t.Fatalf("a node within its grace period was marked: %+v", w.node(t, "n1").Spec.Taints)
	}

	// The Lease is late: Unknown, tainted, pods not ready; a pod that
	// does not tolerate unreachable goes at once.
	now = t0.Add(71 * time.Second)
	sync()
	n := w.node(t, "n1")
	if readyStatus(n) != corev1.ConditionUnknown || condition(n, corev1.NodeReady).Reason != reasonUnknown {
		t.Errorf("ready %+v", condition(n, corev1.NodeReady))
	}
	if c := condition(n, corev1.NodeMemoryPressure); c == nil || c.Status != corev1.ConditionUnknown {
		t.Errorf("memory pressure %+v", c)
	}
	if got := taintsOf(n); !slices.Equal(got, []string{"node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"}) {
		t.Errorf("taints %v", got)
	}
	if ready := w.pod(t, "short").Status.Conditions[0]; ready.Status != corev1.ConditionFalse {
		t.Errorf("pod still ready: %+v", ready)
	}
	if ready := w.pod(t, "other-node").Status.Conditions[0]; ready.Status != corev1.ConditionTrue {
		t.Error("a pod of another node was marked not ready")
	}
	if !slices.Equal(w.deleted, []string{"plain"}) {
		t.Errorf("evicted %v, want plain alone", w.deleted)
	}

	// The short toleration runs out; the unbounded one never does.
	now = t0.Add(75 * time.Second)
	sync()
	if !slices.Equal(w.deleted, []string{"plain"}) {
		t.Errorf("evicted %v before the toleration ran out", w.deleted)
	}
	now = t0.Add(77 * time.Second)
	sync()
	sync()
	if !slices.Equal(w.deleted, []string{"plain", "short"}) {
		t.Errorf("evicted %v, want plain and short once each", w.deleted)
	}

	// The agent comes back: Lease renewed and Ready posted. Taints go.
	now = t0.Add(90 * time.Second)
	w.renew("n1", now)
	back := readyNode("n1", now)
	back.Spec.Taints = w.node(t, "n1").Spec.Taints
	_ = w.nodes.Update(back)
	sync()
	if got := taintsOf(w.node(t, "n1")); len(got) != 0 {
		t.Errorf("taints left on a ready node: %v", got)
	}
}

func TestNotReadyNodeTainted(t *testing.T) {
	w := newWorld()
	n := readyNode("n1", t0)
	n.Status.Conditions[0].Status = corev1.ConditionFalse
	n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "x", Effect: corev1.TaintEffectNoSchedule}}
	_ = w.nodes.Add(n)
	w.renew("n1", t0)
	c := newController(Config{}, corelisters.NewNodeLister(w.nodes), coordlisters.NewLeaseLister(w.leases), w.pods, w, record.NewFakeRecorder(100))
	c.now = func() time.Time { return t0.Add(time.Second) }
	if err := c.sync(context.Background(), "n1"); err != nil {
		t.Fatal(err)
	}
	if got := taintsOf(w.node(t, "n1")); !slices.Equal(got, []string{"dedicated:NoSchedule", "node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"}) {
		t.Errorf("taints %v", got)
	}
	if readyStatus(w.node(t, "n1")) != corev1.ConditionFalse {
		t.Error("a node with a fresh Lease was marked Unknown")
	}
}

func TestEvictionTime(t *testing.T) {
	added := &metav1.Time{Time: t0}
	unreachable := []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute, TimeAdded: added}}
	tests := []struct {
		name  string
		tols  []corev1.Toleration
		at    time.Duration
		evict bool
	}{
		{"no toleration: now", nil, -time.Duration(t0.UnixNano()), true},
		{"300 s", []corev1.Toleration{tolerate(corev1.TaintNodeUnreachable, secs(300))}, 300 * time.Second, true},
		{"shortest wins", []corev1.Toleration{tolerate(corev1.TaintNodeUnreachable, secs(300)), {Operator: corev1.TolerationOpExists, TolerationSeconds: secs(10)}}, 10 * time.Second, true},
		{"unbounded", []corev1.Toleration{tolerate(corev1.TaintNodeUnreachable, nil)}, 0, false},
		{"NoSchedule toleration does not count", []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}, -time.Duration(t0.UnixNano()), true},
	}
	for _, tc := range tests {
		at, evict := evictionTime(&corev1.Pod{Spec: corev1.PodSpec{Tolerations: tc.tols}}, unreachable)
		if evict != tc.evict || (evict && tc.at > -time.Duration(t0.UnixNano()) && !at.Equal(t0.Add(tc.at))) || (evict && tc.at == -time.Duration(t0.UnixNano()) && !at.IsZero()) {
			t.Errorf("%s: %v %v", tc.name, at, evict)
		}
	}
}

func TestHeartbeatHint(t *testing.T) {
	lease := func(secs int32) *coordinationv1.Lease {
		l := &coordinationv1.Lease{}
		if secs >= 0 {
			l.Spec.LeaseDurationSeconds = &secs
		}
		return l
	}
	tests := []struct {
		name  string
		lease *coordinationv1.Lease
		grace time.Duration
		want  string
	}{
		{"kubelet's defaults: every 10s, 40s grace", lease(40), 40 * time.Second, ""},
		{"two heartbeats per grace period", lease(40), 20 * time.Second, ""},
		{"every 2s, 10s grace", lease(8), 10 * time.Second, ""},
		{"every 10s, 10s grace", lease(40), 10 * time.Second,
			"the node renews its Lease every 10s, too rarely for a grace period of 10s: " +
				"lower its agent's --node-lease-duration or raise --node-monitor-grace-period"},
		{"no duration", lease(-1), 10 * time.Second, ""},
	}
	for _, tc := range tests {
		if got := heartbeatHint(tc.lease, tc.grace); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
