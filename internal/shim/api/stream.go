package api

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
)

// The streaming methods. Their answer frame is followed, on the same
// connection, by a session of stream frames (see the package comment).
const (
	// MethodExec runs a command in the container with its stdio streamed
	// (ExecStreamRequest). The session ends with the command's exit code.
	MethodExec = "Exec"
	// MethodAttach streams the container's own stdio (AttachRequest). The
	// session ends when the container's output does, or when the client
	// detaches.
	MethodAttach = "Attach"
)

// IO says which streams a session carries.
type IO struct {
	Stdin  bool `json:"stdin,omitempty"`
	Stdout bool `json:"stdout,omitempty"`
	Stderr bool `json:"stderr,omitempty"`
	// Tty: the process has a terminal; its output, stdout and stderr
	// alike, comes as stdout, and resize frames apply.
	Tty bool `json:"tty,omitempty"`
}

// ExecStreamRequest is the body of Exec: the command (ExecRequest, whose
// Timeout does not apply) and the streams to carry.
type ExecStreamRequest struct {
	ExecRequest
	IO IO `json:"io"`
}

// AttachRequest is the body of Attach. IO.Tty must match the container's;
// IO.Stdin needs a container created with stdin whose stdin is still open.
type AttachRequest struct {
	IO IO `json:"io"`
}

// TerminalSize is a terminal's size in characters.
type TerminalSize struct {
	Width, Height uint16
}

// StreamKind is the kind of a stream frame.
type StreamKind byte

// The stream frames of a session.
const (
	StreamStdin      StreamKind = 0 // client → shim: bytes for the process's stdin
	StreamStdout     StreamKind = 1 // shim → client: the process's stdout (all output with a tty)
	StreamStderr     StreamKind = 2 // shim → client: the process's stderr
	StreamResize     StreamKind = 3 // client → shim: a TerminalSize, width then height, big-endian uint16s
	StreamCloseStdin StreamKind = 4 // client → shim: the client's stdin has ended
	StreamEnd        StreamKind = 5 // shim → client, last: a SessionEnd as JSON
)

// MaxStreamPayload bounds the payload of one stream frame; writers split
// longer data.
const MaxStreamPayload = 32 << 10

// SessionEnd is the payload of the last frame of a session: the exit code
// of an exec'd command, or why the session failed.
type SessionEnd struct {
	ExitCode int    `json:"exit_code"`
	Error    *Error `json:"error,omitempty"`
}

// streamHeader is a frame's kind and its payload's length.
const streamHeader = 5

// WriteStreamFrame writes one stream frame: the kind, the payload's
// length as a big-endian uint32, then the payload, in one write where w
// allows it. The payload must not exceed MaxStreamPayload.
func WriteStreamFrame(w io.Writer, kind StreamKind, payload []byte) error {
	if len(payload) > MaxStreamPayload {
		return fmt.Errorf("stream frame of %d bytes exceeds %d", len(payload), MaxStreamPayload)
	}
	var hdr [streamHeader]byte
	hdr[0] = byte(kind)
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	bufs := net.Buffers{hdr[:], payload}
	_, err := bufs.WriteTo(w)
	return err
}

// ReadStreamFrame reads one stream frame into buf, which must hold
// MaxStreamPayload bytes, and returns its kind and payload (a slice of
// buf).
func ReadStreamFrame(r io.Reader, buf []byte) (StreamKind, []byte, error) {
	var hdr [streamHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > MaxStreamPayload || int(n) > len(buf) {
		return 0, nil, fmt.Errorf("stream frame of %d bytes exceeds %d", n, MaxStreamPayload)
	}
	if _, err := io.ReadFull(r, buf[:n]); err != nil {
		return 0, nil, fmt.Errorf("short stream frame: %w", io.ErrUnexpectedEOF)
	}
	return StreamKind(hdr[0]), buf[:n], nil
}

// EncodeSize is the payload of a resize frame.
func EncodeSize(s TerminalSize) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint16(b, s.Width)
	binary.BigEndian.PutUint16(b[2:], s.Height)
	return b
}

// DecodeSize reads the payload of a resize frame.
func DecodeSize(p []byte) (TerminalSize, error) {
	if len(p) != 4 {
		return TerminalSize{}, fmt.Errorf("resize frame of %d bytes, want 4", len(p))
	}
	return TerminalSize{Width: binary.BigEndian.Uint16(p), Height: binary.BigEndian.Uint16(p[2:])}, nil
}
