package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
)

func container(id, pod string, state store.ContainerState, labels map[string]string) store.Container {
	return store.Container{
		ID: id, SandboxID: pod, State: state, ImageRef: "sha256:img", ImageName: "busybox",
		Config: store.Proto[*runtime.ContainerConfig]{Msg: &runtime.ContainerConfig{
			Metadata: &runtime.ContainerMetadata{Name: id}, Labels: labels,
		}},
		CreatedAt: time.Unix(100, 0), User: store.User{UID: 1, GID: 2, Groups: []uint32{3}},
	}
}

// TestContainerCalls: each handler passes its request on and answers
// the manager's result; errors pass through with their class.
func TestContainerCalls(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*Server) error
		want string // the manager call
	}{
		{"create", func(s *Server) error {
			r, err := s.CreateContainer(ctx, &runtime.CreateContainerRequest{PodSandboxId: "p1", Config: &runtime.ContainerConfig{Metadata: &runtime.ContainerMetadata{Name: "web"}}})
			if err == nil && r.ContainerId != "c-web" {
				t.Errorf("id %q", r.ContainerId)
			}
			return err
		}, "Create p1 web"},
		{"start", func(s *Server) error {
			_, err := s.StartContainer(ctx, &runtime.StartContainerRequest{ContainerId: "c1"})
			return err
		}, "Start c1"},
		{"stop", func(s *Server) error {
			_, err := s.StopContainer(ctx, &runtime.StopContainerRequest{ContainerId: "c1", Timeout: 30})
			return err
		}, "Stop c1 30s"},
		{"remove", func(s *Server) error {
			_, err := s.RemoveContainer(ctx, &runtime.RemoveContainerRequest{ContainerId: "c1"})
			return err
		}, "Remove c1"},
		{"reopen log", func(s *Server) error {
			_, err := s.ReopenContainerLog(ctx, &runtime.ReopenContainerLogRequest{ContainerId: "c1"})
			return err
		}, "ReopenLog c1"},
		{"update resources", func(s *Server) error {
			_, err := s.UpdateContainerResources(ctx, &runtime.UpdateContainerResourcesRequest{ContainerId: "c1", Linux: &runtime.LinuxContainerResources{CpuShares: 512}})
			return err
		}, "UpdateResources c1 cpu_shares:512"},
		{"exec sync", func(s *Server) error {
			r, err := s.ExecSync(ctx, &runtime.ExecSyncRequest{ContainerId: "c1", Cmd: []string{"ls"}, Timeout: 2})
			if err == nil && (string(r.Stdout) != "out" || r.ExitCode != 3) {
				t.Errorf("exec answer %+v", r)
			}
			return err
		}, `ExecSync c1 ["ls"] 2s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(config.Default())
			e.containers.exec = &task.ExecResult{Stdout: []byte("out"), ExitCode: 3}
			if err := tt.call(e.s); err != nil {
				t.Fatal(err)
			}
			if len(e.containers.calls) != 1 || e.containers.calls[0] != tt.want {
				t.Errorf("calls %q, want %q", e.containers.calls, tt.want)
			}
			e.containers.err = errdefs.ErrFailedPrecondition
			wantClass(t, tt.call(e.s), errdefs.ErrFailedPrecondition)
		})
	}
}

func TestCreateContainerNoConfig(t *testing.T) {
	e := newEnv(config.Default())
	_, err := e.s.CreateContainer(context.Background(), &runtime.CreateContainerRequest{PodSandboxId: "p1"})
	wantClass(t, err, errdefs.ErrInvalidArgument)
	if len(e.containers.calls) > 0 {
		t.Errorf("the manager was called: %q", e.containers.calls)
	}
}

func TestUpdateContainerResourcesNoLinux(t *testing.T) {
	e := newEnv(config.Default())
	_, err := e.s.UpdateContainerResources(context.Background(), &runtime.UpdateContainerResourcesRequest{ContainerId: "c1"})
	wantClass(t, err, errdefs.ErrInvalidArgument)
	if len(e.containers.calls) > 0 {
		t.Errorf("the manager was called: %q", e.containers.calls)
	}
}

func TestContainerStatus(t *testing.T) {
	e := newEnv(config.Default())
	c := container("c1", "p1", store.ContainerExited, map[string]string{"app": "web"})
	c.StartedAt, c.FinishedAt, c.ExitCode, c.Reason, c.LogPath = time.Unix(200, 0), time.Unix(300, 0), 137, "Error", "/logs/c1.log"
	e.containers.byID["c1"] = c
	e.containers.byID["c2"] = container("c2", "p1", store.ContainerCreated, nil)
	ctx := context.Background()
	r, err := e.s.ContainerStatus(ctx, &runtime.ContainerStatusRequest{ContainerId: "c1", Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	st := r.Status
	if st.State != runtime.ContainerState_CONTAINER_EXITED || st.ExitCode != 137 || st.Reason != "Error" ||
		st.StartedAt != 200e9 || st.FinishedAt != 300e9 || st.LogPath != "/logs/c1.log" || st.Labels["app"] != "web" {
		t.Errorf("status %+v", st)
	}
	if u := st.User.GetLinux(); u.Uid != 1 || u.Gid != 2 || len(u.SupplementalGroups) != 1 {
		t.Errorf("user %+v", u)
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(r.Info["info"]), &info); err != nil || info["sandboxID"] != "p1" {
		t.Errorf("info %q: %v", r.Info["info"], err)
	}
	r, _ = e.s.ContainerStatus(ctx, &runtime.ContainerStatusRequest{ContainerId: "c2"})
	if r.Status.StartedAt != 0 || r.Status.FinishedAt != 0 || r.Info != nil {
		t.Errorf("a created container: %+v, info %v", r.Status, r.Info)
	}
	_, err = e.s.ContainerStatus(ctx, &runtime.ContainerStatusRequest{ContainerId: "nope"})
	wantClass(t, err, errdefs.ErrNotFound)
}

func TestListContainers(t *testing.T) {
	e := newEnv(config.Default())
	for _, c := range []store.Container{
		container("aa1", "p1", store.ContainerRunning, map[string]string{"app": "web", "tier": "front"}),
		container("aa2", "p1", store.ContainerExited, map[string]string{"app": "web"}),
		container("bb1", "p2", store.ContainerRunning, map[string]string{"app": "db"}),
		container("cc1", "p2", store.ContainerUnknown, nil),
	} {
		e.containers.byID[c.ID] = c
	}
	state := func(s runtime.ContainerState) *runtime.ContainerStateValue {
		return &runtime.ContainerStateValue{State: s}
	}
	tests := []struct {
		name   string
		filter *runtime.ContainerFilter
		want   string
	}{
		{"all", nil, "aa1 aa2 bb1 cc1"},
		{"id prefix", &runtime.ContainerFilter{Id: "aa"}, "aa1 aa2"},
		{"pod", &runtime.ContainerFilter{PodSandboxId: "p2"}, "bb1 cc1"},
		{"state", &runtime.ContainerFilter{State: state(runtime.ContainerState_CONTAINER_RUNNING)}, "aa1 bb1"},
		{"unknown state", &runtime.ContainerFilter{State: state(runtime.ContainerState_CONTAINER_UNKNOWN)}, "cc1"},
		{"labels", &runtime.ContainerFilter{LabelSelector: map[string]string{"app": "web", "tier": "front"}}, "aa1"},
		{"nothing", &runtime.ContainerFilter{Id: "zz"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := e.s.ListContainers(context.Background(), &runtime.ListContainersRequest{Filter: tt.filter})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range r.Containers {
				got = append(got, c.Id)
				if c.ImageRef != "sha256:img" || c.Image.GetImage() != "busybox" || c.CreatedAt != 100e9 {
					t.Errorf("container %+v", c)
				}
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
