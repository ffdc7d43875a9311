// Package fakecri is an in-memory CRI runtime and image service for the
// agent's unit tests: sandboxes and containers with their states and
// labels, images, and a log of the calls made, so that tests assert what
// the agent asked of the runtime. Containers do not run: tests move them
// with Exit.
package fakecri

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Runtime is the fake. The zero value is not usable: use New.
type Runtime struct {
	runtimeapi.RuntimeServiceClient // methods not faked panic
	runtimeapi.ImageServiceClient

	mu         sync.Mutex // guards the fields below
	now        time.Time
	next       int
	sandboxes  map[string]*Sandbox
	containers map[string]*Container
	images     map[string]bool
	calls      []string
	// StreamURL is what Exec, Attach and PortForward answer.
	StreamURL string
	// ExecExit answers ExecSync; nil exits 0.
	ExecExit func(id string, cmd []string) int32
	// Fail makes a call fail, by its entry in Calls ("PullImage busybox",
	// "CreateContainer web" …).
	Fail map[string]error
}

// Sandbox is a fake sandbox.
type Sandbox struct {
	Config *runtimeapi.PodSandboxConfig
	State  runtimeapi.PodSandboxState
	Create time.Time
	IP     string
}

// Container is a fake container.
type Container struct {
	SandboxID          string
	Config             *runtimeapi.ContainerConfig
	State              runtimeapi.ContainerState
	Create, Start, End time.Time
	ExitCode           int32
	StopTimeout        int64
}

// New returns an empty runtime with the given images present.
func New(images ...string) *Runtime {
	r := &Runtime{now: time.Now(), sandboxes: map[string]*Sandbox{}, containers: map[string]*Container{}, images: map[string]bool{}}
	for _, i := range images {
		r.images[i] = true
	}
	return r
}

func (r *Runtime) tick() time.Time { r.now = r.now.Add(time.Second); return r.now }

func (r *Runtime) record(call string) error {
	r.calls = append(r.calls, call)
	return r.Fail[call]
}

// Calls returns the calls made so far and forgets them.
func (r *Runtime) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// Containers returns copies of the containers, by ID.
func (r *Runtime) Containers() map[string]Container {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]Container{}
	for id, c := range r.containers {
		out[id] = *c
	}
	return out
}

// Sandboxes returns copies of the sandboxes, by ID.
func (r *Runtime) Sandboxes() map[string]Sandbox {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]Sandbox{}
	for id, s := range r.sandboxes {
		out[id] = *s
	}
	return out
}

// Exit makes the running container named name (newest first) exit.
func (r *Runtime) Exit(name string, code int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.containers {
		if c.Config.Metadata.Name == name && c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			c.State, c.ExitCode, c.End = runtimeapi.ContainerState_CONTAINER_EXITED, code, r.tick()
		}
	}
}

// KillSandbox marks a sandbox not ready, as when its pause process dies.
func (r *Runtime) KillSandbox(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sandboxes[id].State = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
}

func notFound(what, id string) error {
	return status.Errorf(codes.NotFound, "%s %q not found", what, id)
}

func matches(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// RunPodSandbox creates a ready sandbox with the next 10.88.0.x address.
func (r *Runtime) RunPodSandbox(_ context.Context, in *runtimeapi.RunPodSandboxRequest, _ ...grpc.CallOption) (*runtimeapi.RunPodSandboxResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.record("RunPodSandbox"); err != nil {
		return nil, err
	}
	r.next++
	id := fmt.Sprintf("sb%d", r.next)
	r.sandboxes[id] = &Sandbox{Config: in.Config, State: runtimeapi.PodSandboxState_SANDBOX_READY, Create: r.tick(), IP: fmt.Sprintf("10.88.0.%d", r.next)}
	return &runtimeapi.RunPodSandboxResponse{PodSandboxId: id}, nil
}

func (r *Runtime) StopPodSandbox(_ context.Context, in *runtimeapi.StopPodSandboxRequest, _ ...grpc.CallOption) (*runtimeapi.StopPodSandboxResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record("StopPodSandbox " + in.PodSandboxId)
	sb, ok := r.sandboxes[in.PodSandboxId]
	if !ok {
		return nil, notFound("sandbox", in.PodSandboxId)
	}
	sb.State = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	for _, c := range r.containers {
		if c.SandboxID == in.PodSandboxId && c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			c.State, c.ExitCode, c.End = runtimeapi.ContainerState_CONTAINER_EXITED, 137, r.tick()
		}
	}
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

func (r *Runtime) RemovePodSandbox(_ context.Context, in *runtimeapi.RemovePodSandboxRequest, _ ...grpc.CallOption) (*runtimeapi.RemovePodSandboxResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record("RemovePodSandbox " + in.PodSandboxId)
	delete(r.sandboxes, in.PodSandboxId)
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

func (r *Runtime) PodSandboxStatus(_ context.Context, in *runtimeapi.PodSandboxStatusRequest, _ ...grpc.CallOption) (*runtimeapi.PodSandboxStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sb, ok := r.sandboxes[in.PodSandboxId]
	if !ok {
		return nil, notFound("sandbox", in.PodSandboxId)
	}
	return &runtimeapi.PodSandboxStatusResponse{Status: &runtimeapi.PodSandboxStatus{
		Id: in.PodSandboxId, Metadata: sb.Config.Metadata, State: sb.State, CreatedAt: sb.Create.UnixNano(),
		Network: &runtimeapi.PodSandboxNetworkStatus{Ip: sb.IP}, Labels: sb.Config.Labels,
	}}, nil
}

func (r *Runtime) ListPodSandbox(_ context.Context, in *runtimeapi.ListPodSandboxRequest, _ ...grpc.CallOption) (*runtimeapi.ListPodSandboxResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &runtimeapi.ListPodSandboxResponse{}
	for _, id := range slices.Sorted(maps.Keys(r.sandboxes)) {
		sb := r.sandboxes[id]
		if !matches(in.GetFilter().GetLabelSelector(), sb.Config.Labels) {
			continue
		}
		out.Items = append(out.Items, &runtimeapi.PodSandbox{Id: id, Metadata: sb.Config.Metadata, State: sb.State,
			CreatedAt: sb.Create.UnixNano(), Labels: sb.Config.Labels, Annotations: sb.Config.Annotations})
	}
	return out, nil
}

// CreateContainer creates a container in a ready sandbox.
func (r *Runtime) CreateContainer(_ context.Context, in *runtimeapi.CreateContainerRequest, _ ...grpc.CallOption) (*runtimeapi.CreateContainerResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.record("CreateContainer " + in.Config.Metadata.Name); err != nil {
		return nil, err
	}
	if sb, ok := r.sandboxes[in.PodSandboxId]; !ok || sb.State != runtimeapi.PodSandboxState_SANDBOX_READY {
		return nil, status.Errorf(codes.FailedPrecondition, "sandbox %q is not ready", in.PodSandboxId)
	}
	r.next++
	id := fmt.Sprintf("c%d", r.next)
	r.containers[id] = &Container{SandboxID: in.PodSandboxId, Config: in.Config, State: runtimeapi.ContainerState_CONTAINER_CREATED, Create: r.tick()}
	return &runtimeapi.CreateContainerResponse{ContainerId: id}, nil
}

func (r *Runtime) StartContainer(_ context.Context, in *runtimeapi.StartContainerRequest, _ ...grpc.CallOption) (*runtimeapi.StartContainerResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.record("StartContainer " + r.containers[in.ContainerId].Config.Metadata.Name); err != nil {
		return nil, err
	}
	c := r.containers[in.ContainerId]
	c.State, c.Start = runtimeapi.ContainerState_CONTAINER_RUNNING, r.tick()
	return &runtimeapi.StartContainerResponse{}, nil
}

func (r *Runtime) StopContainer(_ context.Context, in *runtimeapi.StopContainerRequest, _ ...grpc.CallOption) (*runtimeapi.StopContainerResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[in.ContainerId]
	if !ok {
		return nil, notFound("container", in.ContainerId)
	}
	r.record(fmt.Sprintf("StopContainer %s %ds", c.Config.Metadata.Name, in.Timeout))
	c.StopTimeout = in.Timeout
	if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
		c.State, c.ExitCode, c.End = runtimeapi.ContainerState_CONTAINER_EXITED, 143, r.tick()
	}
	return &runtimeapi.StopContainerResponse{}, nil
}

func (r *Runtime) RemoveContainer(_ context.Context, in *runtimeapi.RemoveContainerRequest, _ ...grpc.CallOption) (*runtimeapi.RemoveContainerResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record("RemoveContainer " + in.ContainerId)
	delete(r.containers, in.ContainerId)
	return &runtimeapi.RemoveContainerResponse{}, nil
}

func (r *Runtime) ListContainers(_ context.Context, in *runtimeapi.ListContainersRequest, _ ...grpc.CallOption) (*runtimeapi.ListContainersResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &runtimeapi.ListContainersResponse{}
	for _, id := range slices.Sorted(maps.Keys(r.containers)) {
		c := r.containers[id]
		if !matches(in.GetFilter().GetLabelSelector(), c.Config.Labels) {
			continue
		}
		out.Containers = append(out.Containers, &runtimeapi.Container{Id: id, PodSandboxId: c.SandboxID, Metadata: c.Config.Metadata,
			State: c.State, CreatedAt: c.Create.UnixNano(), Labels: c.Config.Labels, Annotations: c.Config.Annotations,
			Image: c.Config.Image, ImageRef: "sha256:" + c.Config.Image.Image})
	}
	return out, nil
}

func (r *Runtime) ContainerStatus(_ context.Context, in *runtimeapi.ContainerStatusRequest, _ ...grpc.CallOption) (*runtimeapi.ContainerStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[in.ContainerId]
	if !ok {
		return nil, notFound("container", in.ContainerId)
	}
	unix := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixNano()
	}
	return &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{
		Id: in.ContainerId, Metadata: c.Config.Metadata, State: c.State, CreatedAt: unix(c.Create), StartedAt: unix(c.Start),
		FinishedAt: unix(c.End), ExitCode: c.ExitCode, Image: c.Config.Image, ImageRef: "sha256:" + c.Config.Image.Image,
		Labels: c.Config.Labels, Annotations: c.Config.Annotations, Mounts: c.Config.Mounts,
		LogPath: filepath.Join(r.sandboxes[c.SandboxID].Config.GetLogDirectory(), c.Config.LogPath),
	}}, nil
}

func (r *Runtime) ExecSync(_ context.Context, in *runtimeapi.ExecSyncRequest, _ ...grpc.CallOption) (*runtimeapi.ExecSyncResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record(fmt.Sprintf("ExecSync %s %v", r.containers[in.ContainerId].Config.Metadata.Name, in.Cmd))
	if r.ExecExit == nil {
		return &runtimeapi.ExecSyncResponse{}, nil
	}
	return &runtimeapi.ExecSyncResponse{ExitCode: r.ExecExit(in.ContainerId, in.Cmd)}, nil
}

// ImageStatus finds an image by name or ID.
func (r *Runtime) ImageStatus(_ context.Context, in *runtimeapi.ImageStatusRequest, _ ...grpc.CallOption) (*runtimeapi.ImageStatusResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := in.Image.Image
	if !r.images[name] {
		return &runtimeapi.ImageStatusResponse{}, nil
	}
	return &runtimeapi.ImageStatusResponse{Image: &runtimeapi.Image{Id: name, RepoTags: []string{name}}}, nil
}

func (r *Runtime) PullImage(_ context.Context, in *runtimeapi.PullImageRequest, _ ...grpc.CallOption) (*runtimeapi.PullImageResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.record("PullImage " + in.Image.Image); err != nil {
		return nil, err
	}
	r.images[in.Image.Image] = true
	return &runtimeapi.PullImageResponse{ImageRef: in.Image.Image}, nil
}

// Version names the fake runtime "fake" 0.1.
func (r *Runtime) Version(context.Context, *runtimeapi.VersionRequest, ...grpc.CallOption) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{RuntimeName: "fake", RuntimeVersion: "0.1", RuntimeApiVersion: "v1"}, nil
}

// RuntimeConfig reports the cgroupfs driver.
func (r *Runtime) RuntimeConfig(context.Context, *runtimeapi.RuntimeConfigRequest, ...grpc.CallOption) (*runtimeapi.RuntimeConfigResponse, error) {
	return &runtimeapi.RuntimeConfigResponse{Linux: &runtimeapi.LinuxRuntimeConfiguration{CgroupDriver: runtimeapi.CgroupDriver_CGROUPFS}}, nil
}

// Status reports the runtime and its network ready.
func (r *Runtime) Status(context.Context, *runtimeapi.StatusRequest, ...grpc.CallOption) (*runtimeapi.StatusResponse, error) {
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true}, {Type: runtimeapi.NetworkReady, Status: true}}}}, nil
}

// Exec, Attach and PortForward answer StreamURL, or Unimplemented when it
// is empty.
func (r *Runtime) Exec(context.Context, *runtimeapi.ExecRequest, ...grpc.CallOption) (*runtimeapi.ExecResponse, error) {
	u, err := r.streamURL()
	return &runtimeapi.ExecResponse{Url: u}, err
}

func (r *Runtime) Attach(context.Context, *runtimeapi.AttachRequest, ...grpc.CallOption) (*runtimeapi.AttachResponse, error) {
	u, err := r.streamURL()
	return &runtimeapi.AttachResponse{Url: u}, err
}

func (r *Runtime) PortForward(context.Context, *runtimeapi.PortForwardRequest, ...grpc.CallOption) (*runtimeapi.PortForwardResponse, error) {
	u, err := r.streamURL()
	return &runtimeapi.PortForwardResponse{Url: u}, err
}

func (r *Runtime) streamURL() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.StreamURL == "" {
		return "", status.Error(codes.Unimplemented, "no streaming")
	}
	return r.StreamURL, nil
}
