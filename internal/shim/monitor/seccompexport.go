package monitor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/seccomp"
	"golang.org/x/sys/unix"
)

// SeccompExportVerb is the shim's hidden verb that loads a seccomp
// config through libcontainer and traps, for its parent to read the
// program back (exportSeccomp). Its main goroutine must be locked to the
// main thread from init on, so that the filter is on the thread the
// parent traces.
const SeccompExportVerb = "seccomp-export"

// exportTimeout bounds an export; a profile could make the child hang.
const exportTimeout = 10 * time.Second

// ptraceSeccompGetFilter is PTRACE_SECCOMP_GET_FILTER.
const ptraceSeccompGetFilter = 0x420c

// SeccompExport is the export verb: it reads a libcontainer seccomp
// config as JSON from r, loads it with libcontainer's InitSeccomp, as
// its setns init would, and stops at a breakpoint: a trap, not a
// system call, which the filter could forbid (tgkill is not in every
// profile). It returns only on failure; its tracing parent kills it once
// it has read the filter.
func SeccompExport(r io.Reader) error {
	var sc configs.Seccomp
	if err := json.NewDecoder(r).Decode(&sc); err != nil {
		return fmt.Errorf("seccomp export: config: %w", err)
	}
	if unix.Getpid() != unix.Gettid() {
		return errors.New("seccomp export: not on the main thread")
	}
	if _, err := seccomp.InitSeccomp(&sc); err != nil {
		return fmt.Errorf("seccomp export: %w", err)
	}
	runtime.Breakpoint() // SIGTRAP: the tracer's stop
	return errors.New("seccomp export: not traced")
}

// exportSeccomp returns the program libcontainer loads for sc: it runs
// "self seccomp-export" as a traced child, lets it load sc and stop, and
// reads its newest filter with PTRACE_SECCOMP_GET_FILTER at its trap. The child is
// killed and reaped on every path.
func exportSeccomp(self string, sc *configs.Seccomp) ([]byte, error) {
	js, err := json.Marshal(sc)
	if err != nil {
		return nil, fmt.Errorf("seccomp export: %w", err)
	}
	// ptrace requests must come from the thread that is the tracer: the
	// one that started the child.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	c, err := startExportChild(self, js)
	if err != nil {
		return nil, err
	}
	defer c.close()
	if err := c.runToStop(); err != nil {
		return nil, err
	}
	n, err := ptraceGetFilter(c.pid, nil)
	if err != nil {
		return nil, fmt.Errorf("seccomp export: PTRACE_SECCOMP_GET_FILTER: %w", err)
	}
	if n <= 0 || n > bpfMaxInsns {
		return nil, fmt.Errorf("seccomp export: filter of %d instructions", n)
	}
	prog := make([]byte, n*bpfInsnSize)
	if m, err := ptraceGetFilter(c.pid, prog); err != nil || m != n {
		return nil, fmt.Errorf("seccomp export: PTRACE_SECCOMP_GET_FILTER: %d of %d instructions: %v", m, n, err)
	}
	return prog, nil
}

// exportChild is a traced "seccomp-export" child.
type exportChild struct {
	p      *os.Process
	pid    int
	reaped bool
	stderr *os.File // the read end of its stderr
	timer  *time.Timer
}

// startExportChild starts self's export verb, traced, with config js on
// its stdin. The caller has locked its OS thread.
func startExportChild(self string, js []byte) (*exportChild, error) {
	stdin, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("seccomp export: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		stdin.Close()
		inW.Close()
		return nil, fmt.Errorf("seccomp export: %w", err)
	}
	p, err := os.StartProcess(self, []string{self, SeccompExportVerb}, &os.ProcAttr{
		Files: []*os.File{stdin, errW, errW},
		Env:   []string{"GOMAXPROCS=1"},
		// Pdeathsig: the child goes with this thread if the helper dies.
		Sys: &syscall.SysProcAttr{Ptrace: true, Pdeathsig: syscall.SIGKILL},
	})
	stdin.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		errR.Close()
		return nil, fmt.Errorf("seccomp export: %w", err)
	}
	go func() { // the child reads it once it runs; a dead one gets EPIPE
		_, _ = inW.Write(js)
		inW.Close()
	}()
	c := &exportChild{p: p, pid: p.Pid, stderr: errR}
	c.timer = time.AfterFunc(exportTimeout, func() { _ = p.Kill() }) // a pidfd: never another process
	return c, nil
}

// runToStop continues the child past its exec (its first SIGTRAP) and
// its other signals until its breakpoint (the second), where it has
// loaded the filter.
func (c *exportChild) runToStop() error {
	ws, err := c.wait()
	if err != nil {
		return err
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		return c.failed(ws)
	}
	sig := 0
	for {
		if err := unix.PtraceCont(c.pid, sig); err != nil {
			return fmt.Errorf("seccomp export: PTRACE_CONT: %w", err)
		}
		if ws, err = c.wait(); err != nil {
			return err
		}
		if !ws.Stopped() {
			return c.failed(ws)
		}
		if ws.StopSignal() == unix.SIGTRAP {
			return nil
		}
		sig = int(ws.StopSignal()) // delivered on the next continue
	}
}

// wait waits for the child's next stop or its end.
func (c *exportChild) wait() (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.pid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return ws, fmt.Errorf("seccomp export: wait: %w", err)
		}
		if ws.Exited() || ws.Signaled() {
			c.reaped = true
		}
		return ws, nil
	}
}

// failed is the error of a child that ended or stopped unexpectedly,
// with what it wrote on stderr.
func (c *exportChild) failed(ws unix.WaitStatus) error {
	c.kill()
	msg, _ := io.ReadAll(io.LimitReader(c.stderr, 4096))
	return fmt.Errorf("seccomp export: child %s: %s", describeWait(ws), strings.TrimSpace(string(bytes.ToValidUTF8(msg, nil))))
}

func describeWait(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		return "killed by " + ws.Signal().String()
	case ws.Stopped():
		return "stopped by " + ws.StopSignal().String()
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// kill kills the child and reaps it; the timer has no more to do.
func (c *exportChild) kill() {
	c.timer.Stop()
	if c.reaped { // its pid may be another process's by now
		return
	}
	_ = c.p.Kill()
	for !c.reaped {
		if _, err := c.wait(); err != nil {
			return
		}
	}
}

// close kills and reaps the child if it still lives, and frees the rest.
func (c *exportChild) close() {
	c.kill()
	c.stderr.Close()
	_ = c.p.Release()
}

// ptraceGetFilter reads the newest seccomp filter of the stopped tracee
// pid into buf, or with an empty buf returns its length in instructions.
func ptraceGetFilter(pid int, buf []byte) (int, error) {
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	n, _, errno := unix.Syscall6(unix.SYS_PTRACE, ptraceSeccompGetFilter, uintptr(pid), 0, uintptr(p), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
