package noderestriction

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/registry"
)

// nodes is a fake getter of Node objects.
type nodes map[string]*corev1.Node

func (n nodes) Get(_ context.Context, _, name string) (runtime.Object, error) {
	if o, ok := n[name]; ok {
		return o, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "nodes"}, name)
}

func TestAdmit(t *testing.T) {
	p := &Plugin{Nodes: nodes{"n1": {ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: "uid1"}}}}
	n1 := auth.WithUser(context.Background(), &auth.User{Name: "system:node:n1", Groups: []string{auth.NodesGroup}})
	admin := auth.WithUser(context.Background(), &auth.User{Name: "admin", Groups: []string{auth.MastersGroup}})
	podOn := func(node string, mod func(*corev1.Pod)) *corev1.Pod {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", Labels: map[string]string{"a": "b"}}, Spec: corev1.PodSpec{NodeName: node}}
		if mod != nil {
			mod(pod)
		}
		return pod
	}
	mirror := func(pod *corev1.Pod) {
		pod.Annotations = map[string]string{mirrorAnnotation: "hash"}
		pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "n1", UID: "uid1", Controller: ptr.To(true)}}
	}
	nodeWith := func(labels map[string]string, taints ...corev1.Taint) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: labels}, Spec: corev1.NodeSpec{Taints: taints}}
	}
	pods := schema.GroupResource{Resource: "pods"}
	nodesGR := schema.GroupResource{Resource: "nodes"}
	leases := schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
	tests := []struct {
		name string
		ctx  context.Context
		a    registry.AdmissionAttributes
		ok   bool
	}{
		{"mirror pod", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Name: "p", Object: podOn("n1", mirror)}, true},
		{"plain pod", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Name: "p", Object: podOn("n1", nil)}, false},
		{"mirror pod elsewhere", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Name: "p", Object: podOn("n2", mirror)}, false},
		{"mirror pod of another uid", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Name: "p", Object: podOn("n1", func(p *corev1.Pod) {
			mirror(p)
			p.OwnerReferences[0].UID = "other"
		})}, false},
		{"mirror pod not controlled", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Name: "p", Object: podOn("n1", func(p *corev1.Pod) {
			mirror(p)
			p.OwnerReferences[0].Controller = nil
		})}, false},
		{"mirror pod with a secret", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Name: "p", Object: podOn("n1", func(p *corev1.Pod) {
			mirror(p)
			p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "s"}}
		})}, false},
		{"mirror pod with a service account", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Name: "p", Object: podOn("n1", func(p *corev1.Pod) {
			mirror(p)
			p.Spec.ServiceAccountName = "default"
		})}, false},
		{"delete own pod", n1, registry.AdmissionAttributes{Operation: registry.OpDelete, Resource: pods, Name: "p", Old: podOn("n1", nil)}, true},
		{"delete another node's pod", n1, registry.AdmissionAttributes{Operation: registry.OpDelete, Resource: pods, Name: "p", Old: podOn("n2", nil)}, false},
		{"update a pod", n1, registry.AdmissionAttributes{Operation: registry.OpUpdate, Resource: pods, Name: "p", Old: podOn("n1", nil), Object: podOn("n1", nil)}, false},
		{"own pod status", n1, registry.AdmissionAttributes{Operation: registry.OpUpdate, Resource: pods, Subresource: "status", Name: "p", Old: podOn("n1", nil), Object: podOn("n1", nil)}, true},
		{"another node's pod status", n1, registry.AdmissionAttributes{Operation: registry.OpUpdate, Resource: pods, Subresource: "status", Name: "p", Old: podOn("n2", nil), Object: podOn("n2", nil)}, false},
		{"labels through status", n1, registry.AdmissionAttributes{Operation: registry.OpUpdate, Resource: pods, Subresource: "status", Name: "p", Old: podOn("n1", nil), Object: podOn("n1", func(p *corev1.Pod) { p.Labels["x"] = "y" })}, false},
		{"evict own pod", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Subresource: "eviction", Name: "p", Old: podOn("n1", nil)}, true},
		{"evict another's pod", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Subresource: "eviction", Name: "p", Old: podOn("n2", nil)}, false},
		{"register", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: nodesGR, Name: "n1", Object: nodeWith(map[string]string{corev1.LabelHostname: "n1", "node.kubernetes.io/x": "y", "mine": "1"})}, true},
		{"register another", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: nodesGR, Name: "n2", Object: nodeWith(nil)}, false},
		{"register as control plane", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: nodesGR, Name: "n1", Object: nodeWith(map[string]string{"node-role.kubernetes.io/control-plane": ""})}, false},
		{"restricted label", n1, registry.AdmissionAttributes{Operation: registry.OpUpdate, Resource: nodesGR, Name: "n1", Old: nodeWith(nil), Object: nodeWith(map[string]string{"a.node-restriction.kubernetes.io/x": "1"})}, false},
		{"untaint", n1, registry.AdmissionAttributes{Operation: registry.OpUpdate, Resource: nodesGR, Name: "n1", Old: nodeWith(nil, corev1.Taint{Key: "k", Effect: corev1.TaintEffectNoSchedule}), Object: nodeWith(nil)}, false},
		{"status update", n1, registry.AdmissionAttributes{Operation: registry.OpUpdate, Resource: nodesGR, Subresource: "status", Name: "n1", Old: nodeWith(nil), Object: nodeWith(nil)}, true},
		{"own lease", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: leases, Namespace: "kube-node-lease", Name: "n1"}, true},
		{"other lease", n1, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: leases, Namespace: "kube-node-lease", Name: "n2"}, false},
		{"admin creates any pod", admin, registry.AdmissionAttributes{Operation: registry.OpCreate, Resource: pods, Name: "p", Object: podOn("n2", nil)}, true},
		{"server itself", context.Background(), registry.AdmissionAttributes{Operation: registry.OpDelete, Resource: nodesGR, Name: "n1"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Admit(tc.ctx, tc.a)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			if err != nil && !apierrors.IsForbidden(err) {
				t.Errorf("not a 403: %v", err)
			}
		})
	}
}
