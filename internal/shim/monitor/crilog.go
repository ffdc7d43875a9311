package monitor

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/skiffrt/skiff/internal/log"
)

// maxLogLine is the longest text of one CRI log line; longer lines are
// split into partial (P) lines, as containerd and cri-o do.
const maxLogLine = 16 << 10

// readChunk is how much one read of a stream asks for.
const readChunk = 16 << 10

// logFile is the container's CRI log file:
//
//	<RFC3339Nano timestamp> <stdout|stderr> <P|F> <text>\n
//
// mu serialises the lines of the stdout and stderr copiers, so that they
// interleave whole and in order of arrival, and lets reopen swap the file
// between lines. logFile is safe for concurrent use.
type logFile struct {
	path string // empty: the output is discarded

	mu     sync.Mutex // guards the fields below
	f      *os.File
	line   []byte // scratch for one formatted line
	warned bool   // a write error has been logged
	closed bool
}

func openLogFile(path string) (*logFile, error) {
	l := &logFile{path: path}
	if path == "" {
		return l, nil
	}
	f, err := openLog(path)
	if err != nil {
		return nil, err
	}
	l.f = f
	return l, nil
}

// openLog opens the log file for appending, creating it. A symlink put in
// its place is not followed (skiffd checked the path's directories): the
// container's output goes to no file but its log.
func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o640)
}

// writeLine writes one CRI log line. Write errors (a full disk) drop the
// line, so that the container never blocks on its output; the first is
// logged.
func (l *logFile) writeLine(stream string, partial bool, text []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	tag := " F "
	if partial {
		tag = " P "
	}
	b := time.Now().AppendFormat(l.line[:0], time.RFC3339Nano)
	b = append(b, ' ')
	b = append(b, stream...)
	b = append(b, tag...)
	b = append(b, text...)
	b = append(b, '\n')
	if _, err := l.f.Write(b); err != nil && !l.warned {
		l.warned = true
		slog.Error("writing the container log; dropping lines", "path", l.path, log.KeyError, err)
	}
	if cap(b) <= 2*maxLogLine { // keep the scratch unless a line was huge
		l.line = b[:0]
	}
}

// reopen closes the log file and opens it again at its path, after
// kubelet has rotated it.
func (l *logFile) reopen() error {
	if l.path == "" {
		return nil
	}
	f, err := openLog(l.path)
	if err != nil {
		return fmt.Errorf("reopen container log: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		f.Close()
		return fmt.Errorf("reopen container log: the container has exited")
	}
	old := l.f
	l.f, l.warned = f, false
	if old != nil {
		old.Close()
	}
	return nil
}

func (l *logFile) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
	l.closed = true
}

// copyLines reads r until EOF or an error and writes what it reads to l as
// lines of stream: one F line per newline-terminated line, a line longer
// than maxLogLine as P lines then an F, and unterminated text at the end
// as an F line. Its buffer is maxLogLine+readChunk bytes.
func copyLines(l *logFile, stream string, r io.Reader) {
	buf := make([]byte, maxLogLine+readChunk)
	n := 0 // pending text at buf[:n], at most maxLogLine bytes
	for {
		m, err := r.Read(buf[n : n+readChunk])
		n = emitLines(l, stream, buf, n+m)
		if err != nil {
			if n > 0 {
				l.writeLine(stream, false, buf[:n])
			}
			return
		}
	}
}

// emitLines writes the complete lines in buf[:n], and partial lines while
// more than maxLogLine bytes are pending, then moves what is left to the
// front of buf and returns its length.
func emitLines(l *logFile, stream string, buf []byte, n int) int {
	pend := buf[:n]
	for {
		i := bytes.IndexByte(pend, '\n')
		if i < 0 {
			break
		}
		line := pend[:i]
		for len(line) > maxLogLine {
			l.writeLine(stream, true, line[:maxLogLine])
			line = line[maxLogLine:]
		}
		l.writeLine(stream, false, line)
		pend = pend[i+1:]
	}
	for len(pend) > maxLogLine {
		l.writeLine(stream, true, pend[:maxLogLine])
		pend = pend[maxLogLine:]
	}
	return copy(buf, pend)
}
