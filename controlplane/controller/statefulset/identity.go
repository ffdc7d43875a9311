package statefulset

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

// The labels of a StatefulSet's pods, as upstream's.
const (
	podNameLabel  = appsv1.StatefulSetPodNameLabel // statefulset.kubernetes.io/pod-name
	podIndexLabel = appsv1.PodIndexLabel           // apps.kubernetes.io/pod-index
)

// startOrdinal is the ordinal of the first pod.
func startOrdinal(set *appsv1.StatefulSet) int {
	if set.Spec.Ordinals != nil {
		return int(set.Spec.Ordinals.Start)
	}
	return 0
}

func replicas(set *appsv1.StatefulSet) int {
	if set.Spec.Replicas == nil {
		return 1
	}
	return int(*set.Spec.Replicas)
}

// podName is the name of the pod of ordinal ord.
func podName(set *appsv1.StatefulSet, ord int) string {
	return set.Name + "-" + strconv.Itoa(ord)
}

// claimName is the name of the claim of template t for the pod of
// ordinal ord.
func claimName(set *appsv1.StatefulSet, t *corev1.PersistentVolumeClaim, ord int) string {
	return t.Name + "-" + podName(set, ord)
}

// ordinalOf returns the ordinal of a pod of set ("<set>-<ordinal>"), or
// false when its name is not of that form.
func ordinalOf(set *appsv1.StatefulSet, name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, set.Name+"-")
	if !ok {
		return 0, false
	}
	ord, err := strconv.Atoi(rest)
	if err != nil || ord < 0 || strconv.Itoa(ord) != rest {
		return 0, false
	}
	return ord, true
}

// isMember: the pod's name is one of set's.
func isMember(set *appsv1.StatefulSet, p *corev1.Pod) bool {
	_, ok := ordinalOf(set, p.Name)
	return ok
}

// revisionOf is the revision a pod was made from (its
// controller-revision-hash label, the revision's name).
func revisionOf(p *corev1.Pod) string { return p.Labels[history.HashLabel] }

// newPod is the pod of ordinal ord made from set (a set whose template is
// that of revision rev): the template, the stable identity and the
// claims.
func newPod(set *appsv1.StatefulSet, rev string, ord int) *corev1.Pod {
	t := &set.Spec.Template
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:            podName(set, ord),
			Namespace:       set.Namespace,
			Labels:          maps.Clone(t.Labels),
			Annotations:     maps.Clone(t.Annotations),
			OwnerReferences: []metav1.OwnerReference{ownerref.NewControllerRef(set, kind)},
		},
		Spec: *t.Spec.DeepCopy(),
	}
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[history.HashLabel] = rev
	setIdentity(set, p, ord)
	setClaimVolumes(set, p, ord)
	return p
}

// setIdentity writes the pod's name labels, hostname and subdomain.
func setIdentity(set *appsv1.StatefulSet, p *corev1.Pod, ord int) {
	p.Labels[podNameLabel] = p.Name
	p.Labels[podIndexLabel] = strconv.Itoa(ord)
	p.Spec.Hostname = p.Name
	p.Spec.Subdomain = set.Spec.ServiceName
}

// identityMatches: the pod carries its name labels (the rest of its
// identity is immutable).
func identityMatches(p *corev1.Pod, ord int) bool {
	return p.Labels[podNameLabel] == p.Name && p.Labels[podIndexLabel] == strconv.Itoa(ord)
}

// setClaimVolumes gives the pod a volume per claim template, named
// after the template, replacing a template volume of that name.
func setClaimVolumes(set *appsv1.StatefulSet, p *corev1.Pod, ord int) {
	for i := range set.Spec.VolumeClaimTemplates {
		t := &set.Spec.VolumeClaimTemplates[i]
		v := corev1.Volume{Name: t.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName(set, t, ord)},
		}}
		replaced := false
		for j := range p.Spec.Volumes {
			if p.Spec.Volumes[j].Name == t.Name {
				p.Spec.Volumes[j], replaced = v, true
			}
		}
		if !replaced {
			p.Spec.Volumes = append(p.Spec.Volumes, v)
		}
	}
}

// newClaim is the claim of template t for the pod of ordinal ord: the
// template with the set's selector labels, owned by the set when the
// claims go with it (whenDeleted: Delete).
func newClaim(set *appsv1.StatefulSet, t *corev1.PersistentVolumeClaim, ord int) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{
			Name:        claimName(set, t, ord),
			Namespace:   set.Namespace,
			Labels:      maps.Clone(t.Labels),
			Annotations: maps.Clone(t.Annotations),
		},
		Spec: *t.Spec.DeepCopy(),
	}
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	if set.Spec.Selector != nil {
		maps.Copy(c.Labels, set.Spec.Selector.MatchLabels)
	}
	if retention(set).WhenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
		c.OwnerReferences = []metav1.OwnerReference{ownerRef(set, kind)}
	}
	return c
}

// ownerRef is a plain (not controller) ownerReference to owner of kind
// gvk, which holds back the owner's foreground deletion.
func ownerRef(owner metav1.Object, gvk schema.GroupVersionKind) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind,
		Name: owner.GetName(), UID: owner.GetUID(), BlockOwnerDeletion: new(true)}
}

func retention(set *appsv1.StatefulSet) appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy {
	p := appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
		WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
	}
	if r := set.Spec.PersistentVolumeClaimRetentionPolicy; r != nil {
		if r.WhenDeleted != "" {
			p.WhenDeleted = r.WhenDeleted
		}
		if r.WhenScaled != "" {
			p.WhenScaled = r.WhenScaled
		}
	}
	return p
}

func podKey(ns, name string) string { return fmt.Sprintf("%s/%s", ns, name) }
