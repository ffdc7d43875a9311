package container

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// The hostile-input tests: each class of bad value is refused with
// InvalidArgument naming it, and the refused request leaves nothing, on
// the host (the test's directory, where the paths point) or in skiffd.

// hostileCase edits a valid config into a bad one; msg is what the
// error must name.
type hostileCase struct {
	name string
	edit func(*runtime.ContainerConfig)
	msg  string
}

// hostTree lays out what the paths of the cases point at, under the
// test's directory: the pod's log directory with links out of it, a
// directory outside, a seccomp root, a fifo.
func hostTree(t *testing.T, e *env) {
	t.Helper()
	for _, d := range []string{"logs/ctr", "outside", "seccomp", "containers"} {
		if err := os.MkdirAll(filepath.Join(e.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"logs/up":        "../outside",
		"logs/abs":       filepath.Join(e.root, "outside"),
		"logs/ctr/0.log": filepath.Join(e.root, "outside", "victim"),
		"seccomp/out":    "../outside",
	} {
		if err := os.Symlink(target, filepath.Join(e.root, link)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(e.root, "outside", "profile.json"), []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o644)
	if err := syscall.Mkfifo(filepath.Join(e.root, "outside", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.m.cfg.SeccompProfileRoot = filepath.Join(e.root, "seccomp")
}

// snapshot lists every path under dir with its size.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		out = append(out, fmt.Sprint(p, " ", info.Mode(), " ", info.Size()))
		return nil
	})
	return out
}

// runHostile runs the cases of one class against a fresh env each.
func runHostile(t *testing.T, cases []hostileCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			hostTree(t, e)
			before := snapshot(t, e.root)
			cfg := config("c")
			tc.edit(cfg)
			_, err := e.m.Create(ctxT(t), e.pod.ID, cfg)
			wantErr(t, err, errdefs.ErrInvalidArgument, tc.msg)
			e.assertNothingLeft(t)
			if after := snapshot(t, e.root); !slices.Equal(before, after) {
				t.Errorf("the refused request changed the host:\nbefore %q\nafter  %q", before, after)
			}
			if len(e.tasks.Calls()) > 0 {
				t.Errorf("tasks were called: %q", e.tasks.Calls())
			}
		})
	}
}

func TestHostileLogPaths(t *testing.T) {
	logPath := func(p string) func(*runtime.ContainerConfig) {
		return func(c *runtime.ContainerConfig) { c.LogPath = p }
	}
	runHostile(t, []hostileCase{
		{"dot-dot", logPath("../outside/0.log"), "log_path"},
		{"dot-dot inside", logPath("ctr/../../outside/0.log"), "log_path"},
		{"absolute", logPath("/etc/0.log"), "log_path"},
		{"through a relative symlink", logPath("up/new/0.log"), "leads out of the pod's log directory"},
		{"through an absolute symlink", logPath("abs/0.log"), "leads out of the pod's log directory"},
		{"onto a symlinked file", logPath("ctr/0.log"), "leads out of the pod's log directory"},
		{"NUL byte", logPath("ctr/\x00.log"), "log_path"},
	})
}

func TestHostileMountPaths(t *testing.T) {
	mount := func(m *runtime.Mount, more func(*runtime.ContainerConfig)) func(*runtime.ContainerConfig) {
		return func(c *runtime.ContainerConfig) {
			c.Mounts = []*runtime.Mount{m}
			if more != nil {
				more(c)
			}
		}
	}
	newDir := func(e string) string { return "/tmp/skiff-hostile-never-made/" + e }
	runHostile(t, []hostileCase{
		{"relative host path", mount(&runtime.Mount{HostPath: "data", ContainerPath: "/data"}, nil), "mounts[0].host_path"},
		{"relative container path", mount(&runtime.Mount{HostPath: newDir("a"), ContainerPath: "data"}, nil), "mounts[0].container_path"},
		{"over the root", mount(&runtime.Mount{HostPath: newDir("b"), ContainerPath: "/"}, nil), "mounts[0].container_path"},
		{"NUL byte", mount(&runtime.Mount{HostPath: newDir("c\x00"), ContainerPath: "/d"}, nil), "mounts[0].host_path"},
		// A valid mount of a missing directory, refused for another field:
		// the directory must not be made.
		{"later field refused", mount(&runtime.Mount{HostPath: newDir("d"), ContainerPath: "/d"}, func(c *runtime.ContainerConfig) {
			c.Linux = &runtime.LinuxContainerConfig{Resources: &runtime.LinuxContainerResources{CpuShares: 1}}
		}), "cpu_shares"},
		{"later mount refused", func(c *runtime.ContainerConfig) {
			c.Mounts = []*runtime.Mount{{HostPath: newDir("e"), ContainerPath: "/e"}, {HostPath: newDir("f"), ContainerPath: "/f", MountOptions: []string{"suid"}}}
		}, "mounts[1].mount_options"},
		{"refused after the spec's other steps", mount(&runtime.Mount{HostPath: newDir("g"), ContainerPath: "/g"}, func(c *runtime.ContainerConfig) {
			c.WorkingDir = "relative"
		}), "working_dir"},
	})
	if _, err := os.Stat(newDir("")); err == nil {
		t.Errorf("%s was made", newDir(""))
	}
}

func TestHostileSeccompProfiles(t *testing.T) {
	profile := func(ref string) func(*runtime.ContainerConfig) {
		return func(c *runtime.ContainerConfig) {
			c.Linux = &runtime.LinuxContainerConfig{SecurityContext: &runtime.LinuxContainerSecurityContext{
				Seccomp: &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: ref},
			}}
		}
	}
	runHostile(t, []hostileCase{
		{"leaves the root", profile("../outside/profile.json"), "leaves the seccomp profile root"},
		{"through a symlink", profile("out/profile.json"), "leads out of"},
		{"a device", profile("/dev/zero"), "not a regular file"},
		{"missing absolute", profile("/nonexistent/profile.json"), "does not exist"},
		{"missing", profile("nope.json"), "does not exist"},
		{"not a profile", profile("/etc/hostname"), "not a seccomp profile"},
		{"empty ref", profile(""), "localhost_ref"},
	})
}

func TestHostileSeccompFifo(t *testing.T) {
	e := newEnv(t)
	hostTree(t, e)
	cfg := config("c")
	cfg.Linux = &runtime.LinuxContainerConfig{SecurityContext: &runtime.LinuxContainerSecurityContext{
		Seccomp: &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: filepath.Join(e.root, "outside", "fifo")},
	}}
	_, err := e.m.Create(ctxT(t), e.pod.ID, cfg) // must not hang on the fifo
	wantErr(t, err, errdefs.ErrInvalidArgument, "not a regular file")
	e.assertNothingLeft(t)
}

func TestHostileArgvEnv(t *testing.T) {
	big := strings.Repeat("x", 128<<10)
	runHostile(t, []hostileCase{
		{"one huge argument", func(c *runtime.ContainerConfig) { c.Args = []string{big} }, "args: entry 0"},
		{"one huge variable", func(c *runtime.ContainerConfig) {
			c.Envs = []*runtime.KeyValue{{Key: "A", Value: []byte(big)}}
		}, "envs: entry 0"},
		{"too much together", func(c *runtime.ContainerConfig) {
			for range 20 {
				c.Args = append(c.Args, big[:120<<10])
			}
		}, "command, args and envs"},
		{"NUL in a variable", func(c *runtime.ContainerConfig) {
			c.Envs = []*runtime.KeyValue{{Key: "A", Value: []byte("a\x00b")}}
		}, "NUL"},
	})
}

func TestHostileNamesAndLabels(t *testing.T) {
	long := strings.Repeat("n", 254)
	runHostile(t, []hostileCase{
		{"long name", func(c *runtime.ContainerConfig) { c.Metadata.Name = long }, "metadata.name"},
		{"long label key", func(c *runtime.ContainerConfig) { c.Labels = map[string]string{long + long: "v"} }, "labels"},
		{"empty annotation key", func(c *runtime.ContainerConfig) { c.Annotations = map[string]string{"": "v"} }, "annotations"},
		{"huge labels and annotations", func(c *runtime.ContainerConfig) {
			c.Labels = map[string]string{"a": strings.Repeat("v", 200<<10)}
			c.Annotations = map[string]string{"b": strings.Repeat("v", 100<<10)}
		}, "labels and annotations"},
	})
}

func TestHostileResources(t *testing.T) {
	res := func(r *runtime.LinuxContainerResources) func(*runtime.ContainerConfig) {
		return func(c *runtime.ContainerConfig) { c.Linux = &runtime.LinuxContainerConfig{Resources: r} }
	}
	runHostile(t, []hostileCase{
		{"memory below the minimum", res(&runtime.LinuxContainerResources{MemoryLimitInBytes: 4096}), "memory_limit_in_bytes: 4096"},
		{"swap below memory", res(&runtime.LinuxContainerResources{MemoryLimitInBytes: 64 << 20, MemorySwapLimitInBytes: 32 << 20}), "memory_swap_limit_in_bytes"},
		{"cpu that does not exist", res(&runtime.LinuxContainerResources{CpusetCpus: "0-4095"}), `cpuset_cpus: "0-4095"`},
		{"bad cpu list", res(&runtime.LinuxContainerResources{CpusetCpus: "0-"}), "cpuset_cpus"},
		{"memory node that does not exist", res(&runtime.LinuxContainerResources{CpusetMems: "63"}), `cpuset_mems: "63"`},
		{"cpu period too long", res(&runtime.LinuxContainerResources{CpuPeriod: 2000000}), "cpu_period: 2000000"},
		{"cpu quota too small", res(&runtime.LinuxContainerResources{CpuQuota: 10}), "cpu_quota: 10"},
		{"cpu shares too large", res(&runtime.LinuxContainerResources{CpuShares: 1 << 20}), "cpu_shares: 1048576"},
		{"oom score", res(&runtime.LinuxContainerResources{OomScoreAdj: 5000}), "oom_score_adj"},
	})
}
