package streaming

import (
	"context"
	"errors"
	"io"
	"net"
)

// PortForward connects stream to port in the pod until both directions
// have ended. The end of one direction is passed on as a half-close (the
// client's end of input shuts the connection's write side, the pod's end
// of output closes the stream's), so a request-response exchange
// completes; an error in either direction ends both.
func (r *runtime) PortForward(ctx context.Context, podID string, port int32, stream io.ReadWriteCloser) error {
	conn, err := r.pods.DialPort(ctx, podID, port)
	if err != nil {
		return err
	}
	defer conn.Close()
	return pipe(stream, conn)
}

// halfCloser is a connection whose write side shuts alone (TCP).
type halfCloser interface {
	CloseWrite() error
}

// pipe copies client to conn and back, as PortForward says.
func pipe(client io.ReadWriteCloser, conn net.Conn) error {
	errs := make(chan error, 2)
	go func() {
		_, err := io.Copy(conn, client)
		if hc, ok := conn.(halfCloser); ok && err == nil {
			err = hc.CloseWrite()
		}
		errs <- err
	}()
	go func() {
		_, err := io.Copy(client, conn)
		if err == nil {
			err = client.Close() // half-closes the stream: the client reads EOF
		}
		errs <- err
	}()
	var first error
	for range 2 {
		if err := <-errs; err != nil && first == nil {
			first = err
			conn.Close() // unblocks the other direction
		}
	}
	if errors.Is(first, net.ErrClosed) {
		return nil
	}
	return first
}
