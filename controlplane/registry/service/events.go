package service

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/internal/log"
)

// eventCreator is what EventsTo needs of the v1 Events store.
type eventCreator interface {
	Create(ctx context.Context, ns string, obj runtime.Object, opts registry.WriteOptions) (runtime.Object, error)
}

// EventsTo records Warning events on services through the Events store,
// from component "ipallocator-repair-controller" as kube-apiserver's.
func EventsTo(events eventCreator) Recorder {
	return func(ctx context.Context, s *corev1.Service, reason, message string) {
		now := metav1.Now()
		ev := &corev1.Event{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", s.Name, time.Now().UnixNano()), Namespace: s.Namespace},
			InvolvedObject: corev1.ObjectReference{Kind: "Service", APIVersion: "v1", Namespace: s.Namespace, Name: s.Name,
				UID: s.UID, ResourceVersion: s.ResourceVersion},
			Reason: reason, Message: message, Type: corev1.EventTypeWarning, Count: 1,
			FirstTimestamp: now, LastTimestamp: now,
			Source: corev1.EventSource{Component: "ipallocator-repair-controller"},
		}
		if _, err := events.Create(ctx, s.Namespace, ev, registry.WriteOptions{FieldManager: "skiff-server"}); err != nil {
			log.G(ctx).Warn("service address repair: event", "reason", reason, log.KeyError, err)
		}
		log.G(ctx).Warn("service address repair", "service", s.Namespace+"/"+s.Name, "reason", reason, "message", message)
	}
}
