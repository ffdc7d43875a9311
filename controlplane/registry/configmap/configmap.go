// Package configmap is the strategy of v1 ConfigMaps.
package configmap

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// maxSize is the limit on data and binaryData together (1 MiB).
const maxSize = 1 << 20

// Kind describes configmaps.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("ConfigMap"),
		Resource:         "configmaps", Singular: "configmap", ShortNames: []string{"cm"},
		Namespaced: true,
		Strategy:   registry.Typed[*corev1.ConfigMap](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*corev1.ConfigMap)      {}
func (strategy) PrepareForUpdate(_, _ *corev1.ConfigMap) {}
func (strategy) Default(*corev1.ConfigMap)               {}

func (strategy) Validate(cm *corev1.ConfigMap) field.ErrorList {
	return ValidateData(cm.Data, cm.BinaryData)
}

// ValidateData checks the keys of data and binaryData (shared with
// Secrets' rules): valid keys, no key in both, at most 1 MiB in total.
func ValidateData(data map[string]string, binary map[string][]byte) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for k, v := range data {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, msg))
		}
		size += len(k) + len(v)
	}
	for k, v := range binary {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(field.NewPath("binaryData").Key(k), k, msg))
		}
		if _, dup := data[k]; dup {
			errs = append(errs, field.Invalid(field.NewPath("binaryData").Key(k), k, "duplicate of key present in data"))
		}
		size += len(k) + len(v)
	}
	if size > maxSize {
		errs = append(errs, field.TooLong(field.NewPath(""), "", maxSize))
	}
	return errs
}

func (strategy) ValidateUpdate(cm, old *corev1.ConfigMap) field.ErrorList {
	if old.Immutable == nil || !*old.Immutable {
		return nil
	}
	var errs field.ErrorList
	if cm.Immutable == nil || !*cm.Immutable {
		errs = append(errs, field.Forbidden(field.NewPath("immutable"), "field is immutable when `immutable` is set"))
	}
	if !reflect.DeepEqual(cm.Data, old.Data) {
		errs = append(errs, field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"))
	}
	if !reflect.DeepEqual(cm.BinaryData, old.BinaryData) {
		errs = append(errs, field.Forbidden(field.NewPath("binaryData"), "field is immutable when `immutable` is set"))
	}
	return errs
}

func (strategy) SelectableFields(*corev1.ConfigMap) fields.Set { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Data", "string", "Data contains the configuration data.", 0),
		registry.AgeColumn(),
	}
}

func (strategy) Row(cm *corev1.ConfigMap) []any {
	return []any{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), registry.Age(cm)}
}
