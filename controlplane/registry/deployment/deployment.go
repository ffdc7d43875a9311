// Package deployment is the strategy of apps/v1 Deployments, with the
// status and scale subresources.
package deployment

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
	"github.com/skiffrt/skiff/controlplane/registry/workload"
)

// Kind describes deployments.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: appsv1.SchemeGroupVersion.WithKind("Deployment"),
		Resource:         "deployments", Singular: "deployment", ShortNames: []string{"deploy"}, Categories: []string{"all"},
		Namespaced: true,
		Status:     true,
		Scale: registry.ScaleOf(func(d *appsv1.Deployment) (int32, int32, string) {
			return workload.Int32(d.Spec.Replicas, 1), d.Status.Replicas, workload.SelectorString(d.Spec.Selector)
		}, func(d *appsv1.Deployment, n int32) { d.Spec.Replicas = &n }),
		Strategy: registry.Typed[*appsv1.Deployment](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*appsv1.Deployment) {}

// PrepareForUpdate: a change of the template bumps the generation (done by
// the store); nothing else is server-owned.
func (strategy) PrepareForUpdate(_, _ *appsv1.Deployment) {}

// Default sets what upstream's SetDefaults_Deployment sets.
func (strategy) Default(d *appsv1.Deployment) {
	s := &d.Spec
	if s.Replicas == nil {
		s.Replicas = workload.Ptr(int32(1))
	}
	if s.Strategy.Type == "" {
		s.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if s.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		ru := s.Strategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = workload.Ptr(intstr.FromString("25%"))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = workload.Ptr(intstr.FromString("25%"))
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = workload.Ptr(int32(10))
	}
	if s.ProgressDeadlineSeconds == nil {
		s.ProgressDeadlineSeconds = workload.Ptr(int32(600))
	}
	pod.DefaultSpec(&s.Template.Spec)
}

func (strategy) Validate(d *appsv1.Deployment) field.ErrorList {
	spec := field.NewPath("spec")
	errs := workload.ValidateReplicas(d.Spec.Replicas, spec.Child("replicas"))
	errs = append(errs, workload.ValidateSelector(d.Spec.Selector, &d.Spec.Template, spec)...)
	errs = append(errs, pod.ValidateTemplate(&d.Spec.Template, spec.Child("template"))...)
	errs = append(errs, workload.ValidateRestartAlways(&d.Spec.Template, spec)...)
	errs = append(errs, validateStrategy(&d.Spec.Strategy, spec.Child("strategy"))...)
	if p := d.Spec.ProgressDeadlineSeconds; p != nil && *p <= d.Spec.MinReadySeconds {
		errs = append(errs, field.Invalid(spec.Child("progressDeadlineSeconds"), *p, "must be greater than minReadySeconds"))
	}
	return errs
}

func validateStrategy(s *appsv1.DeploymentStrategy, path *field.Path) field.ErrorList {
	switch s.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			return field.ErrorList{field.Forbidden(path.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")}
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		ru := s.RollingUpdate
		if ru != nil && isZero(ru.MaxSurge) && isZero(ru.MaxUnavailable) {
			return field.ErrorList{field.Invalid(path.Child("rollingUpdate", "maxUnavailable"), ru.MaxUnavailable.String(),
				"may not be 0 when `maxSurge` is 0")}
		}
	default:
		return field.ErrorList{field.NotSupported(path.Child("type"), s.Type, []string{"Recreate", "RollingUpdate"})}
	}
	return nil
}

func isZero(v *intstr.IntOrString) bool {
	return v != nil && (v.IntValue() == 0 && !strings.HasSuffix(v.StrVal, "%") || v.StrVal == "0%")
}

// ValidateUpdate: the selector is immutable in apps/v1.
func (strategy) ValidateUpdate(d, old *appsv1.Deployment) field.ErrorList {
	return workload.ValidateSelectorUpdate(d.Spec.Selector, old.Spec.Selector)
}

func (strategy) SelectableFields(*appsv1.Deployment) fields.Set { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return append([]metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Ready", "string", "Number of the pod with ready state", 0),
		registry.Column("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", 0),
		registry.Column("Available", "string", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", 0),
		registry.AgeColumn(),
	}, workload.ContainerColumns()...)
}

func (strategy) Row(d *appsv1.Deployment) []any {
	replicas := workload.Int32(d.Spec.Replicas, 1)
	return append([]any{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, replicas),
		int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas), registry.Age(d)},
		workload.ContainerCells(&d.Spec.Template, d.Spec.Selector)...)
}
