// Package statefulset is the strategy of apps/v1 StatefulSets, with the
// status and scale subresources.
package statefulset

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
	"github.com/skiffrt/skiff/controlplane/registry/workload"
)

// Kind describes stateful sets.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: appsv1.SchemeGroupVersion.WithKind("StatefulSet"),
		Resource:         "statefulsets", Singular: "statefulset", ShortNames: []string{"sts"}, Categories: []string{"all"},
		Namespaced: true,
		Status:     true,
		Scale: registry.ScaleOf(func(s *appsv1.StatefulSet) (int32, int32, string) {
			return workload.Int32(s.Spec.Replicas, 1), s.Status.Replicas, workload.SelectorString(s.Spec.Selector)
		}, func(s *appsv1.StatefulSet, n int32) { s.Spec.Replicas = &n }),
		Strategy: registry.Typed[*appsv1.StatefulSet](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*appsv1.StatefulSet)      {}
func (strategy) PrepareForUpdate(_, _ *appsv1.StatefulSet) {}

// Default sets upstream's SetDefaults_StatefulSet.
func (strategy) Default(s *appsv1.StatefulSet) {
	sp := &s.Spec
	if sp.Replicas == nil {
		sp.Replicas = workload.Ptr(int32(1))
	}
	if sp.PodManagementPolicy == "" {
		sp.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	if sp.UpdateStrategy.Type == "" {
		sp.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
	}
	if sp.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType {
		if sp.UpdateStrategy.RollingUpdate == nil {
			sp.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
		if sp.UpdateStrategy.RollingUpdate.Partition == nil {
			sp.UpdateStrategy.RollingUpdate.Partition = workload.Ptr(int32(0))
		}
	}
	if sp.RevisionHistoryLimit == nil {
		sp.RevisionHistoryLimit = workload.Ptr(int32(10))
	}
	if sp.PersistentVolumeClaimRetentionPolicy == nil {
		sp.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	rp := sp.PersistentVolumeClaimRetentionPolicy
	if rp.WhenDeleted == "" {
		rp.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if rp.WhenScaled == "" {
		rp.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	for i := range sp.VolumeClaimTemplates {
		t := &sp.VolumeClaimTemplates[i]
		if t.APIVersion == "" {
			t.APIVersion, t.Kind = "v1", "PersistentVolumeClaim"
		}
	}
	pod.DefaultSpec(&sp.Template.Spec)
}

func (strategy) Validate(s *appsv1.StatefulSet) field.ErrorList {
	spec := field.NewPath("spec")
	errs := workload.ValidateReplicas(s.Spec.Replicas, spec.Child("replicas"))
	errs = append(errs, workload.ValidateSelector(s.Spec.Selector, &s.Spec.Template, spec)...)
	errs = append(errs, pod.ValidateTemplate(&s.Spec.Template, spec.Child("template"))...)
	errs = append(errs, workload.ValidateRestartAlways(&s.Spec.Template, spec)...)
	switch s.Spec.PodManagementPolicy {
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
	default:
		errs = append(errs, field.NotSupported(spec.Child("podManagementPolicy"), s.Spec.PodManagementPolicy, []string{"OrderedReady", "Parallel"}))
	}
	return errs
}

// ValidateUpdate: only replicas, ordinals, template, updateStrategy,
// persistentVolumeClaimRetentionPolicy, revisionHistoryLimit and
// minReadySeconds may change, as upstream.
func (strategy) ValidateUpdate(s, old *appsv1.StatefulSet) field.ErrorList {
	spec := *s.Spec.DeepCopy()
	spec.Replicas, spec.Ordinals, spec.Template = old.Spec.Replicas, old.Spec.Ordinals, old.Spec.Template
	spec.UpdateStrategy, spec.PersistentVolumeClaimRetentionPolicy = old.Spec.UpdateStrategy, old.Spec.PersistentVolumeClaimRetentionPolicy
	spec.RevisionHistoryLimit, spec.MinReadySeconds = old.Spec.RevisionHistoryLimit, old.Spec.MinReadySeconds
	if !apiequality.Semantic.DeepEqual(spec, old.Spec) {
		return field.ErrorList{field.Forbidden(field.NewPath("spec"), "updates to statefulset spec for fields other than "+
			"'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")}
	}
	return nil
}

func (strategy) SelectableFields(*appsv1.StatefulSet) fields.Set { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	cols := workload.ContainerColumns()
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Ready", "string", "Number of the pod with ready state", 0),
		registry.AgeColumn(),
		cols[0], cols[1],
	}
}

func (strategy) Row(s *appsv1.StatefulSet) []any {
	names, images := workload.Containers(&s.Spec.Template.Spec)
	return []any{s.Name, fmt.Sprintf("%d/%d", s.Status.ReadyReplicas, workload.Int32(s.Spec.Replicas, 1)),
		registry.Age(s), names, images}
}
