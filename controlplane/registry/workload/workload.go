// Package workload holds what the workload kinds (Deployment, ReplicaSet,
// StatefulSet, DaemonSet, Job) share: selector and replica validation and
// the CONTAINERS/IMAGES/SELECTOR cells.
package workload

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateReplicas: replicas, when set, are not negative.
func ValidateReplicas(r *int32, path *field.Path) field.ErrorList {
	if r != nil && *r < 0 {
		return field.ErrorList{field.Invalid(path, *r, "must be greater than or equal to 0")}
	}
	return nil
}

// ValidateSelector: the selector is set, valid, not empty, and selects the
// template's labels.
func ValidateSelector(sel *metav1.LabelSelector, t *corev1.PodTemplateSpec, spec *field.Path) field.ErrorList {
	path := spec.Child("selector")
	if sel == nil {
		return field.ErrorList{field.Required(path, "")}
	}
	errs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, path)
	if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
		errs = append(errs, field.Invalid(path, sel, "empty selector is invalid"))
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err == nil && !s.Empty() && !s.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), t.Labels,
			"`selector` does not match template `labels`"))
	}
	return errs
}

// SelectorString prints a label selector as kubectl's SELECTOR column.
func SelectorString(sel *metav1.LabelSelector) string {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return "<error>"
	}
	if str := s.String(); str != "" {
		return str
	}
	return "<none>"
}

// Containers returns the CONTAINERS and IMAGES cells of a pod spec.
func Containers(s *corev1.PodSpec) (string, string) {
	names := make([]string, 0, len(s.Containers))
	images := make([]string, 0, len(s.Containers))
	for _, c := range s.Containers {
		names = append(names, c.Name)
		images = append(images, c.Image)
	}
	return strings.Join(names, ","), strings.Join(images, ",")
}

// ValidateSelectorUpdate: in apps/v1 a selector never changes.
func ValidateSelectorUpdate(sel, old *metav1.LabelSelector) field.ErrorList {
	if !apiequality.Semantic.DeepEqual(sel, old) {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "selector"), sel, "field is immutable")}
	}
	return nil
}

// ValidateRestartAlways: pods of long-running workloads restart Always.
func ValidateRestartAlways(t *corev1.PodTemplateSpec, spec *field.Path) field.ErrorList {
	if t.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		return field.ErrorList{field.NotSupported(spec.Child("template", "spec", "restartPolicy"),
			t.Spec.RestartPolicy, []string{string(corev1.RestartPolicyAlways)})}
	}
	return nil
}

// ContainerColumns are the -o wide CONTAINERS, IMAGES and SELECTOR
// columns of the workload kinds.
func ContainerColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template."},
		{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template."},
		{Name: "Selector", Type: "string", Priority: 1, Description: "Label selector for pods."},
	}
}

// ContainerCells are the cells of ContainerColumns.
func ContainerCells(t *corev1.PodTemplateSpec, sel *metav1.LabelSelector) []any {
	names, images := Containers(&t.Spec)
	return []any{names, images, SelectorString(sel)}
}

// Int32 returns *p, or def when p is nil.
func Int32(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }
