package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
)

const (
	// maxRequest bounds a request frame; requests are small.
	maxRequest = 1 << 20
	// ioTimeout bounds reading a request and writing an answer.
	ioTimeout = 10 * time.Second
	// handlerGrace is how long the shim, once the exit is recorded, lets
	// requests in flight finish (Wait and Shutdown answer then) before it
	// exits.
	handlerGrace = 2 * time.Second
)

// server serves the shim's socket: one goroutine per connection, one
// request per connection; a streaming request (Exec, Attach) keeps its
// connection for its session.
type server struct {
	c      *container
	ln     *net.UnixListener
	wg     sync.WaitGroup // connections in flight
	served chan struct{}  // closed when serve has returned
}

func newServer(c *container, ln *net.UnixListener) *server {
	return &server{c: c, ln: ln, served: make(chan struct{})}
}

// listen binds the socket at path, replacing a stale one, readable by
// root only. The socket file is removed when the listener closes.
func listen(path string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	old := unix.Umask(0o077)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	unix.Umask(old)
	if err != nil {
		return nil, err
	}
	return ln, nil
}

func (s *server) serve() {
	defer close(s.served)
	for {
		conn, err := s.ln.AcceptUnix()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			slog.Warn("accept", log.KeyError, err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.wg.Go(func() { s.handle(conn) })
	}
}

// stop closes the listener (which removes the socket) and waits up to
// grace for the connections in flight.
func (s *server) stop(grace time.Duration) {
	s.ln.Close()
	<-s.served // no connection is added after this
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		slog.Warn("exiting with requests in flight")
	}
}

func (s *server) handle(conn *net.UnixConn) {
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(ioTimeout))
	var req api.Request
	if err := api.ReadFrame(conn, &req, maxRequest); err != nil {
		slog.Debug("read request", log.KeyError, err)
		return
	}
	conn.SetReadDeadline(time.Time{})
	defer collectExec(req.Method)
	if req.Version == api.Version && isStream(req.Method) {
		s.serveStream(conn, &req)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the client sends nothing more: a read returns when it hangs up
		var b [1]byte
		conn.Read(b[:])
		cancel()
	}()
	resp := api.Response{Version: api.Version}
	out, err := s.dispatch(ctx, &req)
	if err == nil && out != nil {
		resp.Body, err = json.Marshal(out)
	}
	if err != nil {
		resp.Error = api.AsError(err)
	}
	conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	if err := api.WriteFrame(conn, &resp); err != nil {
		slog.Debug("write answer", "method", req.Method, log.KeyError, err)
	}
}

func (s *server) dispatch(ctx context.Context, req *api.Request) (any, error) {
	if req.Version != api.Version {
		return nil, api.Errorf(api.CodeInvalidArgument, "protocol version %d not supported (shim speaks %d)", req.Version, api.Version)
	}
	c := s.c
	switch req.Method {
	case api.MethodState:
		return c.state(), nil
	case api.MethodStart:
		return c.start()
	case api.MethodKill:
		var k api.KillRequest
		if err := decode(req, &k); err != nil {
			return nil, err
		}
		return nil, c.kill(unix.Signal(k.Signal), k.All)
	case api.MethodExecSync:
		var e api.ExecRequest
		if err := decode(req, &e); err != nil {
			return nil, err
		}
		return c.execSync(ctx, &e)
	case api.MethodUpdate:
		var u api.UpdateRequest
		if err := decode(req, &u); err != nil {
			return nil, err
		}
		return nil, c.update(u.Resources)
	case api.MethodCheckpoint:
		var r api.CheckpointRequest
		if err := decode(req, &r); err != nil {
			return nil, err
		}
		return nil, c.checkpoint(ctx, &r)
	case api.MethodPause:
		return nil, c.pause()
	case api.MethodResume:
		return nil, c.resume()
	case api.MethodReopenLog:
		return nil, c.log.reopen()
	case api.MethodWait:
		return c.wait(ctx)
	case api.MethodShutdown:
		return c.shutdown(ctx)
	}
	return nil, api.Errorf(api.CodeInvalidArgument, "unknown method %q", req.Method)
}

func decode(req *api.Request, v any) error {
	if err := json.Unmarshal(req.Body, v); err != nil {
		return api.Errorf(api.CodeInvalidArgument, "%s: bad request body: %v", req.Method, err)
	}
	return nil
}
