package oci

import (
	"maps"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Annotations skiff puts on every spec, named as containerd names them
// because tools (and NRI plugins, crictl inspect users …) read them.
const (
	AnnotationContainerType    = "io.kubernetes.cri.container-type"
	AnnotationSandboxID        = "io.kubernetes.cri.sandbox-id"
	AnnotationSandboxName      = "io.kubernetes.cri.sandbox-name"
	AnnotationSandboxNamespace = "io.kubernetes.cri.sandbox-namespace"
	AnnotationSandboxUID       = "io.kubernetes.cri.sandbox-uid"
	AnnotationSandboxLogDir    = "io.kubernetes.cri.sandbox-log-directory"
	AnnotationContainerName    = "io.kubernetes.cri.container-name"
	AnnotationImageName        = "io.kubernetes.cri.image-name"

	// The values of AnnotationContainerType.
	ContainerTypeSandbox   = "sandbox"
	ContainerTypeContainer = "container"
)

// sandboxAnnotations are the pause container's: the pod's annotations,
// then skiff's, which a pod cannot override.
func sandboxAnnotations(id string, cfg *runtime.PodSandboxConfig) map[string]string {
	a := maps.Clone(cfg.GetAnnotations())
	if a == nil {
		a = map[string]string{}
	}
	a[AnnotationContainerType] = ContainerTypeSandbox
	a[AnnotationSandboxID] = id
	a[AnnotationSandboxName] = cfg.GetMetadata().GetName()
	a[AnnotationSandboxNamespace] = cfg.GetMetadata().GetNamespace()
	a[AnnotationSandboxUID] = cfg.GetMetadata().GetUid()
	a[AnnotationSandboxLogDir] = cfg.GetLogDirectory()
	return a
}

// containerAnnotations are a container's: its CRI annotations, then
// skiff's.
func containerAnnotations(in ContainerInput) map[string]string {
	a := maps.Clone(in.Config.GetAnnotations())
	if a == nil {
		a = map[string]string{}
	}
	image := in.ImageName
	if image == "" {
		image = in.Config.GetImage().GetUserSpecifiedImage()
	}
	if image == "" {
		image = in.Config.GetImage().GetImage()
	}
	md := in.Sandbox.Config.GetMetadata()
	a[AnnotationContainerType] = ContainerTypeContainer
	a[AnnotationSandboxID] = in.Sandbox.ID
	a[AnnotationSandboxName] = md.GetName()
	a[AnnotationSandboxNamespace] = md.GetNamespace()
	a[AnnotationSandboxUID] = md.GetUid()
	a[AnnotationContainerName] = in.Config.GetMetadata().GetName()
	a[AnnotationImageName] = image
	return a
}
