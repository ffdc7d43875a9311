package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// program is a pause program under test.
type program struct {
	path string
	// waiting reports whether the program, started as pid, takes its
	// signals: until then a SIGTERM to pid 1 of a PID namespace is
	// dropped.
	waiting func(pid int) bool
}

// pausePrograms builds both skiff-pause programs: the C one (../pause.c,
// where its x86-64 stubs apply; the Makefile adds size-only flags) and
// this Go fallback.
func pausePrograms(t *testing.T) map[string]program {
	t.Helper()
	dir := t.TempDir()
	progs := map[string]program{}
	goBin := filepath.Join(dir, "pause-go")
	if out, err := exec.Command("go", "build", "-o", goBin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	progs["go"] = program{goBin, func(pid int) bool {
		// Its runtime catches every signal from the start; signal.Notify
		// comes a moment later and cannot be seen from outside.
		if sigMask(pid, "SigCgt")&pauseSignals != pauseSignals {
			return false
		}
		time.Sleep(100 * time.Millisecond)
		return true
	}}
	if runtime.GOARCH != "amd64" {
		t.Logf("no C pause on %s: its system call stubs are x86-64's", runtime.GOARCH)
		return progs
	}
	cBin := filepath.Join(dir, "pause-c")
	cc := exec.Command("cc", "-static", "-nostdlib", "-Os", "-Wall", "-Werror", "-fno-stack-protector",
		`-DVERSION="test"`, "-o", cBin, "../pause.c")
	if out, err := cc.CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	progs["c"] = program{cBin, func(pid int) bool {
		// In rt_sigtimedwait (128 on x86-64), its signals blocked.
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/syscall")
		return strings.HasPrefix(string(b), "128 ")
	}}
	return progs
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: a new PID namespace")
	}
}

// startInPIDNS starts prog as pid 1 of a new PID namespace and waits
// until it takes its signals.
func startInPIDNS(t *testing.T, prog program) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(prog.path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, "the pause to take its signals", func() bool { return prog.waiting(cmd.Process.Pid) })
	return cmd
}

// pauseSignals are SIGINT, SIGTERM and SIGCHLD as a /proc status mask.
const pauseSignals = 1<<(syscall.SIGINT-1) | 1<<(syscall.SIGTERM-1) | 1<<(syscall.SIGCHLD-1)

// sigMask reads a signal mask (SigBlk, SigCgt…) of pid from /proc.
func sigMask(pid int, field string) uint64 {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			m, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return m
		}
	}
	return 0
}

func TestPauseExitsZeroOnSignal(t *testing.T) {
	needRoot(t)
	for name, prog := range pausePrograms(t) {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			t.Run(name+"/"+sig.String(), func(t *testing.T) {
				cmd := startInPIDNS(t, prog)
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				if err := waitExit(cmd, 5*time.Second); err != nil {
					t.Fatalf("pause after %v: %v, want exit 0", sig, err)
				}
			})
		}
	}
}

// TestPauseReapsOrphans makes three orphans in the pause's PID namespace
// (a shell started there exits and leaves its children, their output
// away from nsenter's so that it returns at once): they are re-parented
// to the pause, which must reap them when they exit.
func TestPauseReapsOrphans(t *testing.T) {
	needRoot(t)
	for name, prog := range pausePrograms(t) {
		t.Run(name, func(t *testing.T) {
			cmd := startInPIDNS(t, prog)
			pid := strconv.Itoa(cmd.Process.Pid)
			sh := exec.Command("nsenter", "--target", pid, "--pid", "--", "/bin/sh", "-c",
				"exec >/dev/null 2>&1; sleep 1 & sleep 1 & sleep 1 & exit 0")
			if out, err := sh.CombinedOutput(); err != nil {
				t.Fatalf("nsenter: %v\n%s", err, out)
			}
			if n := len(children(pid)); n != 3 {
				t.Fatalf("pause has %d children right after the shell exited, want its 3 orphans", n)
			}
			waitFor(t, "the orphans to be reaped", func() bool { return len(children(pid)) == 0 })
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := waitExit(cmd, 5*time.Second); err != nil {
				t.Fatalf("pause after SIGTERM: %v, want exit 0", err)
			}
		})
	}
}

func TestPauseVersion(t *testing.T) {
	for name, prog := range pausePrograms(t) {
		t.Run(name, func(t *testing.T) {
			for _, arg := range []string{"-v", "--version"} {
				out, err := exec.Command(prog.path, arg).Output()
				if err != nil || !bytes.HasPrefix(out, []byte("skiff-pause ")) {
					t.Errorf("%s %s = %q, %v", name, arg, out, err)
				}
			}
		})
	}
}

// children lists pid's children, zombies included: a zombie stays until
// its parent reaps it.
func children(pid string) []string {
	b, _ := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
	return strings.Fields(string(b))
}

func waitExit(cmd *exec.Cmd, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return os.ErrDeadlineExceeded
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
