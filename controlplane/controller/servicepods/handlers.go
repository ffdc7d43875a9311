package servicepods

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
)

// Handlers queue Service keys (namespace/name) for informer events.
type Handlers struct {
	Services corelisters.ServiceLister
	// Enqueue queues a Service key; Deleted is told of Services that are
	// gone (may be nil).
	Enqueue func(key string)
	Deleted func(key string)
}

// ServiceHandler handles the events of the Service informer.
func (h *Handlers) ServiceHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    h.service,
		UpdateFunc: func(_, cur any) { h.service(cur) },
		DeleteFunc: h.serviceDeleted,
	}
}

// PodHandler handles the events of the pod informer.
func (h *Handlers) PodHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    h.pod,
		UpdateFunc: h.podUpdated,
		DeleteFunc: h.pod,
	}
}

func (h *Handlers) service(obj any) {
	if key, ok := controller.Key(obj); ok {
		h.Enqueue(key)
	}
}

func (h *Handlers) serviceDeleted(obj any) {
	key, ok := controller.Key(obj)
	if !ok {
		return
	}
	if h.Deleted != nil {
		h.Deleted(key)
	}
	h.Enqueue(key)
}

// pod queues the Services selecting the pod.
func (h *Handlers) pod(obj any) {
	p, ok := controller.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	for _, key := range h.servicesOf(p.Namespace, p.Labels) {
		h.Enqueue(key)
	}
}

// podUpdated queues the Services selecting the pod before and after a
// change of labels, or those selecting it now when what they show of
// the pod changed.
func (h *Handlers) podUpdated(old, cur any) {
	o, p := old.(*corev1.Pod), cur.(*corev1.Pod)
	if o.ResourceVersion == p.ResourceVersion {
		return
	}
	labelsChanged := !reflect.DeepEqual(o.Labels, p.Labels)
	if !labelsChanged && !Changed(o, p) {
		return
	}
	keys := h.servicesOf(p.Namespace, p.Labels)
	if labelsChanged {
		keys = append(keys, h.servicesOf(o.Namespace, o.Labels)...)
	}
	for _, key := range keys {
		h.Enqueue(key)
	}
}

// servicesOf returns the keys of the Services of ns whose selector
// matches set.
func (h *Handlers) servicesOf(ns string, set map[string]string) []string {
	svcs, err := h.Services.Services(ns).List(labels.Everything())
	if err != nil {
		return nil
	}
	var keys []string
	for _, s := range svcs {
		if !Selects(s) {
			continue
		}
		if labels.SelectorFromValidatedSet(s.Spec.Selector).Matches(labels.Set(set)) {
			keys = append(keys, s.Namespace+"/"+s.Name)
		}
	}
	return keys
}
