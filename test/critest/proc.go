package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// child is a process the runner started in its own process group, so that
// stopping it also stops whatever it started (critest's parallel mode runs
// the ginkgo CLI, which runs one critest node per process).
//
// A child is used by one goroutine; done is closed once Wait has returned
// and err is set before that.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result; read only after done is closed
}

// startChild starts cmd in a new process group and reaps it in the
// background.
func startChild(name string, cmd *exec.Cmd) (*child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// exited reports whether the child has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the child's process group and waits up to grace
// for the child to exit, then sends SIGKILL to the group. It returns the
// child's exit error, nil if it exited cleanly on SIGTERM.
func (c *child) stop(grace time.Duration) error {
	if c.exited() {
		return c.err
	}
	pgid := c.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-c.done:
		return termErr(c.err)
	case <-time.After(grace):
	}
	fmt.Fprintf(os.Stderr, "critest: %s did not exit %s after SIGTERM; killing it\n", c.name, grace)
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-c.done
	return fmt.Errorf("%s killed after ignoring SIGTERM for %s", c.name, grace)
}

// termErr drops the error that only says the process died of the SIGTERM
// it was sent.
func termErr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil
		}
	}
	return err
}

// tail returns up to the last n lines of the file at path, for error
// messages that point at a log.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	end := len(b)
	for end > 0 && b[end-1] == '\n' {
		end--
	}
	start := end
	for lines := 0; start > 0; start-- {
		if b[start-1] == '\n' {
			lines++
			if lines == n {
				break
			}
		}
	}
	return string(b[start:end])
}
