// Package daemonset is the strategy of apps/v1 DaemonSets, with the
// status subresource.
package daemonset

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
	"github.com/skiffrt/skiff/controlplane/registry/workload"
)

// Kind describes daemon sets.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: appsv1.SchemeGroupVersion.WithKind("DaemonSet"),
		Resource:         "daemonsets", Singular: "daemonset", ShortNames: []string{"ds"}, Categories: []string{"all"},
		Namespaced: true,
		Status:     true,
		Strategy:   registry.Typed[*appsv1.DaemonSet](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*appsv1.DaemonSet)      {}
func (strategy) PrepareForUpdate(_, _ *appsv1.DaemonSet) {}

// Default sets upstream's SetDefaults_DaemonSet.
func (strategy) Default(d *appsv1.DaemonSet) {
	s := &d.Spec
	if s.UpdateStrategy.Type == "" {
		s.UpdateStrategy.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if s.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		ru := s.UpdateStrategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = workload.Ptr(intstr.FromInt32(1))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = workload.Ptr(intstr.FromInt32(0))
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = workload.Ptr(int32(10))
	}
	pod.DefaultSpec(&s.Template.Spec)
}

func (strategy) Validate(d *appsv1.DaemonSet) field.ErrorList {
	spec := field.NewPath("spec")
	errs := workload.ValidateSelector(d.Spec.Selector, &d.Spec.Template, spec)
	errs = append(errs, pod.ValidateTemplate(&d.Spec.Template, spec.Child("template"))...)
	errs = append(errs, workload.ValidateRestartAlways(&d.Spec.Template, spec)...)
	switch d.Spec.UpdateStrategy.Type {
	case appsv1.RollingUpdateDaemonSetStrategyType, appsv1.OnDeleteDaemonSetStrategyType:
	default:
		errs = append(errs, field.NotSupported(spec.Child("updateStrategy", "type"), d.Spec.UpdateStrategy.Type, []string{"OnDelete", "RollingUpdate"}))
	}
	return errs
}

func (strategy) ValidateUpdate(d, old *appsv1.DaemonSet) field.ErrorList {
	return workload.ValidateSelectorUpdate(d.Spec.Selector, old.Spec.Selector)
}

func (strategy) SelectableFields(*appsv1.DaemonSet) fields.Set { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return append([]metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Desired", "integer", "The total number of nodes that should be running the daemon pod.", 0),
		registry.Column("Current", "integer", "The number of nodes running at least one daemon pod and are supposed to.", 0),
		registry.Column("Ready", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.", 0),
		registry.Column("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod", 0),
		registry.Column("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.", 0),
		registry.Column("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node.", 0),
		registry.AgeColumn(),
	}, workload.ContainerColumns()...)
}

func (strategy) Row(d *appsv1.DaemonSet) []any {
	st := d.Status
	return append([]any{d.Name, int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled), int64(st.NumberReady),
		int64(st.UpdatedNumberScheduled), int64(st.NumberAvailable), registry.MapSelector(d.Spec.Template.Spec.NodeSelector), registry.Age(d)},
		workload.ContainerCells(&d.Spec.Template, d.Spec.Selector)...)
}
