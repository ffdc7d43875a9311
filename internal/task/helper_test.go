package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/proc"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// detachedRunner returns a Runner for b's container created by the
// helper verbs: its bundle is written under a Runner dir of its own, its
// rootfs is b's. The test's cleanup kills and reaps whatever is left.
func (b *bundle) detachedRunner(t *testing.T) *Runner {
	t.Helper()
	dir := t.TempDir()
	b.spec.Root.Path = filepath.Join(b.dir, "rootfs")
	r := &Runner{ShimBinary: shimBin, Dir: filepath.Join(dir, "tasks"), SocketDir: filepath.Join(dir, "sockets"), StateRoot: b.stateRoot}
	t.Cleanup(func() {
		if p, err := r.InitProcess(b.id); err == nil {
			unix.Kill(p.PID, unix.SIGKILL)
			waitGone(t, p.PID, 5*time.Second)
		}
		if err := cleanup(ctx(t), b.stateRoot, b.id, b.cgroupPath); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return r
}

// ppid returns the parent of pid.
func ppid(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(b), ") ")
	n, _ := strconv.Atoi(strings.Fields(after)[1])
	return n
}

// TestCreateDetached runs a container without a monitor: the helper
// exits at once, the container's init runs, re-parented to the test (its
// subreaper), with its stdio on /dev/null; DeleteDetached kills it and
// removes everything, twice over.
func TestCreateDetached(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	r := b.detachedRunner(t)
	id, err := r.CreateDetached(ctx(t), b.id, b.spec)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Alive() {
		t.Fatalf("init %v is not running", id)
	}
	if start, _, err := proc.Stat(id.PID); err != nil || start != id.StartTime {
		t.Errorf("init start time %d, %v; the helper said %d", start, err, id.StartTime)
	}
	if rec, err := r.InitProcess(b.id); err != nil || rec != id {
		t.Errorf("InitProcess = %v, %v; want %v", rec, err, id)
	}
	if p := ppid(t, id.PID); p != os.Getpid() {
		t.Errorf("init's parent is %d, want the test (%d), its subreaper", p, os.Getpid())
	}
	for fd := range 3 {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", id.PID, fd)); l != "/dev/null" {
			t.Errorf("init fd %d is %q, want /dev/null", fd, l)
		}
	}
	// Started: it execs its program right after the helper's Exec returns.
	waitFor(t, "the init to run sleep", 5*time.Second, func() bool {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", id.PID))
		return string(comm) == "sleep\n"
	})
	if err := r.DeleteDetached(ctx(t), b.id, b.cgroupPath); err != nil {
		t.Fatal(err)
	}
	waitGone(t, id.PID, 5*time.Second)
	b.assertCleanedUp(t)
	if _, err := os.Stat(r.dir(b.id)); !os.IsNotExist(err) {
		t.Errorf("task dir left (stat: %v)", err)
	}
	if _, err := r.InitProcess(b.id); !errdefs.IsNotFound(err) {
		t.Errorf("InitProcess of a deleted task = %v, want not found", err)
	}
	if err := r.DeleteDetached(ctx(t), b.id, b.cgroupPath); err != nil {
		t.Errorf("DeleteDetached of a deleted task: %v", err)
	}
}

// TestHelperCreateThenStart creates without --detached, then starts the
// container the way a caller without libcontainer would: by reading the
// exec fifo that the reply names.
func TestHelperCreateThenStart(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	r := b.detachedRunner(t)
	if err := r.writeBundle(b.id, b.spec); err != nil {
		t.Fatal(err)
	}
	rep, err := r.helper(ctx(t), api.HelperOptions{Verb: api.VerbCreate, ID: b.id, StateRoot: b.stateRoot, Bundle: r.dir(b.id)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != api.StatusCreated || rep.ExecFifo == "" || rep.Pid <= 0 || len(rep.CgroupPaths) == 0 {
		t.Fatalf("create reply %+v: want a created container, its fifo, pid and cgroups", rep)
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", rep.Pid)); string(comm) == "sleep\n" {
		t.Fatal("a created container runs its program before it is started")
	}
	f, err := os.Open(rep.ExecFifo)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(f); err != nil || len(b) == 0 {
		t.Fatalf("exec fifo gave %q, %v", b, err)
	}
	f.Close()
	waitFor(t, "the started container to run sleep", 5*time.Second, func() bool {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", rep.Pid))
		return string(comm) == "sleep\n"
	})
	kill := api.HelperOptions{Verb: api.VerbKill, ID: b.id, StateRoot: b.stateRoot, Signal: int(unix.SIGKILL)}
	if _, err := r.helper(ctx(t), kill); err != nil {
		t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(rep.Pid, &ws, 0, nil); err != nil || ws.Signal() != unix.SIGKILL {
		t.Fatalf("init after kill: %v, %v; want killed by SIGKILL", ws, err)
	}
	if _, err := r.helper(ctx(t), kill); !errdefs.IsNotFound(err) {
		t.Errorf("kill of an exited container = %v, want not found", err)
	}
	del := api.HelperOptions{Verb: api.VerbDelete, ID: b.id, StateRoot: b.stateRoot}
	if rep, err := r.helper(ctx(t), del); err != nil || rep.Status != api.StatusStopped {
		t.Fatalf("delete of a stopped container = %+v, %v", rep, err)
	}
	b.assertCleanedUp(t)
	if _, err := r.helper(ctx(t), del); !errdefs.IsNotFound(err) {
		t.Errorf("delete of a deleted container = %v, want not found", err)
	}
}

// TestHelperKill signals a container's init, and with --all every process
// of it: an init that is pid 1 of its namespace and has no handler
// ignores SIGTERM, its children do not.
func TestHelperKill(t *testing.T) {
	b := newBundle(t, "sh", "-c", "sleep 100 & sleep 100 & wait; exit 7")
	r := b.detachedRunner(t)
	id, err := r.CreateDetached(ctx(t), b.id, b.spec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two children", 5*time.Second, func() bool {
		kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", id.PID, id.PID))
		return len(strings.Fields(string(kids))) == 2
	})
	term := api.HelperOptions{Verb: api.VerbKill, ID: b.id, StateRoot: b.stateRoot, Signal: int(unix.SIGTERM)}
	rep, err := r.helper(ctx(t), term)
	if err != nil || rep.Status != api.StatusRunning || rep.Pid != id.PID {
		t.Fatalf("kill = %+v, %v", rep, err)
	}
	time.Sleep(200 * time.Millisecond)
	if !id.Alive() {
		t.Fatal("pid 1 without a handler died of SIGTERM")
	}
	term.All = true
	if _, err := r.helper(ctx(t), term); err != nil {
		t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(id.PID, &ws, 0, nil); err != nil || ws.ExitStatus() != 7 {
		t.Fatalf("init after kill --all: %v, %v; want exit 7 once its children died", ws, err)
	}
}

// TestHelperDeleteRunning: delete refuses a running container unless
// forced.
func TestHelperDeleteRunning(t *testing.T) {
	b := newBundle(t, "sleep", "100")
	r := b.detachedRunner(t)
	id, err := r.CreateDetached(ctx(t), b.id, b.spec)
	if err != nil {
		t.Fatal(err)
	}
	del := api.HelperOptions{Verb: api.VerbDelete, ID: b.id, StateRoot: b.stateRoot}
	if _, err := r.helper(ctx(t), del); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Fatalf("delete of a running container = %v, want failed precondition", err)
	}
	if !id.Alive() {
		t.Fatal("a refused delete killed the container")
	}
	del.Force = true
	if _, err := r.helper(ctx(t), del); err != nil {
		t.Fatal(err)
	}
	waitGone(t, id.PID, 5*time.Second)
	b.assertCleanedUp(t)
}

// TestHelperCreateFails: a container whose program cannot start leaves
// nothing: no state, no cgroup, no process.
func TestHelperCreateFails(t *testing.T) {
	b := newBundle(t, "/no/such/program")
	r := b.detachedRunner(t)
	if _, err := r.CreateDetached(ctx(t), b.id, b.spec); err == nil {
		t.Fatal("CreateDetached of a missing program succeeded")
	}
	b.assertCleanedUp(t)
}

// TestHelperCommandLine: a bad command line is exit status 2 with a
// coded reply.
func TestHelperCommandLine(t *testing.T) {
	requireKernel(t)
	for _, args := range [][]string{
		{"create", "--id", "x", "--state-root", "relative", "--bundle", "/b"},
		{"create", "--id", "../x", "--state-root", "/s", "--bundle", "/b"},
		{"kill", "--id", "x", "--state-root", "/s", "--signal", "99"},
		{"delete", "--id", "x", "--state-root", "/s", "--bundle", "/b"},
		{"delete", "--id", "x", "--state-root", "/s", "extra"},
	} {
		out, err := exec.Command(shimBin, args...).Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2", args, err)
		}
		var rep api.Reply
		if json.Unmarshal(out, &rep) != nil || rep.Error == nil || rep.Error.Code != api.CodeInvalidArgument {
			t.Errorf("%v: reply %q, want an invalid_argument error", args, out)
		}
	}
}
