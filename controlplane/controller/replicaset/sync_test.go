package replicaset

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// status is the part of a ReplicaSet's status the tests compare:
// replicas, fullyLabeled, ready, available, terminating, observedGeneration.
type status [6]int32

func statusOf(s appsv1.ReplicaSetStatus) status {
	var term int32 = -1
	if s.TerminatingReplicas != nil {
		term = *s.TerminatingReplicas
	}
	return status{s.Replicas, s.FullyLabeledReplicas, s.ReadyReplicas, s.AvailableReplicas, term, int32(s.ObservedGeneration)}
}

func TestSync(t *testing.T) {
	failing := errors.New("boom")
	tests := []struct {
		name       string
		objs       []any
		pending    func(c *Controller) // expectations set before the sync
		quota      int                 // creates that succeed, when limited
		limited    bool
		failDelete map[string]error
		wantErr    bool
		created    int
		deleted    []string
		patched    []string
		status     *status // nil: no status write
		failure    string  // reason of the ReplicaFailure condition written
	}{
		{
			name:    "creates the missing pods",
			objs:    append([]any{rs(3)}, pod("p0", "rs-uid", time.Hour)),
			created: 2, status: &status{1, 1, 1, 1, 0, 2},
		},
		{
			name: "nothing to do, status already right",
			objs: append([]any{rs(2, func(r *appsv1.ReplicaSet) {
				r.Status = appsv1.ReplicaSetStatus{Replicas: 2, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2, TerminatingReplicas: new(int32(0)), ObservedGeneration: 2}
			})}, podNames(2, "rs-uid")...),
			created: 0, status: nil,
		},
		{
			name: "too many: unscheduled, then not ready, then newer go first",
			objs: []any{rs(2),
				pod("old-ready", "rs-uid", 10*time.Hour),
				pod("new-ready", "rs-uid", time.Minute),
				pod("unready", "rs-uid", 10*time.Hour, notReady),
				pod("pending", "rs-uid", 10*time.Hour, unscheduled),
			},
			deleted: []string{"pending", "unready"}, status: &status{4, 4, 2, 2, 0, 2},
		},
		{
			name:    "adopts a matching orphan instead of creating",
			objs:    []any{rs(2), pod("mine", "rs-uid", time.Hour), pod("orphan", "", time.Hour)},
			patched: []string{"orphan"}, status: &status{2, 2, 2, 2, 0, 2},
		},
		{
			name:    "releases a pod whose labels no longer match, and replaces it",
			objs:    []any{rs(1), pod("relabeled", "rs-uid", time.Hour, func(p *corev1.Pod) { p.Labels = map[string]string{"app": "debug"} })},
			patched: []string{"relabeled"}, created: 1, status: &status{0, 0, 0, 0, 0, 2},
		},
		{
			name:    "another controller's pods are not counted",
			objs:    []any{rs(1), pod("theirs", "other-uid", time.Hour)},
			created: 1, status: &status{0, 0, 0, 0, 0, 2},
		},
		{
			name:    "finished pods are not counted",
			objs:    []any{rs(1), pod("done", "rs-uid", time.Hour, func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded })},
			created: 1, status: &status{0, 0, 0, 0, 0, 2},
		},
		{
			name:    "terminating pods are counted apart and replaced",
			objs:    []any{rs(1), pod("going", "rs-uid", time.Hour, func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: now} })},
			created: 1, status: &status{0, 0, 0, 0, 1, 2},
		},
		{
			name:    "creations in flight: waits for the informer",
			objs:    []any{rs(3)},
			pending: func(c *Controller) { c.expect.ExpectCreations("ns/web", 3) },
			status:  &status{0, 0, 0, 0, 0, 2},
		},
		{
			name:   "being deleted: creates nothing",
			objs:   []any{rs(3, func(r *appsv1.ReplicaSet) { r.DeletionTimestamp = &metav1.Time{Time: now} })},
			status: &status{0, 0, 0, 0, 0, 2},
		},
		{
			name: "pods missing template labels are not fully labeled; minReadySeconds holds availability",
			objs: []any{rs(2, func(r *appsv1.ReplicaSet) { r.Spec.MinReadySeconds = 60 }),
				pod("partial", "rs-uid", time.Hour, func(p *corev1.Pod) { delete(p.Labels, "tier") }),
				pod("fresh", "rs-uid", 10*time.Second)},
			status: &status{2, 1, 2, 1, 0, 2},
		},
		{
			name:    "a failed create stops the slow start and sets ReplicaFailure",
			objs:    []any{rs(5)},
			limited: true, quota: 0, wantErr: true, status: &status{0, 0, 0, 0, 0, 2}, failure: "FailedCreate",
		},
		{
			name:    "slow start: batches 1, 2, 4 until one fails",
			objs:    []any{rs(10)},
			limited: true, quota: 4, wantErr: true, created: 4, status: &status{0, 0, 0, 0, 0, 2}, failure: "FailedCreate",
		},
		{
			name:       "a failed delete sets ReplicaFailure",
			objs:       append([]any{rs(1)}, podNames(2, "rs-uid")...),
			failDelete: map[string]error{"p0": failing, "p1": failing},
			wantErr:    true, deleted: []string{"p0"}, status: &status{2, 2, 2, 2, 0, 2}, failure: "FailedDelete",
		},
		{
			name: "ReplicaFailure goes once pods are written again",
			objs: []any{rs(1, func(r *appsv1.ReplicaSet) {
				r.Status.Conditions = []appsv1.ReplicaSetCondition{{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate"}}
			})},
			created: 1, status: &status{0, 0, 0, 0, 0, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, a, p := testController(t, tt.objs...)
			if tt.limited {
				p.okCreates = tt.quota
			}
			p.failDelete = tt.failDelete
			if tt.pending != nil {
				tt.pending(c)
			}
			err := c.sync(t.Context(), "ns/web")
			if (err != nil) != tt.wantErr {
				t.Fatalf("sync: %v", err)
			}
			if p.created != tt.created || !slices.Equal(p.deleted, tt.deleted) || !slices.Equal(p.patched, tt.patched) {
				t.Fatalf("created %d, deleted %v, patched %v; want %d, %v, %v", p.created, p.deleted, p.patched, tt.created, tt.deleted, tt.patched)
			}
			if tt.status == nil {
				if len(a.statuses) != 0 {
					t.Fatalf("status written: %+v", a.statuses)
				}
				return
			}
			if len(a.statuses) != 1 {
				t.Fatalf("%d status writes", len(a.statuses))
			}
			st := a.statuses[0]
			if got := statusOf(st); got != *tt.status {
				t.Fatalf("status %v, want %v", got, *tt.status)
			}
			cond := condition(st, appsv1.ReplicaSetReplicaFailure)
			switch {
			case tt.failure == "" && cond != nil:
				t.Fatalf("ReplicaFailure %+v", cond)
			case tt.failure != "" && (cond == nil || cond.Reason != tt.failure || cond.Status != corev1.ConditionTrue || !strings.Contains(cond.Message, "boom") && !strings.Contains(cond.Message, "quota")):
				t.Fatalf("ReplicaFailure %+v, want reason %s", cond, tt.failure)
			}
		})
	}
}

// TestSyncExpectations: after a sync creates pods, the next sync waits
// until the informer has seen them; a deleted ReplicaSet forgets.
func TestSyncExpectations(t *testing.T) {
	c, _, p := testController(t, rs(2))
	if err := c.sync(t.Context(), "ns/web"); err != nil || p.created != 2 {
		t.Fatalf("first sync: %v, %d created", err, p.created)
	}
	if err := c.sync(t.Context(), "ns/web"); err != nil || p.created != 2 {
		t.Fatalf("second sync before the informer saw the pods: %v, %d created", err, p.created)
	}
	c.addPod(pod("a", "rs-uid", 0))
	if c.expect.Satisfied("ns/web") {
		t.Fatal("satisfied after one of two pods")
	}
	c.addPod(pod("b", "rs-uid", 0))
	if !c.expect.Satisfied("ns/web") {
		t.Fatal("not satisfied after both pods")
	}

	c.expect.ExpectCreations("ns/gone", 1)
	if err := c.sync(t.Context(), "ns/gone"); err != nil || !c.expect.Satisfied("ns/gone") {
		t.Fatalf("sync of a deleted ReplicaSet: %v", err)
	}
}

// TestSyncStatusConflict: a status write that loses a race is retried
// on a fresh read.
func TestSyncStatusConflict(t *testing.T) {
	c, a, _ := testController(t, append([]any{rs(1)}, podNames(1, "rs-uid")...)...)
	a.conflict = true
	if err := c.sync(t.Context(), "ns/web"); err != nil || len(a.statuses) != 1 {
		t.Fatalf("sync: %v, %d status writes", err, len(a.statuses))
	}
}
