package statefulset

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// runningAndReady: phase Running and the Ready condition True.
func runningAndReady(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && pods.IsReady(p)
}

func isAvailable(p *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	return runningAndReady(p) && pods.IsAvailable(p, minReadySeconds, now)
}

// computeStatus is the set's status from its pods, as upstream counts:
// replicas are the pods created (with a phase), ready and available
// those running and ready (for minReadySeconds), current and updated the
// pods not being deleted at each revision. A rolling update whose pods
// are all updated and ready is complete: the update revision becomes the
// current one.
func computeStatus(r *round, owned []*corev1.Pod, collisions int32) appsv1.StatefulSetStatus {
	st := appsv1.StatefulSetStatus{
		ObservedGeneration: r.set.Generation,
		CurrentRevision:    r.current, UpdateRevision: r.update,
		CollisionCount: &collisions,
		Conditions:     r.set.Status.Conditions,
	}
	for _, p := range owned {
		if p.Status.Phase == "" {
			continue
		}
		st.Replicas++
		if runningAndReady(p) {
			st.ReadyReplicas++
			if isAvailable(p, r.set.Spec.MinReadySeconds, r.now) {
				st.AvailableReplicas++
			}
		}
		if p.DeletionTimestamp != nil {
			continue
		}
		if revisionOf(p) == r.current {
			st.CurrentReplicas++
		}
		if revisionOf(p) == r.update {
			st.UpdatedReplicas++
		}
	}
	if r.rolling() && st.UpdatedReplicas == st.Replicas && st.ReadyReplicas == st.Replicas {
		st.CurrentReplicas, st.CurrentRevision = st.UpdatedReplicas, st.UpdateRevision
	}
	return st
}

// writeStatus writes status to set through /status unless nothing
// changed; one conflict is retried on a fresh read.
func (c *Controller) writeStatus(ctx context.Context, set *appsv1.StatefulSet, status appsv1.StatefulSetStatus) (*appsv1.StatefulSet, error) {
	if apiequality.Semantic.DeepEqual(set.Status, status) {
		return set, nil
	}
	return controller.UpdateStatus(ctx, set, func(set *appsv1.StatefulSet) { set.Status = status }, c.api.updateStatus, c.api.get)
}

// scaled is v (a count or a percentage) of total, rounded up.
func scaled(v *intstr.IntOrString, total int) (int, error) {
	return intstr.GetScaledValueFromIntOrPercent(v, total, true)
}

// identityPatch restores a pod's name labels.
func identityPatch(p *corev1.Pod, ord int) []byte {
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid":    p.UID,
		"labels": map[string]string{podNameLabel: p.Name, podIndexLabel: strconv.Itoa(ord)},
	}})
	return b
}

// ownerPatch adds ref to the ownerReferences of the object uid.
func ownerPatch(uid types.UID, ref metav1.OwnerReference) []byte {
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"uid": uid, "ownerReferences": []metav1.OwnerReference{ref},
	}})
	return b
}
