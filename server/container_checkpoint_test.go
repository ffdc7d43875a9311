package server

import (
	"context"
	"slices"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/store"
)

func TestCheckpointAnswers(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		criu  func(context.Context) error
		req   *runtime.CheckpointContainerRequest
		class error
		msg   string
	}{
		{"no location", noCRIU, &runtime.CheckpointContainerRequest{ContainerId: "run"}, errdefs.ErrInvalidArgument, "location"},
		{"unknown", noCRIU, &runtime.CheckpointContainerRequest{ContainerId: "nope", Location: "/x.tar"}, errdefs.ErrNotFound, "nope"},
		{"not running", noCRIU, &runtime.CheckpointContainerRequest{ContainerId: "made", Location: "/x.tar"}, errdefs.ErrFailedPrecondition, "not running"},
		{"CRIU cannot run", noCRIU, &runtime.CheckpointContainerRequest{ContainerId: "run", Location: "/x.tar"}, errdefs.ErrFailedPrecondition, "vdso"},
		{"negative timeout", withCRIU, &runtime.CheckpointContainerRequest{ContainerId: "run", Location: "/x.tar", Timeout: -1}, errdefs.ErrInvalidArgument, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(config.Default())
			e.s.criu = tt.criu
			e.containers.byID["run"] = container("run", "p1", store.ContainerRunning, nil)
			e.containers.byID["made"] = container("made", "p1", store.ContainerCreated, nil)
			_, err := e.s.CheckpointContainer(ctx, tt.req)
			wantClass(t, err, tt.class)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want it to say %q", err, tt.msg)
			}
		})
	}
	e := newEnv(config.Default())
	e.s.criu = withCRIU
	e.containers.byID["run"] = container("run", "p1", store.ContainerRunning, nil)
	if _, err := e.s.CheckpointContainer(ctx, &runtime.CheckpointContainerRequest{ContainerId: "run", Location: "/x.tar", Timeout: 5}); err != nil {
		t.Fatalf("CheckpointContainer where CRIU runs: %v", err)
	}
	if !slices.Contains(e.containers.calls, "Checkpoint run /x.tar") {
		t.Errorf("calls = %q, want the checkpoint to /x.tar", e.containers.calls)
	}

	e = newEnv(config.Default())
	e.s.criu = noCRIU
	_, err := e.s.CreateContainer(ctx, &runtime.CreateContainerRequest{PodSandboxId: "p1", Config: &runtime.ContainerConfig{
		Metadata: &runtime.ContainerMetadata{Name: "r"}, Image: &runtime.ImageSpec{Image: "/var/lib/kubelet/checkpoints/c.tar"},
	}})
	wantClass(t, err, errdefs.ErrFailedPrecondition)
}
