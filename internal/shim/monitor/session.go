package monitor

import (
	"encoding/json"
	"io"
	"net"
	"sync"
	"time"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// session is the shim's side of a streaming connection (Exec, Attach)
// after its answer frame: stream frames both ways (package api). Writes
// are serialised; one goroutine reads (input).
type session struct {
	conn *net.UnixConn
	wmu  sync.Mutex // serialises frames
}

// send writes data as frames of kind, split to api.MaxStreamPayload.
func (s *session) send(kind api.StreamKind, data []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for len(data) > 0 {
		n := min(len(data), api.MaxStreamPayload)
		if err := api.WriteStreamFrame(s.conn, kind, data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// end writes the last frame and shuts the connection for writing; the
// client closes it.
func (s *session) end(e api.SessionEnd) {
	b, _ := json.Marshal(e)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = api.WriteStreamFrame(s.conn, api.StreamEnd, b)
	_ = s.conn.CloseWrite()
}

// finish sends the last frame, gives the client a moment to read it and
// hang up (readDone is closed then, see input), then closes the
// connection and waits for the reader.
func (s *session) finish(e api.SessionEnd, readDone <-chan struct{}) {
	s.end(e)
	select {
	case <-readDone:
	case <-time.After(ioTimeout):
	}
	s.conn.Close()
	<-readDone
}

// copyFrom sends what r yields as frames of kind until r ends or a
// send fails.
func (s *session) copyFrom(kind api.StreamKind, r io.Reader) {
	buf := make([]byte, readChunk)
	for {
		n, err := r.Read(buf)
		if n > 0 && s.send(kind, buf[:n]) != nil {
			return
		}
		if err != nil {
			return
		}
	}
}

// input is what a session does with the client's frames.
type input interface {
	stdin(p []byte)
	closeStdin()
	resize(api.TerminalSize)
}

// input reads the client's frames into in on a goroutine of its own;
// the channel it returns is closed when the client has hung up.
func (s *session) input(in input) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.readInput(in)
	}()
	return done
}

// readInput hands the client's frames to in until the client hangs up
// (or sends a bad frame), and returns then.
func (s *session) readInput(in input) {
	buf := make([]byte, api.MaxStreamPayload)
	for {
		kind, p, err := api.ReadStreamFrame(s.conn, buf)
		if err != nil {
			return
		}
		switch kind {
		case api.StreamStdin:
			in.stdin(p)
		case api.StreamCloseStdin:
			in.closeStdin()
		case api.StreamResize:
			if size, err := api.DecodeSize(p); err == nil {
				in.resize(size)
			}
		default:
			return // a client that speaks nonsense is hung up on
		}
	}
}
