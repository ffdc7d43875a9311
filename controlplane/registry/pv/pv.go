// Package pv is the strategy of v1 PersistentVolumes: cluster-scoped,
// with status.
package pv

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

// Kind describes persistent volumes.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("PersistentVolume"),
		Resource:         "persistentvolumes", Singular: "persistentvolume", ShortNames: []string{"pv"},
		Status:   true,
		Strategy: registry.Typed[*corev1.PersistentVolume](strategy{}),
	}
}

type strategy struct{}

// PrepareForCreate: a new volume is Pending until a controller looks at
// it, as upstream.
func (strategy) PrepareForCreate(v *corev1.PersistentVolume) {
	v.Status = corev1.PersistentVolumeStatus{Phase: corev1.VolumePending}
}

func (strategy) PrepareForUpdate(_, _ *corev1.PersistentVolume) {}

// Default sets upstream's defaults: reclaim policy Retain, volume mode
// Filesystem.
func (strategy) Default(v *corev1.PersistentVolume) {
	if v.Spec.PersistentVolumeReclaimPolicy == "" {
		v.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	}
	if v.Spec.VolumeMode == nil {
		fs := corev1.PersistentVolumeFilesystem
		v.Spec.VolumeMode = &fs
	}
	if v.Status.Phase == "" {
		v.Status.Phase = corev1.VolumePending
	}
}

var (
	accessModes     = []string{"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"}
	reclaimPolicies = []string{"Delete", "Recycle", "Retain"}
)

func (strategy) Validate(v *corev1.PersistentVolume) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if len(v.Spec.AccessModes) == 0 {
		errs = append(errs, field.Required(spec.Child("accessModes"), ""))
	}
	for i, m := range v.Spec.AccessModes {
		if !slices.Contains(accessModes, string(m)) {
			errs = append(errs, field.NotSupported(spec.Child("accessModes").Index(i), m, accessModes))
		}
	}
	if q, ok := v.Spec.Capacity[corev1.ResourceStorage]; !ok {
		errs = append(errs, field.Required(spec.Child("capacity").Key(string(corev1.ResourceStorage)), ""))
	} else if q.Sign() <= 0 {
		errs = append(errs, field.Invalid(spec.Child("capacity").Key(string(corev1.ResourceStorage)), q.String(), "must be greater than zero"))
	}
	if !slices.Contains(reclaimPolicies, string(v.Spec.PersistentVolumeReclaimPolicy)) {
		errs = append(errs, field.NotSupported(spec.Child("persistentVolumeReclaimPolicy"), v.Spec.PersistentVolumeReclaimPolicy, reclaimPolicies))
	}
	switch n := sources(v); {
	case n == 0:
		errs = append(errs, field.Required(spec, "must specify a volume type"))
	case n > 1:
		errs = append(errs, field.Forbidden(spec, "may not specify more than 1 volume type"))
	}
	if hp := v.Spec.HostPath; hp != nil && (hp.Path == "" || slices.Contains(strings.Split(hp.Path, "/"), "..")) {
		errs = append(errs, field.Invalid(spec.Child("hostPath", "path"), hp.Path, "must be a path without '..'"))
	}
	return errs
}

// sources counts the volume sources skiff knows of that v sets.
func sources(v *corev1.PersistentVolume) int {
	n := 0
	for _, set := range []bool{v.Spec.HostPath != nil, v.Spec.Local != nil, v.Spec.NFS != nil, v.Spec.CSI != nil} {
		if set {
			n++
		}
	}
	return n
}

// ValidateUpdate: the volume source and node affinity are immutable, as
// upstream.
func (strategy) ValidateUpdate(v, old *corev1.PersistentVolume) field.ErrorList {
	errs := strategy{}.Validate(v)
	spec := field.NewPath("spec")
	if !apiequality.Semantic.DeepEqual(v.Spec.PersistentVolumeSource, old.Spec.PersistentVolumeSource) {
		errs = append(errs, field.Forbidden(spec.Child("persistentvolumesource"), "spec.persistentvolumesource is forbidden."))
	}
	if old.Spec.NodeAffinity != nil && !apiequality.Semantic.DeepEqual(v.Spec.NodeAffinity, old.Spec.NodeAffinity) {
		errs = append(errs, field.Invalid(spec.Child("nodeAffinity"), "", "field is immutable"))
	}
	return errs
}

func (strategy) SelectableFields(*corev1.PersistentVolume) fields.Set { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Capacity", "string", "The capacity of the volume.", 0),
		registry.Column("Access Modes", "string", "The access modes of the volume.", 0),
		registry.Column("Reclaim Policy", "string", "What happens to the volume when its claim goes.", 0),
		registry.Column("Status", "string", "The phase of the volume.", 0),
		registry.Column("Claim", "string", "The claim bound to the volume.", 0),
		registry.Column("StorageClass", "string", "The storage class of the volume.", 0),
		registry.Column("VolumeAttributesClass", "string", "The volume attributes class of the volume.", 0),
		registry.Column("Reason", "string", "Why the volume is in its phase.", 0),
		registry.AgeColumn(),
		registry.Column("VolumeMode", "string", "The volume mode of the volume.", 1),
	}
}

func (strategy) Row(v *corev1.PersistentVolume) []any {
	capacity := ""
	if q, ok := v.Spec.Capacity[corev1.ResourceStorage]; ok {
		capacity = q.String()
	}
	var modes []string
	for _, m := range v.Spec.AccessModes {
		modes = append(modes, map[corev1.PersistentVolumeAccessMode]string{
			corev1.ReadWriteOnce: "RWO", corev1.ReadOnlyMany: "ROX", corev1.ReadWriteMany: "RWX", corev1.ReadWriteOncePod: "RWOP",
		}[m])
	}
	claim := ""
	if r := v.Spec.ClaimRef; r != nil {
		claim = r.Namespace + "/" + r.Name
	}
	phase := string(v.Status.Phase)
	if v.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	class, mode := v.Spec.StorageClassName, ""
	if v.Spec.VolumeMode != nil {
		mode = string(*v.Spec.VolumeMode)
	}
	attrs := "<unset>"
	if p := v.Spec.VolumeAttributesClassName; p != nil && *p != "" {
		attrs = *p
	}
	return []any{v.Name, capacity, strings.Join(modes, ","), string(v.Spec.PersistentVolumeReclaimPolicy), phase, claim,
		class, attrs, v.Status.Reason, registry.Age(v), mode}
}
