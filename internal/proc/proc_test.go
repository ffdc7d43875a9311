package proc

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestParseStat(t *testing.T) {
	tail := " 1 1 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 %s 1000 10 18446744073709551615"
	for _, tc := range []struct {
		name, stat string
		start      uint64
		state      byte
		bad        bool
	}{
		{"plain", "42 (pause) S" + strings.Replace(tail, "%s", "123456", 1), 123456, 'S', false},
		{"comm with spaces and parens", "42 (a) b (c)) Z" + strings.Replace(tail, "%s", "7", 1), 7, 'Z', false},
		{"no comm", "42 pause S 1 1", 0, 0, true},
		{"short", "42 (pause) S 1 1 1", 0, 0, true},
		{"start time not a number", "42 (pause) S" + strings.Replace(tail, "%s", "x", 1), 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start, state, err := parseStat([]byte(tc.stat))
			if tc.bad {
				if err == nil {
					t.Fatalf("parseStat(%q) = %d, %c; want an error", tc.stat, start, state)
				}
				return
			}
			if err != nil || start != tc.start || state != tc.state {
				t.Fatalf("parseStat(%q) = %d, %c, %v; want %d, %c", tc.stat, start, state, err, tc.start, tc.state)
			}
		})
	}
}

// startChild starts a child running args and returns its ID.
func startChild(t *testing.T, args ...string) (ID, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); unix.Wait4(cmd.Process.Pid, nil, unix.WNOHANG, nil) })
	start, _, err := Stat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return ID{cmd.Process.Pid, start}, cmd
}

func waitDone(t *testing.T, h *Handle) {
	t.Helper()
	select {
	case <-h.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("Done not closed 5s after the process should have exited")
	}
}

// TestHandleReapsChild: the exit of a child is seen and the child reaped,
// so that it does not stay a zombie.
func TestHandleReapsChild(t *testing.T) {
	id, _ := startChild(t, "sleep", "0.2")
	h, err := Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.Exited() || !id.Alive() {
		t.Fatalf("a running process counts as exited")
	}
	waitDone(t, h)
	if _, err := unix.Wait4(id.PID, nil, unix.WNOHANG, nil); err != unix.ECHILD {
		t.Errorf("child %d not reaped once Done: wait4 = %v", id.PID, err)
	}
	if id.Alive() {
		t.Errorf("an exited process is alive")
	}
	if _, err := Open(id); !errdefs.IsNotFound(err) {
		t.Errorf("Open of an exited, reaped process = %v, want not found", err)
	}
}

// TestHandleReapsZombie opens a handle on a child that has exited
// already: it is reaped.
func TestHandleReapsZombie(t *testing.T) {
	id, _ := startChild(t, "true")
	waitFor(t, func() bool { _, st, _ := Stat(id.PID); return st == 'Z' })
	if id.Alive() {
		t.Error("a zombie is alive")
	}
	h, err := Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	waitDone(t, h)
	if _, err := unix.Wait4(id.PID, nil, unix.WNOHANG, nil); err != unix.ECHILD {
		t.Errorf("zombie %d not reaped once Done: wait4 = %v", id.PID, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

// TestHandleNotChild watches a process this test did not start (an
// orphan re-parented to init): its exit is seen all the same.
func TestHandleNotChild(t *testing.T) {
	out, err := exec.Command("sh", "-c", "sleep 0.3 >/dev/null 2>&1 & echo $!").Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	start, _, err := Stat(pid)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Open(ID{pid, start})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	waitDone(t, h)
}

func TestOpenRefusesAnotherProcess(t *testing.T) {
	id, _ := startChild(t, "sleep", "10")
	if _, err := Open(ID{id.PID, id.StartTime + 1}); !errdefs.IsNotFound(err) {
		t.Errorf("Open with another start time = %v, want not found", err)
	}
	if (ID{id.PID, id.StartTime + 1}).Alive() {
		t.Errorf("a pid with another start time is alive")
	}
	if _, err := Open(ID{}); !errdefs.IsNotFound(err) {
		t.Errorf("Open of pid 0 = %v, want not found", err)
	}
}

func TestTableKill(t *testing.T) {
	id, cmd := startChild(t, "sleep", "100")
	var tab Table
	if err := tab.Watch("pod", id); err != nil {
		t.Fatal(err)
	}
	if !tab.Alive("pod", id) {
		t.Fatal("a running process is not alive")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tab.Kill(ctx, "pod", id); err != nil {
		t.Fatal(err)
	}
	if tab.Alive("pod", id) {
		t.Error("alive after Kill")
	}
	if err := tab.Kill(ctx, "pod", id); err != nil {
		t.Errorf("Kill of a killed process: %v", err)
	}
	// The handle reaped it: os/exec's Wait finds no child.
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "no child") {
		t.Errorf("Wait after the handle reaped the child = %v, want ECHILD", err)
	}
	tab.Forget("pod")
	if tab.Alive("pod", id) {
		t.Error("alive after Forget")
	}
	if err := tab.Watch("pod", id); !errdefs.IsNotFound(err) {
		t.Errorf("Watch of an exited process = %v, want not found", err)
	}
}

func TestTableKeyReused(t *testing.T) {
	old, _ := startChild(t, "sleep", "100")
	cur, _ := startChild(t, "sleep", "100")
	var tab Table
	if !tab.Alive("pod", old) || !tab.Alive("pod", cur) {
		t.Fatal("running processes are not alive")
	}
	h, _ := tab.handle("pod", cur)
	if h.ID() != cur {
		t.Errorf("key holds %v, want the latest process %v", h.ID(), cur)
	}
}
