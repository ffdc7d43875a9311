//go:build e2e

package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// statusFields are the lines of /proc/PID/status an exec'd process must
// share with the container's init, which libcontainer set up.
const statusFields = `^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):`

// TestExecFastPath: an exec in a container with a non-root user and
// dropped capabilities goes through skiff-nsexec (its shim says so) and
// runs as libcontainer would have run it: the init's user, groups,
// capability sets, no_new_privs and seccomp mode, its cgroups and
// namespaces, the container's cwd and env; before and after a skiffd
// restart. A container with a seccomp profile keeps libcontainer's path
// and its filter. A missing command is the same gRPC code on both paths.
func TestExecFastPath(t *testing.T) {
	if _, err := os.Stat(filepath.Join(binDir(t), "skiff-nsexec")); err != nil {
		t.Skip("skiff-nsexec not built (no C compiler): every exec goes through libcontainer")
	}
	profile := filepath.Join(t.TempDir(), "no-mkdir.json")
	if err := os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "fastexec")
	pod := d.runPod(t, podCfg)
	defer func() { d.removePod(t, pod) }()

	sc := func(seccomp *runtime.SecurityProfile) *runtime.LinuxContainerSecurityContext {
		return &runtime.LinuxContainerSecurityContext{
			RunAsUser: &runtime.Int64Value{Value: 1000}, RunAsGroup: &runtime.Int64Value{Value: 1001},
			SupplementalGroups: []int64{1002},
			Capabilities:       &runtime.Capability{DropCapabilities: []string{"ALL"}, AddCapabilities: []string{"CAP_NET_BIND_SERVICE"}},
			NoNewPrivs:         true,
			Seccomp:            seccomp,
			// pid 1 is the container's init, to compare with
			NamespaceOptions: &runtime.NamespaceOption{Pid: runtime.NamespaceMode_CONTAINER},
		}
	}
	fast := d.runSecure(t, pod, podCfg, "fast", sc(nil))
	filtered := d.runSecure(t, pod, podCfg, "filtered", sc(&runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: profile}))

	check := func(when string) {
		d.checkExecLikeInit(t, when, fast, "fast")
		d.checkExecLikeInit(t, when, filtered, "filtered")
		if res, err := d.execSync(t, filtered, 10, "mkdir", "/tmp/x"); err != nil || res.ExitCode == 0 {
			t.Errorf("%s: mkdir under a profile that forbids it = %v, %v", when, res, err)
		}
		_, errFast := d.execSync(t, fast, 10, "no-such-command")
		_, errSlow := d.execSync(t, filtered, 10, "no-such-command")
		if status.Code(errFast) != codes.Unknown || status.Code(errSlow) != codes.Unknown || !strings.Contains(errFast.Error(), "no-such-command") {
			t.Errorf("%s: missing command: fast path %v; libcontainer %v; want both Unknown", when, errFast, errSlow)
		}
	}
	check("before the restart")
	d.signal(syscall.SIGKILL, 5*time.Second)
	d = startDaemonIn(t, d.dir, daemonArgs, mirrorArgs(reg)...)
	check("after the restart")

	if log := shimLog(t, d, fast); !strings.Contains(log, "exec: fast path") {
		t.Errorf("the fast path was not taken; shim log:\n%s", log)
	}
	if log := shimLog(t, d, filtered); strings.Contains(log, "exec: fast path") || !strings.Contains(log, "seccomp profile") {
		t.Errorf("a container with a seccomp profile: shim log:\n%s", log)
	}
}

// runSecure creates and starts a busybox container with security
// context sc, a working dir and an env var, sleeping.
func (d *daemon) runSecure(t *testing.T, pod string, podCfg *runtime.PodSandboxConfig, name string, sc *runtime.LinuxContainerSecurityContext) string {
	t.Helper()
	resp, err := d.runtime.CreateContainer(ctxT(t), &runtime.CreateContainerRequest{PodSandboxId: pod, SandboxConfig: podCfg, Config: &runtime.ContainerConfig{
		Metadata: &runtime.ContainerMetadata{Name: name}, Image: &runtime.ImageSpec{Image: "busybox"},
		Command: []string{"sleep", "1000"}, WorkingDir: "/tmp", LogPath: name + ".log",
		Envs:  []*runtime.KeyValue{{Key: "FAST_EXEC_TEST", Value: []byte(name)}},
		Linux: &runtime.LinuxContainerConfig{SecurityContext: sc},
	}})
	if err != nil {
		t.Fatalf("CreateContainer %s: %v", name, err)
	}
	if _, err := d.runtime.StartContainer(ctxT(t), &runtime.StartContainerRequest{ContainerId: resp.ContainerId}); err != nil {
		t.Fatalf("StartContainer %s: %v", name, err)
	}
	return resp.ContainerId
}

// checkExecLikeInit runs commands in container id and compares what
// they see of themselves with the container's init (pid 1), and its
// cwd and env with the container's config.
func (d *daemon) checkExecLikeInit(t *testing.T, when, id, name string) {
	t.Helper()
	run := func(script string) string {
		t.Helper()
		res, err := d.execSync(t, id, 10, "sh", "-c", script)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%s: exec %q = %v, %v", when, script, res, err)
		}
		return string(res.Stdout)
	}
	if got := run("id"); got != "uid=1000 gid=1001 groups=1001,1002\n" {
		t.Errorf("%s: id = %q", when, got)
	}
	self, init := run("grep -E '"+statusFields+"' /proc/self/status"), run("grep -E '"+statusFields+"' /proc/1/status")
	if self != init || !strings.Contains(self, "NoNewPrivs:\t1") || !strings.Contains(self, "CapBnd:\t0000000000000400") {
		t.Errorf("%s: exec's status\n%s\ninit's\n%s", when, self, init)
	}
	if self, init := run("cat /proc/self/cgroup"), run("cat /proc/1/cgroup"); self != init {
		t.Errorf("%s: exec's cgroups\n%s\ninit's\n%s", when, self, init)
	}
	for _, ns := range []string{"ipc", "uts", "net", "pid", "mnt", "cgroup"} {
		if self, init := run("readlink /proc/self/ns/"+ns), run("readlink /proc/1/ns/"+ns); self != init {
			t.Errorf("%s: exec's %s namespace %q, init's %q", when, ns, self, init)
		}
	}
	if got, want := run(`pwd; echo "$FAST_EXEC_TEST"`), "/tmp\n"+name+"\n"; got != want {
		t.Errorf("%s: cwd and env = %q, want %q", when, got, want)
	}
}

// shimLog returns the shim log of container id (in its bundle).
func shimLog(t *testing.T, d *daemon, id string) string {
	t.Helper()
	var log []byte
	filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Name() == "shim.log" && strings.Contains(p, id) {
			log, _ = os.ReadFile(p)
		}
		return nil
	})
	if log == nil {
		t.Fatalf("no shim.log of %s under %s", id, d.dir)
	}
	return string(log)
}
