package openapi

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// subresource describes what a subresource of a kind accepts and answers.
type subresource struct {
	verbs  []string
	object runtime.Object          // its body and answer; nil: the parent's
	gvk    schema.GroupVersionKind // zero: the parent's
	text   bool                    // answers plain text or a stream, not an object
	query  []param                 // query parameters of its reads and connects
}

// subresources are those skiff's API server can serve, as kube-apiserver
// shapes them.
var subresources = map[string]subresource{
	"status":   {verbs: []string{"get", "update", "patch"}},
	"finalize": {verbs: []string{"update"}},
	"scale": {
		verbs:  []string{"get", "update", "patch"},
		object: &autoscalingv1.Scale{},
		gvk:    autoscalingv1.SchemeGroupVersion.WithKind("Scale"),
	},
	"binding": {
		verbs:  []string{"create"},
		object: &corev1.Binding{},
		gvk:    corev1.SchemeGroupVersion.WithKind("Binding"),
	},
	"eviction": {
		verbs:  []string{"create"},
		object: &policyv1.Eviction{},
		gvk:    policyv1.SchemeGroupVersion.WithKind("Eviction"),
	},
	"log": {verbs: []string{"get"}, text: true, query: logParams},
	"exec": {
		verbs: []string{"connect"},
		gvk:   corev1.SchemeGroupVersion.WithKind("PodExecOptions"),
		text:  true,
		query: execParams,
	},
	"attach": {
		verbs: []string{"connect"},
		gvk:   corev1.SchemeGroupVersion.WithKind("PodAttachOptions"),
		text:  true,
		query: attachParams,
	},
	"portforward": {
		verbs: []string{"connect"},
		gvk:   corev1.SchemeGroupVersion.WithKind("PodPortForwardOptions"),
		text:  true,
		query: portForwardParams,
	},
}
