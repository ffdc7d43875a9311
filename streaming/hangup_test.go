package streaming

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// TestCloseIsGraceful: a session's connection closed while the client's
// last bytes are still unread ends with what was sent and EOF, not a
// reset that may destroy it.
func TestCloseIsGraceful(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	raw, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	server := &watchedConn{Conn: raw, cancel: cancel}

	client.Write(make([]byte, 64<<10)) // never read by the session
	time.Sleep(50 * time.Millisecond)
	io.WriteString(server, "exit status")
	closed := make(chan error, 1)
	go func() { closed <- server.Close() }()

	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(client)
	if err != nil || string(got) != "exit status" {
		t.Errorf("client read %q, %v; want the status, then EOF", got, err)
	}
	client.Close()
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if ctx.Err() == nil {
		t.Error("closing did not cancel the session")
	}
}
