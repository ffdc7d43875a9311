package cri

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Client makes CRI calls on one runtime. It is safe for concurrent use.
type Client struct {
	RT  runtime.RuntimeServiceClient
	Img runtime.ImageServiceClient

	conn         *grpc.ClientConn
	logRoot      string // pods' log directories go below
	cgroupParent string
	seq          atomic.Int64
}

// NewClient uses conn for both services. Pods get their log directories
// under logRoot and their cgroups under cgroupParent (a cgroupfs path).
func NewClient(conn *grpc.ClientConn, logRoot, cgroupParent string) *Client {
	c := &Client{logRoot: logRoot, cgroupParent: cgroupParent}
	c.Use(conn)
	return c
}

// Use switches to conn (after a daemon restart); the old connection is
// closed. No call may be in flight.
func (c *Client) Use(conn *grpc.ClientConn) {
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn = conn
	c.RT = runtime.NewRuntimeServiceClient(conn)
	c.Img = runtime.NewImageServiceClient(conn)
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Image is the image of every benchmark container; Command prints one
// line, then sleeps as pid 1 of the container.
const Image = "docker.io/library/busybox:latest"

var Command = []string{"sh", "-c", "echo ready; exec sleep 1000000"}

// Pod is a running benchmark pod.
type Pod struct {
	Name        string
	SandboxID   string
	ContainerID string
	Config      *runtime.PodSandboxConfig
}

// StartPod runs a pod of one busybox container, as kubelet would, and
// returns once the container's first log line has been written. The
// pod's log directory and its watch are set up before the clock starts.
func (c *Client) StartPod(ctx context.Context, prefix string) (Pod, time.Duration, error) {
	name := fmt.Sprintf("%s-%d", prefix, c.seq.Add(1))
	dir := filepath.Join(c.logRoot, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Pod{}, 0, err
	}
	w, err := watchLog(filepath.Join(dir, "c.log"))
	if err != nil {
		return Pod{}, 0, err
	}
	defer w.close()
	cfg := &runtime.PodSandboxConfig{
		Metadata:     &runtime.PodSandboxMetadata{Name: name, Namespace: "bench", Uid: name + "-uid"},
		Hostname:     name,
		LogDirectory: dir,
		Linux:        &runtime.LinuxPodSandboxConfig{CgroupParent: c.cgroupParent},
	}
	p := Pod{Name: name, Config: cfg}
	start := time.Now()
	rp, err := c.RT.RunPodSandbox(ctx, &runtime.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		return p, 0, fmt.Errorf("RunPodSandbox %s: %w", name, err)
	}
	p.SandboxID = rp.PodSandboxId
	if _, err := c.Img.PullImage(ctx, &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: Image}, SandboxConfig: cfg}); err != nil {
		return p, 0, fmt.Errorf("PullImage %s: %w", name, err)
	}
	rc, err := c.RT.CreateContainer(ctx, &runtime.CreateContainerRequest{
		PodSandboxId: p.SandboxID, SandboxConfig: cfg,
		Config: &runtime.ContainerConfig{
			Metadata: &runtime.ContainerMetadata{Name: "c"},
			Image:    &runtime.ImageSpec{Image: Image},
			Command:  Command,
			LogPath:  "c.log",
			Linux:    &runtime.LinuxContainerConfig{},
		},
	})
	if err != nil {
		return p, 0, fmt.Errorf("CreateContainer %s: %w", name, err)
	}
	p.ContainerID = rc.ContainerId
	if _, err := c.RT.StartContainer(ctx, &runtime.StartContainerRequest{ContainerId: p.ContainerID}); err != nil {
		return p, 0, fmt.Errorf("StartContainer %s: %w", name, err)
	}
	if err := w.waitLine(ctx); err != nil {
		return p, 0, fmt.Errorf("pod %s: first log line: %w", name, err)
	}
	return p, time.Since(start), nil
}

// RemovePod stops and removes the pod's sandbox (and with it its
// container), as kubelet does when a pod is deleted, and returns how
// long the two calls took.
func (c *Client) RemovePod(ctx context.Context, sandboxID string) (time.Duration, error) {
	start := time.Now()
	if _, err := c.RT.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: sandboxID}); err != nil {
		return 0, fmt.Errorf("StopPodSandbox %s: %w", sandboxID, err)
	}
	if _, err := c.RT.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: sandboxID}); err != nil {
		return 0, fmt.Errorf("RemovePodSandbox %s: %w", sandboxID, err)
	}
	return time.Since(start), nil
}

// RemoveAll removes every pod sandbox the runtime lists, workers at a
// time, and returns the first error.
func (c *Client) RemoveAll(ctx context.Context, workers int) error {
	resp, err := c.RT.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{})
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(resp.Items))
	for _, s := range resp.Items {
		ids = append(ids, s.Id)
	}
	_, errs := Parallel(len(ids), workers, func(i int) (time.Duration, error) {
		return c.RemovePod(ctx, ids[i])
	})
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
