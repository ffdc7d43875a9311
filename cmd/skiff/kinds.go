package main

import (
	"time"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/configmap"
	"github.com/skiffrt/skiff/controlplane/registry/controllerrevision"
	"github.com/skiffrt/skiff/controlplane/registry/cronjob"
	"github.com/skiffrt/skiff/controlplane/registry/daemonset"
	"github.com/skiffrt/skiff/controlplane/registry/deployment"
	"github.com/skiffrt/skiff/controlplane/registry/endpoints"
	"github.com/skiffrt/skiff/controlplane/registry/endpointslice"
	"github.com/skiffrt/skiff/controlplane/registry/event"
	"github.com/skiffrt/skiff/controlplane/registry/job"
	"github.com/skiffrt/skiff/controlplane/registry/lease"
	"github.com/skiffrt/skiff/controlplane/registry/namespace"
	"github.com/skiffrt/skiff/controlplane/registry/node"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
	"github.com/skiffrt/skiff/controlplane/registry/pv"
	"github.com/skiffrt/skiff/controlplane/registry/pvc"
	"github.com/skiffrt/skiff/controlplane/registry/replicaset"
	"github.com/skiffrt/skiff/controlplane/registry/secret"
	"github.com/skiffrt/skiff/controlplane/registry/service"
	"github.com/skiffrt/skiff/controlplane/registry/serviceaccount"
	"github.com/skiffrt/skiff/controlplane/registry/statefulset"
)

// kinds are the resources `skiff server` serves, in discovery order.
func kinds(services service.Config, eventTTL time.Duration, tolerations pod.Tolerations) []registry.Kind {
	return []registry.Kind{
		// v1
		namespace.Kind(),
		pod.KindWith(tolerations),
		node.Kind(),
		service.Kind(services),
		endpoints.Kind(),
		configmap.Kind(),
		secret.Kind(),
		serviceaccount.Kind(),
		event.Kind(eventTTL),
		pvc.Kind(),
		pv.Kind(),
		// apps/v1
		deployment.Kind(),
		replicaset.Kind(),
		statefulset.Kind(),
		daemonset.Kind(),
		controllerrevision.Kind(),
		// batch/v1
		job.Kind(),
		cronjob.Kind(),
		// discovery.k8s.io/v1
		endpointslice.Kind(),
		// coordination.k8s.io/v1
		lease.Kind(),
		// events.k8s.io/v1
		event.KindV1(eventTTL),
	}
}
