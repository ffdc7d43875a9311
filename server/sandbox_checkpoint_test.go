package server

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/checkpoint"
	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/store"
)

func noCRIU(context.Context) error {
	return fmt.Errorf("%w: CRIU cannot run on this host: vdso", errdefs.ErrFailedPrecondition)
}

func withCRIU(context.Context) error { return nil }

func TestCheckpointPod(t *testing.T) {
	tests := []struct {
		name  string
		criu  func(context.Context) error
		req   *runtime.CheckpointPodRequest
		class error
		call  string
	}{
		{"no output path", withCRIU, &runtime.CheckpointPodRequest{PodSandboxId: "p1", ContainerIds: []string{"c"}}, errdefs.ErrInvalidArgument, ""},
		{"no containers", withCRIU, &runtime.CheckpointPodRequest{PodSandboxId: "p1", OutputPath: "/o"}, errdefs.ErrInvalidArgument, ""},
		{"an option", withCRIU, &runtime.CheckpointPodRequest{PodSandboxId: "p1", OutputPath: "/o", ContainerIds: []string{"c"}, Options: map[string]string{"tcp": "1"}}, errdefs.ErrInvalidArgument, ""},
		{"unknown pod", withCRIU, &runtime.CheckpointPodRequest{PodSandboxId: "nope", OutputPath: "/o", ContainerIds: []string{"c"}}, errdefs.ErrNotFound, ""},
		{"CRIU cannot run", noCRIU, &runtime.CheckpointPodRequest{PodSandboxId: "p1", OutputPath: "/o", ContainerIds: []string{"c"}}, errdefs.ErrFailedPrecondition, ""},
		{"checkpointed", withCRIU, &runtime.CheckpointPodRequest{PodSandboxId: "p1", OutputPath: "/o", ContainerIds: []string{"c", "d"}}, nil, "CheckpointPod p1 /o [c d]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(config.Default())
			e.s.criu = tt.criu
			e.sandboxes.byID["p1"] = store.Sandbox{ID: "p1", State: store.SandboxReady}
			_, err := e.s.CheckpointPod(context.Background(), tt.req)
			wantClass(t, err, tt.class)
			if tt.call != "" && !slices.Contains(e.containers.calls, tt.call) {
				t.Errorf("calls = %q, want %q", e.containers.calls, tt.call)
			}
		})
	}
}

// podCheckpoint writes a pod checkpoint's pod.options naming names.
func podCheckpoint(t *testing.T, names ...string) string {
	dir := t.TempDir()
	if err := checkpoint.WritePod(dir, &runtime.PodSandboxConfig{Metadata: &runtime.PodSandboxMetadata{Name: "old"}}, names); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ctrConfigs(names ...string) []*runtime.ContainerConfig {
	var out []*runtime.ContainerConfig
	for _, n := range names {
		out = append(out, &runtime.ContainerConfig{Metadata: &runtime.ContainerMetadata{Name: n}, Image: &runtime.ImageSpec{Image: "busybox"}})
	}
	return out
}

func TestRestorePodRefused(t *testing.T) {
	dir := podCheckpoint(t, "a", "b")
	pod := &runtime.PodSandboxConfig{Metadata: &runtime.PodSandboxMetadata{Name: "new"}}
	tests := []struct {
		name  string
		criu  func(context.Context) error
		req   *runtime.RestorePodRequest
		class error
	}{
		{"no path", withCRIU, &runtime.RestorePodRequest{Config: pod, ContainerConfigs: ctrConfigs("a", "b")}, errdefs.ErrInvalidArgument},
		{"no config", withCRIU, &runtime.RestorePodRequest{CheckpointPath: dir, ContainerConfigs: ctrConfigs("a", "b")}, errdefs.ErrInvalidArgument},
		{"relative path", withCRIU, &runtime.RestorePodRequest{CheckpointPath: "ckpt", Config: pod, ContainerConfigs: ctrConfigs("a", "b")}, errdefs.ErrInvalidArgument},
		{"an option", withCRIU, &runtime.RestorePodRequest{CheckpointPath: dir, Config: pod, ContainerConfigs: ctrConfigs("a", "b"), Options: map[string]string{"x": "y"}}, errdefs.ErrInvalidArgument},
		{"no pod checkpoint", withCRIU, &runtime.RestorePodRequest{CheckpointPath: t.TempDir(), Config: pod, ContainerConfigs: ctrConfigs("a", "b")}, errdefs.ErrInvalidArgument},
		{"no containers", withCRIU, &runtime.RestorePodRequest{CheckpointPath: dir, Config: pod}, errdefs.ErrInvalidArgument},
		{"a container missing", withCRIU, &runtime.RestorePodRequest{CheckpointPath: dir, Config: pod, ContainerConfigs: ctrConfigs("a")}, errdefs.ErrInvalidArgument},
		{"a container too many", withCRIU, &runtime.RestorePodRequest{CheckpointPath: dir, Config: pod, ContainerConfigs: ctrConfigs("a", "b", "c")}, errdefs.ErrInvalidArgument},
		{"a name twice", withCRIU, &runtime.RestorePodRequest{CheckpointPath: dir, Config: pod, ContainerConfigs: ctrConfigs("a", "a", "b")}, errdefs.ErrInvalidArgument},
		{"CRIU cannot run", noCRIU, &runtime.RestorePodRequest{CheckpointPath: dir, Config: pod, ContainerConfigs: ctrConfigs("a", "b")}, errdefs.ErrFailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(config.Default())
			e.s.criu = tt.criu
			_, err := e.s.RestorePod(context.Background(), tt.req)
			wantClass(t, err, tt.class)
			if len(e.sandboxes.calls) > 0 {
				t.Errorf("a refused restore touched pods: %q", e.sandboxes.calls)
			}
		})
	}
}

func TestRestorePod(t *testing.T) {
	dir := podCheckpoint(t, "a", "b")
	req := &runtime.RestorePodRequest{
		CheckpointPath: dir, RuntimeHandler: "h", ContainerConfigs: ctrConfigs("b", "a"),
		Config: &runtime.PodSandboxConfig{Metadata: &runtime.PodSandboxMetadata{Name: "new"}},
	}
	e := newEnv(config.Default())
	e.s.criu = withCRIU
	resp, err := e.s.RestorePod(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.PodSandboxId != "p-new" || len(resp.RestoredContainers) != 2 ||
		resp.RestoredContainers[0].Name != "b" || resp.RestoredContainers[0].ContainerId != "r-b" {
		t.Errorf("response = %v", resp)
	}
	for _, want := range []string{"Restore p-new b " + filepath.Join(dir, "b.tar"), "Restore p-new a " + filepath.Join(dir, "a.tar")} {
		if !slices.Contains(e.containers.calls, want) {
			t.Errorf("calls = %q, want %q", e.containers.calls, want)
		}
	}
	if !slices.Contains(e.sandboxes.calls, `Run new "h"`) {
		t.Errorf("pod calls = %q", e.sandboxes.calls)
	}

	e = newEnv(config.Default())
	e.s.criu = withCRIU
	e.containers.err = fmt.Errorf("%w: bad archive", errdefs.ErrInvalidArgument)
	_, err = e.s.RestorePod(context.Background(), req)
	wantClass(t, err, errdefs.ErrInvalidArgument)
	if !slices.Contains(e.sandboxes.calls, "Remove p-new") {
		t.Errorf("a failed restore left its pod: calls %q", e.sandboxes.calls)
	}
}
