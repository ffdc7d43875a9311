package pod

import (
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes pods; new pods get the default tolerations of 300 s.
func Kind() registry.Kind {
	return KindWith(Tolerations{NotReady: DefaultTolerationSeconds, Unreachable: DefaultTolerationSeconds})
}

// KindWith describes pods whose default tolerations last t.
func KindWith(t Tolerations) registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("Pod"),
		Resource:         "pods", Singular: "pod", ShortNames: []string{"po"}, Categories: []string{"all"},
		Namespaced:  true,
		Status:      true,
		GracePeriod: gracePeriod,
		Actions:     actions,
		Streams:     streams,
		Strategy:    registry.Typed[*corev1.Pod](strategy{tolerations: t}),
	}
}

// gracePeriod: a pod bound to a node waits for the node agent to stop it
// (spec.terminationGracePeriodSeconds); an unscheduled or finished pod
// goes at once, as upstream.
func gracePeriod(obj runtime.Object) int64 {
	p := obj.(*corev1.Pod)
	if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return 0
	}
	if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
		return *g
	}
	return corev1.DefaultTerminationGracePeriodSeconds
}

var podsResource = corev1.SchemeGroupVersion.WithResource("pods").GroupResource()

type strategy struct {
	tolerations Tolerations
}

func (s strategy) PrepareForCreate(p *corev1.Pod) {
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: QOSClass(&p.Spec)}
	addDefaultTolerations(&p.Spec, s.tolerations)
}

func (strategy) PrepareForUpdate(p, old *corev1.Pod) {}

func (strategy) Default(p *corev1.Pod) { DefaultSpec(&p.Spec) }

func (strategy) Validate(p *corev1.Pod) field.ErrorList {
	return ValidateSpec(&p.Spec, field.NewPath("spec"))
}

// ValidateUpdate: a pod's spec is immutable but for its images,
// activeDeadlineSeconds, terminationGracePeriodSeconds and added
// tolerations, as upstream.
func (strategy) ValidateUpdate(p, old *corev1.Pod) field.ErrorList {
	spec := *p.Spec.DeepCopy()
	spec.Containers = withImages(old.Spec.Containers, spec.Containers)
	spec.InitContainers = withImages(old.Spec.InitContainers, spec.InitContainers)
	spec.ActiveDeadlineSeconds = old.Spec.ActiveDeadlineSeconds
	spec.TerminationGracePeriodSeconds = old.Spec.TerminationGracePeriodSeconds
	if len(spec.Tolerations) >= len(old.Spec.Tolerations) {
		spec.Tolerations = old.Spec.Tolerations
	}
	if old.Spec.NodeName == "" {
		spec.NodeName = ""
	}
	if apiequality.Semantic.DeepEqual(spec, old.Spec) {
		return nil
	}
	return field.ErrorList{field.Forbidden(field.NewPath("spec"),
		"pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"+
			"`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"+
			"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")}
}

// withImages returns cur's containers with the images of old, so that
// only image changes compare equal; with another number of containers,
// cur unchanged (so the difference shows).
func withImages(old, cur []corev1.Container) []corev1.Container {
	if len(old) != len(cur) || len(old) == 0 {
		return cur
	}
	out := make([]corev1.Container, len(cur))
	for i := range cur {
		out[i] = *cur[i].DeepCopy()
		out[i].Image = old[i].Image
	}
	return out
}

// SelectableFields are the fields kube-apiserver lets pods be selected
// by (the node agent watches spec.nodeName).
func (strategy) SelectableFields(p *corev1.Pod) fields.Set {
	hostNetwork := "false"
	if p.Spec.HostNetwork {
		hostNetwork = "true"
	}
	return fields.Set{
		"spec.nodeName":            p.Spec.NodeName,
		"spec.restartPolicy":       string(p.Spec.RestartPolicy),
		"spec.schedulerName":       p.Spec.SchedulerName,
		"spec.serviceAccountName":  p.Spec.ServiceAccountName,
		"spec.hostNetwork":         hostNetwork,
		"status.phase":             string(p.Status.Phase),
		"status.podIP":             p.Status.PodIP,
		"status.nominatedNodeName": p.Status.NominatedNodeName,
	}
}

// QOSClass is the pod's QoS class from its containers' resources.
func QOSClass(s *corev1.PodSpec) corev1.PodQOSClass {
	any, guaranteed := false, true
	for _, c := range append(append([]corev1.Container{}, s.InitContainers...), s.Containers...) {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[name]
			lim, hasLim := c.Resources.Limits[name]
			any = any || hasReq || hasLim
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !any:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}
