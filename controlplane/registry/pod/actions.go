package pod

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// actions are the POST subresources of pods.
var actions = map[string]registry.Action{
	"binding":  {Kind: corev1.SchemeGroupVersion.WithKind("Binding"), Do: bind},
	"eviction": {Kind: policyv1.SchemeGroupVersion.WithKind("Eviction"), Do: evict},
}

// bind assigns the pod to the binding's node (what the scheduler does):
// spec.nodeName, then the PodScheduled condition. A pod already bound, or
// being deleted, is a 409.
func bind(ctx context.Context, pods *registry.Store, ns, name string, req runtime.Object, opts registry.WriteOptions) error {
	b := req.(*corev1.Binding)
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		return apierrors.NewBadRequest(fmt.Sprintf("binding target must be a Node, not %q", b.Target.Kind))
	}
	if b.Target.Name == "" {
		return apierrors.NewBadRequest("binding target has no node name")
	}
	_, err := pods.Mutate(ctx, ns, name, "", opts, func(obj runtime.Object) error {
		p := obj.(*corev1.Pod)
		if p.DeletionTimestamp != nil {
			return apierrors.NewConflict(podsResource, name, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", name))
		}
		if p.Spec.NodeName != "" {
			return apierrors.NewConflict(podsResource, name, fmt.Errorf("pod %s is already assigned to node %q", name, p.Spec.NodeName))
		}
		p.Spec.NodeName = b.Target.Name
		for k, v := range b.Annotations {
			if p.Annotations == nil {
				p.Annotations = map[string]string{}
			}
			p.Annotations[k] = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = pods.Mutate(ctx, ns, name, "status", opts, func(obj runtime.Object) error {
		setCondition(&obj.(*corev1.Pod).Status, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue})
		return nil
	})
	return err
}

// evict deletes the pod with the eviction's options. There are no
// PodDisruptionBudgets to honour yet.
func evict(ctx context.Context, pods *registry.Store, ns, name string, req runtime.Object, _ registry.WriteOptions) error {
	opts := req.(*policyv1.Eviction).DeleteOptions
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	_, _, err := pods.Delete(ctx, ns, name, opts)
	return err
}

// setCondition adds or replaces a pod condition (its reason and message
// too: a scheduled pod keeps no Unschedulable reason), moving its
// transition time only when its status changes.
func setCondition(st *corev1.PodStatus, c corev1.PodCondition) {
	now := metav1.Now()
	for i := range st.Conditions {
		if st.Conditions[i].Type == c.Type {
			if st.Conditions[i].Status != c.Status {
				st.Conditions[i].LastTransitionTime = now
			}
			st.Conditions[i].Status = c.Status
			st.Conditions[i].Reason = c.Reason
			st.Conditions[i].Message = c.Message
			return
		}
	}
	c.LastTransitionTime = now
	st.Conditions = append(st.Conditions, c)
}

// streams are the stream subresources of pods, served by the pod's node
// agent through the API server.
var streams = map[string]registry.Stream{
	"log":         {Kind: "Pod", Verbs: []string{"get"}},
	"exec":        {Kind: "PodExecOptions", Verbs: []string{"create", "get"}},
	"attach":      {Kind: "PodAttachOptions", Verbs: []string{"create", "get"}},
	"portforward": {Kind: "PodPortForwardOptions", Verbs: []string{"create", "get"}},
}
