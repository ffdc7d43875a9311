package cri

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// logWatch waits for the first complete line of a log file through
// inotify on its directory, so that the benchmark learns of the line
// within microseconds without polling.
type logWatch struct {
	path string
	f    *os.File // the inotify descriptor, in Go's poller
}

func watchLog(path string) (*logWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Dir(path), unix.IN_CREATE|unix.IN_MODIFY|unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inotify watch %s: %w", filepath.Dir(path), err)
	}
	return &logWatch{path: path, f: os.NewFile(uintptr(fd), "inotify")}, nil
}

func (w *logWatch) close() { w.f.Close() }

// waitLine returns once the file holds a newline, or ctx ends.
func (w *logWatch) waitLine(ctx context.Context) error {
	buf := make([]byte, 4096)
	for {
		if hasLine(w.path) {
			return nil
		}
		deadline := time.Now().Add(100 * time.Millisecond) // re-check now and then: belt and braces
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = w.f.SetReadDeadline(deadline)
		if _, err := w.f.Read(buf); err != nil && !os.IsTimeout(err) {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func hasLine(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 512)
	n, _ := f.Read(b)
	return bytes.IndexByte(b[:n], '\n') >= 0
}
