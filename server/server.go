package server

import (
	"google.golang.org/grpc"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/health"
)

// Server answers CRI calls. It is safe for concurrent use; its fields are
// set by New and read-only afterwards.
type Server struct {
	runtime.UnimplementedRuntimeServiceServer
	runtime.UnimplementedImageServiceServer

	cfg          config.Config
	runtimeReady health.Check
	networkReady health.Check
	images       ImageStore
}

// Options are what Server needs from the daemon's wiring.
type Options struct {
	Config       config.Config
	RuntimeReady health.Check
	NetworkReady health.Check
	Images       ImageStore
}

// New returns a Server.
func New(o Options) *Server {
	return &Server{cfg: o.Config, runtimeReady: o.RuntimeReady, networkReady: o.NetworkReady, images: o.Images}
}

// Register adds both CRI services to g.
func (s *Server) Register(g *grpc.Server) {
	runtime.RegisterRuntimeServiceServer(g, s)
	runtime.RegisterImageServiceServer(g, s)
}
