//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

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
// restart. Containers with a seccomp profile (RuntimeDefault with and
// without no_new_privs, a Localhost one) take the fast path too, and an
// exec'd process has the init's filters byte for byte and is denied what
// the profile denies. A missing command is the same gRPC code on both
// paths.
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

	sc := func(nnp bool, seccomp *runtime.SecurityProfile) *runtime.LinuxContainerSecurityContext {
		return &runtime.LinuxContainerSecurityContext{
			RunAsUser: &runtime.Int64Value{Value: 1000}, RunAsGroup: &runtime.Int64Value{Value: 1001},
			SupplementalGroups: []int64{1002},
			Capabilities:       &runtime.Capability{DropCapabilities: []string{"ALL"}, AddCapabilities: []string{"CAP_NET_BIND_SERVICE"}},
			NoNewPrivs:         nnp,
			Seccomp:            seccomp,
			// pid 1 is the container's init, to compare with
			NamespaceOptions: &runtime.NamespaceOption{Pid: runtime.NamespaceMode_CONTAINER},
		}
	}
	runtimeDefault := &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_RuntimeDefault}
	ctrs := []struct {
		name, id string
		nnp      bool
		denied   []string // a command the profile makes fail
	}{
		{name: "fast", nnp: true},
		{name: "filtered", nnp: true, denied: []string{"mkdir", "-p", "/tmp/x"}},
		// without no_new_privs the filter goes on before the user and
		// capability change, as it needs CAP_SYS_ADMIN
		{name: "default", nnp: false, denied: []string{"unshare", "-U", "true"}},
		{name: "default-nnp", nnp: true, denied: []string{"unshare", "-U", "true"}},
		// a notify action needs libcontainer's listener: its execs keep
		// the libcontainer path
		{name: "notify", nnp: true},
	}
	for i, c := range ctrs {
		var prof *runtime.SecurityProfile
		switch c.name {
		case "filtered":
			prof = &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: profile}
		case "default", "default-nnp":
			prof = runtimeDefault
		case "notify":
			prof = &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_Localhost, LocalhostRef: notifyProfile(t)}
		}
		ctrs[i].id = d.runSecure(t, pod, podCfg, c.name, sc(c.nnp, prof))
	}
	fast, slow := ctrs[0].id, ctrs[len(ctrs)-1].id

	check := func(when string) {
		for _, c := range ctrs {
			d.checkExecLikeInit(t, when, c.id, c.name, c.nnp)
			if c.denied == nil {
				continue
			}
			if res, err := d.execSync(t, c.id, 10, c.denied...); err != nil || res.ExitCode == 0 {
				t.Errorf("%s: %s: %q under a profile that denies it = %v, %v", when, c.name, c.denied, res, err)
			}
			// the same command unconfined: it is the filter that denies it
			if res, err := d.execSync(t, fast, 10, c.denied...); err != nil || res.ExitCode != 0 {
				t.Errorf("%s: %q without a profile = %v, %v", when, c.denied, res, err)
			}
		}
		_, errFast := d.execSync(t, fast, 10, "no-such-command")
		_, errSlow := d.execSync(t, slow, 10, "no-such-command")
		if status.Code(errFast) != codes.Unknown || status.Code(errSlow) != codes.Unknown || !strings.Contains(errFast.Error(), "no-such-command") {
			t.Errorf("%s: missing command: fast path %v; libcontainer %v; want both Unknown", when, errFast, errSlow)
		}
	}
	check("before the restart")
	for i, c := range ctrs[1:] {
		d.checkSameFilters(t, c.id, c.name, 4001+i)
	}
	d.signal(syscall.SIGKILL, 5*time.Second)
	d = startDaemonIn(t, d.dir, daemonArgs, mirrorArgs(reg)...)
	check("after the restart")

	for _, c := range ctrs[:len(ctrs)-1] {
		if log := shimLog(t, d, c.id); !strings.Contains(log, "exec: fast path") {
			t.Errorf("%s: the fast path was not taken; shim log:\n%s", c.name, log)
		}
	}
	if log := shimLog(t, d, slow); strings.Contains(log, "exec: fast path") || !strings.Contains(log, "seccomp notify action") {
		t.Errorf("a container with a seccomp notify action: shim log:\n%s", log)
	}
}

// notifyProfile writes a Localhost profile that hands mkdir to a
// listener, and starts a listener that takes the notify fd and drops it
// (mkdir then fails with ENOSYS).
func notifyProfile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	path := filepath.Join(dir, "notify.json")
	prof := `{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"` + sock + `","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_NOTIFY"}]}`
	if err := os.WriteFile(path, []byte(prof), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
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
func (d *daemon) checkExecLikeInit(t *testing.T, when, id, name string, nnp bool) {
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
	wantNNP := map[bool]string{false: "NoNewPrivs:\t0", true: "NoNewPrivs:\t1"}[nnp]
	if self != init || !strings.Contains(self, wantNNP) || !strings.Contains(self, "CapBnd:\t0000000000000400") {
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

// checkSameFilters starts a long-running process with an exec in
// container id and compares its seccomp filters, read from the kernel,
// with the container init's: all of them, byte for byte or, where
// libcontainer's own output varies, verdict for verdict.
func (d *daemon) checkSameFilters(t *testing.T, id, name string, marker int) {
	t.Helper()
	res, err := d.execSync(t, id, 10, "sh", "-c", fmt.Sprintf("sleep %d </dev/null >/dev/null 2>&1 & echo $!; readlink /proc/self/ns/pid", marker))
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%s: background exec = %v, %v", name, res, err)
	}
	var nsPid int
	var pidNS string
	if _, err := fmt.Sscan(string(res.Stdout), &nsPid, &pidNS); err != nil {
		t.Fatalf("%s: background exec said %q: %v", name, res.Stdout, err)
	}
	execPid, initPid := hostPid(t, pidNS, nsPid), hostPid(t, pidNS, 1)
	execF, initF := seccompFilters(t, execPid), seccompFilters(t, initPid)
	if len(initF) == 0 || !slices.Equal(filterLens(execF), filterLens(initF)) {
		t.Fatalf("%s: the exec'd process has %d seccomp filters of %v instructions, the init %d of %v",
			name, len(execF), filterLens(execF), len(initF), filterLens(initF))
	}
	for i := range execF {
		// The same bytes, unless libcontainer ordered its stub's
		// architecture sections differently for the init (sameVerdicts).
		if !bytes.Equal(execF[i], initF[i]) {
			if diff := sameVerdicts(execF[i], initF[i]); diff != "" {
				t.Errorf("%s: seccomp filter #%d of the exec'd process and of the init differ: %s", name, i, diff)
			} else {
				t.Logf("%s: seccomp filter #%d: the init's stub sections are in another order; same verdicts", name, i)
			}
		}
	}
}

// hostPid is the host pid of the process that is nsPid in the pid
// namespace pidNS (as readlink shows it).
func hostPid(t *testing.T, pidNS string, nsPid int) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		if ns, _ := os.Readlink(dir + "/ns/pid"); ns != pidNS {
			continue
		}
		status, _ := os.ReadFile(dir + "/status")
		for line := range strings.SplitSeq(string(status), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "NSpid:" && f[len(f)-1] == strconv.Itoa(nsPid) {
				pid, _ := strconv.Atoi(filepath.Base(dir))
				return pid
			}
		}
	}
	t.Fatalf("no process %d in %s", nsPid, pidNS)
	return 0
}

// seccompFilters reads every seccomp filter of pid, newest first, with
// PTRACE_SEIZE, PTRACE_INTERRUPT and PTRACE_SECCOMP_GET_FILTER, and
// detaches.
func seccompFilters(t *testing.T, pid int) [][]byte {
	t.Helper()
	goruntime.LockOSThread() // the tracer is a thread
	defer goruntime.UnlockOSThread()
	if err := unix.PtraceSeize(pid); err != nil {
		t.Fatalf("PTRACE_SEIZE %d: %v", pid, err)
	}
	defer unix.PtraceDetach(pid)
	if err := unix.PtraceInterrupt(pid); err != nil {
		t.Fatalf("PTRACE_INTERRUPT %d: %v", pid, err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil || !ws.Stopped() {
		t.Fatalf("wait for %d to stop: %v, %#x", pid, err, ws)
	}
	const getFilter = 0x420c // PTRACE_SECCOMP_GET_FILTER
	var filters [][]byte
	for i := uintptr(0); ; i++ {
		n, _, errno := unix.Syscall6(unix.SYS_PTRACE, getFilter, uintptr(pid), i, 0, 0, 0)
		if errno == unix.ENOENT {
			return filters
		}
		if errno != 0 {
			t.Fatalf("PTRACE_SECCOMP_GET_FILTER %d #%d: %v", pid, i, errno)
		}
		buf := make([]byte, n*8)
		if _, _, errno := unix.Syscall6(unix.SYS_PTRACE, getFilter, uintptr(pid), i, uintptr(unsafe.Pointer(&buf[0])), 0, 0); errno != 0 {
			t.Fatalf("PTRACE_SECCOMP_GET_FILTER %d #%d: %v", pid, i, errno)
		}
		filters = append(filters, buf)
	}
}

func filterLens(fs [][]byte) []int {
	var ns []int
	for _, f := range fs {
		ns = append(ns, len(f)/8)
	}
	return ns
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
