package runner

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"google.golang.org/grpc"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/flowcontrol"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/actions"
	"github.com/skiffrt/skiff/controlplane/agent/podspec"
	"github.com/skiffrt/skiff/controlplane/agent/state"
	"github.com/skiffrt/skiff/controlplane/agent/volume"
)

// Runtime is the part of the CRI RuntimeService the runner uses.
type Runtime interface {
	state.Runtime
	RunPodSandbox(ctx context.Context, in *runtimeapi.RunPodSandboxRequest, opts ...grpc.CallOption) (*runtimeapi.RunPodSandboxResponse, error)
	StopPodSandbox(ctx context.Context, in *runtimeapi.StopPodSandboxRequest, opts ...grpc.CallOption) (*runtimeapi.StopPodSandboxResponse, error)
	RemovePodSandbox(ctx context.Context, in *runtimeapi.RemovePodSandboxRequest, opts ...grpc.CallOption) (*runtimeapi.RemovePodSandboxResponse, error)
	CreateContainer(ctx context.Context, in *runtimeapi.CreateContainerRequest, opts ...grpc.CallOption) (*runtimeapi.CreateContainerResponse, error)
	StartContainer(ctx context.Context, in *runtimeapi.StartContainerRequest, opts ...grpc.CallOption) (*runtimeapi.StartContainerResponse, error)
	StopContainer(ctx context.Context, in *runtimeapi.StopContainerRequest, opts ...grpc.CallOption) (*runtimeapi.StopContainerResponse, error)
	RemoveContainer(ctx context.Context, in *runtimeapi.RemoveContainerRequest, opts ...grpc.CallOption) (*runtimeapi.RemoveContainerResponse, error)
	ExecSync(ctx context.Context, in *runtimeapi.ExecSyncRequest, opts ...grpc.CallOption) (*runtimeapi.ExecSyncResponse, error)
}

// Images is the part of the CRI ImageService the runner uses.
type Images interface {
	ImageStatus(ctx context.Context, in *runtimeapi.ImageStatusRequest, opts ...grpc.CallOption) (*runtimeapi.ImageStatusResponse, error)
	PullImage(ctx context.Context, in *runtimeapi.PullImageRequest, opts ...grpc.CallOption) (*runtimeapi.PullImageResponse, error)
}

// Recorder records events on pods (client-go's record.EventRecorder).
type Recorder interface {
	Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

// Node is what the runner needs to know of its node.
type Node struct {
	// LogRoot holds the pods' log directories (/var/log/pods).
	LogRoot string
	// CgroupRoot and CgroupDriver place the pods' cgroups.
	CgroupRoot, CgroupDriver string
	// DNS is the resolver configuration pods get.
	DNS podspec.DNSOptions
	// MemoryCapacity (bytes) and Allocatable feed OOM scores and the
	// downward API.
	MemoryCapacity int64
	Allocatable    corev1.ResourceList
	HostIPs        []string
}

// Runner applies actions to pods. It is safe for concurrent use on
// different pods.
type Runner struct {
	rt       Runtime
	images   Images
	volumes  *volume.Manager
	sources  volume.Sources
	recorder Recorder
	node     Node
	cgroups  Cgroups
	pulls    *flowcontrol.Backoff // image pull failures, by pod and image
}

// New returns a Runner.
func New(rt Runtime, images Images, volumes *volume.Manager, sources volume.Sources, recorder Recorder, cgroups Cgroups, node Node) *Runner {
	return &Runner{rt: rt, images: images, volumes: volumes, sources: sources, recorder: recorder, cgroups: cgroups, node: node,
		pulls: flowcontrol.NewBackOff(imageBackOffInitial, imageBackOffMax)}
}

// Result is what one sync left for the pod's status.
type Result struct {
	// Waiting are the containers that could not start, by name.
	Waiting map[string]actions.Waiting
}

func (r *Result) wait(name, reason, msg string) {
	if r.Waiting == nil {
		r.Waiting = map[string]actions.Waiting{}
	}
	r.Waiting[name] = actions.Waiting{Reason: reason, Message: msg}
}

// Sync applies a to pod, whose runtime state is st. The error is the
// first step that failed (a container failing to start is not an error:
// it is in Result.Waiting, with those a holds back).
func (r *Runner) Sync(ctx context.Context, pod *corev1.Pod, st *state.Pod, a actions.Actions, backoff *flowcontrol.Backoff) (Result, error) {
	res := Result{}
	for name, w := range a.Waiting {
		res.wait(name, w.Reason, w.Message)
	}
	if a.KillPod {
		if err := r.KillPod(ctx, pod, st, nil); err != nil {
			return res, err
		}
	} else {
		for _, k := range a.Kill {
			c := findContainer(st, k.ID)
			if c == nil {
				continue
			}
			if err := r.killContainer(ctx, pod, c, nil, k.Reason, k.Message); err != nil {
				return res, err
			}
		}
	}
	sandboxID := a.SandboxID
	if a.CreateSandbox {
		id, err := r.createSandbox(ctx, pod, a.Attempt)
		if err != nil {
			return res, err
		}
		sandboxID = id
		if st, err = state.Read(ctx, r.rt, pod.UID); err != nil {
			return res, err
		}
	}
	if sb := st.Sandbox(); sb == nil || !sb.Ready {
		return res, nil // the pod is done, or its sandbox failed
	}
	p := &podRun{r: r, pod: pod, st: st, sandboxID: sandboxID, result: &res}
	// Every sync refreshes the volumes: ConfigMap, Secret and downward
	// API changes reach running containers this way.
	vols, err := r.volumes.Setup(ctx, p.envPod())
	if err != nil {
		r.event(pod, corev1.EventTypeWarning, "FailedMount", "MountVolume.SetUp failed: %v", err)
		for _, c := range starting(a) {
			res.wait(c.Name, ReasonCreateConfigError, err.Error())
		}
		return res, nil
	}
	p.vols = vols
	if a.Init == nil && len(a.Start) == 0 {
		return res, nil
	}
	if p.sandboxConfig, err = r.sandboxConfig(pod, st.Sandbox().Attempt); err != nil {
		return res, err
	}
	if a.Init != nil {
		p.start(ctx, a.Init, backoff)
	}
	for i := range a.Start {
		p.start(ctx, &a.Start[i], backoff)
	}
	return res, nil
}

// starting are the containers the actions start.
func starting(a actions.Actions) []*corev1.Container {
	var out []*corev1.Container
	if a.Init != nil {
		out = append(out, a.Init.Container)
	}
	for _, s := range a.Start {
		out = append(out, s.Container)
	}
	return out
}

func findContainer(st *state.Pod, id string) *state.Container {
	for _, c := range st.Containers {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// sandboxConfig is the CRI config of the pod's sandbox.
func (r *Runner) sandboxConfig(pod *corev1.Pod, attempt uint32) (*runtimeapi.PodSandboxConfig, error) {
	return podspec.Sandbox(pod, podspec.SandboxOptions{
		Attempt: attempt, LogRoot: r.node.LogRoot, ClusterDomain: r.node.DNS.ClusterDomain,
		CgroupParent: r.cgroupParent(pod), DNS: podspec.DNS(pod, r.node.DNS),
	})
}

func (r *Runner) cgroupParent(pod *corev1.Pod) string {
	return podspec.CgroupParent(r.node.CgroupRoot, r.node.CgroupDriver, qos(pod), pod.UID)
}

// createSandbox runs a new sandbox for the pod, its log directory first.
func (r *Runner) createSandbox(ctx context.Context, pod *corev1.Pod, attempt uint32) (string, error) {
	cfg, err := r.sandboxConfig(pod, attempt)
	if err != nil {
		r.event(pod, corev1.EventTypeWarning, "FailedCreatePodSandBox", "Failed to create pod sandbox: %v", err)
		return "", err
	}
	if err := os.MkdirAll(cfg.LogDirectory, 0o755); err != nil {
		return "", err
	}
	resp, err := r.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		r.event(pod, corev1.EventTypeWarning, "FailedCreatePodSandBox", "Failed to create pod sandbox: %v", err)
		return "", fmt.Errorf("create sandbox of pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	slog.DebugContext(ctx, "sandbox created", "pod", pod.Namespace+"/"+pod.Name, "sandbox_id", resp.PodSandboxId, "attempt", attempt)
	return resp.PodSandboxId, nil
}

func (r *Runner) event(pod *corev1.Pod, kind, reason, format string, args ...any) {
	if r.recorder != nil && pod != nil {
		r.recorder.Eventf(pod, kind, reason, format, args...)
	}
}
