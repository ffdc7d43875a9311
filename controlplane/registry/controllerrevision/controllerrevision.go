// Package controllerrevision is the strategy of apps/v1
// ControllerRevisions (DaemonSet and StatefulSet history, used by
// kubectl rollout undo).
package controllerrevision

import (
	appsv1 "k8s.io/api/apps/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes controller revisions.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: appsv1.SchemeGroupVersion.WithKind("ControllerRevision"),
		Resource:         "controllerrevisions", Singular: "controllerrevision",
		Namespaced: true,
		Strategy:   registry.Typed[*appsv1.ControllerRevision](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*appsv1.ControllerRevision)      {}
func (strategy) PrepareForUpdate(_, _ *appsv1.ControllerRevision) {}
func (strategy) Default(*appsv1.ControllerRevision)               {}

func (strategy) Validate(r *appsv1.ControllerRevision) field.ErrorList {
	if r.Revision < 0 {
		return field.ErrorList{field.Invalid(field.NewPath("revision"), r.Revision, "must be greater than or equal to 0")}
	}
	return nil
}

// ValidateUpdate: data is immutable.
func (strategy) ValidateUpdate(r, old *appsv1.ControllerRevision) field.ErrorList {
	if !apiequality.Semantic.DeepEqual(r.Data, old.Data) {
		return field.ErrorList{field.Invalid(field.NewPath("data"), "<data>", "field is immutable")}
	}
	return nil
}

func (strategy) SelectableFields(*appsv1.ControllerRevision) fields.Set { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Controller", "string", "Controller of the object", 0),
		registry.Column("Revision", "string", "Revision of the ControllerRevision", 0),
		registry.AgeColumn(),
	}
}

func (strategy) Row(r *appsv1.ControllerRevision) []any {
	controller := "<none>"
	if ref := metav1.GetControllerOf(r); ref != nil {
		gv, _ := parseGroup(ref.APIVersion)
		controller = ref.Kind + "." + gv + "/" + ref.Name
		if gv == "" {
			controller = ref.Kind + "/" + ref.Name
		}
	}
	return []any{r.Name, controller, r.Revision, registry.Age(r)}
}

// parseGroup returns the group of an apiVersion ("apps/v1" → "apps").
func parseGroup(apiVersion string) (string, string) {
	for i := range apiVersion {
		if apiVersion[i] == '/' {
			return apiVersion[:i], apiVersion[i+1:]
		}
	}
	return "", apiVersion
}
