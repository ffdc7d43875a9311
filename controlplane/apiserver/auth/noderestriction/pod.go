package noderestriction

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth/node"
	"github.com/skiffrt/skiff/controlplane/registry"
)

// mirrorAnnotation marks a mirror pod (kubelet's config.mirror).
const mirrorAnnotation = "kubernetes.io/config.mirror"

func (p *Plugin) admitPod(ctx context.Context, node string, a registry.AdmissionAttributes) error {
	switch {
	case a.Subresource == "" && a.Operation == registry.OpCreate:
		return p.admitMirrorPod(ctx, node, a)
	case a.Subresource == "" && a.Operation == registry.OpDelete:
		if !boundTo(a, node) {
			return forbidden(a, "node %q can only delete pods with spec.nodeName set to itself", node)
		}
		return nil
	case a.Subresource == "":
		return forbidden(a, "unexpected operation %q, node %q can only create and delete mirror pods", a.Operation, node)
	case a.Subresource == "status":
		return admitPodStatus(node, a)
	case a.Subresource == "eviction":
		if !boundTo(a, node) {
			return forbidden(a, "node %q can only evict pods with spec.nodeName set to itself", node)
		}
		return nil
	}
	return forbidden(a, "unexpected pod subresource %q, only 'status' and 'eviction' are allowed", a.Subresource)
}

func admitPodStatus(node string, a registry.AdmissionAttributes) error {
	if a.Operation != registry.OpUpdate {
		return forbidden(a, "unexpected operation %q", a.Operation)
	}
	if !boundTo(a, node) {
		return forbidden(a, "node %q can only update pod status for pods with spec.nodeName set to itself", node)
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok || !labels.Equals(pod.Labels, a.Old.(*corev1.Pod).Labels) {
		return forbidden(a, "node %q cannot update labels through pod status", node)
	}
	return nil
}

// admitMirrorPod lets a node create only the mirror pod of one of its
// static pods: bound to it, controlled by its Node, and referencing
// nothing a node could read through it.
func (p *Plugin) admitMirrorPod(ctx context.Context, node string, a registry.AdmissionAttributes) error {
	pod, ok := a.Object.(*corev1.Pod)
	switch {
	case !ok:
		return forbidden(a, "unexpected type %T", a.Object)
	case pod.Annotations[mirrorAnnotation] == "":
		return forbidden(a, "pod does not have %q annotation, node %q can only create mirror pods", mirrorAnnotation, node)
	case pod.Spec.NodeName != node:
		return forbidden(a, "node %q can only create pods with spec.nodeName set to itself", node)
	}
	if err := p.checkOwner(ctx, node, pod, a); err != nil {
		return err
	}
	if pod.Spec.ServiceAccountName != "" {
		return forbidden(a, "node %q can not create pods that reference a service account", node)
	}
	if refs := podRefs(pod); len(refs) > 0 {
		return forbidden(a, "node %q can not create pods that reference %s", node, refs[0].Resource)
	}
	return nil
}

// podRefs are the objects a pod references besides its service account.
func podRefs(pod *corev1.Pod) []node.Ref {
	var out []node.Ref
	for _, r := range node.PodRefs(pod) {
		if r.Resource != "serviceaccounts" {
			out = append(out, r)
		}
	}
	return out
}

// checkOwner: a mirror pod has exactly one owner, the node's own Node
// (with its uid), as its controller, not blocking its deletion.
func (p *Plugin) checkOwner(ctx context.Context, node string, pod *corev1.Pod, a registry.AdmissionAttributes) error {
	if len(pod.OwnerReferences) != 1 {
		return forbidden(a, "node %q can only create pods with a single owner reference set to itself", node)
	}
	o := pod.OwnerReferences[0]
	switch {
	case o.APIVersion != "v1" || o.Kind != "Node" || o.Name != node:
		return forbidden(a, "node %q can only create pods with an owner reference set to itself", node)
	case o.Controller == nil || !*o.Controller:
		return forbidden(a, "node %q can only create pods with a controller owner reference set to itself", node)
	case o.BlockOwnerDeletion != nil && *o.BlockOwnerDeletion:
		return forbidden(a, "node %q must not set blockOwnerDeletion on an owner reference", node)
	}
	obj, err := p.Nodes.Get(ctx, "", node)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return forbidden(a, "error looking up node %s to verify uid: %v", node, err)
	}
	if n, ok := obj.(*corev1.Node); !ok || n.UID != o.UID {
		return forbidden(a, "node %s UID mismatch: the owner reference names uid %s", node, o.UID)
	}
	return nil
}
