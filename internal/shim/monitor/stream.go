package monitor

import (
	"log/slog"
	"net"
	"time"

	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// streamer is a streaming request the shim has accepted: it serves the
// session until its end.
type streamer interface {
	serve(*session)
}

// isStream reports whether method is a streaming one (Exec, Attach).
func isStream(method string) bool {
	return method == api.MethodExec || method == api.MethodAttach
}

// serveStream answers a streaming request and, once accepted, serves its
// session on conn.
func (s *server) serveStream(conn *net.UnixConn, req *api.Request) {
	st, err := s.openStream(req)
	resp := api.Response{Version: api.Version}
	if err != nil {
		resp.Error = api.AsError(err)
	}
	conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	if werr := api.WriteFrame(conn, &resp); werr != nil {
		slog.Debug("write answer", "method", req.Method, log.KeyError, werr)
	}
	conn.SetWriteDeadline(time.Time{})
	if err != nil {
		return
	}
	// A client gone already makes the session end at once.
	st.serve(&session{conn: conn})
}

func (s *server) openStream(req *api.Request) (streamer, error) {
	switch req.Method {
	case api.MethodExec:
		var e api.ExecStreamRequest
		if err := decode(req, &e); err != nil {
			return nil, err
		}
		return s.c.openExec(&e)
	default: // api.MethodAttach
		var a api.AttachRequest
		if err := decode(req, &a); err != nil {
			return nil, err
		}
		return s.c.openAttach(&a)
	}
}
