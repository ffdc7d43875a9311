package main

import (
	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/configmap"
	"github.com/skiffrt/skiff/controlplane/registry/deployment"
	"github.com/skiffrt/skiff/controlplane/registry/namespace"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
)

// kinds are the resources `skiff server` serves.
func kinds() []registry.Kind {
	return []registry.Kind{
		namespace.Kind(),
		configmap.Kind(),
		pod.Kind(),
		deployment.Kind(),
	}
}
