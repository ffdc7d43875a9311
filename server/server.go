package server

import (
	"context"

	"google.golang.org/grpc"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/health"
	"github.com/skiffrt/skiff/internal/image"
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
	sandboxes    Sandboxes
	containers   Containers
	features     Features
	pinned       string // the pause image's normalised name, if configured
	podCIDR      PodCIDRSetter
	stats        Stats
	events       Events
	criu         func(context.Context) error
	streams      Streams
}

// Streams hands out the streaming server's URLs (package streaming).
type Streams interface {
	GetExec(*runtime.ExecRequest) (string, error)
	GetAttach(*runtime.AttachRequest) (string, error)
	GetPortForward(*runtime.PortForwardRequest) (string, error)
}

// PodCIDRSetter takes the pod CIDR of UpdateRuntimeConfig.
type PodCIDRSetter interface {
	SetPodCIDR(cidr string) error
}

// Options are what Server needs from the daemon's wiring.
type Options struct {
	Config       config.Config
	RuntimeReady health.Check
	NetworkReady health.Check
	Images       ImageStore
	Sandboxes    Sandboxes
	Containers   Containers
	Features     Features
	PodCIDR      PodCIDRSetter
	Stats        Stats
	Events       Events
	// CRIU says whether checkpoint and restore can run here (criu.Checker).
	CRIU    func(context.Context) error
	Streams Streams
}

// Features are what Status advertises the runtime can do.
type Features struct {
	// RecursiveReadOnlyMounts: the kernel has mount_setattr(AT_RECURSIVE).
	RecursiveReadOnlyMounts bool
}

// New returns a Server.
func New(o Options) *Server {
	s := &Server{
		cfg: o.Config, runtimeReady: o.RuntimeReady, networkReady: o.NetworkReady,
		images: o.Images, sandboxes: o.Sandboxes, containers: o.Containers, features: o.Features,
		podCIDR: o.PodCIDR, stats: o.Stats, events: o.Events, criu: o.CRIU, streams: o.Streams,
	}
	if ref, err := image.ParseRef(o.Config.PauseImage); err == nil {
		s.pinned = image.IndexName(ref)
	}
	return s
}

// Register adds both CRI services to g.
func (s *Server) Register(g *grpc.Server) {
	runtime.RegisterRuntimeServiceServer(g, s)
	runtime.RegisterImageServiceServer(g, s)
}
