package event

import (
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// maxNote is the longest note an events.k8s.io event may carry.
const maxNote = 1024

// KindV1 describes events.k8s.io/v1 Events, stored as v1 Events: both
// APIs show the same objects. They expire ttl after their last write.
func KindV1(ttl time.Duration) registry.Kind {
	return registry.Kind{
		TTL:              ttl,
		GroupVersionKind: eventsv1.SchemeGroupVersion.WithKind("Event"),
		Resource:         "events", Singular: "event", ShortNames: []string{"ev"},
		Namespaced: true,
		StoredAs: &registry.StoredAs{
			Resource:  schema.GroupResource{Resource: "events"},
			ToStorage: toCore, FromStorage: fromCore,
		},
		Strategy: registry.Typed[*eventsv1.Event](strategyV1{}),
	}
}

type strategyV1 struct{}

func (strategyV1) PrepareForCreate(*eventsv1.Event)      {}
func (strategyV1) PrepareForUpdate(_, _ *eventsv1.Event) {}
func (strategyV1) Default(*eventsv1.Event)               {}

// Validate: the new API requires what the old one left optional, as
// upstream's ValidateEventCreate for events.k8s.io.
func (strategyV1) Validate(e *eventsv1.Event) field.ErrorList {
	var errs field.ErrorList
	if e.EventTime.IsZero() {
		errs = append(errs, field.Required(field.NewPath("eventTime"), ""))
	}
	for name, v := range map[string]string{"reportingController": e.ReportingController, "reportingInstance": e.ReportingInstance,
		"action": e.Action, "reason": e.Reason} {
		if v == "" {
			errs = append(errs, field.Required(field.NewPath(name), ""))
		}
	}
	if len(e.Note) > maxNote {
		errs = append(errs, field.TooLong(field.NewPath("note"), "", maxNote))
	}
	if ns := e.Regarding.Namespace; ns != "" && ns != e.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("regarding", "namespace"), ns, "does not match event.namespace"))
	}
	return errs
}

func (strategyV1) ValidateUpdate(_, _ *eventsv1.Event) field.ErrorList { return nil }

func (strategyV1) SelectableFields(e *eventsv1.Event) fields.Set {
	return strategy{}.SelectableFields(toCoreEvent(e))
}

func (strategyV1) Columns() []metav1.TableColumnDefinition { return strategy{}.Columns() }
func (strategyV1) Row(e *eventsv1.Event) []any             { return strategy{}.Row(toCoreEvent(e)) }
