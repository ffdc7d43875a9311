package actions

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
	"github.com/skiffrt/skiff/controlplane/agent/state"
)

// Reasons a running container is killed.
const (
	ReasonUnknown       = "Unknown"
	ReasonSpecChanged   = "SpecChanged"
	ReasonLiveness      = "LivenessProbe"
	ReasonStartup       = "StartupProbe"
	ReasonCrashLoop     = "CrashLoopBackOff"
	ReasonSandboxChange = "SandboxChanged"
)

// Actions is what one sync of a pod does.
type Actions struct {
	// KillPod stops every container and the sandbox first (the sandbox
	// changed, or the pod is done).
	KillPod bool
	// CreateSandbox makes a new sandbox with Attempt; otherwise SandboxID
	// is the sandbox to use.
	CreateSandbox bool
	SandboxID     string
	Attempt       uint32
	// Kill are running containers to stop, with why.
	Kill []Kill
	// Init is the init container to start, or nil.
	Init *Start
	// Start are the regular containers to start.
	Start []Start
	// Waiting are containers held back by their back-off, by name.
	Waiting map[string]Waiting
	// RequeueAfter is when the first back-off ends (0: none).
	RequeueAfter time.Duration
}

// Kill is one container to stop.
type Kill struct {
	ID, Name, Reason, Message string
}

// Start is one container to start. When it ran before, BackOffKey and
// Since (when it last finished) are where the caller moves the back-off
// on.
type Start struct {
	Index      int
	Container  *corev1.Container
	BackOffKey string
	Since      time.Time
}

// Waiting is why a container is not started now.
type Waiting struct{ Reason, Message string }

// BackOff tells whether a key is still backing off from eventTime
// (client-go's flowcontrol.Backoff).
type BackOff interface {
	IsInBackOffSince(key string, eventTime time.Time) bool
	Get(key string) time.Duration
}

// Probes holds the probes' verdict on running containers.
type Probes interface {
	// LivenessFailed and StartupFailed tell whether the container with
	// this runtime ID failed the probe.
	LivenessFailed(id string) bool
	StartupFailed(id string) bool
}

// Input is everything Compute looks at.
type Input struct {
	Pod     *corev1.Pod
	State   *state.Pod
	Probes  Probes
	BackOff BackOff
	Now     time.Time
}

// BackOffKey names a container's back-off: pod and container, and its
// spec hash, so a new image starts afresh.
func BackOffKey(pod *corev1.Pod, c *corev1.Container) string {
	return fmt.Sprintf("%s_%s_%s_%s_%d", pod.Name, pod.Namespace, pod.UID, c.Name, podspec.Hash(c))
}

// Compute returns the actions for one sync of in.Pod.
func Compute(in Input) Actions {
	create, attempt, sandboxID := sandboxChanged(in.Pod, in.State)
	a := Actions{KillPod: create, CreateSandbox: create, SandboxID: sandboxID, Attempt: attempt}
	if create {
		computeNewSandbox(in, &a)
	} else if initialized := computeInit(in, &a); initialized && !a.KillPod {
		computeContainers(in, &a)
	}
	applyBackOff(in, &a)
	return a
}

// sandboxChanged: a new sandbox is needed when there is none, when more
// than one is ready, when the newest is not ready, or when it has no IP
// (pod network only).
func sandboxChanged(pod *corev1.Pod, st *state.Pod) (bool, uint32, string) {
	sb := st.Sandbox()
	if sb == nil {
		return true, 0, ""
	}
	ready := 0
	for _, s := range st.Sandboxes {
		if s.Ready {
			ready++
		}
	}
	if ready > 1 || !sb.Ready || (!pod.Spec.HostNetwork && len(sb.IPs) == 0) {
		return true, sb.Attempt + 1, sb.ID
	}
	return false, sb.Attempt, sb.ID
}

// computeNewSandbox: everything restarts from the first init container,
// unless the pod is done: a pod that must not restart and ran before, or
// one whose regular containers all succeeded, gets no new sandbox.
func computeNewSandbox(in Input, a *Actions) {
	pod := in.Pod
	if pod.Spec.RestartPolicy == corev1.RestartPolicyNever && a.Attempt != 0 && len(in.State.Containers) != 0 {
		a.CreateSandbox = false
		return
	}
	var start []Start
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && succeeded(in.State, c.Name) {
			continue
		}
		start = append(start, Start{Index: i, Container: c})
	}
	if len(start) == 0 && anyRegularCreated(pod, in.State) {
		a.CreateSandbox = false
		return
	}
	if len(pod.Spec.InitContainers) > 0 {
		a.Init = &Start{Index: 0, Container: &pod.Spec.InitContainers[0]}
		return
	}
	a.Start = start
}

func succeeded(st *state.Pod, name string) bool {
	c := st.Container(name)
	return c != nil && c.State == state.Exited && c.ExitCode == 0
}

func anyRegularCreated(pod *corev1.Pod, st *state.Pod) bool {
	for _, c := range pod.Spec.Containers {
		if st.Container(c.Name) != nil {
			return true
		}
	}
	return false
}
