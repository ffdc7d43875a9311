package scheduler

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func TestScheduleOne(t *testing.T) {
	now := metav1.Now()
	tests := []struct {
		name          string
		objs          []runtime.Object
		bound         string // node p is bound to, "" for none
		events        []string
		condition     string // PodScheduled reason: message
		unschedulable bool
	}{
		{name: "binds to the node that fits",
			objs:   []runtime.Object{node("a", "1"), node("b", "4"), pod("p", "2")},
			bound:  "b",
			events: []string{"Normal Scheduled Successfully assigned default/p to b"}},
		{name: "counts the pods bound to a node",
			objs:   []runtime.Object{node("a", "4"), node("b", "4"), pod("x", "3", boundTo("b")), pod("p", "2")},
			bound:  "a",
			events: []string{"Normal Scheduled Successfully assigned default/p to a"}},
		{name: "finished pods hold no place",
			objs: []runtime.Object{node("a", "4"), pod("x", "3", boundTo("a"), func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
				pod("p", "2")},
			bound:  "a",
			events: []string{"Normal Scheduled Successfully assigned default/p to a"}},
		{name: "fits nowhere",
			objs:          []runtime.Object{node("a", "1"), node("b", "1"), pod("p", "2")},
			events:        []string{"Warning FailedScheduling 0/2 nodes are available: 2 Insufficient cpu."},
			condition:     "Unschedulable: 0/2 nodes are available: 2 Insufficient cpu.",
			unschedulable: true},
		{name: "no nodes",
			objs:          []runtime.Object{pod("p", "2")},
			events:        []string{"Warning FailedScheduling no nodes available to schedule pods"},
			condition:     "Unschedulable: no nodes available to schedule pods",
			unschedulable: true},
		{name: "a node being deleted does not count",
			objs: []runtime.Object{func() *corev1.Node {
				n := node("a", "4")
				n.DeletionTimestamp = &now
				return n
			}(), pod("p", "2")},
			events:        []string{"Warning FailedScheduling no nodes available to schedule pods"},
			condition:     "Unschedulable: no nodes available to schedule pods",
			unschedulable: true},
		{name: "another scheduler's pod",
			objs: []runtime.Object{node("a", "4"), pod("p", "1", func(p *corev1.Pod) { p.Spec.SchedulerName = "other" })}},
		{name: "a bound pod", objs: []runtime.Object{node("a", "4"), pod("p", "1", boundTo("a"))}},
		{name: "a pod being deleted",
			objs: []runtime.Object{node("a", "4"), pod("p", "1", func(p *corev1.Pod) { p.DeletionTimestamp = &now })}},
		{name: "a pod that is gone", objs: []runtime.Object{node("a", "4")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.objs...)
			f.scheduleOne(t.Context(), "default/p")
			if got := f.writer.bound["p"]; got != tc.bound {
				t.Errorf("bound to %q, want %q", got, tc.bound)
			}
			if !slices.Equal(f.recorder.events, tc.events) {
				t.Errorf("events %q, want %q", f.recorder.events, tc.events)
			}
			c, ok := f.writer.conditions["p"]
			if got := c.Reason + ": " + c.Message; ok != (tc.condition != "") || ok && (got != tc.condition || c.Status != corev1.ConditionFalse) {
				t.Errorf("condition %+v, want %q", c, tc.condition)
			}
			if f.unschedulable["default/p"] != tc.unschedulable {
				t.Errorf("unschedulable: %v", f.unschedulable)
			}
		})
	}
}

// TestBackToBack: pods placed one after the other, before the informer
// shows any binding, do not share the last room of a node.
func TestBackToBack(t *testing.T) {
	f := newFixture(t, node("a", "1"), node("b", "1"), pod("p1", "1"), pod("p2", "1"), pod("p3", "1"))
	for _, p := range []string{"p1", "p2", "p3"} {
		f.scheduleOne(t.Context(), "default/"+p)
	}
	if got := []string{f.writer.bound["p1"], f.writer.bound["p2"]}; got[0] == got[1] || got[0] == "" || got[1] == "" {
		t.Errorf("p1 and p2 bound to %q", got)
	}
	if _, ok := f.writer.bound["p3"]; ok {
		t.Errorf("p3 bound: %v", f.writer.bound)
	}
	if want := "0/2 nodes are available: 2 Insufficient cpu."; f.writer.conditions["p3"].Message != want {
		t.Errorf("p3: %+v", f.writer.conditions["p3"])
	}
	// The informer catches up: the assumption goes, the place stays taken.
	bound := pod("p1", "1", boundTo(f.writer.bound["p1"]))
	f.add(bound)
	f.onPodUpdate(pod("p1", "1"), bound)
	if f.assumed.has(bound.UID) || !f.assumed.has("uid-p2") {
		t.Errorf("assumed: %v", f.assumed.list())
	}
	// A pod already assumed is not placed twice.
	f.scheduleOne(t.Context(), "default/p2")
	if len(f.recorder.events) != 3 {
		t.Errorf("events: %q", f.recorder.events)
	}
}

// TestBackToBackSpread: the pods of one ReplicaSet, created in one burst
// and placed one after the other before the informer shows any of them
// bound, land on different nodes: each decision sees the pods assumed
// before it, whatever the tie-breaks. Node c is the busiest (another
// pod's 2 cpu), yet spreading the ReplicaSet's pods weighs more than the
// cpu left.
func TestBackToBackSpread(t *testing.T) {
	rs := func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web", UID: "uid-rs", Controller: ptr.To(true)}}
	}
	for seed := range uint64(20) {
		f := newFixture(t, node("a", "4"), node("b", "4"), node("c", "4"), pod("other", "2", boundTo("c")))
		f.rnd = rand.New(rand.NewPCG(seed, 0))
		names := []string{"p1", "p2", "p3", "p4", "p5", "p6"}
		for _, n := range names {
			f.add(pod(n, "100m", rs))
		}
		perNode := map[string]int{}
		for i, n := range names {
			f.scheduleOne(t.Context(), "default/"+n)
			perNode[f.writer.bound[n]]++
			// Every node gets its first pod before any gets a second.
			if want := i/3 + 1; perNode[f.writer.bound[n]] != want {
				t.Fatalf("seed %d: %s is pod %d of node %q (bound: %v)", seed, n, perNode[f.writer.bound[n]], f.writer.bound[n], f.writer.bound)
			}
		}
	}
}

func TestBindFailure(t *testing.T) {
	gr := schema.GroupResource{Resource: "pods"}
	tests := []struct {
		name     string
		err      error
		event    string
		requeued bool
	}{
		{"server error is retried", apierrors.NewInternalError(errors.New("etcd down")), "Warning FailedScheduling Binding rejected: Internal error occurred: etcd down", true},
		{"a pod bound meanwhile is dropped", apierrors.NewConflict(gr, "p", errors.New("already assigned")), "", false},
		{"a pod deleted meanwhile is dropped", apierrors.NewNotFound(gr, "p"), "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, node("a", "1"), pod("p", "1"))
			f.writer.bindErr = tc.err
			f.scheduleOne(t.Context(), "default/p")
			if f.assumed.has("uid-p") {
				t.Error("still assumed after a failed binding")
			}
			var want []string
			if tc.event != "" {
				want = []string{tc.event}
			}
			if !slices.Equal(f.recorder.events, want) {
				t.Errorf("events %q, want %q", f.recorder.events, want)
			}
			if requeued := f.queue.NumRequeues("default/p") > 0; requeued != tc.requeued {
				t.Errorf("requeued %v, want %v", requeued, tc.requeued)
			}
		})
	}
}

// TestUnschedulableComeBack: an unschedulable pod waits for a cluster
// change, then comes back with back-off; a change during its try sends
// it back at once.
func TestUnschedulableComeBack(t *testing.T) {
	f := newFixture(t, node("a", "1"), pod("p", "2"))
	f.scheduleOne(t.Context(), "default/p")
	if !f.unschedulable["default/p"] || f.queue.Len() != 0 {
		t.Fatalf("unschedulable %v, queue %d", f.unschedulable, f.queue.Len())
	}
	f.add(node("b", "4"))
	f.clusterChanged()
	if len(f.unschedulable) != 0 || f.queue.NumRequeues("default/p") != 1 {
		t.Fatalf("unschedulable %v, requeues %d", f.unschedulable, f.queue.NumRequeues("default/p"))
	}
	key, _ := f.queue.Get() // after the first back-off, a second
	f.scheduleOne(t.Context(), key)
	f.queue.Done(key)
	if f.writer.bound["p"] != "b" {
		t.Errorf("bound: %v", f.writer.bound)
	}

	seen := f.startTry("default/q")
	f.clusterChanged()
	f.parkUnschedulable("default/q", seen)
	if f.unschedulable["default/q"] || f.queue.NumRequeues("default/q") != 1 {
		t.Errorf("a change during the try: unschedulable %v, requeues %d", f.unschedulable, f.queue.NumRequeues("default/q"))
	}
}

func TestEventHandlers(t *testing.T) {
	heartbeat := node("a", "1")
	heartbeat.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(time.Now())
	bigger, notReady, labelled := node("a", "2"), node("a", "1"), node("a", "1")
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	labelled.Labels = map[string]string{"disk": "ssd"}
	pending := pod("p", "1")
	withStatus := pod("p", "1", func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse}}
	})
	tolerating := pod("p", "1", func(p *corev1.Pod) { p.Spec.Tolerations = []corev1.Toleration{{Operator: "Exists"}} })
	running, done := pod("x", "1", boundTo("a")), pod("x", "1", boundTo("a"), func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed })
	tests := []struct {
		name     string
		event    func(f *fixture)
		changed  bool // the unschedulable pods were sent back
		enqueued bool // p was queued
	}{
		{"node added", func(f *fixture) { f.clusterChanged() }, true, false},
		{"node heartbeat", func(f *fixture) { f.onNodeUpdate(node("a", "1"), heartbeat) }, false, false},
		{"node grows", func(f *fixture) { f.onNodeUpdate(node("a", "1"), bigger) }, true, false},
		{"node turns not ready", func(f *fixture) { f.onNodeUpdate(node("a", "1"), notReady) }, true, false},
		{"node labelled", func(f *fixture) { f.onNodeUpdate(node("a", "1"), labelled) }, true, false},
		{"bound pod deleted", func(f *fixture) { f.onPodDelete(running) }, true, false},
		{"pending pod deleted", func(f *fixture) { f.onPodDelete(pod("y", "1")) }, false, false},
		{"bound pod finishes", func(f *fixture) { f.onPodUpdate(running, done) }, true, false},
		{"bound pod changes status", func(f *fixture) { f.onPodUpdate(running, running.DeepCopy()) }, false, false},
		{"pending pod added", func(f *fixture) { f.onPodAdd(pending) }, false, true},
		{"pending pod's status written", func(f *fixture) { f.onPodUpdate(pending, withStatus) }, false, false},
		{"pending pod's spec changes", func(f *fixture) { f.onPodUpdate(pending, tolerating) }, false, true},
		{"other scheduler's pod added", func(f *fixture) {
			f.onPodAdd(pod("p", "1", func(p *corev1.Pod) { p.Spec.SchedulerName = "other" }))
		}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.unschedulable["default/waiting"] = true
			tc.event(f)
			if changed := !f.unschedulable["default/waiting"]; changed != tc.changed {
				t.Errorf("sent back: %v, want %v", changed, tc.changed)
			}
			if enqueued := f.queue.Len() == 1; enqueued != tc.enqueued {
				t.Errorf("queued %d, want %v", f.queue.Len(), tc.enqueued)
			}
		})
	}
}

func TestSetCondition(t *testing.T) {
	past := metav1.NewTime(time.Now().Add(-time.Hour))
	now := metav1.Now()
	unsched := func(msg string, at metav1.Time) corev1.PodCondition {
		return corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: msg, LastTransitionTime: at}
	}
	tests := []struct {
		name    string
		have    []corev1.PodCondition
		changed bool
		at      metav1.Time
	}{
		{"added", nil, true, now},
		{"same", []corev1.PodCondition{unsched("m", past)}, false, past},
		{"new message, same status: time kept", []corev1.PodCondition{unsched("old", past)}, true, past},
		{"status changes: time moves", []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: past}}, true, now},
	}
	for _, tc := range tests {
		st := &corev1.PodStatus{Conditions: append([]corev1.PodCondition{{Type: corev1.PodReady}}, tc.have...)}
		changed := setCondition(st, unsched("m", now))
		c := st.Conditions[len(st.Conditions)-1]
		if changed != tc.changed || c.Message != "m" || !c.LastTransitionTime.Equal(&tc.at) || len(st.Conditions) != 2 {
			t.Errorf("%s: changed %v, %+v", tc.name, changed, st.Conditions)
		}
	}
}
