package task

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
	"github.com/skiffrt/skiff/internal/testutil/testimage"
)

// The shim binary, built once by TestMain outside every state root, and
// the static busybox the rootfs is made of. Empty when the real-kernel
// tests cannot run here (not root, no busybox).
var (
	shimBin  string
	busybox  string
	skipWhy  string
	bundleNo atomic.Int64
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(starterHelper())
	}
	dir, code := setUp(), 0
	if dir != "" {
		defer os.RemoveAll(dir)
	}
	code = m.Run()
	os.RemoveAll(dir)
	removeCgroup(shimCgroup)
	os.Exit(code)
}

// shimCgroup is where the tests' shims move themselves.
var shimCgroup = fmt.Sprintf("/skiff-shimtest-shims-%d", os.Getpid())

// removeCgroup removes path on every hierarchy.
func removeCgroup(path string) {
	matches, _ := filepath.Glob("/sys/fs/cgroup/*" + path)
	for _, m := range matches {
		os.Remove(m)
	}
}

// setUp builds the shim and makes the test process a child subreaper:
// this VM's pid 1 does not reap orphans, so shims whose starter exited
// would stay zombies; as subreaper the tests reap them by pid (never
// wait4(-1), which would race with os/exec).
func setUp() string {
	if os.Geteuid() != 0 {
		skipWhy = "needs root"
		return ""
	}
	bb, err := testimage.BusyboxPath()
	if err != nil {
		skipWhy = "no busybox: " + err.Error()
		return ""
	}
	dir, err := os.MkdirTemp("", "skiff-shim-bin-")
	if err != nil {
		panic(err)
	}
	bin := filepath.Join(dir, "skiff-shim")
	args := []string{"build", "-tags", "seccomp", "-o", bin}
	if os.Getenv("SKIFF_SHIMTEST_RACE") != "" { // the shim itself under the race detector
		args = append(args, "-race")
	}
	out, err := exec.Command(goTool(), append(args, "github.com/skiffrt/skiff/cmd/skiff-shim")...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build skiff-shim: %v\n%s", err, out)
		os.Exit(1)
	}
	// The fast exec path, beside the shim, as make build puts it; without
	// a C compiler the shims exec through libcontainer.
	if out, err := exec.Command("cc", "-static", "-O2", "-o", filepath.Join(dir, "skiff-nsexec"), "../../cmd/skiff-nsexec/nsexec.c").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build skiff-nsexec (execs through libcontainer): %v\n%s", err, out)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		panic(err)
	}
	shimBin, busybox = bin, bb
	return dir
}

// goTool finds the go command: $GO (the Makefile's), the one that built
// the running test, or PATH's.
func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	if g := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(g) {
		return g
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func requireKernel(t *testing.T) {
	t.Helper()
	if shimBin == "" {
		t.Skip(skipWhy)
	}
}

// bundle is one container's bundle and the paths its shim uses.
type bundle struct {
	id, dir, stateRoot, socket, exitFile, logPath, cgroupPath string
	spec                                                      *specs.Spec
	setOptions                                                func(*api.Options) // changes options(), if set
}

// newBundle makes a bundle in t.TempDir whose process runs args: a
// busybox rootfs and a minimal OCI spec with new mount, pid, ipc, uts and
// network namespaces and a test-unique cgroup.
func newBundle(t *testing.T, args ...string) *bundle {
	t.Helper()
	requireKernel(t)
	dir := t.TempDir()
	n := bundleNo.Add(1)
	b := &bundle{
		id:         fmt.Sprintf("c%d-%d", os.Getpid(), n),
		dir:        filepath.Join(dir, "bundle"),
		stateRoot:  filepath.Join(dir, "state"),
		socket:     filepath.Join(dir, "shim.sock"),
		exitFile:   filepath.Join(dir, "exit.json"),
		logPath:    filepath.Join(dir, "logs", "ctr.log"),
		cgroupPath: fmt.Sprintf("/skiff-shimtest-%d-%d", os.Getpid(), n),
	}
	makeRootfs(t, filepath.Join(b.dir, "rootfs"))
	b.spec = minimalSpec(args, b.cgroupPath)
	return b
}

func makeRootfs(t *testing.T, root string) {
	t.Helper()
	for _, d := range []string{"bin", "dev", "etc", "proc", "sys", "tmp", "root", "usr/bin", "usr/sbin", "sbin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	bbPath := filepath.Join(root, "bin/busybox")
	if err := os.WriteFile(bbPath, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	applets, err := testimage.Applets(busybox)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range applets {
		p := filepath.Join(root, a)
		if p == bbPath {
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Link(bbPath, p); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(testimage.BasePasswd), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte(testimage.BaseGroup), 0o644)
}

func minimalSpec(args []string, cgroupPath string) *specs.Spec {
	caps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_NET_BIND_SERVICE"}
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "rootfs"},
		Process: &specs.Process{
			Args: args,
			Env:  []string{"PATH=" + testimage.DefaultPath, "HOME=/root", "FOO=spec"},
			Cwd:  "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps,
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Hostname: "shimtest",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: cgroupPath,
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.NetworkNamespace},
			},
			MaskedPaths:   []string{"/proc/kcore", "/proc/keys", "/sys/firmware"},
			ReadonlyPaths: []string{"/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

func (b *bundle) options() api.Options {
	o := api.Options{
		ID: b.id, Bundle: b.dir, StateRoot: b.stateRoot, LogPath: b.logPath,
		Socket: b.socket, ExitFile: b.exitFile, ShimCgroup: shimCgroup,
	}
	if b.setOptions != nil {
		b.setOptions(&o)
	}
	return o
}

func (b *bundle) writeSpec(t *testing.T) {
	t.Helper()
	data, err := json.Marshal(b.spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// start writes the spec and starts the shim; the test's cleanup kills
// whatever is left.
func (b *bundle) start(t *testing.T) (*started, *client) {
	t.Helper()
	b.writeSpec(t)
	st, err := launch(ctx(t), shimBin, b.options())
	if err != nil {
		t.Fatalf("Start: %v\nshim log: %s", err, b.shimLog())
	}
	t.Cleanup(func() {
		b.forceCleanup(t, st.ShimPid)
		if t.Failed() || os.Getenv("SKIFF_SHIMTEST_SHOWLOG") != "" {
			t.Logf("shim log:\n%s", b.shimLog())
		}
	})
	return st, dial(b.socket)
}

// forceCleanup kills the shim and its container if a test left them, and
// removes cgroups and state.
func (b *bundle) forceCleanup(t *testing.T, shimPid int) {
	if alive(shimPid) {
		unix.Kill(shimPid, unix.SIGKILL)
	}
	for i := 0; i < 500; i++ { // reap it, 5s at most
		if got, err := unix.Wait4(shimPid, nil, unix.WNOHANG, nil); got == shimPid || err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cleanup(c, b.stateRoot, b.id, b.cgroupPath); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

func (b *bundle) shimLog() string {
	data, _ := os.ReadFile(filepath.Join(b.dir, "shim.log"))
	return string(data)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(data), ") ")
	return !strings.HasPrefix(after, "Z") && !strings.HasPrefix(after, "X")
}

// waitGone waits until pid has exited, fully: a child of the test (its
// subreaper) until it is reaped, since a thread group leader shows as a
// zombie while its other threads still exit and still hold its files
// (a dying shim's socket then accepts and resets).
func waitGone(t *testing.T, pid int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if got == pid || (err == unix.ECHILD && !alive(pid)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still alive after %v", pid, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cgroupDirs returns the container's cgroup directories that exist on
// any hierarchy.
func (b *bundle) cgroupDirs() []string {
	var left []string
	matches, _ := filepath.Glob("/sys/fs/cgroup/*" + b.cgroupPath)
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			left = append(left, m)
		}
	}
	return left
}

// assertCleanedUp checks that no cgroup, no state dir and no socket is
// left.
func (b *bundle) assertCleanedUp(t *testing.T) {
	t.Helper()
	if left := b.cgroupDirs(); len(left) > 0 {
		t.Errorf("cgroups left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(b.stateRoot, b.id)); !os.IsNotExist(err) {
		t.Errorf("state dir left (stat: %v)", err)
	}
	if _, err := os.Stat(b.socket); !os.IsNotExist(err) {
		t.Errorf("socket left (stat: %v)", err)
	}
}

// logLine is one parsed CRI log line.
type logLine struct {
	time    time.Time
	stream  string
	partial bool
	text    string
}

func readLog(t *testing.T, path string) []logLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var lines []logLine
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if l[len(l)-1] != '\n' {
			t.Fatalf("log line without newline: %q", l)
		}
		parts := strings.SplitN(string(l[:len(l)-1]), " ", 4)
		if len(parts) != 4 {
			t.Fatalf("bad log line %q", l)
		}
		ts, err := time.Parse(time.RFC3339Nano, parts[0])
		if err != nil {
			t.Fatalf("bad timestamp in %q: %v", l, err)
		}
		if parts[2] != "P" && parts[2] != "F" {
			t.Fatalf("bad tag in %q", l)
		}
		lines = append(lines, logLine{ts, parts[1], parts[2] == "P", parts[3]})
	}
	return lines
}

func streamLines(lines []logLine, stream string) []logLine {
	var out []logLine
	for _, l := range lines {
		if l.stream == stream {
			out = append(out, l)
		}
	}
	return out
}

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx(t), d)
}

// wait returns the container's exit: from the shim, or from the exit file
// when the shim recorded it and exited before Wait could connect.
func (b *bundle) wait(t *testing.T, c *client) (*Exit, error) {
	t.Helper()
	exit, err := c.wait(ctx(t))
	if errdefs.IsNotFound(err) {
		return readExit(b.exitFile)
	}
	return exit, err
}
