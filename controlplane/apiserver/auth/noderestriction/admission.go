package noderestriction

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/registry"
)

// Plugin is the NodeRestriction admission. Nodes reads Node objects (to
// check the owner of a mirror pod).
type Plugin struct {
	Nodes auth.ObjectGetter
}

var (
	podsResource   = schema.GroupResource{Resource: "pods"}
	nodesResource  = schema.GroupResource{Resource: "nodes"}
	leasesResource = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
)

// Admit restricts the writes of node users.
func (p *Plugin) Admit(ctx context.Context, a registry.AdmissionAttributes) error {
	node, ok := auth.NodeName(auth.UserFrom(ctx))
	if !ok {
		return nil
	}
	if node == "" {
		return forbidden(a, "could not determine the node of user %q", auth.UserFrom(ctx).Name)
	}
	var err error
	switch a.Resource {
	case podsResource:
		err = p.admitPod(ctx, node, a)
	case nodesResource:
		err = admitNode(node, a)
	case leasesResource:
		err = admitLease(node, a)
	}
	return err
}

// forbidden is the 403 of a refused write, as upstream words it:
// `pods "p" is forbidden: <reason>`.
func forbidden(a registry.AdmissionAttributes, format string, args ...any) error {
	res := a.Resource
	if a.Subresource != "" {
		res.Resource += "/" + a.Subresource
	}
	return apierrors.NewForbidden(res, a.Name, fmt.Errorf(format, args...))
}

// boundTo reports whether the stored pod of a is bound to node.
func boundTo(a registry.AdmissionAttributes, node string) bool {
	old, ok := a.Old.(*corev1.Pod)
	return ok && old.Spec.NodeName == node
}

func admitLease(node string, a registry.AdmissionAttributes) error {
	if a.Namespace != "kube-node-lease" {
		return forbidden(a, "can only access leases in the %q system namespace", "kube-node-lease")
	}
	if a.Name != node {
		return forbidden(a, "can only access node lease with the same name as the requesting node")
	}
	return nil
}
