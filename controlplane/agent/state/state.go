package state

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
)

// Pod is what the runtime has of one pod.
type Pod struct {
	UID             types.UID
	Name, Namespace string
	// Sandboxes, newest first.
	Sandboxes []*Sandbox
	// Containers of every sandbox, newest first.
	Containers []*Container
}

// Sandbox is one pod sandbox.
type Sandbox struct {
	ID        string
	Attempt   uint32
	Ready     bool
	CreatedAt time.Time
	// IPs are the pod's addresses, primary first (none with host
	// networking, which the status gives the host's).
	IPs []string
}

// ContainerState is a container's state in the runtime.
type ContainerState string

// The CRI's container states.
const (
	Created ContainerState = "created"
	Running ContainerState = "running"
	Exited  ContainerState = "exited"
	Unknown ContainerState = "unknown"
)

// Container is one container (one attempt of a spec container).
type Container struct {
	ID, SandboxID string
	// Info is what its labels and annotations say: name, hash, restart
	// count, preStop hook, grace period.
	podspec.ContainerInfo
	State                            ContainerState
	CreatedAt, StartedAt, FinishedAt time.Time
	ExitCode                         int32
	Reason, Message                  string
	// Image is the image as the spec named it; ImageRef the image's
	// digest reference or ID.
	Image, ImageRef string
	LogPath         string
}

// Sandbox returns the newest sandbox, or nil.
func (p *Pod) Sandbox() *Sandbox {
	if p == nil || len(p.Sandboxes) == 0 {
		return nil
	}
	return p.Sandboxes[0]
}

// Container returns the newest container named name, or nil.
func (p *Pod) Container(name string) *Container {
	if p == nil {
		return nil
	}
	for _, c := range p.Containers {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Previous returns the container named name before the newest, or nil.
func (p *Pod) Previous(name string) *Container {
	if p == nil {
		return nil
	}
	seen := false
	for _, c := range p.Containers {
		if c.Name != name {
			continue
		}
		if seen {
			return c
		}
		seen = true
	}
	return nil
}

// Running returns the running containers.
func (p *Pod) Running() []*Container {
	var out []*Container
	if p == nil {
		return nil
	}
	for _, c := range p.Containers {
		if c.State == Running {
			out = append(out, c)
		}
	}
	return out
}
