package monitor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// newFifo makes a fifo in a temp dir, as libcontainer's exec fifo.
func newFifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "exec.fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// initWrites plays the created init: it opens the fifo for writing
// (blocking until the shim opens it) and writes one byte.
func initWrites(t *testing.T, path string) chan error {
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.Write([]byte("0"))
			f.Close()
		}
		done <- err
	}()
	return done
}

func TestAwaitExecFifoStarts(t *testing.T) {
	path := newFifo(t)
	wrote := initWrites(t, path)
	if err := awaitExecFifo(path, make(chan struct{})); err != nil {
		t.Fatalf("awaitExecFifo = %v", err)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("the init's write: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the fifo is still there after the start (%v)", err)
	}
}

func TestAwaitExecFifoStartedThenExited(t *testing.T) {
	path := newFifo(t)
	exited := make(chan struct{})
	wrote := initWrites(t, path)
	go func() { <-wrote; close(exited) }()
	if err := awaitExecFifo(path, exited); err != nil {
		t.Fatalf("awaitExecFifo = %v, want the start seen although the init exited", err)
	}
}

func TestAwaitExecFifoInitGone(t *testing.T) {
	path := newFifo(t)
	exited := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(exited) })
	begin := time.Now()
	err := awaitExecFifo(path, exited)
	if err == nil {
		t.Fatal("awaitExecFifo succeeded without a writer")
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("awaitExecFifo took %v to see the init gone", d)
	}
}

func TestAwaitExecFifoStartedAlready(t *testing.T) {
	err := awaitExecFifo(filepath.Join(t.TempDir(), "exec.fifo"), make(chan struct{}))
	if e := api.AsError(err); e == nil || e.Code != api.CodeFailedPrecondition {
		t.Errorf("awaitExecFifo without a fifo = %v, want failed_precondition", err)
	}
}
