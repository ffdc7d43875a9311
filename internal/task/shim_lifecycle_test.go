package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// TestLifecycleLogsAndExit: start → created → Start → CRI log lines of
// both streams, a long line split P…F, unterminated text flushed at EOF,
// then exit 3 recorded, the shim gone and nothing left behind.
func TestLifecycleLogsAndExit(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sh", "-c", `echo out; echo err >&2; head -c 20000 /dev/zero | tr '\0' a; echo; printf tail; exit 3`)
	started, c := b.start(t)

	st, err := c.state(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != api.StatusCreated || st.Pid != started.Pid || st.ShimPid != started.ShimPid {
		t.Fatalf("state after start = %+v, started = %+v", st, started)
	}
	if lines := readLog(t, b.logPath); len(lines) != 0 {
		t.Fatalf("created container logged before Start: %v", lines)
	}
	if st, err = c.start(ctx(t)); err != nil || st.Status != api.StatusRunning || st.StartedAt.IsZero() {
		t.Fatalf("Start = %+v, %v", st, err)
	}
	exit, err := b.wait(t, c)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if exit.ExitCode != 3 || exit.Reason != "Error" || exit.OOMKilled || exit.Signal != 0 || exit.StartedAt.IsZero() || exit.FinishedAt.Before(exit.StartedAt) {
		t.Errorf("exit = %+v", exit)
	}
	waitGone(t, started.ShimPid, 5*time.Second)
	b.assertCleanedUp(t)

	fromFile, err := readExit(b.exitFile)
	if err != nil || fromFile.ExitCode != 3 || fromFile.Reason != "Error" || fromFile.Pid != started.Pid {
		t.Errorf("exit file = %+v, %v", fromFile, err)
	}

	lines := readLog(t, b.logPath)
	if got := streamLines(lines, "stderr"); len(got) != 1 || got[0].text != "err" || got[0].partial {
		t.Errorf("stderr lines = %+v", got)
	}
	out := streamLines(lines, "stdout")
	want := []struct {
		partial bool
		text    string
	}{{false, "out"}, {true, strings.Repeat("a", 16384)}, {false, strings.Repeat("a", 20000-16384)}, {false, "tail"}}
	if len(out) != len(want) {
		t.Fatalf("stdout: %d lines, want %d: %+v", len(out), len(want), out)
	}
	for i, w := range want {
		if out[i].partial != w.partial || out[i].text != w.text {
			t.Errorf("stdout line %d = (P=%v, %d bytes %.20q), want (P=%v, %d bytes)", i, out[i].partial, len(out[i].text), out[i].text, w.partial, len(w.text))
		}
	}
}

// TestKill: SIGTERM reaches a trapping init; SIGKILL kills.
func TestKill(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		args     []string
		sig      syscall.Signal
		code     int
		signaled int
	}{
		{"SIGTERM trapped", []string{"sh", "-c", `trap "exit 143" TERM; echo ready; while :; do sleep 0.05; done`}, syscall.SIGTERM, 143, 0},
		{"SIGKILL", []string{"sleep", "1000"}, syscall.SIGKILL, 137, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, tc.args...)
			started, c := b.start(t)
			if _, err := c.start(ctx(t)); err != nil {
				t.Fatal(err)
			}
			if tc.sig == syscall.SIGTERM { // the trap must be set first
				waitFor(t, "ready", 5*time.Second, func() bool { return len(readLog(t, b.logPath)) > 0 })
			}
			if err := c.kill(ctx(t), tc.sig, false); err != nil {
				t.Fatal(err)
			}
			exit, err := b.wait(t, c)
			if err != nil {
				t.Fatal(err)
			}
			if exit.ExitCode != tc.code || exit.Signal != tc.signaled || exit.Reason != "Error" {
				t.Errorf("exit = %+v, want code %d signal %d", exit, tc.code, tc.signaled)
			}
			waitGone(t, started.ShimPid, 5*time.Second)
			b.assertCleanedUp(t)
			if err := c.kill(ctx(t), syscall.SIGKILL, false); !errors.Is(err, errdefs.ErrNotFound) {
				t.Errorf("Kill after exit: %v, want ErrNotFound", err)
			}
		})
	}
}

// TestShutdownCreated: a created, never started container is removed by
// Shutdown; Start on it afterwards finds no shim.
func TestShutdownCreated(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sleep", "1000")
	started, c := b.start(t)
	exit, err := c.shutdown(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if exit.ExitCode != 137 || !exit.StartedAt.IsZero() {
		t.Errorf("exit = %+v", exit)
	}
	waitGone(t, started.ShimPid, 5*time.Second)
	waitGone(t, started.Pid, time.Second)
	b.assertCleanedUp(t)
	if _, err := c.start(ctx(t)); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("Start after Shutdown: %v, want ErrNotFound", err)
	}
}

// TestShutdownRunningRefused and a second Start: state errors are
// FailedPrecondition.
func TestStateErrors(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sleep", "1000")
	_, c := b.start(t)
	if _, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"true"}}); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("ExecSync on created: %v, want FailedPrecondition", err)
	}
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.start(ctx(t)); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("second Start: %v, want FailedPrecondition", err)
	}
	if _, err := c.shutdown(ctx(t)); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("Shutdown of running: %v, want FailedPrecondition", err)
	}
	if err := c.kill(ctx(t), 0, false); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Kill(0): %v, want InvalidArgument", err)
	}
	if err := c.kill(ctx(t), syscall.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
	if _, err := b.wait(t, c); err != nil {
		t.Fatal(err)
	}
}

// TestStartFails: a program that does not exist fails the create with the
// reason, and leaves nothing behind.
func TestStartFails(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "/no/such/program")
	b.writeSpec(t)
	_, err := launch(ctx(t), shimBin, b.options())
	if err == nil || !strings.Contains(err.Error(), "no/such/program") {
		t.Fatalf("Start = %v, want an error naming the program", err)
	}
	b.assertCleanedUp(t)

	b.spec.Process = nil
	b.writeSpec(t)
	if _, err := launch(ctx(t), shimBin, b.options()); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Start without process: %v, want InvalidArgument", err)
	}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		// A systemd cgroup path on a host without systemd fails cleanly.
		b.spec = minimalSpec([]string{"true"}, "kubepods.slice:skiff:"+b.id)
		b.writeSpec(t)
		if _, err := launch(ctx(t), shimBin, b.options()); err == nil || !strings.Contains(strings.ToLower(err.Error()), "systemd") && !strings.Contains(err.Error(), "dbus") {
			t.Errorf("Start with a systemd cgroup path without systemd: %v, want an error about systemd", err)
		}
		b.assertCleanedUp(t)
	}
	opts := b.options()
	opts.Bundle = "relative"
	if _, err := launch(ctx(t), shimBin, opts); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Start with a relative bundle: %v, want InvalidArgument", err)
	}
}

// TestReopenLog: after the log file is renamed and reopened, new lines go
// to a new file at the old path.
func TestReopenLog(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sh", "-c", `i=0; while :; do echo line$i; i=$((i+1)); sleep 0.02; done`)
	_, c := b.start(t)
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first lines", 5*time.Second, func() bool { return len(readLog(t, b.logPath)) >= 2 })
	rotated := b.logPath + ".1"
	if err := os.Rename(b.logPath, rotated); err != nil {
		t.Fatal(err)
	}
	if err := c.reopenLog(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "lines in the new file", 5*time.Second, func() bool { return len(readLog(t, b.logPath)) >= 2 })
	old := readLog(t, rotated)
	fresh := readLog(t, b.logPath)
	n := func(l logLine) int { v, _ := strconv.Atoi(strings.TrimPrefix(l.text, "line")); return v }
	if n(fresh[0]) != n(old[len(old)-1])+1 {
		t.Errorf("old file ends with %q, new starts with %q: lines lost or repeated", old[len(old)-1].text, fresh[0].text)
	}
	if err := c.kill(ctx(t), syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	c.wait(ctx(t))
}

// TestShimKilledCleanup: the container outlives a SIGKILLed shim;
// Cleanup kills it and removes its cgroups and state.
func TestShimKilledCleanup(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sleep", "1000")
	started, c := b.start(t)
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(started.ShimPid, syscall.SIGKILL)
	waitGone(t, started.ShimPid, 5*time.Second)
	if !alive(started.Pid) {
		t.Fatal("the container died with its shim")
	}
	if _, err := c.state(ctx(t)); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("State with the shim dead: %v, want ErrNotFound", err)
	}
	if err := cleanup(ctx(t), b.stateRoot, b.id, b.cgroupPath); err != nil {
		t.Fatal(err)
	}
	waitGone(t, started.Pid, 5*time.Second)
	if left := b.cgroupDirs(); len(left) > 0 {
		t.Errorf("cgroups left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(b.stateRoot, b.id)); !os.IsNotExist(err) {
		t.Errorf("state dir left: %v", err)
	}
	if err := cleanup(ctx(t), b.stateRoot, b.id, b.cgroupPath); err != nil {
		t.Errorf("second Cleanup: %v", err)
	}
}

// helperEnv makes the test binary a starter: it starts a shim with the
// options in the variable, prints the result and sleeps until killed.
const helperEnv = "SKIFF_SHIMTEST_STARTER"

func starterHelper() int {
	var opts api.Options
	if err := json.Unmarshal([]byte(os.Getenv(helperEnv)), &opts); err != nil {
		fmt.Println(err)
		return 1
	}
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := launch(c, os.Getenv("SKIFF_SHIMTEST_BIN"), opts)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(st)
	os.Stdout.Close()
	time.Sleep(time.Hour)
	return 0
}

// TestSurvivesStarter: a shim started from a process that is then killed
// (skiffd under kill -9) keeps its container and keeps serving, and is
// not that process's child.
func TestSurvivesStarter(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sleep", "1000")
	b.writeSpec(t)
	optsJSON, _ := json.Marshal(b.options())
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), helperEnv+"="+string(optsJSON), "SKIFF_SHIMTEST_BIN="+shimBin)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	var started started
	if err := json.NewDecoder(out).Decode(&started); err != nil {
		helper.Process.Kill()
		helper.Wait()
		t.Fatalf("helper: %v\nshim log: %s", err, b.shimLog())
	}
	t.Cleanup(func() { b.forceCleanup(t, started.ShimPid) })
	if ppid := parentOf(t, started.ShimPid); ppid == helper.Process.Pid {
		t.Errorf("the shim is a child of its starter")
	}
	helper.Process.Signal(syscall.SIGKILL)
	helper.Wait()

	c := dial(b.socket)
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	res, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"echo", "alive"}})
	if err != nil || string(res.Stdout) != "alive\n" {
		t.Fatalf("ExecSync = %+v, %v", res, err)
	}
	if !alive(started.Pid) {
		t.Error("container died")
	}
	cg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", started.ShimPid))
	for _, l := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
		if !strings.HasSuffix(l, ":"+shimCgroup) {
			t.Errorf("shim cgroup line %q: not in %s", l, shimCgroup)
		}
	}
	// ps, top and pgrep know it by its name.
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", started.ShimPid)); string(comm) != "skiff-shim\n" {
		t.Errorf("shim comm %q, want skiff-shim", comm)
	}
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", started.ShimPid)); !strings.HasPrefix(string(cmdline), "skiff-shim\x00run\x00") {
		t.Errorf("shim cmdline %q", cmdline)
	}
	if out, err := exec.Command("pgrep", "-x", "skiff-shim").Output(); err != nil || !slices.Contains(strings.Fields(string(out)), fmt.Sprint(started.ShimPid)) {
		t.Errorf("pgrep -x skiff-shim: %q, %v; want it to find %d", out, err, started.ShimPid)
	}
	if sid := sessionOf(t, started.ShimPid); sid != started.ShimPid {
		t.Errorf("shim session = %d, want its own (%d)", sid, started.ShimPid)
	}
	c.kill(ctx(t), syscall.SIGKILL, false)
	if _, err := b.wait(t, c); err != nil {
		t.Fatal(err)
	}
	waitGone(t, started.ShimPid, 5*time.Second)
	b.assertCleanedUp(t)
}

// statField returns field n (1-based, as in proc(5)) of /proc/pid/stat.
func statField(t *testing.T, pid, n int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(after) // starts at field 3
	v, _ := strconv.Atoi(f[n-3])
	return v
}

func parentOf(t *testing.T, pid int) int  { return statField(t, pid, 4) }
func sessionOf(t *testing.T, pid int) int { return statField(t, pid, 6) }

// TestOOMScoreAdjClamped: an oom_score_adj below the shim's own (which
// root without CAP_SYS_RESOURCE cannot set) is raised to the shim's.
func TestOOMScoreAdjClamped(t *testing.T) {
	t.Parallel()
	own, _ := os.ReadFile("/proc/self/oom_score_adj")
	b := newBundle(t, "sleep", "1000")
	low := -999
	b.spec.Process.OOMScoreAdj = &low
	_, c := runningShimFrom(t, b)
	res, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"cat", "/proc/1/oom_score_adj"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Stdout) != string(own) {
		t.Errorf("container oom_score_adj = %q, want the shim's %q", res.Stdout, own)
	}
	if !strings.Contains(b.shimLog(), "clamped") {
		t.Errorf("no log of the clamp: %s", b.shimLog())
	}
}

// TestStartAbandoned: when the caller's ctx ends during Start, whatever
// got created is removed, at whatever point the starter was killed.
func TestStartAbandoned(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{5 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond, 40 * time.Millisecond, 50 * time.Millisecond, 60 * time.Millisecond, 80 * time.Millisecond} {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, "sleep", "1000")
			b.writeSpec(t)
			c, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			st, err := launch(c, shimBin, b.options())
			if err == nil {
				t.Logf("started before the deadline")
				t.Cleanup(func() { b.forceCleanup(t, st.ShimPid) })
				return
			}
			if !errors.Is(err, errdefs.ErrDeadlineExceeded) {
				t.Fatalf("Start = %v, want DeadlineExceeded", err)
			}
			waitFor(t, "the shim to go", 10*time.Second, func() bool { return len(processesOf(b.id)) == 0 })
			b.assertCleanedUp(t)
		})
	}
}

// processesOf returns the live processes whose command line names id,
// reaping those that are zombie children of the test.
func processesOf(id string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if !strings.Contains(string(cmdline), "\x00"+id+"\x00") {
			continue
		}
		if !alive(pid) {
			syscall.Wait4(pid, nil, syscall.WNOHANG, nil)
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// TestStdin: with Stdin the process gets a pipe the shim holds open (cat
// waits on it); without, /dev/null (cat ends at once).
func TestStdin(t *testing.T) {
	t.Parallel()
	for _, open := range []bool{true, false} {
		t.Run(fmt.Sprintf("stdin=%v", open), func(t *testing.T) {
			t.Parallel()
			b := newBundle(t, "cat")
			b.writeSpec(t)
			opts := b.options()
			opts.Stdin = open
			started, err := launch(ctx(t), shimBin, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.forceCleanup(t, started.ShimPid) })
			c := dial(b.socket)
			if _, err := c.start(ctx(t)); err != nil {
				t.Fatal(err)
			}
			wait, cancel := contextWithTimeout(t, 500*time.Millisecond)
			defer cancel()
			exit, err := c.wait(wait)
			if open {
				if !errors.Is(err, errdefs.ErrDeadlineExceeded) {
					t.Errorf("Wait = %+v, %v; want cat still running", exit, err)
				}
				c.kill(ctx(t), syscall.SIGKILL, false)
				return
			}
			if err != nil || exit.ExitCode != 0 {
				t.Errorf("Wait = %+v, %v; want cat done with 0", exit, err)
			}
		})
	}
}
