package store

import (
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// SandboxState is the state of a pod sandbox.
type SandboxState string

// The states of a pod sandbox.
const (
	SandboxReady    SandboxState = "READY"
	SandboxNotReady SandboxState = "NOTREADY"
)

// Sandbox is the record of one pod sandbox.
type Sandbox struct {
	ID     string                           `json:"id"`
	Name   string                           `json:"name"`
	Config Proto[*runtime.PodSandboxConfig] `json:"config"`
	State  SandboxState                     `json:"state"`
	// CreatedAt is when RunPodSandbox created it.
	CreatedAt time.Time `json:"createdAt"`
	// NetNS is the pinned network namespace; empty with host network.
	NetNS string `json:"netns,omitempty"`
	// CgroupParent is the resolved cgroup parent of the pod.
	CgroupParent string `json:"cgroupParent,omitempty"`
	// RuntimeHandler is the CRI runtime handler it was created with.
	RuntimeHandler string `json:"runtimeHandler,omitempty"`
	// IPs are the pod's addresses from CNI, primary first.
	IPs []string `json:"ips,omitempty"`
	// PausePID is the pause process, whose namespaces containers join.
	PausePID int `json:"pausePid,omitempty"`
	// PauseStartTime is the pause process's start time (/proc/PID/stat
	// field 22), which tells it from a later process with its pid. Zero
	// for a pause that an older skiffd ran under a shim.
	PauseStartTime uint64 `json:"pauseStartTime,omitempty"`
	// TaskCgroup is the pause container's cgroups path, for cleanup.
	TaskCgroup string `json:"taskCgroup,omitempty"`
	// NetworkDown is set once a stop has removed the pod from its
	// network (CNI DEL) and unpinned its network namespace. A pod's
	// network never comes back, so later stops and the removal skip the
	// DEL; a stop cut short before this was recorded leaves it unset, and
	// the next stop or the removal runs the DEL again.
	NetworkDown bool `json:"networkDown,omitempty"`
}

// Key returns the sandbox's ID and name.
func (s Sandbox) Key() (string, string) { return s.ID, s.Name }

// ContainerState is the state of a container.
type ContainerState string

// The states of a container: created → running → exited, and unknown
// when its exit could not be learnt.
const (
	ContainerCreated ContainerState = "CREATED"
	ContainerRunning ContainerState = "RUNNING"
	ContainerExited  ContainerState = "EXITED"
	ContainerUnknown ContainerState = "UNKNOWN"
)

// Container is the record of one container.
type Container struct {
	ID        string                          `json:"id"`
	Name      string                          `json:"name"`
	SandboxID string                          `json:"sandboxId"`
	Config    Proto[*runtime.ContainerConfig] `json:"config"`
	State     ContainerState                  `json:"state"`
	// ImageRef is the ID of the image it runs. ImageName names the image
	// (a repo tag, the one asked for if the image has it) and
	// ImageRepoDigest is its repo digest in that repository, if known.
	ImageRef        string `json:"imageRef"`
	ImageName       string `json:"imageName"`
	ImageRepoDigest string `json:"imageRepoDigest,omitempty"`
	LogPath         string `json:"logPath,omitempty"`
	// StopSignal is the image's stop signal; empty means SIGTERM.
	StopSignal string `json:"stopSignal,omitempty"`
	// Pid is the container's init process while it runs.
	Pid int `json:"pid,omitempty"`
	// TaskCgroup is the container's cgroups path, for cleanup.
	TaskCgroup string `json:"taskCgroup,omitempty"`
	// Restore marks a created container made from a checkpoint archive:
	// Start restores its processes instead of starting its process.
	Restore bool `json:"restore,omitempty"`
	// User is who the container's process runs as.
	User User `json:"user"`

	CreatedAt  time.Time `json:"createdAt"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	ExitCode   int32     `json:"exitCode"`
	// Reason and Message explain the exit (Completed, Error, OOMKilled).
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// User is a process identity: uid, gid and supplementary groups.
type User struct {
	UID    uint32   `json:"uid"`
	GID    uint32   `json:"gid"`
	Groups []uint32 `json:"groups,omitempty"`
}

// Key returns the container's ID and name.
func (c Container) Key() (string, string) { return c.ID, c.Name }

// transitions are the allowed container state changes.
var transitions = map[ContainerState][]ContainerState{
	ContainerCreated: {ContainerRunning, ContainerExited, ContainerUnknown},
	ContainerRunning: {ContainerExited, ContainerUnknown},
	ContainerUnknown: {ContainerExited},
}

// StateError is a container state change that the life cycle forbids.
type StateError struct {
	ID       string
	From, To ContainerState
}

func (e *StateError) Error() string {
	return fmt.Sprintf("container %s is %s, cannot become %s", e.ID, e.From, e.To)
}

// Unwrap classes a bad transition as a failed precondition.
func (e *StateError) Unwrap() error { return errdefs.ErrFailedPrecondition }

// To returns c in state next, or a *StateError if c cannot go there.
func (c Container) To(next ContainerState) (Container, error) {
	for _, ok := range transitions[c.State] {
		if ok == next {
			c.State = next
			return c, nil
		}
	}
	return c, &StateError{ID: c.ID, From: c.State, To: next}
}

// Proto holds a protobuf message and stores it as protojson.
type Proto[M proto.Message] struct{ Msg M }

// MarshalJSON writes the message as protojson.
func (p Proto[M]) MarshalJSON() ([]byte, error) {
	return protojson.Marshal(p.Msg)
}

// UnmarshalJSON reads a message written by MarshalJSON.
func (p *Proto[M]) UnmarshalJSON(b []byte) error {
	var m M
	m = m.ProtoReflect().Type().New().Interface().(M)
	if err := protojson.Unmarshal(b, m); err != nil {
		return err
	}
	p.Msg = m
	return nil
}

var _ json.Marshaler = Proto[*runtime.PodSandboxConfig]{}
