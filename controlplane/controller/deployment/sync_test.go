package deployment

import (
	"errors"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// hashed is the name of the ReplicaSet of d's template.
func hashed(d *appsv1.Deployment) string {
	return replicaSetName(d.Name, templateHash(&d.Spec.Template, d.Status.CollisionCount))
}

func image(img string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = img }
}

// rev sets the revision the Deployment records (its new ReplicaSet's).
func rev(n string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) { d.Annotations = map[string]string{RevisionAnnotation: n} }
}

func with(d *appsv1.Deployment, mods ...func(*appsv1.Deployment)) *appsv1.Deployment {
	for _, m := range mods {
		m(d)
	}
	return d
}

// progressing sets the status of a rollout under way since age ago.
func rolling(replicas, updated, available int32, age time.Duration) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		t := metav1.NewTime(now.Add(-age))
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: replicas, UpdatedReplicas: updated,
			ReadyReplicas: available, AvailableReplicas: available,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue,
				Reason: ReplicaSetUpdatedReason, LastUpdateTime: t, LastTransitionTime: t}}}
	}
}

func condition(d appsv1.Deployment, t appsv1.DeploymentConditionType) string {
	c := getCondition(d.Status, t)
	if c == nil {
		return ""
	}
	return string(c.Status) + " " + c.Reason + " " + c.Message
}

func TestSync(t *testing.T) {
	fresh := deployment(2)
	newName := hashed(fresh)
	changed := with(deployment(4), image("httpd:2.5"))
	tests := []struct {
		name    string
		objs    []runtime.Object
		prepare func(a *fakeAPI)
		wantErr bool
		log     []string
		events  []string
		check   func(t *testing.T, a *fakeAPI)
	}{
		{
			name:   "a new Deployment gets its first ReplicaSet",
			objs:   []runtime.Object{fresh},
			log:    []string{"create " + newName + " 2", "status", "status"},
			events: []string{"ScalingReplicaSet: Scaled up replica set " + newName + " from 0 to 2"},
			check: func(t *testing.T, a *fakeAPI) {
				rs := a.sets[newName]
				hash := rs.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
				if hash == "" || rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey] != hash || rs.Spec.Selector.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] != hash ||
					rs.Spec.Selector.MatchLabels["app"] != "web" || !metav1.IsControlledBy(rs, fresh) {
					t.Fatalf("new ReplicaSet %+v", rs.ObjectMeta)
				}
				if rs.Annotations[RevisionAnnotation] != "1" || rs.Annotations[DesiredReplicasAnnotation] != "2" || rs.Annotations[MaxReplicasAnnotation] != "3" {
					t.Fatalf("annotations %v", rs.Annotations)
				}
				d := a.lastStatus(t)
				if d.Annotations[RevisionAnnotation] != "1" || d.Status.ObservedGeneration != 1 ||
					condition(d, appsv1.DeploymentProgressing) != `True NewReplicaSetCreated Created new replica set "`+newName+`"` ||
					condition(d, appsv1.DeploymentAvailable) != "False MinimumReplicasUnavailable Deployment does not have minimum availability." {
					t.Fatalf("deployment %v %+v", d.Annotations, d.Status)
				}
			},
		},
		{
			name: "a new template: the new ReplicaSet surges by one, the old one loses one",
			objs: []runtime.Object{changed, rs("web-old", 4, 4, annotated(4, 5))},
			log:  []string{"create " + hashed(changed) + " 1", "status", "update web-old 3", "status"},
			events: []string{
				"ScalingReplicaSet: Scaled up replica set " + hashed(changed) + " from 0 to 1",
				"ScalingReplicaSet: Scaled down replica set web-old from 4 to 3",
			},
			check: func(t *testing.T, a *fakeAPI) {
				if rev := a.sets[hashed(changed)].Annotations[RevisionAnnotation]; rev != "2" {
					t.Fatalf("revision %s", rev)
				}
			},
		},
		{
			name: "unavailable old pods go first, without counting against maxUnavailable",
			objs: []runtime.Object{with(deployment(4), image("httpd:2.5"), rev("2")),
				rs("web-old", 4, 1, annotated(4, 5)), rs(hashed(changed), 1, 1, old("httpd:2.5", 2, 0), annotated(4, 5))},
			log:    []string{"status", "update web-old 2", "status"}, // FoundNewReplicaSet, then the step
			events: []string{"ScalingReplicaSet: Scaled down replica set web-old from 4 to 2"},
		},
		{
			name: "the rollout completes",
			objs: []runtime.Object{with(deployment(4), rolling(4, 4, 3, time.Minute), rev("2")),
				rs("web-new", 4, 4, old("httpd:2.4", 2, 0), annotated(4, 5)), rs("web-old", 0, 0, old("httpd:2.3", 1, time.Hour))},
			log: []string{"status"},
			check: func(t *testing.T, a *fakeAPI) {
				d := a.lastStatus(t)
				if condition(d, appsv1.DeploymentProgressing) != `True NewReplicaSetAvailable ReplicaSet "web-new" has successfully progressed.` ||
					condition(d, appsv1.DeploymentAvailable) != "True MinimumReplicasAvailable Deployment has minimum availability." ||
					d.Status.AvailableReplicas != 4 || d.Status.UpdatedReplicas != 4 || d.Status.UnavailableReplicas != 0 {
					t.Fatalf("status %+v", d.Status)
				}
			},
		},
		{
			name: "rollout undo: an old template becomes the newest revision",
			objs: []runtime.Object{with(deployment(2), func(d *appsv1.Deployment) { d.Annotations = map[string]string{RevisionAnnotation: "2"} }),
				rs("web-a", 0, 0, old("httpd:2.4", 1, 2*time.Hour)), rs("web-b", 2, 2, old("httpd:2.5", 2, time.Hour), annotated(2, 3))},
			log:    []string{"update web-a 0", "status", "update web-a 1", "status"},
			events: []string{"ScalingReplicaSet: Scaled up replica set web-a from 0 to 1"},
			check: func(t *testing.T, a *fakeAPI) {
				if ann := a.sets["web-a"].Annotations; ann[RevisionAnnotation] != "3" || ann[RevisionHistoryAnnotation] != "1" {
					t.Fatalf("annotations %v", ann)
				}
				if rev := a.lastStatus(t).Annotations[RevisionAnnotation]; rev != "3" {
					t.Fatalf("deployment revision %s", rev)
				}
			},
		},
		{
			name: "scaled during a rollout: the change is spread in proportion",
			objs: []runtime.Object{with(deployment(20), rev("2")),
				rs("web-n", 5, 5, old("httpd:2.4", 2, 0), annotated(10, 13)), rs("web-o", 8, 8, old("httpd:2.3", 1, time.Hour), annotated(10, 13))},
			log: []string{"status", "update web-o 15", "update web-n 10", "status"},
			events: []string{
				"ScalingReplicaSet: Scaled up replica set web-o from 8 to 15",
				"ScalingReplicaSet: Scaled up replica set web-n from 5 to 10",
			},
			check: func(t *testing.T, a *fakeAPI) {
				if ann := a.sets["web-o"].Annotations; ann[DesiredReplicasAnnotation] != "20" || ann[MaxReplicasAnnotation] != "25" {
					t.Fatalf("annotations %v", ann)
				}
			},
		},
		{
			name: "paused: scaled, not rolled out",
			objs: []runtime.Object{with(deployment(3), image("httpd:2.5"), func(d *appsv1.Deployment) { d.Spec.Paused = true }),
				rs("web-o", 2, 2, annotated(2, 3))},
			log:    []string{"status", "update web-o 3", "status"},
			events: []string{"ScalingReplicaSet: Scaled up replica set web-o from 2 to 3"},
			check: func(t *testing.T, a *fakeAPI) {
				if c := condition(a.statuses[0], appsv1.DeploymentProgressing); c != "Unknown DeploymentPaused Deployment is paused" {
					t.Fatalf("Progressing %s", c)
				}
			},
		},
		{
			name: "resumed",
			objs: []runtime.Object{with(deployment(2), func(d *appsv1.Deployment) {
				d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionUnknown, Reason: PausedDeployReason}}
			}), rs("web-n", 2, 2, annotated(2, 3))},
			log: []string{"status", "status", "status"},
			check: func(t *testing.T, a *fakeAPI) {
				if c := condition(a.statuses[0], appsv1.DeploymentProgressing); c != "Unknown DeploymentResumed Deployment is resumed" {
					t.Fatalf("Progressing %s", c)
				}
			},
		},
		{
			name:   "Recreate: old ReplicaSets go to zero first",
			objs:   []runtime.Object{with(recreate(deployment(2)), image("httpd:2.5")), rs("web-o", 2, 2, annotated(2, 2))},
			log:    []string{"update web-o 0", "status"},
			events: []string{"ScalingReplicaSet: Scaled down replica set web-o from 2 to 0"},
		},
		{
			name: "Recreate: the new ReplicaSet waits for the old pods",
			objs: []runtime.Object{with(recreate(deployment(2)), image("httpd:2.5")),
				rs("web-o", 0, 0, annotated(2, 2), func(r *appsv1.ReplicaSet) { r.Status.Replicas = 1 })},
			log: []string{"status"},
		},
		{
			name: "Recreate: then it starts with all replicas",
			objs: []runtime.Object{with(recreate(deployment(2)), image("httpd:2.5")), rs("web-o", 0, 0, annotated(2, 2))},
			log:  []string{"create " + hashed(with(recreate(deployment(2)), image("httpd:2.5"))) + " 2", "status", "status"},
			events: []string{
				"ScalingReplicaSet: Scaled up replica set " + hashed(with(recreate(deployment(2)), image("httpd:2.5"))) + " from 0 to 2",
			},
		},
		{
			name: "no progress for progressDeadlineSeconds: Progressing False",
			objs: []runtime.Object{with(deployment(2), rolling(2, 2, 0, 601*time.Second), rev("1")), rs("web-n", 2, 0, annotated(2, 3))},
			log:  []string{"status"},
			check: func(t *testing.T, a *fakeAPI) {
				if c := condition(a.lastStatus(t), appsv1.DeploymentProgressing); c != `False ProgressDeadlineExceeded ReplicaSet "web-n" has timed out progressing.` {
					t.Fatalf("Progressing %s", c)
				}
			},
		},
		{
			name: "progress within the deadline moves lastUpdateTime",
			objs: []runtime.Object{with(deployment(2), rolling(2, 2, 0, 500*time.Second), rev("1")), rs("web-n", 2, 1, annotated(2, 3))},
			log:  []string{"status"},
			check: func(t *testing.T, a *fakeAPI) {
				c := getCondition(a.lastStatus(t).Status, appsv1.DeploymentProgressing)
				if c.Reason != ReplicaSetUpdatedReason || !c.LastUpdateTime.Time.Equal(now) || c.LastTransitionTime.Time.Equal(now) {
					t.Fatalf("Progressing %+v", c)
				}
			},
		},
		{
			name: "old revisions beyond revisionHistoryLimit are deleted once settled",
			objs: []runtime.Object{with(deployment(2), rolling(2, 2, 2, time.Hour), rev("4"), func(d *appsv1.Deployment) { d.Spec.RevisionHistoryLimit = new(int32(0)) }),
				rs("web-c", 2, 2, old("httpd:2.4", 4, 0), annotated(2, 3)),
				rs("web-1", 0, 0, old("v1", 1, 3*time.Hour)), rs("web-2", 0, 0, old("v2", 2, 2*time.Hour)),
				rs("web-3", 0, 0, old("v3", 3, time.Hour), func(r *appsv1.ReplicaSet) { r.Status.Replicas = 1 })},
			log: []string{"delete web-1", "delete web-2", "status"},
		},
		{
			name: "a hash collision bumps collisionCount",
			objs: []runtime.Object{fresh, rs(newName, 1, 0, old("httpd:other", 1, 0), func(r *appsv1.ReplicaSet) {
				r.OwnerReferences = nil
				r.Labels = map[string]string{"app": "other"}
			})},
			prepare: func(a *fakeAPI) { a.createErr = apierrors.NewAlreadyExists(appsv1.Resource("replicasets"), newName) },
			wantErr: true,
			log:     []string{"status"},
			check: func(t *testing.T, a *fakeAPI) {
				if cc := a.lastStatus(t).Status.CollisionCount; cc == nil || *cc != 1 {
					t.Fatalf("collisionCount %v", cc)
				}
				d := fresh.DeepCopy()
				d.Status.CollisionCount = new(int32(1))
				if hashed(d) == newName {
					t.Fatal("the next name is the same")
				}
			},
		},
		{
			name: "a failed create: Progressing False and a warning",
			objs: []runtime.Object{fresh},
			prepare: func(a *fakeAPI) {
				a.createErr = apierrors.NewForbidden(appsv1.Resource("replicasets"), newName, errors.New("quota"))
			},
			wantErr: true,
			log:     []string{"status"},
			events:  []string{`ReplicaSetCreateError: Failed to create new replica set "` + newName + `": replicasets.apps "` + newName + `" is forbidden: quota`},
			check: func(t *testing.T, a *fakeAPI) {
				if c := getCondition(a.lastStatus(t).Status, appsv1.DeploymentProgressing); c.Status != corev1.ConditionFalse || c.Reason != FailedRSCreateReason {
					t.Fatalf("Progressing %+v", c)
				}
			},
		},
		{
			name: "a matching orphaned ReplicaSet is adopted",
			objs: []runtime.Object{fresh, rs(newName, 2, 2, annotated(2, 3), func(r *appsv1.ReplicaSet) { r.OwnerReferences = nil })},
			log:  []string{"patch " + newName, "status", "status"},
		},
		{
			name:   "selecting every pod: a warning, nothing else",
			objs:   []runtime.Object{with(deployment(2), func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} })},
			log:    []string{"status"},
			events: []string{"SelectingAll: This deployment is selecting all pods. A non-empty selector is required."},
		},
		{
			name: "being deleted: status only",
			objs: []runtime.Object{with(with(deployment(2), image("httpd:2.5")), func(d *appsv1.Deployment) { d.DeletionTimestamp = &metav1.Time{Time: now} }),
				rs("web-o", 2, 2, annotated(2, 3))},
			log: []string{"status"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, a, ev := testController(t, tt.objs...)
			if tt.prepare != nil {
				tt.prepare(a)
			}
			err := c.sync(t.Context(), "ns/web")
			if (err != nil) != tt.wantErr {
				t.Fatalf("sync: %v", err)
			}
			if !slices.Equal(a.log, tt.log) {
				t.Errorf("writes\n%q\nwant\n%q", a.log, tt.log)
			}
			if !slices.Equal(*ev, tt.events) {
				t.Errorf("events\n%q\nwant\n%q", *ev, tt.events)
			}
			if tt.check != nil && !t.Failed() {
				tt.check(t, a)
			}
		})
	}
}
