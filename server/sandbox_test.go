package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/store"
)

func pod(id string, state store.SandboxState, labels map[string]string, ips ...string) store.Sandbox {
	return store.Sandbox{
		ID: id, State: state, IPs: ips, CreatedAt: time.Unix(50, 0), NetNS: "/run/netns/" + id, PausePID: 42,
		Config: store.Proto[*runtime.PodSandboxConfig]{Msg: &runtime.PodSandboxConfig{
			Metadata: &runtime.PodSandboxMetadata{Name: id, Namespace: "ns", Uid: "u"}, Labels: labels,
		}},
	}
}

func TestSandboxCalls(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*Server) error
		want string
	}{
		{"run", func(s *Server) error {
			r, err := s.RunPodSandbox(ctx, &runtime.RunPodSandboxRequest{Config: &runtime.PodSandboxConfig{Metadata: &runtime.PodSandboxMetadata{Name: "web"}}})
			if err == nil && r.PodSandboxId != "p-web" {
				t.Errorf("id %q", r.PodSandboxId)
			}
			return err
		}, `Run web ""`},
		{"stop", func(s *Server) error {
			_, err := s.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: "p1"})
			return err
		}, "Stop p1"},
		{"remove", func(s *Server) error {
			_, err := s.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: "p1"})
			return err
		}, "Remove p1"},
		{"update resources", func(s *Server) error {
			_, err := s.UpdatePodSandboxResources(ctx, &runtime.UpdatePodSandboxResourcesRequest{PodSandboxId: "p1", Resources: &runtime.LinuxContainerResources{CpuShares: 100}})
			return err
		}, "UpdateResources p1 <nil> cpu_shares:100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(config.Default())
			if err := tt.call(e.s); err != nil {
				t.Fatal(err)
			}
			if len(e.sandboxes.calls) != 1 || e.sandboxes.calls[0] != tt.want {
				t.Errorf("calls %q, want %q", e.sandboxes.calls, tt.want)
			}
			e.sandboxes.err = errdefs.ErrUnavailable
			wantClass(t, tt.call(e.s), errdefs.ErrUnavailable)
		})
	}
	e := newEnv(config.Default())
	_, err := e.s.RunPodSandbox(ctx, &runtime.RunPodSandboxRequest{})
	wantClass(t, err, errdefs.ErrInvalidArgument)
}

func TestPodSandboxStatus(t *testing.T) {
	e := newEnv(config.Default())
	e.sandboxes.byID["p1"] = pod("p1", store.SandboxReady, map[string]string{"a": "b"}, "10.0.0.2", "fd00::2")
	r, err := e.s.PodSandboxStatus(context.Background(), &runtime.PodSandboxStatusRequest{PodSandboxId: "p1", Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	st := r.Status
	if st.State != runtime.PodSandboxState_SANDBOX_READY || st.CreatedAt != 50e9 || st.Labels["a"] != "b" ||
		st.Network.Ip != "10.0.0.2" || len(st.Network.AdditionalIps) != 1 || st.Network.AdditionalIps[0].Ip != "fd00::2" {
		t.Errorf("status %+v", st)
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(r.Info["info"]), &info); err != nil || info["pid"] != 42.0 || info["netns"] != "/run/netns/p1" {
		t.Errorf("info %q: %v", r.Info["info"], err)
	}
	_, err = e.s.PodSandboxStatus(context.Background(), &runtime.PodSandboxStatusRequest{PodSandboxId: "nope"})
	wantClass(t, err, errdefs.ErrNotFound)
}

// podStream collects what StreamPodSandboxes sends.
type podStream struct {
	runtime.RuntimeService_StreamPodSandboxesServer
	got [][]*runtime.PodSandbox
}

func (s *podStream) Send(r *runtime.StreamPodSandboxesResponse) error {
	s.got = append(s.got, r.PodSandboxes)
	return nil
}
func (s *podStream) Context() context.Context { return context.Background() }

func TestListPodSandbox(t *testing.T) {
	e := newEnv(config.Default())
	for _, sb := range []store.Sandbox{
		pod("aa1", store.SandboxReady, map[string]string{"app": "web"}),
		pod("aa2", store.SandboxNotReady, map[string]string{"app": "web"}),
		pod("bb1", store.SandboxReady, nil),
	} {
		e.sandboxes.byID[sb.ID] = sb
	}
	ready := &runtime.PodSandboxStateValue{State: runtime.PodSandboxState_SANDBOX_READY}
	tests := []struct {
		name   string
		filter *runtime.PodSandboxFilter
		want   string
	}{
		{"all", nil, "aa1 aa2 bb1"},
		{"id prefix", &runtime.PodSandboxFilter{Id: "aa"}, "aa1 aa2"},
		{"state", &runtime.PodSandboxFilter{State: ready}, "aa1 bb1"},
		{"labels", &runtime.PodSandboxFilter{LabelSelector: map[string]string{"app": "web"}}, "aa1 aa2"},
		{"all filters", &runtime.PodSandboxFilter{Id: "a", State: ready, LabelSelector: map[string]string{"app": "web"}}, "aa1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := e.s.ListPodSandbox(context.Background(), &runtime.ListPodSandboxRequest{Filter: tt.filter})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, sb := range r.Items {
				got = append(got, sb.Id)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			stream := &podStream{}
			if err := e.s.StreamPodSandboxes(&runtime.StreamPodSandboxesRequest{Filter: tt.filter}, stream); err != nil || len(stream.got) != 1 || len(stream.got[0]) != len(got) {
				t.Errorf("streamed %v, %v", stream.got, err)
			}
		})
	}
}

// containerStream collects what StreamContainers sends.
type containerStream struct {
	runtime.RuntimeService_StreamContainersServer
	batches []int
}

func (s *containerStream) Send(r *runtime.StreamContainersResponse) error {
	s.batches = append(s.batches, len(r.Containers))
	return nil
}

func TestStreamContainersInBatches(t *testing.T) {
	e := newEnv(config.Default())
	for i := range 2*streamBatch + 1 {
		c := container(fmt.Sprintf("c%03d", i), "p", store.ContainerRunning, nil)
		e.containers.byID[c.ID] = c
	}
	s := &containerStream{}
	if err := e.s.StreamContainers(&runtime.StreamContainersRequest{}, s); err != nil {
		t.Fatal(err)
	}
	if len(s.batches) != 3 || s.batches[0] != streamBatch || s.batches[2] != 1 {
		t.Errorf("batches %v", s.batches)
	}
	s = &containerStream{}
	e.s.StreamContainers(&runtime.StreamContainersRequest{Filter: &runtime.ContainerFilter{Id: "nothing"}}, s)
	if len(s.batches) != 0 {
		t.Errorf("an empty list sent %v", s.batches)
	}
}
