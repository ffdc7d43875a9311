package volumebinder

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/localstorage"
)

// Upstream's annotations of a bound claim.
const (
	annBindCompleted     = "pv.kubernetes.io/bind-completed"
	annBoundByController = "pv.kubernetes.io/bound-by-controller"
	annSelectedNode      = "volume.kubernetes.io/selected-node"
	annProvisioner       = "volume.kubernetes.io/storage-provisioner"
)

// sync provisions and binds the claim of key (namespace/name), or
// reclaims the volumes of a claim that is gone.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	claim, err := c.claims.PersistentVolumeClaims(ns).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		return c.reclaim(ctx, ns, name, "")
	case err != nil:
		return err
	}
	if err := c.reclaim(ctx, ns, name, claim.UID); err != nil {
		return err
	}
	if !localstorage.Handles(claim.Spec.StorageClassName) || claim.DeletionTimestamp != nil {
		return nil
	}
	volume, err := c.volumeOf(ctx, claim)
	if err != nil || volume == nil {
		return err
	}
	return c.bind(ctx, claim, volume)
}

// volumeOf returns the volume of claim: the one it is bound to, the one
// provisioned for it already, or one provisioned now on the node of its
// first pod; nil while no pod of it is on a node.
func (c *Controller) volumeOf(ctx context.Context, claim *corev1.PersistentVolumeClaim) (*corev1.PersistentVolume, error) {
	name := claim.Spec.VolumeName
	if name == "" {
		name = localstorage.VolumeName(claim.UID)
	}
	v, err := c.volumes.Get(name)
	if err == nil {
		return v, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	if claim.Spec.VolumeName != "" {
		return nil, nil // bound to a volume that is not there (yet): nothing skiff can do
	}
	node, err := c.consumerNode(claim)
	if err != nil || node == nil {
		return nil, err
	}
	v, err = c.api.createVolume(ctx, newVolume(claim, node))
	if apierrors.IsAlreadyExists(err) {
		return c.api.getVolume(ctx, name)
	}
	if err != nil {
		c.events.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "Failed to provision volume with StorageClass %q: %v",
			localstorage.StorageClass, err)
		return nil, err
	}
	c.events.Eventf(claim, corev1.EventTypeNormal, "ProvisioningSucceeded", "Successfully provisioned volume %s", v.Name)
	return v, nil
}

// consumerNode is the node of the first pod using claim that is bound to
// a node, nil when there is none.
func (c *Controller) consumerNode(claim *corev1.PersistentVolumeClaim) (*corev1.Node, error) {
	objs, err := c.pods.ByIndex(claimIndex, claim.Namespace+"/"+claim.Name)
	if err != nil {
		return nil, err
	}
	var first *corev1.Pod
	for _, o := range objs {
		p := o.(*corev1.Pod)
		if p.Spec.NodeName == "" || p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if first == nil || p.CreationTimestamp.Before(&first.CreationTimestamp) {
			first = p
		}
	}
	if first == nil {
		return nil, nil
	}
	node, err := c.nodes.Get(first.Spec.NodeName)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("node %s of pod %s/%s: %w", first.Spec.NodeName, first.Namespace, first.Name, err)
	}
	return node, err
}

// newVolume is the local volume of claim on node.
func newVolume(claim *corev1.PersistentVolumeClaim, node *corev1.Node) *corev1.PersistentVolume {
	name := localstorage.VolumeName(claim.UID)
	dir := corev1.HostPathDirectoryOrCreate
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{localstorage.ProvisionedByAnnotation: localstorage.Provisioner},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: claim.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes: claim.Spec.AccessModes,
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: localstorage.Path(node, name), Type: &dir},
			},
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              localstorage.StorageClass,
			VolumeMode:                    claim.Spec.VolumeMode,
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{node.Name}}},
			}}}},
		},
	}
}

// bind completes the binding of claim and volume, each write only when
// missing: the volume Bound, the claim naming the volume, the claim Bound.
func (c *Controller) bind(ctx context.Context, claim *corev1.PersistentVolumeClaim, v *corev1.PersistentVolume) error {
	if r := v.Spec.ClaimRef; r == nil || r.UID != claim.UID {
		return nil // another claim's, or not skiff's to bind
	}
	if v.Status.Phase != corev1.VolumeBound {
		next := v.DeepCopy()
		next.Status.Phase, next.Status.Reason, next.Status.Message = corev1.VolumeBound, "", ""
		if _, err := c.api.updateVolumeStatus(ctx, next); err != nil {
			return err
		}
	}
	if claim.Spec.VolumeName == "" {
		next := claim.DeepCopy()
		next.Spec.VolumeName = v.Name
		next.Annotations = maps.Clone(next.Annotations)
		if next.Annotations == nil {
			next.Annotations = map[string]string{}
		}
		next.Annotations[annBindCompleted] = "yes"
		next.Annotations[annBoundByController] = "yes"
		next.Annotations[annProvisioner] = localstorage.Provisioner
		if n := nodeOf(v); n != "" {
			next.Annotations[annSelectedNode] = n
		}
		updated, err := c.api.updateClaim(ctx, next)
		if err != nil {
			return err
		}
		claim = updated
	}
	if claim.Status.Phase != corev1.ClaimBound {
		next := claim.DeepCopy()
		next.Status.Phase = corev1.ClaimBound
		next.Status.Capacity = v.Spec.Capacity.DeepCopy()
		next.Status.AccessModes = v.Spec.AccessModes
		if _, err := c.api.updateClaimStatus(ctx, next); err != nil {
			return err
		}
	}
	return nil
}

// nodeOf is the node a local volume is on.
func nodeOf(v *corev1.PersistentVolume) string {
	if v.Spec.NodeAffinity == nil || v.Spec.NodeAffinity.Required == nil {
		return ""
	}
	for _, t := range v.Spec.NodeAffinity.Required.NodeSelectorTerms {
		for _, r := range t.MatchFields {
			if r.Key == "metadata.name" && len(r.Values) == 1 {
				return r.Values[0]
			}
		}
	}
	return ""
}

// reclaim deletes the local volumes provisioned for the claim ns/name
// that are not for the claim uid (gone, or replaced by a namesake).
func (c *Controller) reclaim(ctx context.Context, ns, name string, uid types.UID) error {
	all, err := c.volumes.List(everything)
	if err != nil {
		return err
	}
	for _, v := range all {
		r := v.Spec.ClaimRef
		if r == nil || r.Namespace != ns || r.Name != name || r.UID == uid || v.DeletionTimestamp != nil ||
			!localstorage.IsLocal(v) || v.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
			continue
		}
		if err := c.api.deleteVolume(ctx, v); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return err
		}
	}
	return nil
}
