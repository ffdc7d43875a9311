package container

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/checkpoint"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
	"github.com/skiffrt/skiff/internal/store"
)

// checkpointed runs a container, writes a file in its writable layer and
// checkpoints it; it returns the archive.
func (e *env) checkpointed(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the rootfs diff is applied as an overlay upper directory")
	}
	id := e.run(t, "counter")
	if err := os.WriteFile(filepath.Join(e.dir, id, "upper", "state"), []byte("41"), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "counter.tar")
	if err := e.m.Checkpoint(ctxT(t), id, archive, &runtime.ContainerStatus{Id: id}); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	if e.state(t, id) != store.ContainerRunning {
		t.Errorf("container is %s after its checkpoint, want running", e.state(t, id))
	}
	if err := e.m.Remove(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	return archive
}

func TestCheckpointArchive(t *testing.T) {
	e := newEnv(t)
	archive := e.checkpointed(t)
	a, err := checkpoint.Unpack(ctxT(t), archive, filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Config.RootfsImageRef != busyboxID.String() || a.Config.RootfsImageName != "docker.io/library/busybox:latest" || a.Config.OCIRuntime != runtimeName {
		t.Errorf("config.dump = %+v", a.Config)
	}
	if a.Spec.Annotations["io.kubernetes.cri.container-name"] != "counter" {
		t.Errorf("spec.dump annotations = %v", a.Spec.Annotations)
	}
	if _, err := os.Stat(filepath.Join(a.ImagesDir(), "inventory.img")); err != nil {
		t.Errorf("CRIU's images: %v", err)
	}
	e.assertNothingLeft(t)
}

func TestCheckpointRefused(t *testing.T) {
	e := newEnv(t)
	made := e.create(t, "made")
	dir := t.TempDir()
	tests := []struct {
		name, id, location string
		class              error
	}{
		{"relative location", made, "c.tar", errdefs.ErrInvalidArgument},
		{"no such directory", made, filepath.Join(dir, "none", "c.tar"), errdefs.ErrInvalidArgument},
		{"location is a directory", made, dir, errdefs.ErrInvalidArgument},
		{"not running", made, filepath.Join(dir, "c.tar"), errdefs.ErrFailedPrecondition},
		{"unknown", "nope", filepath.Join(dir, "c.tar"), errdefs.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.m.Checkpoint(ctxT(t), tt.id, tt.location, nil)
			wantErr(t, err, tt.class, "")
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}

// restoreConfig is the config of a container made from archive.
func restoreConfig(archive string) *runtime.ContainerConfig {
	cfg := config("counter")
	cfg.Image = &runtime.ImageSpec{Image: archive}
	return cfg
}

// TestRestore: a container made from an archive has the checkpointed
// container's image and writable layer and no task until Start, which
// restores it running.
func TestRestore(t *testing.T) {
	e := newEnv(t)
	archive := e.checkpointed(t)
	id, err := e.m.Create(ctxT(t), e.pod.ID, restoreConfig(archive))
	if err != nil {
		t.Fatalf("Create from checkpoint: %v", err)
	}
	c, _ := e.m.Get(id)
	if !c.Restore || c.State != store.ContainerCreated || c.ImageRef != busyboxID.String() || c.ImageName != "docker.io/library/busybox:latest" {
		t.Errorf("record = %+v, want created, to restore, with busybox", c)
	}
	if b, err := os.ReadFile(filepath.Join(e.dir, id, "upper", "state")); string(b) != "41" {
		t.Errorf("writable layer's file = %q, %v; want the checkpointed one", b, err)
	}
	if e.tasks.Get(id) != nil {
		t.Errorf("a task exists before Start")
	}
	if err := e.m.Start(ctxT(t), id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	tk := e.tasks.Get(id)
	if tk == nil || tk.Status != api.StatusRunning || tk.Opts.RestoreFrom != filepath.Join(e.dir, id, "restore", "checkpoint") || tk.Opts.LogPath == "" {
		t.Fatalf("task = %+v, want one restored from the checkpoint", tk)
	}
	c, _ = e.m.Get(id)
	if c.Restore || c.State != store.ContainerRunning || c.Pid != tk.Pid || c.StartedAt.IsZero() {
		t.Errorf("record after Start = %+v", c)
	}
	if _, err := os.Stat(filepath.Join(e.dir, id, "restore")); !os.IsNotExist(err) {
		t.Errorf("the unpacked checkpoint is left after the restore: %v", err)
	}
	if err := e.m.Remove(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	e.assertNothingLeft(t)
}

// TestRestoreNeverStarted: a container made from an archive is stopped
// and removed without a task, and a restart leaves it created.
func TestRestoreNeverStarted(t *testing.T) {
	e := newEnv(t)
	archive := e.checkpointed(t)
	id, err := e.m.Create(ctxT(t), e.pod.ID, restoreConfig(archive))
	if err != nil {
		t.Fatal(err)
	}
	e.m.Recover(ctxT(t))
	if got := e.state(t, id); got != store.ContainerCreated {
		t.Errorf("after Recover the container is %s, want created", got)
	}
	if err := e.m.Stop(ctxT(t), id, 0); err != nil {
		t.Fatal(err)
	}
	if c, _ := e.m.Get(id); c.State != store.ContainerExited || c.ExitCode != 137 {
		t.Errorf("stopped = %+v, want exited 137", c)
	}
	if err := e.m.Remove(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	e.assertNothingLeft(t)
}

func TestRestoreRefused(t *testing.T) {
	e := newEnv(t)
	archive := e.checkpointed(t)
	other := filepath.Join(t.TempDir(), "other.tar")
	raw, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, raw[:len(raw)/3], 0o600); err != nil { // cut short
		t.Fatal(err)
	}
	e.images.missing = true // the checkpointed container's image is gone
	_, err = e.m.Create(ctxT(t), e.pod.ID, restoreConfig(archive))
	wantErr(t, err, errdefs.ErrNotFound, "pull it first")
	e.images.missing = false
	_, err = e.m.Create(ctxT(t), e.pod.ID, restoreConfig(filepath.Join(t.TempDir(), "none.tar")))
	wantErr(t, err, errdefs.ErrNotFound, "none.tar")
	_, err = e.m.Create(ctxT(t), e.pod.ID, restoreConfig(other))
	wantErr(t, err, errdefs.ErrInvalidArgument, "")
	e.assertNothingLeft(t)
}

// TestCheckpointPod: every container is paused before the first is
// captured and resumed at the end; the directory gets pod.dump,
// pod.options and an archive per container.
func TestCheckpointPod(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the rootfs diff keeps ownership")
	}
	e := newEnv(t)
	a, b := e.run(t, "a"), e.run(t, "b")
	dir := t.TempDir()
	status := func(c store.Container) *runtime.ContainerStatus { return &runtime.ContainerStatus{Id: c.ID} }
	if err := e.m.CheckpointPod(ctxT(t), e.pod.ID, dir, []string{a, b}, status); err != nil {
		t.Fatalf("CheckpointPod: %v", err)
	}
	var order []string
	for _, call := range e.tasks.Calls() {
		if method, _, _ := strings.Cut(call, " "); method == "Pause" || method == "Checkpoint" || method == "Resume" {
			order = append(order, method)
		}
	}
	if want := []string{"Pause", "Pause", "Checkpoint", "Checkpoint", "Resume", "Resume"}; !slices.Equal(order, want) {
		t.Errorf("calls = %v, want %v: all paused before the first capture", order, want)
	}
	for _, id := range []string{a, b} {
		if tk := e.tasks.Get(id); tk.Paused || tk.Status != api.StatusRunning {
			t.Errorf("task %s after the pod checkpoint: %+v", id, tk)
		}
	}
	p, err := checkpoint.ReadPod(dir)
	if err != nil || !slices.Equal(p.Containers, []string{"a", "b"}) && !slices.Equal(p.Containers, []string{"b", "a"}) {
		t.Errorf("pod.options = %+v, %v", p, err)
	}
	for _, name := range []string{"a.tar", "b.tar", checkpoint.PodDump} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("pod checkpoint lacks %s: %v", name, err)
		}
	}
}

func TestCheckpointPodRefused(t *testing.T) {
	e := newEnv(t)
	a, made := e.run(t, "a"), e.create(t, "made")
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	status := func(store.Container) *runtime.ContainerStatus { return nil }
	tests := []struct {
		name  string
		dir   string
		ids   []string
		fail  string // a task method to fail
		class error
	}{
		{"not empty", full, []string{a}, "", errdefs.ErrInvalidArgument},
		{"no directory", filepath.Join(full, "none"), []string{a}, "", errdefs.ErrInvalidArgument},
		{"no containers", "", nil, "", errdefs.ErrInvalidArgument},
		{"twice", "", []string{a, a}, "", errdefs.ErrInvalidArgument},
		{"not running", "", []string{a, made}, "", errdefs.ErrFailedPrecondition},
		{"unknown", "", []string{a, "nope"}, "", errdefs.ErrNotFound},
		{"CRIU fails", "", []string{a}, "Checkpoint", errdefs.ErrInternal},
		{"pause fails", "", []string{a}, "Pause", errdefs.ErrInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = t.TempDir()
			}
			if tt.fail != "" {
				e.tasks.Fail(tt.fail, fmt.Errorf("%w: CRIU failed", errdefs.ErrInternal))
				defer e.tasks.Fail(tt.fail, nil)
			}
			err := e.m.CheckpointPod(ctxT(t), e.pod.ID, dir, tt.ids, status)
			wantErr(t, err, tt.class, "")
			if tt.dir == "" {
				if entries, _ := os.ReadDir(dir); len(entries) > 0 {
					t.Errorf("left in the output directory: %v", entries)
				}
			}
			if tk := e.tasks.Get(a); tk.Paused {
				t.Errorf("container a left paused")
			}
		})
	}
}

// TestRestoreChecksExpected: a restore-time config must describe the
// checkpointed process.
func TestRestoreChecksExpected(t *testing.T) {
	e := newEnv(t)
	archive := e.checkpointed(t) // command: sleep 1000 (config)
	tests := []struct {
		name  string
		mod   func(*runtime.ContainerConfig)
		class error
	}{
		{"same", func(*runtime.ContainerConfig) {}, nil},
		{"other command", func(c *runtime.ContainerConfig) { c.Command = []string{"sleep", "1"} }, errdefs.ErrInvalidArgument},
		{"other working directory", func(c *runtime.ContainerConfig) { c.WorkingDir = "/tmp" }, errdefs.ErrInvalidArgument},
		{"other user", func(c *runtime.ContainerConfig) {
			c.Linux = &runtime.LinuxContainerConfig{SecurityContext: &runtime.LinuxContainerSecurityContext{RunAsUser: &runtime.Int64Value{Value: 1000}}}
		}, errdefs.ErrInvalidArgument},
		{"unknown image", func(c *runtime.ContainerConfig) { c.Image.Image = "alpine" }, errdefs.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config("counter")
			tt.mod(cfg)
			id, err := e.m.Restore(ctxT(t), e.pod.ID, cfg, archive)
			wantErr(t, err, tt.class, "")
			if err == nil {
				if c, _ := e.m.Get(id); !c.Restore || c.ImageRef != busyboxID.String() {
					t.Errorf("restored record = %+v", c)
				}
				if err := e.m.Remove(ctxT(t), id); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	e.assertNothingLeft(t)
}
