package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/version"
)

// kubeAPIVersion is the version of the kubelet runtime API, a constant of
// the CRI protocol.
const kubeAPIVersion = "0.1.0"

// Version reports the runtime's name and version.
func (s *Server) Version(context.Context, *runtime.VersionRequest) (*runtime.VersionResponse, error) {
	return &runtime.VersionResponse{
		Version:           kubeAPIVersion,
		RuntimeName:       version.Name,
		RuntimeVersion:    version.Version,
		RuntimeApiVersion: version.CRIVersion,
	}, nil
}
