package statefulset

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestSync: one sync's writes, in order.
func TestSync(t *testing.T) {
	v1 := sts(3, "img:1")
	r1 := revision(t, v1, 1)
	type build func(t *testing.T) []any
	tests := []struct {
		name   string
		objs   build
		writes []string
	}{
		{
			name:   "OrderedReady creates the first pod only, its claim first",
			objs:   func(*testing.T) []any { return []any{sts(3, "img:1")} },
			writes: []string{"create claim data-web-0", "create pod web-0"},
		},
		{
			name:   "waits for the pod before to be running",
			objs:   func(*testing.T) []any { return []any{v1, r1, claim("data-web-0"), pod(v1, r1, 0, pending)} },
			writes: nil,
		},
		{
			name:   "waits for the pod before to be ready",
			objs:   func(*testing.T) []any { return []any{v1, r1, claim("data-web-0"), pod(v1, r1, 0, notReady)} },
			writes: nil,
		},
		{
			name: "waits for minReadySeconds",
			objs: func(*testing.T) []any {
				s := sts(3, "img:1", func(s *appsv1.StatefulSet) { s.Spec.MinReadySeconds = 60 })
				return []any{s, r1, claim("data-web-0"), pod(s, r1, 0, func(p *corev1.Pod) {
					p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(-10 * time.Second))
				})}
			},
			writes: nil,
		},
		{
			name:   "the next pod once the one before is ready; an existing claim is reused",
			objs:   func(*testing.T) []any { return []any{v1, r1, claim("data-web-0"), claim("data-web-1"), pod(v1, r1, 0)} },
			writes: []string{"create pod web-1"},
		},
		{
			name: "scale down: the highest ordinal first, one at a time; claims kept",
			objs: func(*testing.T) []any {
				s := sts(1, "img:1")
				return []any{s, r1, claim("data-web-0"), pod(s, r1, 0), pod(s, r1, 1), pod(s, r1, 2)}
			},
			writes: []string{"delete pod web-2"},
		},
		{
			name: "scale down waits for the removed pod to be gone",
			objs: func(*testing.T) []any {
				s := sts(1, "img:1")
				return []any{s, r1, claim("data-web-0"), pod(s, r1, 0), pod(s, r1, 1), pod(s, r1, 2, terminating)}
			},
			writes: nil,
		},
		{
			name: "scale down waits while a replica is unhealthy",
			objs: func(*testing.T) []any {
				s := sts(2, "img:1")
				return []any{s, r1, claim("data-web-0"), claim("data-web-1"), pod(s, r1, 0), pod(s, r1, 1, notReady), pod(s, r1, 2)}
			},
			writes: nil,
		},
		{
			name: "whenScaled Delete: the condemned pod owns its claims, then goes",
			objs: func(*testing.T) []any {
				s := sts(1, "img:1", func(s *appsv1.StatefulSet) {
					s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
						WhenScaled: appsv1.DeletePersistentVolumeClaimRetentionPolicyType}
				})
				return []any{s, r1, claim("data-web-0"), claim("data-web-1"), pod(s, r1, 0), pod(s, r1, 1)}
			},
			writes: []string{"patch claim data-web-1", "delete pod web-1"},
		},
		{
			name:   "Parallel creates every pod at once",
			objs:   func(*testing.T) []any { return []any{sts(3, "img:1", parallel)} },
			writes: []string{"create claim data-web-0", "create pod web-0", "create claim data-web-1", "create pod web-1", "create claim data-web-2", "create pod web-2"},
		},
		{
			name: "Parallel does not wait for pods not ready",
			objs: func(*testing.T) []any {
				s := sts(2, "img:1", parallel)
				return []any{s, r1, claim("data-web-0"), claim("data-web-1"), pod(s, r1, 0, pending)}
			},
			writes: []string{"create pod web-1"},
		},
		{
			name: "Parallel removes every condemned pod at once",
			objs: func(*testing.T) []any {
				s := sts(1, "img:1", parallel)
				return []any{s, r1, claim("data-web-0"), pod(s, r1, 0), pod(s, r1, 1, notReady), pod(s, r1, 2)}
			},
			writes: []string{"delete pod web-2", "delete pod web-1"},
		},
		{
			name: "a failed pod is deleted to be made again",
			objs: func(*testing.T) []any {
				return []any{v1, r1, claim("data-web-0"), pod(v1, r1, 0, func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed })}
			},
			writes: []string{"delete pod web-0"},
		},
		{
			name: "rolling update: the highest outdated pod first",
			objs: func(t *testing.T) []any {
				s := sts(3, "img:2", func(s *appsv1.StatefulSet) { s.Status.CurrentRevision = r1.Name })
				return []any{s, r1, claim("data-web-0"), claim("data-web-1"), claim("data-web-2"), pod(v1, r1, 0), pod(v1, r1, 1), pod(v1, r1, 2)}
			},
			writes: []string{"delete pod web-2"},
		},
		{
			name: "rolling update: the next once the updated pod is ready",
			objs: func(t *testing.T) []any {
				s := sts(3, "img:2", func(s *appsv1.StatefulSet) { s.Status.CurrentRevision = r1.Name })
				r2 := revision(t, s, 2)
				return []any{s, r1, r2, claim("data-web-0"), claim("data-web-1"), claim("data-web-2"), pod(v1, r1, 0), pod(v1, r1, 1), pod(s, r2, 2)}
			},
			writes: []string{"delete pod web-1"},
		},
		{
			name: "rolling update waits for the updated pod to be ready",
			objs: func(t *testing.T) []any {
				s := sts(3, "img:2", func(s *appsv1.StatefulSet) { s.Status.CurrentRevision = r1.Name })
				r2 := revision(t, s, 2)
				return []any{s, r1, r2, claim("data-web-0"), claim("data-web-1"), claim("data-web-2"), pod(v1, r1, 0), pod(v1, r1, 1), pod(s, r2, 2, notReady)}
			},
			writes: nil,
		},
		{
			name: "partition: pods below it are not updated",
			objs: func(t *testing.T) []any {
				s := sts(3, "img:2", func(s *appsv1.StatefulSet) {
					s.Status.CurrentRevision = r1.Name
					s.Spec.UpdateStrategy.RollingUpdate.Partition = new(int32(2))
				})
				r2 := revision(t, s, 2)
				return []any{s, r1, r2, claim("data-web-0"), claim("data-web-1"), claim("data-web-2"), pod(v1, r1, 0), pod(v1, r1, 1), pod(s, r2, 2)}
			},
			writes: nil,
		},
		{
			name: "maxUnavailable 2: two outdated pods at once",
			objs: func(t *testing.T) []any {
				s := sts(3, "img:2", func(s *appsv1.StatefulSet) {
					s.Status.CurrentRevision = r1.Name
					s.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = new(intstr.FromInt32(2))
				})
				return []any{s, r1, claim("data-web-0"), claim("data-web-1"), claim("data-web-2"), pod(v1, r1, 0), pod(v1, r1, 1), pod(v1, r1, 2)}
			},
			writes: []string{"delete pod web-2", "delete pod web-1"},
		},
		{
			name: "OnDelete leaves outdated pods",
			objs: func(t *testing.T) []any {
				s := sts(3, "img:2", func(s *appsv1.StatefulSet) {
					s.Status.CurrentRevision = r1.Name
					s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
				})
				return []any{s, r1, claim("data-web-0"), claim("data-web-1"), claim("data-web-2"), pod(v1, r1, 0), pod(v1, r1, 1), pod(v1, r1, 2)}
			},
			writes: nil,
		},
		{
			name: "a pod missing its labels gets them back",
			objs: func(*testing.T) []any {
				return []any{v1, r1, claim("data-web-0"), pod(v1, r1, 0, func(p *corev1.Pod) { delete(p.Labels, podIndexLabel) }), pod(v1, r1, 1, pending)}
			},
			// and the claim web-1 lacks is made
			writes: []string{"patch pod web-0", "create claim data-web-1"},
		},
		{
			name: "a set being deleted is left alone",
			objs: func(*testing.T) []any {
				return []any{sts(3, "img:1", func(s *appsv1.StatefulSet) { s.DeletionTimestamp = &metav1.Time{Time: now} })}
			},
			writes: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := testController(t, tt.objs(t)...)
			if err := f.c.sync(t.Context(), "ns/web"); err != nil {
				t.Fatalf("sync: %v", err)
			}
			if !slices.Equal(f.pods.writes, tt.writes) {
				t.Fatalf("writes %q, want %q", f.pods.writes, tt.writes)
			}
		})
	}
}

// TestNewPod: the identity, revision and claims of a created pod.
func TestNewPod(t *testing.T) {
	set := sts(3, "img:1", func(s *appsv1.StatefulSet) {
		s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 5}
		s.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
			WhenDeleted: appsv1.DeletePersistentVolumeClaimRetentionPolicyType}
	})
	f := testController(t, set)
	if err := f.c.sync(t.Context(), "ns/web"); err != nil {
		t.Fatal(err)
	}
	p := f.pods.created["web-5"]
	if p == nil {
		t.Fatalf("created %v, want web-5", f.pods.writes)
	}
	if len(f.hist.Revs) != 1 {
		t.Fatalf("%d revisions", len(f.hist.Revs))
	}
	var rev *appsv1.ControllerRevision
	for _, r := range f.hist.Revs {
		rev = r
	}
	want := map[string]string{"app": "web", podNameLabel: "web-5", podIndexLabel: "5", appsv1.ControllerRevisionHashLabelKey: rev.Name}
	for k, v := range want {
		if p.Labels[k] != v {
			t.Errorf("label %s=%q, want %q", k, p.Labels[k], v)
		}
	}
	if p.Spec.Hostname != "web-5" || p.Spec.Subdomain != "nginx" || p.Namespace != "ns" {
		t.Errorf("hostname %q subdomain %q namespace %q", p.Spec.Hostname, p.Spec.Subdomain, p.Namespace)
	}
	if len(p.Spec.Volumes) != 1 || p.Spec.Volumes[0].PersistentVolumeClaim == nil || p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "data-web-5" {
		t.Errorf("volumes %+v", p.Spec.Volumes)
	}
	if ref := metav1.GetControllerOf(p); ref == nil || ref.UID != "set-uid" || ref.Kind != "StatefulSet" {
		t.Errorf("controllerRef %+v", ref)
	}
	c := f.pods.claims["data-web-5"]
	if c == nil || c.Labels["app"] != "web" || len(c.OwnerReferences) != 1 || c.OwnerReferences[0].UID != "set-uid" {
		t.Errorf("claim %+v", c)
	}
	// kubectl rollout undo applies the revision's data as a patch.
	var data map[string]map[string]map[string]any
	if err := json.Unmarshal(rev.Data.Raw, &data); err != nil || data["spec"]["template"]["$patch"] != "replace" {
		t.Errorf("revision data %s: %v", rev.Data.Raw, err)
	}
	st := f.sets.statuses
	if len(st) != 1 || st[0].UpdateRevision != rev.Name || st[0].CurrentRevision != rev.Name || st[0].ObservedGeneration != 3 {
		t.Errorf("status %+v", st)
	}
}

// TestPartitionRecreate: a pod below the partition made again keeps the
// current revision; one above comes at the update revision.
func TestPartitionRecreate(t *testing.T) {
	v1 := sts(3, "img:1", parallel)
	r1 := revision(t, v1, 1)
	set := sts(3, "img:2", parallel, func(s *appsv1.StatefulSet) {
		s.Status.CurrentRevision = r1.Name
		s.Spec.UpdateStrategy.RollingUpdate.Partition = new(int32(1))
	})
	r2 := revision(t, set, 2)
	f := testController(t, set, r1, r2, claim("data-web-0"), claim("data-web-1"), claim("data-web-2"), pod(v1, r1, 1, notReady))
	if err := f.c.sync(t.Context(), "ns/web"); err != nil {
		t.Fatal(err)
	}
	if got := f.pods.created["web-0"]; got == nil || got.Spec.Containers[0].Image != "img:1" || revisionOf(got) != r1.Name {
		t.Errorf("web-0 %+v", got)
	}
	if got := f.pods.created["web-2"]; got == nil || got.Spec.Containers[0].Image != "img:2" || revisionOf(got) != r2.Name {
		t.Errorf("web-2 %+v", got)
	}
}

// TestStatus: the counts, and the rollout completing.
func TestStatus(t *testing.T) {
	v1 := sts(3, "img:1")
	r1 := revision(t, v1, 1)
	set := sts(3, "img:2", func(s *appsv1.StatefulSet) { s.Status.CurrentRevision = r1.Name })
	r2 := revision(t, set, 2)
	claims := []any{claim("data-web-0"), claim("data-web-1"), claim("data-web-2")}

	f := testController(t, append(claims, set, r1, r2, pod(v1, r1, 0), pod(set, r2, 1, notReady), pod(set, r2, 2))...)
	if err := f.c.sync(t.Context(), "ns/web"); err != nil {
		t.Fatal(err)
	}
	st := f.sets.statuses[0]
	if st.Replicas != 3 || st.ReadyReplicas != 2 || st.AvailableReplicas != 2 || st.CurrentReplicas != 1 || st.UpdatedReplicas != 2 ||
		st.CurrentRevision != r1.Name || st.UpdateRevision != r2.Name || *st.CollisionCount != 0 {
		t.Fatalf("mid-rollout status %+v", st)
	}

	f = testController(t, append(claims, set, r1, r2, pod(set, r2, 0), pod(set, r2, 1), pod(set, r2, 2))...)
	if err := f.c.sync(t.Context(), "ns/web"); err != nil {
		t.Fatal(err)
	}
	st = f.sets.statuses[0]
	if st.CurrentRevision != r2.Name || st.CurrentReplicas != 3 || st.UpdatedReplicas != 3 || st.ReadyReplicas != 3 {
		t.Fatalf("completed status %+v", st)
	}
}

// TestRollback: a template equal to an older revision renumbers that
// revision as the newest instead of making another.
func TestRollback(t *testing.T) {
	v1 := sts(3, "img:1")
	r1 := revision(t, v1, 1)
	r2 := revision(t, sts(3, "img:2"), 2)
	set := sts(3, "img:1", func(s *appsv1.StatefulSet) { s.Status.CurrentRevision = r2.Name })
	f := testController(t, set, r1, r2)
	if err := f.c.sync(t.Context(), "ns/web"); err != nil {
		t.Fatal(err)
	}
	if len(f.hist.Revs) != 2 || f.hist.Revs[r1.Name].Revision != 3 {
		t.Fatalf("revisions %v", f.hist.Revs)
	}
	if st := f.sets.statuses[0]; st.UpdateRevision != r1.Name {
		t.Fatalf("update revision %s, want %s", st.UpdateRevision, r1.Name)
	}
}

// TestHistoryLimit: old revisions no pod runs go beyond the limit.
func TestHistoryLimit(t *testing.T) {
	var objs []any
	for i := range 4 {
		objs = append(objs, revision(t, sts(1, "img:"+strings.Repeat("x", i+1)), int64(i+1)))
	}
	set := sts(0, "img:new", func(s *appsv1.StatefulSet) { s.Spec.RevisionHistoryLimit = new(int32(1)) })
	f := testController(t, append(objs, set)...)
	if err := f.c.sync(t.Context(), "ns/web"); err != nil {
		t.Fatal(err)
	}
	// The new one and the newest old one stay.
	if len(f.hist.Revs) != 2 {
		t.Fatalf("%d revisions left", len(f.hist.Revs))
	}
}

// TestCreateFails: a failed create is an error, and nothing else is tried.
func TestCreateFails(t *testing.T) {
	f := testController(t, sts(3, "img:1", parallel))
	f.pods.fail = errQuota
	if err := f.c.sync(t.Context(), "ns/web"); err == nil {
		t.Fatal("no error")
	}
	if len(f.pods.writes) != 0 {
		t.Fatalf("writes %v", f.pods.writes)
	}
}

// TestAdoption: a matching orphan named as a member is adopted; one
// with another name is not.
func TestAdoption(t *testing.T) {
	v1 := sts(1, "img:1")
	r1 := revision(t, v1, 1)
	orphan := pod(v1, r1, 0, func(p *corev1.Pod) { p.OwnerReferences = nil })
	stranger := pod(v1, r1, 0, func(p *corev1.Pod) { p.OwnerReferences, p.Name = nil, "other-0" })
	f := testController(t, v1, r1, claim("data-web-0"), orphan, stranger)
	if err := f.c.sync(t.Context(), "ns/web"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.pods.writes, []string{"patch pod web-0"}) {
		t.Fatalf("writes %v", f.pods.writes)
	}
}
