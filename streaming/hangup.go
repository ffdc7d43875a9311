package streaming

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
)

// hangup cancels a request's context as soon as its client goes away,
// once the library has taken over the connection: net/http cancels it
// only when the handler returns, and a session whose process writes
// nothing, with no stdin to read, would otherwise outlive its client
// (and keep its shim connection, and an exec'd process, alive).
func hangup(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		next.ServeHTTP(&hijackWatcher{ResponseWriter: w, cancel: cancel}, r.WithContext(ctx))
	})
}

// hijackWatcher hands out, on Hijack, a connection that cancels when a
// read fails (the client closed or reset it) or when it is closed.
type hijackWatcher struct {
	http.ResponseWriter
	cancel context.CancelFunc
}

func (w *hijackWatcher) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("streaming: the connection cannot be taken over")
	}
	conn, brw, err := h.Hijack()
	if err != nil {
		return nil, nil, err
	}
	wc := &watchedConn{Conn: conn, cancel: w.cancel}
	// The library reads through the reader it gets: the bytes net/http
	// has buffered already, then the watched connection.
	r := io.MultiReader(io.LimitReader(brw.Reader, int64(brw.Reader.Buffered())), wc)
	return wc, bufio.NewReadWriter(bufio.NewReader(r), brw.Writer), nil
}

type watchedConn struct {
	net.Conn
	cancel context.CancelFunc
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.cancel()
	}
	return n, err
}

// Close closes gracefully: it shuts the write side (the client reads all
// that was sent, then EOF) and reads what the client still sends until
// it closes too, for closeLinger at most. Closing a TCP socket that holds
// unread data sends a reset instead, which may destroy the session's
// last frames (the exit status) before the client, or a proxy such as
// the kubelet's, has read them.
func (c *watchedConn) Close() error {
	c.cancel()
	if hc, ok := c.Conn.(interface{ CloseWrite() error }); ok && hc.CloseWrite() == nil {
		c.Conn.SetReadDeadline(time.Now().Add(closeLinger))
		io.Copy(io.Discard, c.Conn)
	}
	return c.Conn.Close()
}

// closeLinger bounds how long Close waits for the client to close.
const closeLinger = time.Second
