// Package node is the strategy of v1 Nodes.
package node

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes nodes: cluster-scoped, with status, which may be set on
// create.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("Node"),
		Resource:         "nodes", Singular: "node", ShortNames: []string{"no"},
		Status: true, StatusOnCreate: true,
		Strategy: registry.Typed[*corev1.Node](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*corev1.Node)      {}
func (strategy) PrepareForUpdate(_, _ *corev1.Node) {}

// Default: allocatable is the capacity when not given, as upstream.
func (strategy) Default(n *corev1.Node) {
	if n.Status.Allocatable == nil && n.Status.Capacity != nil {
		n.Status.Allocatable = n.Status.Capacity.DeepCopy()
	}
}

func (strategy) Validate(n *corev1.Node) field.ErrorList {
	var errs field.ErrorList
	for i, t := range n.Spec.Taints {
		p := field.NewPath("spec", "taints").Index(i)
		switch t.Effect {
		case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			errs = append(errs, field.NotSupported(p.Child("effect"), t.Effect, []string{"NoExecute", "NoSchedule", "PreferNoSchedule"}))
		}
		if t.Key == "" {
			errs = append(errs, field.Required(p.Child("key"), ""))
		}
	}
	return errs
}

// ValidateUpdate: a node's podCIDR, once set, does not change.
func (strategy) ValidateUpdate(n, old *corev1.Node) field.ErrorList {
	if old.Spec.PodCIDR != "" && !apiequality.Semantic.DeepEqual(n.Spec.PodCIDRs, old.Spec.PodCIDRs) {
		return field.ErrorList{field.Forbidden(field.NewPath("spec", "podCIDRs"), "node updates may not change podCIDR except from \"\" to valid")}
	}
	return nil
}

func (strategy) SelectableFields(n *corev1.Node) fields.Set {
	u := "false"
	if n.Spec.Unschedulable {
		u = "true"
	}
	return fields.Set{"spec.unschedulable": u}
}

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Status", "string", "The status of the node", 0),
		registry.Column("Roles", "string", "The roles of the node", 0),
		registry.AgeColumn(),
		registry.Column("Version", "string", "Kubelet Version reported by the node.", 0),
		registry.Column("Internal-IP", "string", "List of addresses reachable to the node.", 1),
		registry.Column("External-IP", "string", "List of addresses reachable to the node.", 1),
		registry.Column("OS-Image", "string", "OS Image reported by the node.", 1),
		registry.Column("Kernel-Version", "string", "Kernel Version reported by the node.", 1),
		registry.Column("Container-Runtime", "string", "Container Runtime Version reported by the node.", 1),
	}
}

func (strategy) Row(n *corev1.Node) []any {
	info := n.Status.NodeInfo
	return []any{n.Name, status(n), roles(n), registry.Age(n), info.KubeletVersion,
		address(n, corev1.NodeInternalIP), address(n, corev1.NodeExternalIP),
		orUnknown(info.OSImage), orUnknown(info.KernelVersion), orUnknown(info.ContainerRuntimeVersion)}
}

// status is Ready, NotReady or Unknown, with SchedulingDisabled when
// cordoned.
func status(n *corev1.Node) string {
	s := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			s = "NotReady"
			if c.Status == corev1.ConditionTrue {
				s = "Ready"
			}
		}
	}
	if n.Spec.Unschedulable {
		s += ",SchedulingDisabled"
	}
	return s
}

// roles come from node-role.kubernetes.io/<role> labels.
func roles(n *corev1.Node) string {
	var rs []string
	for k := range n.Labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return "<none>"
	}
	sort.Strings(rs)
	return strings.Join(rs, ",")
}

func address(n *corev1.Node, t corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return "<none>"
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}
