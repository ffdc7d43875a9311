package api

import (
	"encoding/json"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Version is the protocol version. It changes when a message changes
// incompatibly; fields may be added without a change.
const Version = 1

// The methods a shim serves.
const (
	// MethodState returns State.
	MethodState = "State"
	// MethodStart runs the created container's process and returns State.
	MethodStart = "Start"
	// MethodKill signals the container (KillRequest).
	MethodKill = "Kill"
	// MethodExecSync runs a command in the container (ExecRequest →
	// ExecResult).
	MethodExecSync = "ExecSync"
	// MethodReopenLog closes and reopens the CRI log file at its path.
	MethodReopenLog = "ReopenLog"
	// MethodWait blocks until the container's exit is recorded and returns
	// the Exit.
	MethodWait = "Wait"
	// MethodUpdate changes the container's cgroup limits (UpdateRequest).
	MethodUpdate = "Update"
	// MethodShutdown kills a created (never started) container, waits for
	// the shim to record its exit and clean up, and returns the Exit. The
	// shim exits right after answering. A running container must be
	// killed first.
	MethodShutdown = "Shutdown"
)

// Request is the frame a client sends.
type Request struct {
	Version int             `json:"v"`
	Method  string          `json:"method"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// Response is the frame the shim answers with: Error or Body.
type Response struct {
	Version int             `json:"v"`
	Error   *Error          `json:"error,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// Status is the container's status as the shim sees it: created →
// running → stopped, or created → stopped, and nothing else.
type Status string

// The statuses of a container.
const (
	StatusCreated Status = "created" // its process waits before exec (runc create)
	StatusRunning Status = "running" // the user's program runs
	StatusStopped Status = "stopped" // its process exited; the exit is being or has been recorded
)

// State describes the container and its shim.
type State struct {
	ID        string    `json:"id"`
	Status    Status    `json:"status"`
	Pid       int       `json:"pid"` // of the container's process, in the shim's pid namespace
	ShimPid   int       `json:"shim_pid"`
	CreatedAt time.Time `json:"created_at"`
	StartedAt time.Time `json:"started_at,omitzero"`
	Exit      *Exit     `json:"exit,omitempty"` // once stopped
	// Goroutines is the shim's goroutine count, to watch for leaks.
	Goroutines int `json:"goroutines,omitempty"`
}

// KillRequest is the body of Kill.
type KillRequest struct {
	Signal int  `json:"signal"`
	All    bool `json:"all,omitempty"` // every process in the container's cgroup, not only its init
}

// UpdateRequest is the body of Update: the container's resources, in the
// OCI spec's form; nil fields keep their value.
type UpdateRequest struct {
	Resources *specs.LinuxResources `json:"resources"`
}

// User is who an exec'd process runs as, numerically.
type User struct {
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	AdditionalGids []uint32 `json:"additional_gids,omitempty"`
}

// ExecRequest is the body of ExecSync. Env, Cwd and User default to the
// container's process (from its OCI spec), as in containerd and cri-o;
// Env, when given, replaces it whole.
type ExecRequest struct {
	Cmd     []string      `json:"cmd"`
	Env     []string      `json:"env,omitempty"`
	Cwd     string        `json:"cwd,omitempty"`
	User    *User         `json:"user,omitempty"`
	Timeout time.Duration `json:"timeout_ns,omitempty"` // 0: none
}

// MaxExecOutput caps each of ExecResult's streams, as kubelet does.
const MaxExecOutput = 16 << 20

// ExecResult is the answer to ExecSync. When TimedOut, the process was
// killed with SIGKILL and the output is what it wrote until then.
type ExecResult struct {
	Stdout          []byte `json:"stdout,omitempty"`
	Stderr          []byte `json:"stderr,omitempty"`
	ExitCode        int    `json:"exit_code"`
	TimedOut        bool   `json:"timed_out,omitempty"`
	StdoutTruncated bool   `json:"stdout_truncated,omitempty"`
	StderrTruncated bool   `json:"stderr_truncated,omitempty"`
}

// Ready is what "skiff-shim start" prints on stdout, one JSON line: the
// shim's and the created container's pids, or why the container could not
// be created.
type Ready struct {
	ShimPid int    `json:"shim_pid,omitempty"`
	Pid     int    `json:"pid,omitempty"`
	Error   *Error `json:"error,omitempty"`
}
