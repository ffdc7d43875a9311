// Package output holds what tests use to watch the output of a process or
// a streaming session while it runs: a buffer safe to read while written,
// and waits for text to show in it.
package output

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer safe for a writer and concurrent readers.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Wait waits up to 15 seconds until b holds want.
func Wait(t *testing.T, b *Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output %q", want, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TypeUntil types line into a terminal until out shows want: the
// terminal's size goes on a stream of its own, which may reach the
// terminal after the first line does.
func TypeUntil(t *testing.T, w io.Writer, out *Buffer, line, want string) {
	t.Helper()
	for range 20 {
		io.WriteString(w, line)
		for range 50 {
			if strings.Contains(out.String(), want) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Fatalf("no %q in the output %q", want, out.String())
}
