// Package event is the strategy of v1 Events (kubectl get events,
// kubectl describe).
package event

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes core events, which expire ttl after their last write.
func Kind(ttl time.Duration) registry.Kind {
	return registry.Kind{
		TTL:              ttl,
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("Event"),
		Resource:         "events", Singular: "event", ShortNames: []string{"ev"},
		Namespaced: true,
		Strategy:   registry.Typed[*corev1.Event](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*corev1.Event)      {}
func (strategy) PrepareForUpdate(_, _ *corev1.Event) {}

func (strategy) Default(e *corev1.Event) {
	if e.Type == "" {
		e.Type = corev1.EventTypeNormal
	}
}

// Validate: an event is about an object of its own namespace (or a
// cluster-scoped one, from the default namespace), as upstream requires.
func (strategy) Validate(e *corev1.Event) field.ErrorList {
	var errs field.ErrorList
	if ns := e.InvolvedObject.Namespace; ns != "" && ns != e.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("involvedObject", "namespace"), ns, "does not match event.namespace"))
	}
	if e.Type != corev1.EventTypeNormal && e.Type != corev1.EventTypeWarning {
		errs = append(errs, field.NotSupported(field.NewPath("type"), e.Type, []string{corev1.EventTypeNormal, corev1.EventTypeWarning}))
	}
	return errs
}

func (strategy) ValidateUpdate(_, _ *corev1.Event) field.ErrorList { return nil }

// SelectableFields are upstream's: kubectl describe finds an object's
// events by involvedObject.
func (strategy) SelectableFields(e *corev1.Event) fields.Set {
	o := e.InvolvedObject
	return fields.Set{
		"involvedObject.kind":            o.Kind,
		"involvedObject.namespace":       o.Namespace,
		"involvedObject.name":            o.Name,
		"involvedObject.uid":             string(o.UID),
		"involvedObject.apiVersion":      o.APIVersion,
		"involvedObject.resourceVersion": o.ResourceVersion,
		"involvedObject.fieldPath":       o.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         e.Source.Component,
		"type":                           e.Type,
	}
}

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.Column("Last Seen", "string", "Time when last this event has been seen", 0),
		registry.Column("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future.", 0),
		registry.Column("Reason", "string", "The reason the transition into the object's current status.", 0),
		registry.Column("Object", "string", "The object that this event is about.", 0),
		registry.Column("Subobject", "string", "The subobject that this event is about.", 1),
		registry.Column("Source", "string", "The component reporting this event.", 1),
		registry.Column("Message", "string", "A human-readable description of the status of this operation.", 0),
		registry.Column("First Seen", "string", "The first time this event was seen.", 1),
		registry.Column("Count", "string", "The number of times this event has occurred.", 1),
		registry.Column("Name", "string", "The name of this event.", 1),
	}
}

// Row: upstream's event table starts with LAST SEEN and shows the name
// only with -o wide.
func (strategy) Row(e *corev1.Event) []any {
	first, last := e.FirstTimestamp.Time, e.LastTimestamp.Time
	if first.IsZero() {
		first = e.EventTime.Time
	}
	if last.IsZero() {
		last = first
	}
	count := e.Count
	if e.Series != nil {
		last, count = e.Series.LastObservedTime.Time, e.Series.Count
	} else if count == 0 {
		count = 1
	}
	source := e.Source.Component
	if source == "" {
		source = e.ReportingController
	}
	if e.Source.Host != "" {
		source += ", " + e.Source.Host
	}
	obj := strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name
	return []any{since(last), e.Type, e.Reason, obj, e.InvolvedObject.FieldPath, source,
		strings.TrimSpace(e.Message), since(first), int64(count), e.Name}
}

func since(t time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(t))
}
