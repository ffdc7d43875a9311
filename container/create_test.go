package container

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/store"
)

func TestCreate(t *testing.T) {
	e := newEnv(t)
	id := e.create(t, "web")
	c, err := e.m.Get(id[:12])
	if err != nil {
		t.Fatal(err)
	}
	if c.State != store.ContainerCreated || c.SandboxID != e.pod.ID || c.Name != "k8s_web_pod_ns_u1_0" {
		t.Errorf("record %+v", c)
	}
	if c.ImageRef != busyboxID.String() || c.ImageName != "docker.io/library/busybox:latest" || c.Pid == 0 {
		t.Errorf("image %s (%s), pid %d", c.ImageRef, c.ImageName, c.Pid)
	}
	wantLog := filepath.Join(e.pod.Config.Msg.LogDirectory, "web/0.log")
	if c.LogPath != wantLog {
		t.Errorf("log path %q, want %q", c.LogPath, wantLog)
	}
	tk := e.tasks.Get(id)
	if tk == nil || tk.Opts.LogPath != wantLog || tk.Spec.Linux.CgroupsPath != c.TaskCgroup || c.TaskCgroup == "" {
		t.Fatalf("task %+v, record cgroup %q", tk, c.TaskCgroup)
	}
	if got := tk.Spec.Process.Args; len(got) != 2 || got[0] != "sleep" {
		t.Errorf("args %q", got)
	}
	if e.rootfs.count() != 1 {
		t.Errorf("%d rootfs mounts, want 1", e.rootfs.count())
	}
	if e.locks.Len() != 0 {
		t.Errorf("%d locks held after Create", e.locks.Len())
	}
}

func TestCreateRefused(t *testing.T) {
	e := newEnv(t)
	e.create(t, "taken")
	notReady := e.pod
	notReady.ID, notReady.Name, notReady.State = store.NewID(), "k8s_down_ns_u2_0", store.SandboxNotReady
	if err := e.st.Sandboxes.Add(notReady); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		pod   string
		cfg   func(*runtime.ContainerConfig)
		class error
		msg   string
	}{
		{"unknown pod", "feedbeef", nil, errdefs.ErrNotFound, "feedbeef"},
		{"pod not ready", notReady.ID, nil, errdefs.ErrFailedPrecondition, "not ready"},
		{"no name", "", func(c *runtime.ContainerConfig) { c.Metadata.Name = "" }, errdefs.ErrInvalidArgument, "metadata.name"},
		{"no image", "", func(c *runtime.ContainerConfig) { c.Image.Image = "" }, errdefs.ErrInvalidArgument, "image is empty"},
		{"unknown image", "", func(c *runtime.ContainerConfig) { c.Image.Image = "nginx" }, errdefs.ErrNotFound, "nginx"},
		{"duplicate name", "", func(c *runtime.ContainerConfig) { c.Metadata.Name = "taken" }, errdefs.ErrAlreadyExists, "in use by"},
		{"bad spec", "", func(c *runtime.ContainerConfig) { c.WorkingDir = "relative" }, errdefs.ErrInvalidArgument, "working_dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config("c")
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			pod := tt.pod
			if pod == "" {
				pod = e.pod.ID
			}
			_, err := e.m.Create(ctxT(t), pod, cfg)
			wantErr(t, err, tt.class, tt.msg)
			if n := len(e.st.Containers.List(nil)); n != 1 {
				t.Errorf("%d records, want only the first container's", n)
			}
			if n := len(e.tasks.Live()); n != 1 {
				t.Errorf("%d tasks, want 1", n)
			}
		})
	}
}

// TestCreateRollback fails each step of Create in turn and checks that
// the steps before it are undone.
func TestCreateRollback(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name   string
		inject func(*env)
	}{
		{"rootfs", func(e *env) { e.rootfs.fail = boom }},
		{"task", func(e *env) { e.tasks.Fail("Create", boom) }},
		{"record", func(e *env) { e.records.FailUpdate = boom }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.inject(e)
			if _, err := e.m.Create(ctxT(t), e.pod.ID, config("c")); !errors.Is(err, boom) {
				t.Fatalf("Create = %v, want the injected failure", err)
			}
			e.assertNothingLeft(t)
		})
	}
}

func TestCreateTargetPID(t *testing.T) {
	e := newEnv(t)
	target := e.run(t, "target")
	created := e.create(t, "created")
	other := e.pod
	other.ID, other.Name = store.NewID(), "k8s_other_ns_u9_0"
	e.st.Sandboxes.Add(other)
	elsewhere, err := e.m.Create(ctxT(t), other.ID, config("elsewhere"))
	if err != nil {
		t.Fatal(err)
	}
	e.m.Start(ctxT(t), elsewhere)
	debug := func(target string) *runtime.ContainerConfig {
		c := config("debug-" + target[:4])
		c.Linux = &runtime.LinuxContainerConfig{SecurityContext: &runtime.LinuxContainerSecurityContext{
			NamespaceOptions: &runtime.NamespaceOption{Pid: runtime.NamespaceMode_TARGET, TargetId: target},
		}}
		return c
	}
	id, err := e.m.Create(ctxT(t), e.pod.ID, debug(target))
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := e.m.Get(target)
	want := fmt.Sprintf("/proc/%d/ns/pid", tc.Pid)
	var got string
	for _, ns := range e.tasks.Get(id).Spec.Linux.Namespaces {
		if ns.Type == "pid" {
			got = ns.Path
		}
	}
	if got != want {
		t.Errorf("pid namespace %q, want the target's %q", got, want)
	}
	for _, tt := range []struct {
		name, target string
		class        error
		msg          string
	}{
		{"not running", created, errdefs.ErrFailedPrecondition, "not running"},
		{"unknown", "feedbeef", errdefs.ErrNotFound, "target container"},
		{"another pod", elsewhere, errdefs.ErrInvalidArgument, "another pod"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.m.Create(ctxT(t), e.pod.ID, debug(tt.target))
			wantErr(t, err, tt.class, tt.msg)
		})
	}
}
