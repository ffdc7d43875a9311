// Package pvc is the strategy of v1 PersistentVolumeClaims.
package pvc

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes persistent volume claims.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("PersistentVolumeClaim"),
		Resource:         "persistentvolumeclaims", Singular: "persistentvolumeclaim", ShortNames: []string{"pvc"},
		Namespaced: true,
		Status:     true,
		Strategy:   registry.Typed[*corev1.PersistentVolumeClaim](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(c *corev1.PersistentVolumeClaim) {
	c.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}
}

func (strategy) PrepareForUpdate(_, _ *corev1.PersistentVolumeClaim) {}

func (strategy) Default(c *corev1.PersistentVolumeClaim) {
	if c.Spec.VolumeMode == nil {
		fs := corev1.PersistentVolumeFilesystem
		c.Spec.VolumeMode = &fs
	}
	if c.Status.Phase == "" {
		c.Status.Phase = corev1.ClaimPending
	}
}

var accessModes = []string{"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"}

func (strategy) Validate(c *corev1.PersistentVolumeClaim) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if len(c.Spec.AccessModes) == 0 {
		errs = append(errs, field.Required(spec.Child("accessModes"), "at least 1 access mode is required"))
	}
	for i, m := range c.Spec.AccessModes {
		if !slices.Contains(accessModes, string(m)) {
			errs = append(errs, field.NotSupported(spec.Child("accessModes").Index(i), m, accessModes))
		}
	}
	q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		errs = append(errs, field.Required(spec.Child("resources").Key(string(corev1.ResourceStorage)), ""))
	} else if q.Sign() <= 0 {
		errs = append(errs, field.Invalid(spec.Child("resources", "requests").Key(string(corev1.ResourceStorage)), q.String(), "must be greater than zero"))
	}
	return errs
}

// ValidateUpdate: the spec is immutable once created, but for a larger
// storage request and the volume binding, as upstream.
func (strategy) ValidateUpdate(c, old *corev1.PersistentVolumeClaim) field.ErrorList {
	spec := *c.Spec.DeepCopy()
	spec.Resources = old.Spec.Resources
	if old.Spec.VolumeName == "" {
		spec.VolumeName = ""
	}
	if !apiequality.Semantic.DeepEqual(spec, old.Spec) {
		return field.ErrorList{field.Forbidden(field.NewPath("spec"),
			"spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")}
	}
	return nil
}

func (strategy) SelectableFields(*corev1.PersistentVolumeClaim) fields.Set { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Status", "string", "The phase of the claim.", 0),
		registry.Column("Volume", "string", "The name of the bound volume.", 0),
		registry.Column("Capacity", "string", "The actual capacity of the volume.", 0),
		registry.Column("Access Modes", "string", "The access modes of the volume.", 0),
		registry.Column("StorageClass", "string", "The storage class of the claim.", 0),
		registry.Column("VolumeAttributesClass", "string", "The volume attributes class of the claim.", 0),
		registry.AgeColumn(),
		registry.Column("VolumeMode", "string", "The volume mode of the claim.", 1),
	}
}

func (strategy) Row(c *corev1.PersistentVolumeClaim) []any {
	capacity := ""
	if q, ok := c.Status.Capacity[corev1.ResourceStorage]; ok {
		capacity = q.String()
	}
	var modes []string
	for _, m := range c.Status.AccessModes {
		modes = append(modes, map[corev1.PersistentVolumeAccessMode]string{
			corev1.ReadWriteOnce: "RWO", corev1.ReadOnlyMany: "ROX", corev1.ReadWriteMany: "RWX", corev1.ReadWriteOncePod: "RWOP",
		}[m])
	}
	phase := string(c.Status.Phase)
	if c.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	return []any{c.Name, phase, c.Spec.VolumeName, capacity, strings.Join(modes, ","), deref(c.Spec.StorageClassName),
		orUnset(c.Spec.VolumeAttributesClassName), registry.Age(c), string(deref(c.Spec.VolumeMode))}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func orUnset(p *string) string {
	if p == nil || *p == "" {
		return "<unset>"
	}
	return *p
}
