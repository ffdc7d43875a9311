package monitor

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestParentOf(t *testing.T) {
	for _, tc := range []struct {
		stat string
		ppid int
		ok   bool
	}{
		{"42 (criu) S 7 42 42 0 -1", 7, true},
		{"42 (a) b) (c) R 9 1 1", 9, true},
		{"42 (criu)", 0, false},
		{"no comm", 0, false},
	} {
		if ppid, ok := parentOf([]byte(tc.stat)); ppid != tc.ppid || ok != tc.ok {
			t.Errorf("parentOf(%q) = %d, %v; want %d, %v", tc.stat, ppid, ok, tc.ppid, tc.ok)
		}
	}
}

// TestKillChildrenByBinary kills the children running one binary and
// leaves a child running another alone.
func TestKillChildrenByBinary(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	target := exec.Command(sleep, "100")
	other := exec.Command("sh", "-c", "sleep 100; :") // sh stays, its child sleeps
	other.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	for _, c := range []*exec.Cmd{target, other} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- target.Wait() }()
	// Reap what the test started: other tests in this package check
	// that the test binary has no child left.
	t.Cleanup(func() {
		syscall.Kill(-other.Process.Pid, syscall.SIGKILL)
		other.Wait()
		target.Process.Kill()
		<-done
	})

	killChildren(sleep)
	select {
	case err := <-done:
		done <- err
		if err == nil {
			t.Fatal("the sleep child ended by itself; want killed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child running the binary was not killed")
	}
	// Had sh been killed, its sleep would have gone to another parent.
	if got := children(other.Process.Pid); len(got) != 1 {
		t.Errorf("sh's children = %v; want its sleep: sh and its grandchild untouched", got)
	}
}
